/*
 * test_index.c: the ordered index against a sorted reference array, under random inserts and
 * removes, and built whole from sorted nodes (index_build) at sizes 0 to 20000. After each phase the whole tree is checked: links, stored heights, AVL balance,
 * the height bound, in-order order, index_after() and index_before() at
 * every boundary, the walk back from index_last(), and count.
 */
#include "index.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#define N_ITEMS 20000

typedef struct {
  int id;
  index_node node; /* not first, so that PD_CONTAINER really has to subtract */
  int64_t key;     /* after the node, the index reads these at positive offsets; orders */
  uint64_t seq;    /* have theirs before some nodes too (shop.c) */
} item;

/* An index of items: key and seq read from the item's fields. */
static void init_items(pd_index *ix) { index_init(ix, INDEX_FIELD(item, node, key), INDEX_FIELD(item, node, seq)); }

/* Gives it (key, seq) and inserts it. */
static void insert_at(pd_index *ix, item *it, int64_t key, uint64_t seq) {
  it->key = key;
  it->seq = seq;
  index_insert(ix, &it->node);
}

static item items[N_ITEMS];
static item *ref[N_ITEMS]; /* the items in the index, sorted by (key, seq) */
static size_t ref_len;
static uint64_t next_seq;

/* splitmix64: a fixed seed makes every run the same. */
static uint64_t rng_state;
static uint64_t rng(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}
static size_t rng_below(size_t n) { return (size_t)(rng() % (uint64_t)n); }

/* Few distinct keys, so that many nodes share a key and seq decides; extremes included. */
static int64_t random_key(void) {
  switch (rng_below(50)) {
  case 0: return INT64_MIN;
  case 1: return INT64_MAX;
  default: return (int64_t)rng_below(400) - 200;
  }
}

/* Unique seqs, occasionally at the extremes of uint64 (each extreme used once at most). */
static uint64_t fresh_seq(void) {
  if (next_seq == 0) {
    next_seq = 1;
    return 0;
  }
  if (next_seq == 5000) {
    next_seq++;
    return UINT64_MAX;
  }
  return next_seq++;
}

static int cmp_key_seq(int64_t ak, uint64_t as, int64_t bk, uint64_t bs) {
  if (ak != bk) return ak < bk ? -1 : 1;
  if (as != bs) return as < bs ? -1 : 1;
  return 0;
}

static int cmp_items(const void *a, const void *b) {
  const item *x = *(item *const *)a, *y = *(item *const *)b;
  return cmp_key_seq(x->key, x->seq, y->key, y->seq);
}

/* The reference answer of index_after: the first ref entry strictly greater, by bisection. */
static index_node *ref_after(int64_t key, uint64_t seq) {
  size_t lo = 0, hi = ref_len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmp_key_seq(ref[mid]->key, ref[mid]->seq, key, seq) > 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo < ref_len ? &ref[lo]->node : NULL;
}

/*
 * The real height of the subtree at n; clears *ok on a stale stored height or an AVL
 * imbalance, or a node in the tree more than once (a link gone wrong: `seen` counts visits,
 * and the walk stops past `limit` rather than loop).
 */
static int real_height(const index_node *n, int *ok, size_t *seen, size_t limit) {
  if (!n) return 0;
  if (++*seen > limit) {
    *ok = 0;
    return 0;
  }
  int hl = real_height(index_left(n), ok, seen, limit), hr = real_height(index_right(n), ok, seen, limit);
  int h = (hl > hr ? hl : hr) + 1;
  if (index_height(n) != h || hl - hr > 1 || hr - hl > 1) *ok = 0;
  return h;
}

/* An AVL tree of height h holds at least N(h) = N(h-1) + N(h-2) + 1 nodes: the exact bound. */
static int height_fits(int h, size_t count) {
  size_t a = 0, b = 1; /* N(0), N(1) */
  if (h == 0) return count == 0;
  for (int i = 1; i < h; i++) {
    size_t c = a + b + 1;
    a = b;
    b = c;
  }
  return count >= b;
}

