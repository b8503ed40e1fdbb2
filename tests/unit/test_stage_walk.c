/*
 * test_stage_walk.c: the stage indexes walked as one (stage_walk.h) against a sorted reference
 * array of every item: forward and back, from the ends and from cursors (a pair that is in the
 * indexes, and pairs between them), with stages left empty and keys shared by many items (seq
 * decides), and the count. orders.list and orders.export without a stage are these walks.
 */
#include "stage_walk.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#define N_ITEMS 3000

typedef struct {
  int64_t key;
  index_node node;
  uint64_t seq;
} item;

static item items[N_ITEMS];
static item *ref[N_ITEMS]; /* every item, by (key, seq) */

static uint64_t rng_state = 42;
static uint64_t rng(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static int by_key_seq(const void *a, const void *b) {
  const item *x = *(item *const *)a, *y = *(item *const *)b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static item *of(index_node *n) { return n ? PD_CONTAINER(n, item, node) : NULL; }

/* The walk from (key, seq) (from the end when !from) is exactly ref[first], ref[first + 1]...
 * forward, or ref[first], ref[first - 1]... back; first is -1 / N_ITEMS for an empty walk. */
static int walks_as(const pd_index *ixs, int back, int from, int64_t key, uint64_t seq, long first) {
  stage_walk w;
  stage_walk_start(&w, ixs, back, from, key, seq);
  long i = first;
  for (index_node *n = stage_walk_next(&w); n; n = stage_walk_next(&w), i += back ? -1 : 1)
    if (i < 0 || i >= N_ITEMS || of(n) != ref[i]) return 0;
  return back ? i == -1 : i == N_ITEMS;
}

void suite_stage_walk(void) {
  UNIT_TEST("stage walk: the stage indexes walked as one, in (key, seq) order, both ways, from any cursor");
  pd_index ixs[STAGE_COUNT];
  for (int st = 0; st < STAGE_COUNT; st++) index_init(&ixs[st], INDEX_FIELD(item, node, key), INDEX_FIELD(item, node, seq));

  stage_walk w;
  stage_walk_start(&w, ixs, 0, 0, 0, 0);
  UNIT_CHECK(stage_walk_next(&w) == NULL && stage_walk_count(ixs) == 0);

  for (size_t i = 0; i < N_ITEMS; i++) {
    items[i].key = (int64_t)(rng() % 300) - 150; /* ~10 items a key: seq breaks the ties */
    items[i].seq = i * 2 + 1;                     /* odd: an even seq lies between two items */
    int stage = (int)(rng() % (STAGE_COUNT - 2)); /* the two last stages stay empty */
    index_insert(&ixs[stage], &items[i].node);
    ref[i] = &items[i];
  }
  qsort(ref, N_ITEMS, sizeof *ref, by_key_seq);
  UNIT_CHECK_INT(stage_walk_count(ixs), N_ITEMS);

  UNIT_CHECK(walks_as(ixs, 0, 0, 0, 0, 0));
  UNIT_CHECK(walks_as(ixs, 1, 0, 0, 0, N_ITEMS - 1));
  for (int t = 0; t < 200; t++) {
    long at = (long)(rng() % N_ITEMS);
    const item *it = ref[at];
    /* From an item: strictly after it, strictly before it. */
    UNIT_CHECK(walks_as(ixs, 0, 1, it->key, it->seq, at + 1));
    UNIT_CHECK(walks_as(ixs, 1, 1, it->key, it->seq, at - 1));
    /* From between it and the next item of its key (seq + 1 is even: no item has it). */
    UNIT_CHECK(walks_as(ixs, 0, 1, it->key, it->seq + 1, at + 1));
    UNIT_CHECK(walks_as(ixs, 1, 1, it->key, it->seq + 1, at));
  }
  /* Past either end. */
  UNIT_CHECK(walks_as(ixs, 0, 1, INT64_MAX, UINT64_MAX, N_ITEMS));
  UNIT_CHECK(walks_as(ixs, 1, 1, INT64_MIN, 0, -1));
  UNIT_CHECK(walks_as(ixs, 0, 1, INT64_MIN, 0, 0));
  UNIT_CHECK(walks_as(ixs, 1, 1, INT64_MAX, UINT64_MAX, N_ITEMS - 1));
}
