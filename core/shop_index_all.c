/*
 * shop_index_all.c: the indexes of every order a store loaded, built at once (shop.h's
 * shop_index_all). Inserting 100k slots into its AVL trees one by one took ~70 ms of a
 * 100k-order open in wasm (index_insert was the top of the profile): each insert walks 17
 * levels of nodes scattered over 16 MB. Here each key is sorted once, and every tree is built
 * balanced from its sorted nodes in one pass (index_build). Keys already in seq order (most:
 * orders come in in time order, and their deadlines with them) are taken as they are. The
 * others are often nearly in order: a version is the shop's count of changes when its order
 * last changed, so the orders changed since they came in hold versions above those after them,
 * and the rest are in order. Those out of place are found in one pass (sort_run) and only they go
 * through a radix sort of (key, position) pairs, then are merged back. The sort is stable, so
 * equal keys stay in seq order: the indexes' tie-break. A stage's indexes need their orders in
 * order within the stage only, so those keys are sorted stage by stage.
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
  order_slot **sorted;
  index_node **nodes;
  uint32_t *order;    /* the positions in slots of the family being sorted, run by run */
  uint32_t *kept;     /* sort_run's positions in order so far */
  uint8_t *moved;     /* sort_run's positions out of place, one bit each */
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

/* Sorts the m slots at positions pos (ascending: seq order) by (key, seq) into out: 0, or -1
 * when out of memory. One pass keeps a stack of the positions in order so far; a key lower
 * than the top's takes out every position above it (an order changed after those that follow
 * it). Those taken out go through the radix sort and are merged with those kept. Keys in order
 * cost one pass; the worst (every key lower than the one before) costs that pass plus what
 * sorting them all always cost. */
static int sort_run(builder *b, size_t key_at, const uint32_t *pos, size_t m, order_slot **out) {
  size_t kept = 0, moved = 0;
  for (size_t i = 0; i < m; i++) {
    int64_t key = key_of(b->slots[pos[i]], key_at);
    while (kept && key_of(b->slots[b->kept[kept - 1]], key_at) > key) {
      uint32_t at = b->kept[--kept];
      b->moved[at >> 3] |= (uint8_t)(1u << (at & 7));
      moved++;
    }
    b->kept[kept++] = pos[i];
  }
  sort_item *items = NULL, *tmp = NULL;
  if (moved) {
    items = pd_malloc(moved * sizeof *items);
    tmp = pd_malloc(moved * sizeof *tmp);
    if (!items || !tmp) {
      pd_free(items);
      pd_free(tmp);
      for (size_t i = 0; i < m; i++) b->moved[pos[i] >> 3] = 0;
      return -1;
    }
  }
  const sort_item *s = items;
  if (moved) {
    size_t k = 0; /* in seq order, so that the stable sort keeps equal keys so */
    for (size_t i = 0; i < m; i++) {
      uint32_t at = pos[i];
      if (!(b->moved[at >> 3] >> (at & 7) & 1)) continue;
      b->moved[at >> 3] = (uint8_t)(b->moved[at >> 3] & ~(1u << (at & 7)));
      items[k++] = (sort_item){(uint64_t)key_of(b->slots[at], key_at) ^ (UINT64_C(1) << 63), at};
    }
    s = radix_sort(items, tmp, moved);
  }
  /* Merged by (key, seq). Of equal keys, those taken out come first: one was taken out by a
   * lower key after it, and that also took out every kept one of its key before it (they sat
   * above it on the stack), so the kept ones of its key all come after it in seq. */
  size_t i = 0, j = 0, o = 0;
  while (i < kept && j < moved) {
    uint32_t at = b->kept[i];
    uint64_t key = (uint64_t)key_of(b->slots[at], key_at) ^ (UINT64_C(1) << 63);
    if (key < s[j].key) {
      out[o++] = b->slots[at];
      i++;
    } else {
      out[o++] = b->slots[s[j++].at];
    }
  }
  while (i < kept) out[o++] = b->slots[b->kept[i++]];
  while (j < moved) out[o++] = b->slots[s[j++].at];
  pd_free(items);
  pd_free(tmp);
  return 0;
}

/* The slots of family f, in (key, seq) order (by_stage: grouped by stage, and in that order
 * within each), and their count in *m; NULL when out of memory. Keys that follow seq already
 * (ship-by deadlines and placement times of orders that came in time order, versions of orders
 * imported once) are not sorted: the slots are taken as they are. */
static order_slot **sort_by(builder *b, const key_family *f, int by_stage, size_t *m) {
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
  if (!b->order) { /* the first key out of order: room to sort in */
    b->order = pd_malloc(b->n * sizeof *b->order);
    b->kept = pd_malloc(b->n * sizeof *b->kept);
    b->moved = pd_calloc(b->n / 8 + 1, 1);
    if (!b->order || !b->kept || !b->moved) return NULL;
  }
  size_t run_at[STAGE_COUNT + 1] = {0}, runs = 1;
  if (by_stage) { /* the positions grouped by stage, each group in seq order (a counting sort) */
    runs = STAGE_COUNT;
    for (size_t i = 0; i < b->n; i++)
      if (skip_none || key_of(b->slots[i], key_at) != skip) run_at[b->slots[i]->stage + 1]++;
    for (int st = 0; st < STAGE_COUNT; st++) run_at[st + 1] += run_at[st];
    size_t next[STAGE_COUNT];
    memcpy(next, run_at, sizeof next);
    for (size_t i = 0; i < b->n; i++)
      if (skip_none || key_of(b->slots[i], key_at) != skip) b->order[next[b->slots[i]->stage]++] = (uint32_t)i;
  } else {
    for (size_t i = 0; i < b->n; i++)
      if (skip_none || key_of(b->slots[i], key_at) != skip) b->order[run_at[1]++] = (uint32_t)i;
  }
  for (size_t r = 0; r < runs; r++)
    if (sort_run(b, key_at, b->order + run_at[r], run_at[r + 1] - run_at[r], b->sorted + run_at[r]) != 0) return NULL;
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
    if ((v = sort_by(&b, &f[URGENCY], 1, &m))) {
      build_by_stage(&b, s->by_stage, v, m, offsetof(order_slot, stage_node));
      built = 1;
    }
    if (built == 1 && (v = sort_by(&b, &f[PLACED], 1, &m))) {
      build_by_stage(&b, s->placed_by_stage, v, m, offsetof(order_slot, placed_stage_node));
      built = 2;
    }
    if (built == 2 && (v = sort_by(&b, &f[NEXT_EVENT], 0, &m))) {
      build_from(&b, &s->timed, v, m, offsetof(order_slot, tick_node));
      built = 3;
    }
    if (built == 3 && (v = sort_by(&b, &f[VERSION], 0, &m))) {
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
  pd_free(b.order);
  pd_free(b.kept);
  pd_free(b.moved);
  pd_free(b.sorted);
  pd_free(b.nodes);
}
