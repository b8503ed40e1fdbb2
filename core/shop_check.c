/* shop_check.c: the shop's invariants, recomputed (see shop_check.h). O(orders). */
#include "shop_check.h"

#include <string.h>

#include "shop.h"

/* The index is in strict (key, seq) order, holds `count` nodes, and each node's key and seq
 * are where the index reads them: its order's fields for this index. */
static const char *check_index(const pd_index *ix, size_t member, int which) {
  size_t n = 0;
  const index_node *prev = NULL;
  for (const index_node *node = index_first(ix); node; node = index_next(ix, node), n++) {
    const order_slot *o = (const order_slot *)(const void *)((const char *)node - member);
    int64_t key = index_key(ix, node);
    uint64_t seq = index_seq(ix, node);
    if (prev) {
      int64_t pk = index_key(ix, prev);
      if (!(pk < key || (pk == key && index_seq(ix, prev) < seq))) return "an index is out of order";
    }
    if (seq != o->seq) return "an index reads another field as the seq";
    int64_t want = which == 4   ? (int64_t)o->version
                   : which == 3 ? o->placed_at
                   : which == 2 ? o->next_event
                                : o->urgency;
    if (key != want) return "an index reads another field as its key";
    prev = node;
  }
  return n == ix->count ? NULL : "an index count is wrong";
}

/* Pending operations: only on a paired shop, strictly ascending, below the next seq. */
static const char *check_sync(const pd_shop *s) {
  if (!s->device_id && s->pending.len) return "a shop that is not paired holds pending operations";
  for (size_t i = 0; i < s->pending.len; i++) {
    const pending_op *p = &s->pending.items[i];
    if (p->seq == 0 || p->seq >= s->next_pending || (i && p->seq <= s->pending.items[i - 1].seq))
      return "the pending operations are out of sequence";
    if (!p->op || !p->request || !p->cmd) return "a pending operation lacks its op or request";
  }
  return NULL;
}

const char *shop_check(const pd_shop *s) {
  size_t in_stages = 0, timed = 0;
  shop_metrics m;
  memset(&m, 0, sizeof m);
  for (int st = 0; st < STAGE_COUNT; st++) {
    const char *why = check_index(&s->by_stage[st], offsetof(order_slot, stage_node), 0);
    if (why) return why;
    for (const index_node *n = index_first(&s->by_stage[st]); n; n = index_next(&s->by_stage[st], n))
      if (PD_CONTAINER(n, order_slot, stage_node)->stage != st)
        return "an order is indexed under another stage";
    in_stages += s->by_stage[st].count;
    why = check_index(&s->placed_by_stage[st], offsetof(order_slot, placed_stage_node), 3);
    if (why) return why;
    for (const index_node *n = index_first(&s->placed_by_stage[st]); n; n = index_next(&s->placed_by_stage[st], n))
      if (PD_CONTAINER(n, order_slot, placed_stage_node)->stage != st)
        return "an order is indexed under another stage";
    if (s->placed_by_stage[st].count != s->by_stage[st].count)
      return "the stage indexes by urgency and by placement disagree";
  }
  const char *why = check_index(&s->timed, offsetof(order_slot, tick_node), 2);
  if (!why) why = check_index(&s->by_version, offsetof(order_slot, version_node), 4);
  if (!why) why = check_sync(s);
  if (why) return why;
  if (s->by_version.count != s->orders.len) return "the version index and the order map disagree";
  if (in_stages != s->orders.len)
    return "the stage indexes and the order map disagree";
  for (size_t seq = 0; seq < s->by_seq.len; seq++) {
    const order_slot *o = s->by_seq.items[seq];
    if (!o) continue;
    if (o->seq != seq) return "an order sits at another seq in the pages";
    if (idmap_get(&s->orders, o->id) != o) return "an order of the pages is not in the map";
    if (!index_contains(&o->stage_node) || !index_contains(&o->placed_stage_node))
      return "an order is missing from an index";
    if ((o->next_event != PD_NEVER) != index_contains(&o->tick_node))
      return "an order's timed event and the timed index disagree";
    timed += o->next_event != PD_NEVER;
    if (o->o) { /* read: its slot must say what the order says (a slot not read yet is its summary) */
      order copy = *o->o;
      order_slot keys;
      memset(&keys, 0, sizeof keys);
      shop_slot_keys(&keys, &copy);
      if (keys.urgency != o->urgency || keys.next_event != o->next_event)
        return "an order's index keys are not what its deadlines say";
      if (strcmp(keys.id, o->id) != 0 || keys.seq != o->seq || keys.stage != o->stage || keys.placed_at != o->placed_at ||
          keys.version != o->version || keys.metric_bits != o->metric_bits || keys.conflicts != o->conflicts)
        return "an order's slot differs from the order";
    }
    shop_metrics_apply(&m, o, +1);
    if (o->version > s->version) return "an order carries a version the shop has not reached";
  }
  if (timed != s->timed.count) return "the timed index holds orders it should not";
  if (memcmp(&m, &s->metrics, sizeof m) != 0) return "the metrics differ from a recount";
  size_t unread = 0;
  for (size_t i = 0; i < s->notes.len; i++) unread += !s->notes.items[i].read;
  if (unread != s->unread_notes) return "the unread count differs from the notifications";
  return NULL;
}
