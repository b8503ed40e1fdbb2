/*
 * index.c: the ordered index of index.h, an intrusive AVL tree without parent links.
 *
 * A node is its two child links, with the node's height kept in their low bits (index.h: the
 * 16 bytes a node took with a parent link and a height field were a quarter of an order's
 * slot). Without parents, insert and remove go down from the root by the node's own (key,
 * seq), which are unique, and rebalance on the way back up (recursion as deep as the tree:
 * under 50 levels for any count that fits in memory); index_next() of a node with no right
 * child searches from the root. All O(log n), and none allocates.
 */
#include "index.h"

#include <assert.h>
#include <string.h>

#define LOW_BITS ((uintptr_t)7)
#define HEIGHT_MAX 63 /* 6 bits; an AVL tree of height 63 would hold over 10^13 nodes */

/* The object's fields, through memcpy: the offsets are the index's, the types the caller's. */
int64_t index_key(const pd_index *ix, const index_node *n) {
  int64_t key;
  memcpy(&key, (const char *)n + ix->key_at, sizeof key);
  return key;
}

uint64_t index_seq(const pd_index *ix, const index_node *n) {
  uint64_t seq;
  memcpy(&seq, (const char *)n + ix->seq_at, sizeof seq);
  return seq;
}

index_node *index_left(const index_node *n) { return (index_node *)(n->left_bits & ~LOW_BITS); }
index_node *index_right(const index_node *n) { return (index_node *)(n->right_bits & ~LOW_BITS); }
int index_height(const index_node *n) { return (int)((n->left_bits & LOW_BITS) | (n->right_bits & LOW_BITS) << 3); }

static void set_left(index_node *n, index_node *child) {
  assert(((uintptr_t)child & LOW_BITS) == 0);
  n->left_bits = (uintptr_t)child | (n->left_bits & LOW_BITS);
}

static void set_right(index_node *n, index_node *child) {
  assert(((uintptr_t)child & LOW_BITS) == 0);
  n->right_bits = (uintptr_t)child | (n->right_bits & LOW_BITS);
}

static void set_height(index_node *n, int h) {
  assert(h >= 0 && h <= HEIGHT_MAX);
  n->left_bits = (n->left_bits & ~LOW_BITS) | ((uintptr_t)h & LOW_BITS);
  n->right_bits = (n->right_bits & ~LOW_BITS) | ((uintptr_t)h >> 3 & LOW_BITS);
}

/* Total order on (key, seq): key first, then seq. */
static int cmp_node(const pd_index *ix, const index_node *n, int64_t key, uint64_t seq) {
  int64_t k = index_key(ix, n);
  if (k != key) return k < key ? -1 : 1;
  uint64_t q = index_seq(ix, n);
  if (q != seq) return q < seq ? -1 : 1;
  return 0;
}

static int height_of(const index_node *n) { return n ? index_height(n) : 0; }

static void update_height(index_node *n) {
  int hl = height_of(index_left(n)), hr = height_of(index_right(n));
  set_height(n, (hl > hr ? hl : hr) + 1);
}

/* Lifts x's right child into x's place; returns the new subtree root. */
static index_node *rotate_left(index_node *x) {
  index_node *y = index_right(x);
  set_right(x, index_left(y));
  set_left(y, x);
  update_height(x); /* x is now below y, so it goes first */
  update_height(y);
  return y;
}

/* Mirror of rotate_left. */
static index_node *rotate_right(index_node *x) {
  index_node *y = index_left(x);
  set_left(x, index_right(y));
  set_right(y, x);
  update_height(x);
  update_height(y);
  return y;
}

/* The subtree at n, its children balanced, made an AVL tree again: its new root. A left child
 * leaning right needs the double rotation, or the single one would merely move the imbalance
 * to the other side. */
static index_node *balance(index_node *n) {
  int bal = height_of(index_left(n)) - height_of(index_right(n));
  if (bal > 1) {
    index_node *l = index_left(n);
    if (height_of(index_left(l)) < height_of(index_right(l))) set_left(n, rotate_left(l));
    return rotate_right(n);
  }
  if (bal < -1) {
    index_node *r = index_right(n);
    if (height_of(index_right(r)) < height_of(index_left(r))) set_right(n, rotate_right(r));
    return rotate_left(n);
  }
  update_height(n);
  return n;
}

static index_node *leftmost(index_node *n) {
  for (index_node *l; (l = index_left(n));) n = l;
  return n;
}

static index_node *rightmost(index_node *n) {
  for (index_node *r; (r = index_right(n));) n = r;
  return n;
}

void index_init(pd_index *ix, ptrdiff_t key_at, ptrdiff_t seq_at) {
  ix->root = NULL;
  ix->count = 0;
  ix->key_at = key_at;
  ix->seq_at = seq_at;
}

int index_contains(const index_node *n) { return index_height(n) != 0; }