/* Rebuilds the reference from the items in the index and checks the whole tree against it. */
static void check_all(const pd_index *ix) {
  ref_len = 0;
  for (size_t i = 0; i < N_ITEMS; i++)
    if (index_contains(&items[i].node)) ref[ref_len++] = &items[i];
  qsort(ref, ref_len, sizeof ref[0], cmp_items);
  UNIT_CHECK_INT(ix->count, ref_len);

  int ok = 1;
  size_t seen = 0;
  int h = real_height(ix->root, &ok, &seen, ref_len);
  UNIT_CHECK(ok && seen == ref_len);
  UNIT_CHECK(height_fits(h, ix->count));

  /* In order via first/next, each node mapping back to its item. */
  size_t i = 0;
  int order_ok = 1;
  for (index_node *n = index_first(ix); n; n = index_next(ix, n), i++)
    if (i >= ref_len || PD_CONTAINER(n, item, node) != ref[i]) order_ok = 0;
  UNIT_CHECK(order_ok && i == ref_len);

  /* index_after just at, just below, and around each node, and at both extremes. */
  int after_ok = 1;
  for (i = 0; i < ref_len; i++) {
    int64_t k = ref[i]->key;
    uint64_t s = ref[i]->seq;
    index_node *next = i + 1 < ref_len ? &ref[i + 1]->node : NULL;
    if (index_after(ix, k, s) != next) after_ok = 0;
    if (s > 0 && index_after(ix, k, s - 1) != &ref[i]->node) after_ok = 0;
    if (index_after(ix, k, UINT64_MAX) != ref_after(k, UINT64_MAX)) after_ok = 0;
    if (k > INT64_MIN && index_after(ix, k - 1, UINT64_MAX) != ref_after(k - 1, UINT64_MAX))
      after_ok = 0;
    if (index_after(ix, k, 0) != ref_after(k, 0)) after_ok = 0;
  }
  if (index_after(ix, INT64_MIN, 0) != ref_after(INT64_MIN, 0)) after_ok = 0;
  if (index_after(ix, INT64_MAX, UINT64_MAX) != NULL) after_ok = 0;
  UNIT_CHECK(after_ok);

  /* Backwards via last/prev, and index_before at and around each node (newest-first pages). */
  int back_ok = 1;
  i = ref_len;
  for (index_node *n = index_last(ix); n; n = index_prev(ix, n))
    if (i == 0 || PD_CONTAINER(n, item, node) != ref[--i]) back_ok = 0;
  UNIT_CHECK(back_ok && i == 0);
  int before_ok = 1;
  for (i = 0; i < ref_len; i++) {
    int64_t k = ref[i]->key;
    uint64_t s = ref[i]->seq;
    index_node *prev = i > 0 ? &ref[i - 1]->node : NULL;
    if (index_before(ix, k, s) != prev) before_ok = 0;
    if (s < UINT64_MAX && index_before(ix, k, s + 1) != &ref[i]->node) before_ok = 0;
  }
  if (index_before(ix, INT64_MIN, 0) != NULL) before_ok = 0;
  if (index_before(ix, INT64_MAX, UINT64_MAX) != (ref_len ? &ref[ref_len - 1]->node : NULL)) before_ok = 0;
  UNIT_CHECK(before_ok);
}

static void insert_item(pd_index *ix, item *it) {
  insert_at(ix, it, random_key(), fresh_seq());
}

/* Removes it and checks that the node says so: links and height back to 0. */
static int remove_item(pd_index *ix, item *it) {
  index_remove(ix, &it->node);
  const index_node *n = &it->node;
  return !index_contains(n) && !index_left(n) && !index_right(n) && index_height(n) == 0;
}

