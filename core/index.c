/*
 * index.c: the ordered index of index.h, an intrusive AVL tree with parent pointers.
 *
 * Parent pointers let index_next() walk in order from any node without a stack, and let
 * index_remove() start from the node itself without searching. Rebalancing walks from the
 * lowest changed node up (to the root after a removal; after an insertion only as far as
 * heights change), so insert and remove are O(log n) and never allocate.
 */
#include "index.h"

#include <assert.h>

#include <string.h>

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

/* Total order on (key, seq): key first, then seq. */
static int cmp_node(const pd_index *ix, const index_node *n, int64_t key, uint64_t seq) {
  int64_t k = index_key(ix, n);
  if (k != key) return k < key ? -1 : 1;
  uint64_t q = index_seq(ix, n);
  if (q != seq) return q < seq ? -1 : 1;
  return 0;
}

static int height_of(const index_node *n) { return n ? n->height : 0; }

static void update_height(index_node *n) {
  int hl = height_of(n->left), hr = height_of(n->right);
  n->height = (hl > hr ? hl : hr) + 1;
}

/* Points whatever referred to old (its parent's link, or the root) at repl instead. */
static void replace_child(pd_index *ix, index_node *parent, const index_node *old,
                          index_node *repl) {
  if (!parent)
    ix->root = repl;
  else if (parent->left == old)
    parent->left = repl;
  else
    parent->right = repl;
}

/* Lifts x's right child into x's place; returns the new subtree root. */
static index_node *rotate_left(pd_index *ix, index_node *x) {
  index_node *y = x->right;
  x->right = y->left;
  if (y->left) y->left->parent = x;
  y->parent = x->parent;
  replace_child(ix, x->parent, x, y);
  y->left = x;
  x->parent = y;
  update_height(x); /* x is now below y, so it goes first */
  update_height(y);
  return y;
}

/* Mirror of rotate_left. */
static index_node *rotate_right(pd_index *ix, index_node *x) {
  index_node *y = x->left;
  x->left = y->right;
  if (y->right) y->right->parent = x;
  y->parent = x->parent;
  replace_child(ix, x->parent, x, y);
  y->right = x;
  x->parent = y;
  update_height(x);
  update_height(y);
  return y;
}

/*
 * Restores heights and the AVL balance on the path from n up to the root, after one node
 * was attached (inserted: 1) or detached below n. After an insertion it stops at the first
 * node whose height comes out as it was, or at a rotation (which gives the subtree back the
 * height it had before the insertion): nothing above can have changed. Loading a store
 * inserts 100k orders in arrival order into its indexes, and walking each path to the root
 * was a quarter of the load. A removal walks to the root: a rotation there can lower the
 * subtree, and its ancestors must see it.
 */
static void rebalance(pd_index *ix, index_node *n, int inserted) {
  while (n) {
    int bal = height_of(n->left) - height_of(n->right), was = n->height;
    if (bal > 1) {
      /* A left child leaning right needs the double rotation, or the single one would
       * merely move the imbalance to the other side. */
      if (height_of(n->left->left) < height_of(n->left->right)) rotate_left(ix, n->left);
      n = rotate_right(ix, n);
      if (inserted) return;
    } else if (bal < -1) {
      if (height_of(n->right->right) < height_of(n->right->left)) rotate_right(ix, n->right);
      n = rotate_left(ix, n);
      if (inserted) return;
    } else {
      update_height(n);
      if (inserted && n->height == was) return;
    }
    n = n->parent;
  }
}

static index_node *leftmost(index_node *n) {
  while (n->left) n = n->left;
  return n;
}

void index_init(pd_index *ix, ptrdiff_t key_at, ptrdiff_t seq_at) {
  ix->root = NULL;
  ix->count = 0;
  ix->key_at = key_at;
  ix->seq_at = seq_at;
}

int index_contains(const index_node *n) { return n->height != 0; }

/*
 * Attaches n as a leaf under its (key, seq) and rebalances. n must be in no index, and no node
 * of ix may already carry the same (key, seq): callers make seq unique per object.
 */
