/*
 * shop_index_all.c: the indexes of every order a store loaded, built at once (shop.h's
 * shop_index_all). Inserting 100k slots into its AVL trees one by one took ~70 ms of a
 * 100k-order open in wasm (index_insert was the top of the profile): each insert walks 17
 * levels of nodes scattered over 16 MB. Here each key is sorted once, and every tree is built
 * balanced from its sorted nodes in one pass (index_build). Keys already in seq order (most:
 * orders come in in time order, and their deadlines with them) are taken as they are; the
 * others go through a radix sort of (key, position) pairs, stable, so equal keys stay in seq
 * order: the indexes' tie-break.
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "shop.h"

typedef struct {
  uint64_t key; /* the int64 key with its sign bit flipped: unsigned order is signed order */
  uint32_t at;  /* the slot's place in the list being sorted */
} sort_item;

/* Sorts items by key, stably: 8 bits a pass from the lowest, skipping the passes where every
 * key has the same byte (a timestamp's top bytes, PD_NEVER's). Returns the sorted array: items
 * or tmp. */
static sort_item *radix_sort(sort_item *items, sort_item *tmp, size_t n) {
  for (int shift = 0; shift < 64 && n; shift += 8) {
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[(items[i].key >> shift & 0xFF) + 1]++;
    if (count[(items[0].key >> shift & 0xFF) + 1] == n) continue;
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (size_t i = 0; i < n; i++) tmp[count[items[i].key >> shift & 0xFF]++] = items[i];
    sort_item *t = items;
    items = tmp;
    tmp = t;
  }
  return items;
}

typedef struct {
  order_slot **slots; /* every slot, by seq */
  size_t n;
  sort_item *items, *tmp;
  order_slot **sorted;
  index_node **nodes;
} builder;

static int64_t key_of(const order_slot *sl, size_t key_at) {
  int64_t key;
  memcpy(&key, (const char *)sl + key_at, sizeof key);
  return key;
}

/* A key the indexes are built on: the slots whose key (at offset key_at, an int64) is not
 * `skip` (all of them, with skip_none), how many they are and whether their keys already
 * follow seq (survey). */
typedef struct {
  size_t key_at;
  int64_t skip;
  int skip_none;
  size_t count;
  int in_seq_order;
  int64_t last;
} key_family;

enum { URGENCY, PLACED, NEXT_EVENT, VERSION, FAMILIES };

/* Every family's count and order, in one pass over the slots: they are 9.6 MB at 100k orders,
 * and the pass a key this replaces was ~12 ms of a profiled open in Chromium. */
static void survey(const builder *b, key_family *f) {
  for (int j = 0; j < FAMILIES; j++) {
    f[j].count = 0;
    f[j].in_seq_order = 1;
    f[j].last = INT64_MIN;
  }
  for (size_t i = 0; i < b->n; i++)
    for (int j = 0; j < FAMILIES; j++) {
      int64_t key = key_of(b->slots[i], f[j].key_at);
      if (!f[j].skip_none && key == f[j].skip) continue;
      f[j].in_seq_order &= f[j].last <= key;
      f[j].last = key;
      f[j].count++;
    }
}

/* The slots of family f, in (key, seq) order, and their count in *m; NULL when out of memory.
 * Keys that follow seq already (ship-by deadlines and placement times of orders that came in
 * time order, versions of orders imported once) are not sorted: the slots are taken as they
 * are. */
static order_slot **sort_by(builder *b, const key_family *f, size_t *m) {
  size_t key_at = f->key_at;
  int64_t skip = f->skip;
  int skip_none = f->skip_none;
  *m = f->count;
  if (f->in_seq_order && f->count == b->n) return b->slots;
  if (f->in_seq_order) {
    for (size_t i = 0, j = 0; i < b->n; i++)
      if (skip_none || key_of(b->slots[i], key_at) != skip) b->sorted[j++] = b->slots[i];
    return b->sorted;
  }
  if (!b->items) { /* the first key out of order: room to sort in */
    b->items = pd_malloc(b->n * sizeof *b->items);
    b->tmp = pd_malloc(b->n * sizeof *b->tmp);
    if (!b->items || !b->tmp) return NULL;
  }
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++) {
    int64_t key = key_of(b->slots[i], key_at);
    if (!skip_none && key == skip) continue;
    b->items[k++] = (sort_item){(uint64_t)key ^ (UINT64_C(1) << 63), (uint32_t)i};
  }
  const sort_item *s = radix_sort(b->items, b->tmp, k);
  for (size_t i = 0; i < k; i++) b->sorted[i] = b->slots[s[i].at];
  return b->sorted;
}