static void shuffle(size_t *perm, size_t n) {
  for (size_t i = 0; i < n; i++) perm[i] = i;
  for (size_t i = n; i > 1; i--) {
    size_t j = rng_below(i), t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
}

static void test_empty(void) {
  UNIT_TEST("index empty");
  pd_index ix;
  init_items(&ix);
  UNIT_CHECK(index_first(&ix) == NULL);
  UNIT_CHECK(index_after(&ix, INT64_MIN, 0) == NULL);
  UNIT_CHECK(index_last(&ix) == NULL && index_before(&ix, INT64_MAX, UINT64_MAX) == NULL);
  UNIT_CHECK_INT(ix.count, 0);

  item one = {1, {0}, 0, 0};
  UNIT_CHECK(!index_contains(&one.node));
  insert_at(&ix, &one, 7, 3);
  UNIT_CHECK(index_contains(&one.node));
  UNIT_CHECK(index_first(&ix) == &one.node);
  UNIT_CHECK(index_next(&ix, &one.node) == NULL);
  UNIT_CHECK(index_after(&ix, 7, 2) == &one.node);
  UNIT_CHECK(index_after(&ix, 7, 3) == NULL);
  UNIT_CHECK(index_after(&ix, 6, UINT64_MAX) == &one.node);
  UNIT_CHECK(index_last(&ix) == &one.node && index_prev(&ix, &one.node) == NULL);
  UNIT_CHECK(index_before(&ix, 7, 4) == &one.node && index_before(&ix, 7, 3) == NULL);
  UNIT_CHECK(remove_item(&ix, &one));
  UNIT_CHECK(ix.root == NULL && ix.count == 0);
}

/* Ascending and descending inserts: the sequences that degrade an unbalanced tree. */
static void test_sorted_inserts(void) {
  UNIT_TEST("index sorted inserts");
  pd_index ix;
  init_items(&ix);
  for (size_t i = 0; i < N_ITEMS / 2; i++)
    insert_at(&ix, &items[i], (int64_t)i, 0);
  for (size_t i = N_ITEMS / 2; i < N_ITEMS; i++)
    insert_at(&ix, &items[i], -(int64_t)i, 0);
  check_all(&ix);
  int ok = 1;
  for (size_t i = 0; i < N_ITEMS; i++) ok &= remove_item(&ix, &items[i]);
  UNIT_CHECK(ok);
  check_all(&ix);
}

/* index_build from sorted nodes (a store's open): a valid AVL tree of every size, in order,
 * that inserts and removes then keep valid. */
static void test_build(void) {
  static const size_t sizes[] = {0, 1, 2, 3, 7, 100, 1023, N_ITEMS};
  static index_node *nodes[N_ITEMS];
  UNIT_TEST("index build from sorted nodes");
  for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
    pd_index ix;
    init_items(&ix);
    size_t n = sizes[z];
    for (size_t i = 0; i < N_ITEMS; i++) memset(&items[i].node, 0, sizeof items[i].node);
    for (size_t i = 0; i < n; i++) {
      items[i].key = (int64_t)rng_below(n / 3 + 1) - 5; /* duplicate keys: seq breaks the ties */
      items[i].seq = fresh_seq();
      ref[i] = &items[i];
    }
    qsort(ref, n, sizeof ref[0], cmp_items);
    for (size_t i = 0; i < n; i++) nodes[i] = &ref[i]->node;
    index_build(&ix, nodes, n);
    check_all(&ix);
    for (size_t i = n; i < n + 50 && i < N_ITEMS; i++) insert_item(&ix, &items[i]);
    for (size_t i = 0; i < n; i += 3) remove_item(&ix, &items[i]);
    check_all(&ix);
    for (size_t i = 0; i < N_ITEMS; i++)
      if (index_contains(&items[i].node)) remove_item(&ix, &items[i]);
    UNIT_CHECK(ix.root == NULL && ix.count == 0);
  }
}

static void test_random(void) {
  static size_t perm[N_ITEMS];
  pd_index ix;
  init_items(&ix);

  UNIT_TEST("index random inserts");
  shuffle(perm, N_ITEMS);
  for (size_t i = 0; i < N_ITEMS; i++) insert_item(&ix, &items[perm[i]]);
  check_all(&ix);

  UNIT_TEST("index random removes");
  shuffle(perm, N_ITEMS);
  int ok = 1;
  for (size_t i = 0; i < N_ITEMS / 2; i++) ok &= remove_item(&ix, &items[perm[i]]);
  UNIT_CHECK(ok);
  check_all(&ix);

  UNIT_TEST("index churn");
  for (int round = 0; round < 20; round++) {
    for (int op = 0; op < 2000; op++) {
      item *it = &items[rng_below(N_ITEMS)];
      if (index_contains(&it->node))
        ok &= remove_item(&ix, it);
      else
        insert_item(&ix, it);
    }
    check_all(&ix);
  }
  UNIT_CHECK(ok);

  UNIT_TEST("index remove all");
  shuffle(perm, N_ITEMS);
  for (size_t i = 0; i < N_ITEMS; i++)
    if (index_contains(&items[perm[i]].node)) ok &= remove_item(&ix, &items[perm[i]]);
  UNIT_CHECK(ok);
  UNIT_CHECK(ix.root == NULL && ix.count == 0 && index_first(&ix) == NULL);

  UNIT_TEST("index reinsert removed");
  shuffle(perm, N_ITEMS);
  for (size_t i = 0; i < N_ITEMS; i++) insert_item(&ix, &items[perm[i]]);
  check_all(&ix);
  for (size_t i = 0; i < N_ITEMS; i++) ok &= remove_item(&ix, &items[i]);
  UNIT_CHECK(ok);
  check_all(&ix);
}

void suite_index(void) {
  rng_state = 20240601u;
  next_seq = 0;
  for (int i = 0; i < N_ITEMS; i++) items[i].id = i;
  test_empty();
  test_sorted_inserts();
  test_build();
  test_random();
}