void index_insert(pd_index *ix, index_node *n) {
  assert(n->height == 0);
  int64_t key = index_key(ix, n);
  uint64_t seq = index_seq(ix, n);
  index_node *parent = NULL, **link = &ix->root;
  while (*link) {
    parent = *link;
    int c = cmp_node(ix, parent, key, seq);
    assert(c != 0);
    link = c > 0 ? &parent->left : &parent->right;
  }
  n->left = n->right = NULL;
  n->parent = parent;
  n->height = 1;
  *link = n;
  ix->count++;
  rebalance(ix, parent, 1);
}

/*
 * Detaches n from ix and resets its links and height to 0, so that index_contains() is
 * false and n can be inserted again. With two children, n's in-order successor takes n's
 * place in the tree (nodes are moved; keys are their objects').
 */
/* The middle node of nodes[lo, hi) at the root, each half built likewise below it: heights
 * of siblings differ by at most one, so the tree is an AVL tree as it stands. */
static index_node *build(index_node **nodes, size_t lo, size_t hi, index_node *parent) {
  if (lo >= hi) return NULL;
  size_t mid = lo + (hi - lo) / 2;
  index_node *n = nodes[mid];
  n->parent = parent;
  n->left = build(nodes, lo, mid, n);
  n->right = build(nodes, mid + 1, hi, n);
  n->height = 0;
  update_height(n);
  return n;
}

void index_build(pd_index *ix, index_node **nodes, size_t n) {
  assert(ix->root == NULL);
  ix->root = build(nodes, 0, n, NULL);
  ix->count = n;
}

void index_remove(pd_index *ix, index_node *n) {
  assert(n->height != 0 && ix->count > 0);
  index_node *fix_from; /* lowest node whose subtree lost a node */
  if (n->left && n->right) {
    index_node *s = leftmost(n->right); /* has no left child */
    if (s->parent == n) {
      fix_from = s;
    } else {
      fix_from = s->parent;
      s->parent->left = s->right;
      if (s->right) s->right->parent = s->parent;
      s->right = n->right;
      n->right->parent = s;
    }
    s->left = n->left;
    n->left->parent = s;
    s->parent = n->parent;
    replace_child(ix, n->parent, n, s);
    /* s's stale height needs no fixing here: the path up from fix_from passes through s. */
  } else {
    index_node *child = n->left ? n->left : n->right;
    if (child) child->parent = n->parent;
    replace_child(ix, n->parent, n, child);
    fix_from = n->parent;
  }
  rebalance(ix, fix_from, 0);
  ix->count--;
  n->left = n->right = n->parent = NULL;
  n->height = 0;
}

index_node *index_first(const pd_index *ix) { return ix->root ? leftmost(ix->root) : NULL; }

/* One descent, remembering the last node that was greater than (key, seq). */
index_node *index_after(const pd_index *ix, int64_t key, uint64_t seq) {
  index_node *best = NULL, *cur = ix->root;
  while (cur) {
    if (cmp_node(ix, cur, key, seq) > 0) {
      best = cur;
      cur = cur->left;
    } else {
      cur = cur->right;
    }
  }
  return best;
}

/* Successor: the leftmost of the right subtree, else the first ancestor reached from its left. */
index_node *index_next(const index_node *n) {
  if (n->right) return leftmost(n->right);
  index_node *p = n->parent; /* links are not const even when n is: no cast needed */
  while (p && p->right == n) {
    n = p;
    p = p->parent;
  }
  return p;
}

static index_node *rightmost(index_node *n) {
  while (n->right) n = n->right;
  return n;
}

index_node *index_last(const pd_index *ix) { return ix->root ? rightmost(ix->root) : NULL; }

/* One descent, remembering the last node that was smaller than (key, seq). */
index_node *index_before(const pd_index *ix, int64_t key, uint64_t seq) {
  index_node *best = NULL, *cur = ix->root;
  while (cur) {
    if (cmp_node(ix, cur, key, seq) < 0) {
      best = cur;
      cur = cur->right;
    } else {
      cur = cur->left;
    }
  }
  return best;
}

/* Predecessor: the rightmost of the left subtree, else the first ancestor reached from its right. */
index_node *index_prev(const index_node *n) {
  if (n->left) return rightmost(n->left);
  index_node *p = n->parent;
  while (p && p->left == n) {
    n = p;
    p = p->parent;
  }
  return p;
}
