/*
 * idmap.c: the string-keyed hash map of idmap.h.
 *
 * Open addressing with linear probing over a power-of-two table: one allocation, no nodes,
 * cache-friendly probes. Removed entries leave a tombstone so that later probes keep going
 * past them; tombstones count towards the load limit (0.7), because they lengthen probes
 * just as live entries do, and they are dropped at the next rehash.
 */
#include "idmap.h"
#include "alloc.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

/* A private address no caller's key can equal: marks a removed slot. */
static const char tombstone_mark;
#define IDMAP_TOMBSTONE (&tombstone_mark)

#define IDMAP_MIN_CAP ((size_t)8)

/*
 * FNV-1a, 64 bits. Its low bits, which pick the slot, depend only on the low bits of each
 * step, so the high half is folded in to let every bit of every byte reach the slot index.
 */
static uint64_t hash_key(const char *key) {
  uint64_t h = 0xcbf29ce484222325u;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3u;
  }
  return h ^ (h >> 32);
}

static size_t home_slot(const char *key, size_t cap) {
  return (size_t)(hash_key(key) & (uint64_t)(cap - 1));
}

/* The most slots (live + tombstones) a table of cap slots may use: floor(0.7 * cap). */
static size_t max_used(size_t cap) { return cap / 10 * 7 + cap % 10 * 7 / 10; }

/* The slot holding key, or NULL. */
static idmap_slot *find_slot(const idmap *m, const char *key) {
  if (m->cap == 0) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = home_slot(key, m->cap);; i = (i + 1) & mask) {
    idmap_slot *s = &m->slots[i];
    if (!s->key) return NULL; /* the load limit guarantees an empty slot ends every probe */
    if (s->key != IDMAP_TOMBSTONE && strcmp(s->key, key) == 0) return s;
  }
}

void idmap_init(idmap *m) {
  m->slots = NULL;
  m->cap = m->len = m->used = 0;
}

void idmap_free(idmap *m) {
  pd_free(m->slots);
  idmap_init(m);
}

void *idmap_get(const idmap *m, const char *key) {
  assert(key);
  const idmap_slot *s = find_slot(m, key);
  return s ? s->value : NULL;
}

/*
 * Moves every live entry into a fresh table of new_cap slots, dropping tombstones.
 * 0, or -1 when the table cannot be allocated: the map is then unchanged.
 */
static int rehash(idmap *m, size_t new_cap) {
  idmap_slot *slots = pd_calloc(new_cap, sizeof *slots);
  if (!slots) return -1;
  size_t mask = new_cap - 1;
  for (size_t i = 0; i < m->cap; i++) {
    const char *key = m->slots[i].key;
    if (!key || key == IDMAP_TOMBSTONE) continue;
    size_t j = home_slot(key, new_cap);
    while (slots[j].key) j = (j + 1) & mask; /* keys are distinct: no compare needed */
    slots[j] = m->slots[i];
  }
  pd_free(m->slots);
  m->slots = slots;
  m->cap = new_cap;
  m->used = m->len;
  return 0;
}

/*
 * Ensures that the next `extra` puts of new keys find a free slot within the load limit.
 * Each such put raises `used` by at most one and removals never lower the headroom, so
 * used + extra <= max_used(cap) is exactly the promise. When a rehash is needed, the new
 * table is sized from the live entries for a load of at most 1/2 after it (smaller than
 * before, when tombstones made most of the load), so that churn (remove one key, put
 * another) cannot rehash at every put. 0, or -1 when out of memory, the map unchanged.
 */
int idmap_reserve(idmap *m, size_t extra) {
  if (extra == 0) return 0;
  if (extra > SIZE_MAX - m->used) return -1;
  if (m->cap && m->used + extra <= max_used(m->cap)) return 0;
  size_t need = m->len + extra; /* <= used + extra: no overflow */
  if (need > SIZE_MAX / 2 / sizeof(idmap_slot)) return -1;
  size_t cap = IDMAP_MIN_CAP;
  while (cap < need * 2) cap *= 2; /* need * 2 fits, so this stops before overflowing */
  return rehash(m, cap);
}

/* Probes for key (the table must have room): the slot holding it, or NULL with *empty at the
 * empty slot that ends the probe and *reuse at the first tombstone before it (NULL: none). */
static idmap_slot *probe(const idmap *m, const char *key, idmap_slot **empty, idmap_slot **reuse) {
  size_t mask = m->cap - 1;
  *reuse = NULL;
  for (size_t i = home_slot(key, m->cap);; i = (i + 1) & mask) {
    idmap_slot *s = &m->slots[i];
    if (!s->key) {
      *empty = s;
      return NULL;
    }
    if (s->key == IDMAP_TOMBSTONE) {
      if (!*reuse) *reuse = s;
    } else if (strcmp(s->key, key) == 0) {
      return s;
    }
  }
}

/* Puts key -> value in the first tombstone of its probe, else the empty slot that ends it. */
static void fill(idmap *m, idmap_slot *empty, idmap_slot *reuse, const char *key, void *value) {
  idmap_slot *s = reuse ? reuse : empty;
  m->used += reuse == NULL;
  m->len++;
  s->key = key;
  s->value = value;
}

/*
 * Inserts key -> value, or replaces both the key pointer and the value if an equal key is
 * present. A new key reuses the first tombstone on its probe, else takes the empty slot that
 * ends it, growing the table first if that would pass the load limit.
 * 0, or -1 when growing failed: the map is then unchanged. Never fails after a reserve.
 */
int idmap_put(idmap *m, const char *key, void *value) {
  assert(key && key != IDMAP_TOMBSTONE);
  for (;;) {
    idmap_slot *empty = NULL, *reuse = NULL, *s = m->cap ? probe(m, key, &empty, &reuse) : NULL;
    if (s) {
      s->key = key;
      s->value = value;
      return 0;
    }
    if (reuse || (empty && m->used < max_used(m->cap))) {
      fill(m, empty, reuse, key, value);
      return 0;
    }
    /* The rehash moved every slot, so probe again in the new table. */
    if (idmap_reserve(m, 1) != 0) return -1;
  }
}

int idmap_add(idmap *m, const char *key, void *value) {
  assert(key && key != IDMAP_TOMBSTONE);
  idmap_slot *empty, *reuse;
  if (idmap_reserve(m, 1) != 0 || probe(m, key, &empty, &reuse)) return -1;
  fill(m, empty, reuse, key, value);
  return 0;
}

/*
 * Removes key and returns its value, or NULL if absent. Never allocates. A slot followed by
 * an empty one ends no other key's probe, so it (and the tombstones just before it) can
 * become empty again instead of staying a tombstone, which keeps `used` low under churn.
 */
void *idmap_remove(idmap *m, const char *key) {
  assert(key);
  idmap_slot *s = find_slot(m, key);
  if (!s) return NULL;
  void *value = s->value;
  size_t mask = m->cap - 1, i = (size_t)(s - m->slots);
  s->value = NULL;
  m->len--;
  if (m->slots[(i + 1) & mask].key) {
    s->key = IDMAP_TOMBSTONE;
    return value;
  }
  s->key = NULL;
  m->used--;
  /* Ends at the latest after a full turn, on the slot just emptied. */
  for (i = (i - 1) & mask; m->slots[i].key == IDMAP_TOMBSTONE; i = (i - 1) & mask) {
    m->slots[i].key = NULL;
    m->used--;
  }
  return value;
}

void idmap_each(const idmap *m, void (*fn)(void *value, void *ud), void *ud) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key && m->slots[i].key != IDMAP_TOMBSTONE) fn(m->slots[i].value, ud);
}
