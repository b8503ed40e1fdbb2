/*
 * shop_index_all.c: the indexes of every order a store loaded, built at once (shop.h's
 * shop_index_all). Inserting 100k slots into six AVL trees one by one took ~70 ms of a
 * 100k-order open in wasm (index_insert was the top of the profile): each insert walks 17
 * levels of nodes scattered over 16 MB. Here each key is sorted once (a radix sort of
 * (key, position) pairs, stable, so equal keys stay in seq order: the indexes' tie-break), and
 * every tree is built balanced from its sorted nodes in one pass (index_build).
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

/* b->sorted = the slots whose key (at offset key_at, an int64) is not `skip` (or all, when
 * skip_none), in (key, seq) order; returns how many. */
static size_t sort_by(builder *b, size_t key_at, int64_t skip, int skip_none) {
  size_t m = 0;
  for (size_t i = 0; i < b->n; i++) {
    int64_t key;
    memcpy(&key, (const char *)b->slots[i] + key_at, sizeof key);
    if (!skip_none && key == skip) continue;
    b->items[m++] = (sort_item){(uint64_t)key ^ (UINT64_C(1) << 63), (uint32_t)i};
  }
  const sort_item *s = radix_sort(b->items, b->tmp, m);
  for (size_t i = 0; i < m; i++) b->sorted[i] = b->slots[s[i].at];
  return m;
}

/* Builds ix from the first m of b->sorted, through their node at node_at; with stages, only
 * those of stage `stage`. */
static void build_from(builder *b, pd_index *ix, size_t m, size_t node_at, int stage) {
  size_t k = 0;
  for (size_t i = 0; i < m; i++)
    if (stage < 0 || b->sorted[i]->stage == stage) b->nodes[k++] = (index_node *)(void *)((char *)b->sorted[i] + node_at);
  index_build(ix, b->nodes, k);
}

void shop_index_all(pd_shop *s) {
  builder b;
  memset(&b, 0, sizeof b);
  for (size_t i = 0; i < s->by_seq.len; i++) b.n += s->by_seq.items[i] != NULL;
  size_t n = b.n ? b.n : 1;
  b.slots = pd_malloc(n * sizeof *b.slots);
  b.items = pd_malloc(n * sizeof *b.items);
  b.tmp = pd_malloc(n * sizeof *b.tmp);
  b.sorted = pd_malloc(n * sizeof *b.sorted);
  b.nodes = pd_malloc(n * sizeof *b.nodes);
  if (!b.slots || !b.items || !b.tmp || !b.sorted || !b.nodes || b.n > UINT32_MAX) {
    /* No memory to sort in: one insert at a time, which needs none. */
    for (size_t i = 0; i < s->by_seq.len; i++)
      if (s->by_seq.items[i]) shop_index_slot(s, s->by_seq.items[i]);
    goto done;
  }
  for (size_t i = 0, k = 0; i < s->by_seq.len; i++)
    if (s->by_seq.items[i]) b.slots[k++] = s->by_seq.items[i];
  size_t m = sort_by(&b, offsetof(order_slot, urgency), 0, 1);
  build_from(&b, &s->all, m, offsetof(order_slot, all_node), -1);
  for (int st = 0; st < STAGE_COUNT; st++) build_from(&b, &s->by_stage[st], m, offsetof(order_slot, stage_node), st);
  m = sort_by(&b, offsetof(order_slot, placed_at), 0, 1);
  build_from(&b, &s->placed, m, offsetof(order_slot, placed_all_node), -1);
  for (int st = 0; st < STAGE_COUNT; st++)
    build_from(&b, &s->placed_by_stage[st], m, offsetof(order_slot, placed_stage_node), st);
  m = sort_by(&b, offsetof(order_slot, next_event), PD_NEVER, 0);
  build_from(&b, &s->timed, m, offsetof(order_slot, tick_node), -1);
  m = sort_by(&b, offsetof(order_slot, version), 0, 1); /* a uint64_t below 2^63: the same bytes */
  build_from(&b, &s->by_version, m, offsetof(order_slot, version_node), -1);
done:
  pd_free(b.slots);
  pd_free(b.items);
  pd_free(b.tmp);
  pd_free(b.sorted);
  pd_free(b.nodes);
}