/* n attached as a leaf under its (key, seq) in the subtree at t: the subtree's new root. */
static index_node *insert_below(const pd_index *ix, index_node *t, index_node *n, int64_t key, uint64_t seq) {
  if (!t) return n;
  int c = cmp_node(ix, t, key, seq);
  assert(c != 0);
  if (c > 0) set_left(t, insert_below(ix, index_left(t), n, key, seq));
  else set_right(t, insert_below(ix, index_right(t), n, key, seq));
  return balance(t);
}

/*
 * Attaches n as a leaf under its (key, seq) and rebalances. n must be in no index, and no node
 * of ix may already carry the same (key, seq): callers make seq unique per object.
 */
void index_insert(pd_index *ix, index_node *n) {
  assert(!index_contains(n));
  n->left_bits = n->right_bits = 0;
  set_height(n, 1);
  ix->root = insert_below(ix, ix->root, n, index_key(ix, n), index_seq(ix, n));
  ix->count++;
}

/* The middle node of nodes[lo, hi) at the root, each half built likewise below it: heights
 * of siblings differ by at most one, so the tree is an AVL tree as it stands. */
static index_node *build(index_node **nodes, size_t lo, size_t hi) {
  if (lo >= hi) return NULL;
  size_t mid = lo + (hi - lo) / 2;
  index_node *n = nodes[mid];
  n->left_bits = n->right_bits = 0;
  set_left(n, build(nodes, lo, mid));
  set_right(n, build(nodes, mid + 1, hi));
  update_height(n);
  return n;
}

void index_build(pd_index *ix, index_node **nodes, size_t n) {
  assert(ix->root == NULL);
  ix->root = build(nodes, 0, n);
  ix->count = n;
}

/* The subtree at t without its leftmost node, which goes to *min: the subtree's new root. */
static index_node *detach_min(index_node *t, index_node **min) {
  index_node *l = index_left(t);
  if (!l) {
    *min = t;
    return index_right(t);
  }
  set_left(t, detach_min(l, min));
  return balance(t);
}

/* The subtree at t without n, found by its (key, seq): the subtree's new root. With two
 * children, n's in-order successor takes n's place (nodes move; keys are their objects'). */
static index_node *remove_below(const pd_index *ix, index_node *t, const index_node *n, int64_t key, uint64_t seq) {
  assert(t != NULL); /* n is in this index */
  int c = cmp_node(ix, t, key, seq);
  if (c > 0) {
    set_left(t, remove_below(ix, index_left(t), n, key, seq));
    return balance(t);
  }
  if (c < 0) {
    set_right(t, remove_below(ix, index_right(t), n, key, seq));
    return balance(t);
  }
  assert(t == n);
  index_node *l = index_left(t), *r = index_right(t), *s;
  if (!l) return r;
  if (!r) return l;
  r = detach_min(r, &s);
  set_left(s, l);
  set_right(s, r);
  return balance(s);
}

/* Detaches n from ix and resets its links and height to 0, so that index_contains() is false
 * and n can be inserted again. */
void index_remove(pd_index *ix, index_node *n) {
  assert(index_contains(n) && ix->count > 0);
  ix->root = remove_below(ix, ix->root, n, index_key(ix, n), index_seq(ix, n));
  ix->count--;
  n->left_bits = n->right_bits = 0;
}

index_node *index_first(const pd_index *ix) { return ix->root ? leftmost(ix->root) : NULL; }

index_node *index_last(const pd_index *ix) { return ix->root ? rightmost(ix->root) : NULL; }

/* One descent, remembering the last node that was greater than (key, seq). */
index_node *index_after(const pd_index *ix, int64_t key, uint64_t seq) {
  index_node *best = NULL, *cur = ix->root;
  while (cur) {
    if (cmp_node(ix, cur, key, seq) > 0) {
      best = cur;
      cur = index_left(cur);
    } else {
      cur = index_right(cur);
    }
  }
  return best;
}

/* One descent, remembering the last node that was smaller than (key, seq). */
index_node *index_before(const pd_index *ix, int64_t key, uint64_t seq) {
  index_node *best = NULL, *cur = ix->root;
  while (cur) {
    if (cmp_node(ix, cur, key, seq) < 0) {
      best = cur;
      cur = index_right(cur);
    } else {
      cur = index_left(cur);
    }
  }
  return best;
}

/* Successor: the leftmost of the right subtree, else the first node after n's (key, seq). */
index_node *index_next(const pd_index *ix, const index_node *n) {
  index_node *r = index_right(n);
  return r ? leftmost(r) : index_after(ix, index_key(ix, n), index_seq(ix, n));
}

/* Predecessor: the rightmost of the left subtree, else the last node before n's (key, seq). */
index_node *index_prev(const pd_index *ix, const index_node *n) {
  index_node *l = index_left(n);
  return l ? rightmost(l) : index_before(ix, index_key(ix, n), index_seq(ix, n));
}
