/*
 * index.h: an ordered index of intrusive nodes, keyed by (key, seq), ascending.
 *
 * The node lives inside the indexed object (order.stage_node, order.tick_node), so inserting
 * and removing never allocate and never fail: a command's commit cannot be half-done by an
 * out-of-memory. Height is O(log n) guaranteed. `seq` is unique per object and breaks ties,
 * so every (key, seq) is distinct and pages resume exactly where they stopped.
 */
#ifndef PD_INDEX_H
#define PD_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit fields first: with 32-bit pointers (wasm) the node is 32 bytes, not 40 with
 * padding, and every order holds six. */
typedef struct index_node {
  int64_t key;
  uint64_t seq;
  struct index_node *left, *right, *parent;
  int height;  /* AVL height; 0 while the node is in no index */
} index_node;

typedef struct {
  index_node *root;
  size_t count;
} pd_index;

void index_init(pd_index *ix);
/* Inserts n (which must be in no index) under (key, seq). */
void index_insert(pd_index *ix, index_node *n, int64_t key, uint64_t seq);
/* Removes n, which must be in ix. */
void index_remove(pd_index *ix, index_node *n);
int index_contains(const index_node *n); /* 1 while n is in some index */
/* The smallest node, or NULL when empty. */
index_node *index_first(const pd_index *ix);
/* The first node strictly after (key, seq), or NULL. */
index_node *index_after(const pd_index *ix, int64_t key, uint64_t seq);
/* The in-order successor of n, or NULL. */
index_node *index_next(const index_node *n);
/* The mirror images, for walking an index from its end (orders.list's newest first). */
index_node *index_last(const pd_index *ix);
index_node *index_before(const pd_index *ix, int64_t key, uint64_t seq); /* strictly before */
index_node *index_prev(const index_node *n);

/* The object that holds a node: PD_CONTAINER(node, order, stage_node). */
#define PD_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
