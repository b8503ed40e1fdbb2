/*
 * index.h: an ordered index of intrusive nodes, keyed by (key, seq), ascending.
 *
 * The node lives inside the indexed object (order.stage_node, order.tick_node), so inserting
 * and removing never allocate and never fail: a command's commit cannot be half-done by an
 * out-of-memory. Height is O(log n) guaranteed. `seq` is unique per object and breaks ties,
 * so every (key, seq) is distinct and pages resume exactly where they stopped.
 *
 * The key and seq are the object's own fields, read where the index was told they lie
 * (offsets from the node), not copies in the node: an order is in four indexes, and copies
 * would make each node 24 bytes instead of 8 in wasm (100k orders: 6.4 MB more memory an open
 * must touch). So an object's key fields must not change while it is indexed: remove it, change
 * them, insert it again (the shop commits new copies). Removal finds the node from the root by
 * those fields (nodes have no parent link), so a key changed in place breaks the tree.
 */
#ifndef PD_INDEX_H
#define PD_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* A node: its two children, and its AVL height in their low bits (3 bits each: a node is
 * 8-byte aligned, so a child's address never uses them). No parent link and no height field:
 * 8 bytes in wasm where they were 16, and an order sits in four indexes, so its slot is 32 bytes
 * smaller: 3.2 MB of the memory a 100k-order store's open touches for the first time, at ~4 ms
 * a MB on this VM (docs/store-open.md). Read them through index_left/right/height only. */
typedef struct index_node {
  _Alignas(8) uintptr_t left_bits;
  uintptr_t right_bits;
} index_node;

typedef struct {
  index_node *root;
  size_t count;
  ptrdiff_t key_at; /* from a node to its object's int64_t key */
  ptrdiff_t seq_at; /* from a node to its object's uint64_t seq */
} pd_index;

/* The offset index_init wants: from member `node` of `type` to its field `field`. */
#define INDEX_FIELD(type, node, field) ((ptrdiff_t)offsetof(type, field) - (ptrdiff_t)offsetof(type, node))

/* An empty index whose nodes find their key and seq at these offsets (INDEX_FIELD). A key
 * field may be int64_t or uint64_t below 2^63 (read as int64_t: the same bytes). */
void index_init(pd_index *ix, ptrdiff_t key_at, ptrdiff_t seq_at);
/* Inserts n (which must be in no index) under its object's (key, seq). */
void index_insert(pd_index *ix, index_node *n);
/* A node's key and seq, read from its object. */
int64_t index_key(const pd_index *ix, const index_node *n);
uint64_t index_seq(const pd_index *ix, const index_node *n);
/* Fills an empty ix with nodes (in no index), given in strict (key, seq) order: a balanced
 * tree in O(n), where n inserts cost O(n log n) and touch the tree's memory at random (a
 * store's open builds four indexes of every order it loads). */
void index_build(pd_index *ix, index_node **nodes, size_t n);
/* Removes n, which must be in ix. */
void index_remove(pd_index *ix, index_node *n);
int index_contains(const index_node *n); /* 1 while n is in some index */
/* The smallest node, or NULL when empty. */
index_node *index_first(const pd_index *ix);
/* The first node strictly after (key, seq), or NULL. */
index_node *index_after(const pd_index *ix, int64_t key, uint64_t seq);
/* The in-order successor of n (which must be in ix), or NULL. O(log n): with no parent links,
 * a node with no right child finds its successor from the root, by its own (key, seq). */
index_node *index_next(const pd_index *ix, const index_node *n);
/* The mirror images, for walking an index from its end (orders.list's newest first). */
index_node *index_last(const pd_index *ix);
index_node *index_before(const pd_index *ix, int64_t key, uint64_t seq); /* strictly before */
index_node *index_prev(const pd_index *ix, const index_node *n);
/* The node's children and height (0 while it is in no index), for walks and checks. */
index_node *index_left(const index_node *n);
index_node *index_right(const index_node *n);
int index_height(const index_node *n);

/* The object that holds a node: PD_CONTAINER(node, order, stage_node). */
#define PD_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