static index_node *node_of(order_slot *sl, size_t node_at) { return (index_node *)(void *)((char *)sl + node_at); }

/* Builds ix from the m slots of v, in order, through their node at node_at. */
static void build_from(builder *b, pd_index *ix, order_slot *const *v, size_t m, size_t node_at) {
  for (size_t i = 0; i < m; i++) b->nodes[i] = node_of(v[i], node_at);
  index_build(ix, b->nodes, m);
}

/* Builds the per-stage indexes ixs from the m slots of v, in order: their nodes grouped by
 * stage in one pass (a stable counting sort), each group then built as it lies. */
static void build_by_stage(builder *b, pd_index *ixs, order_slot *const *v, size_t m, size_t node_at) {
  size_t at[STAGE_COUNT + 1] = {0};
  for (size_t i = 0; i < m; i++) at[v[i]->stage + 1]++;
  for (int st = 0; st < STAGE_COUNT; st++) at[st + 1] += at[st];
  size_t next[STAGE_COUNT];
  memcpy(next, at, sizeof next);
  for (size_t i = 0; i < m; i++) b->nodes[next[v[i]->stage]++] = node_of(v[i], node_at);
  for (int st = 0; st < STAGE_COUNT; st++) index_build(&ixs[st], b->nodes + at[st], at[st + 1] - at[st]);
}

void shop_index_all(pd_shop *s) {
  builder b;
  memset(&b, 0, sizeof b);
  for (size_t i = 0; i < s->by_seq.len; i++) b.n += s->by_seq.items[i] != NULL;
  size_t n = b.n ? b.n : 1, m;
  b.slots = pd_malloc(n * sizeof *b.slots);
  b.sorted = pd_malloc(n * sizeof *b.sorted);
  b.nodes = pd_malloc(n * sizeof *b.nodes);
  order_slot **v;
  int built = 0; /* the key families built so far, in the order below */
  if (b.slots && b.sorted && b.nodes && b.n <= UINT32_MAX) {
    for (size_t i = 0, k = 0; i < s->by_seq.len; i++)
      if (s->by_seq.items[i]) b.slots[k++] = s->by_seq.items[i];
    key_family f[FAMILIES] = {
        [URGENCY] = {.key_at = offsetof(order_slot, urgency), .skip_none = 1},
        [PLACED] = {.key_at = offsetof(order_slot, placed_at), .skip_none = 1},
        [NEXT_EVENT] = {.key_at = offsetof(order_slot, next_event), .skip = PD_NEVER},
        [VERSION] = {.key_at = offsetof(order_slot, version), .skip_none = 1}, /* uint64_t below 2^63 */
    };
    survey(&b, f);
    /* Each sort's result is used before the next one overwrites b.sorted. */
    if ((v = sort_by(&b, &f[URGENCY], &m))) {
      build_by_stage(&b, s->by_stage, v, m, offsetof(order_slot, stage_node));
      built = 1;
    }
    if (built == 1 && (v = sort_by(&b, &f[PLACED], &m))) {
      build_by_stage(&b, s->placed_by_stage, v, m, offsetof(order_slot, placed_stage_node));
      built = 2;
    }
    if (built == 2 && (v = sort_by(&b, &f[NEXT_EVENT], &m))) {
      build_from(&b, &s->timed, v, m, offsetof(order_slot, tick_node));
      built = 3;
    }
    if (built == 3 && (v = sort_by(&b, &f[VERSION], &m))) {
      build_from(&b, &s->by_version, v, m, offsetof(order_slot, version_node));
      built = 4;
    }
  }
  /* No memory to sort in: the indexes not built yet, one insert at a time (which needs none). */
  for (size_t i = 0; built < 4 && i < s->by_seq.len; i++) {
    order_slot *sl = s->by_seq.items[i];
    if (!sl) continue;
    if (built < 1) index_insert(&s->by_stage[sl->stage], &sl->stage_node);
    if (built < 2) index_insert(&s->placed_by_stage[sl->stage], &sl->placed_stage_node);
    if (built < 3 && sl->next_event != PD_NEVER) index_insert(&s->timed, &sl->tick_node);
    index_insert(&s->by_version, &sl->version_node);
  }
  pd_free(b.slots);
  pd_free(b.items);
  pd_free(b.tmp);
  pd_free(b.sorted);
  pd_free(b.nodes);
}
