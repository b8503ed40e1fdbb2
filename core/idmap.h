/*
 * idmap.h: a hash map from string ids to pointers (orders by order id, operations by op id).
 *
 * Keys are borrowed, not copied: the value owns its key (order->id), and idmap_put() with an
 * existing key replaces both the key pointer and the value, so a committed clone takes the
 * place of the order it copies. Capacity is reserved ahead, so that a put after a successful
 * idmap_reserve() never allocates and never fails.
 */
#ifndef PD_IDMAP_H
#define PD_IDMAP_H

#include <stddef.h>

typedef struct {
  const char *key; /* NULL: empty slot; IDMAP_TOMBSTONE: removed */
  void *value;
} idmap_slot;

typedef struct {
  idmap_slot *slots;
  size_t cap;   /* a power of two, or 0 */
  size_t len;   /* live entries */
  size_t used;  /* live entries + tombstones */
} idmap;

void idmap_init(idmap *m);
void idmap_free(idmap *m); /* frees the table only; keys and values belong to the caller */
void *idmap_get(const idmap *m, const char *key);
/* Ensures room for `extra` more entries without allocating: 0, or -1 when out of memory. */
int idmap_reserve(idmap *m, size_t extra);
/* Inserts or replaces. 0, or -1 when out of memory (only when not reserved ahead). */
int idmap_put(idmap *m, const char *key, void *value);
/* Inserts a key that must not be there yet, in one probe (a store's open adds 100k): 0, or
 * -1 when it is there already (nothing changed) or out of memory. */
int idmap_add(idmap *m, const char *key, void *value);
/* Calls fn(value, ud) for every entry. fn may free the value and its key (the map reads
 * neither again), but must not change the map. */
void idmap_each(const idmap *m, void (*fn)(void *value, void *ud), void *ud);

/* Removes key if present; returns its value or NULL. Never allocates. */
void *idmap_remove(idmap *m, const char *key);

#endif
