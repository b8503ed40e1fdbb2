/* shop.c: the shop's state, and the transaction that changes it all or nothing. */
#include "shop.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "sync.h"
#include "vec.h"

static void shop_init_indexes(pd_shop *s) {
#define ORDER_INDEX(ix, node, key) \
  index_init((ix), INDEX_FIELD(order_slot, node, key), INDEX_FIELD(order_slot, node, seq))
  for (int i = 0; i < STAGE_COUNT; i++) ORDER_INDEX(&s->by_stage[i], stage_node, urgency);
  ORDER_INDEX(&s->timed, tick_node, next_event);
  for (int i = 0; i < STAGE_COUNT; i++) ORDER_INDEX(&s->placed_by_stage[i], placed_stage_node, placed_at);
  ORDER_INDEX(&s->by_version, version_node, version); /* uint64_t below 2^63 (SYNC_VERSION_MAX) */
#undef ORDER_INDEX
}

pd_shop *pd_shop_new(void) {
  pd_alloc_init();
  pd_shop *s = pd_calloc(1, sizeof *s);
  if (!s) return NULL;
  policy_defaults(&s->policy);
  idmap_init(&s->orders);
  idmap_init(&s->ops);
  idmap_init(&s->products);
  shop_init_indexes(s);
  s->next_seq = 1;
  s->next_outbox_id = 1;
  s->next_note_id = 1;
  s->next_op_seq = 1;
  s->next_pending = 1;
  return s;
}

static void outbox_msg_free(outbox_msg *m) {
  pd_free(m->order_id);
  pd_free(m->text);
}

static void product_free(product *p) {
  if (p) pd_free(p->sku);
}

static void free_product_value(void *v) {
  product_free(v);
  pd_free(v);
}

static void free_product_entry(void *v, void *ud) {
  (void)ud;
  free_product_value(v);
}
void applied_op_free(applied_op *op) {
  if (!op) return;
  pd_free(op->op);
  pd_free(op->response);
  pd_free(op);
}

void pd_shop_free(pd_shop *s) {
  if (!s) return;
  for (size_t seq = 0; seq < s->by_seq.len; seq++) {
    order_slot *sl = s->by_seq.items[seq];
    if (!sl) continue;
    order_free(sl->o);
    if (!sl->in_block) pd_free(sl);
  }
  for (size_t i = 0; i < s->blocks.len; i++) pd_free(s->blocks.items[i]);
  pd_free(s->blocks.items);
  idmap_each(&s->products, free_product_entry, NULL);
  for (size_t i = 0; i < s->op_list.len; i++) applied_op_free(s->op_list.items[i]);
  pd_free(s->by_seq.items);
  pd_free(s->op_list.items);
  pd_free(s->dirty_orders.items);
  pd_free(s->dirty_ops.items);
  idmap_free(&s->orders);
  idmap_free(&s->products);
  idmap_free(&s->ops);
  for (size_t i = 0; i < s->outbox.len; i++) outbox_msg_free(&s->outbox.items[i]);
  for (size_t i = 0; i < s->notes.len; i++) pd_free(s->notes.items[i].order_id);
  pd_free(s->outbox.items);
  pd_free(s->notes.items);
  for (size_t i = 0; i < s->pending.len; i++) pending_op_free(&s->pending.items[i]);
  pd_free(s->pending.items);
  pd_free(s->device_id);
  pd_free(s);
}

void pd_set_journal(pd_shop *s, pd_journal_fn fn, void *ud) {
  s->journal = fn;
  s->journal_ud = ud;
}

order_slot *shop_slot(pd_shop *s, const char *order_id) { return idmap_get(&s->orders, order_id); }

int shop_slot_agrees(const order_slot *sl, order *o) {
  order_slot got;
  memset(&got, 0, sizeof got);
  shop_slot_keys(&got, o);
  return strcmp(got.id, sl->id) == 0 && got.seq == sl->seq && got.stage == sl->stage &&
         got.placed_at == sl->placed_at && got.urgency == sl->urgency && got.next_event == sl->next_event &&
         got.version == sl->version && got.metric_bits == sl->metric_bits && got.conflicts == sl->conflicts;
}

order *shop_order(pd_shop *s, order_slot *sl) {
  if (sl->o) return sl->o;
  int kind = SHOP_UNREADABLE_DAMAGED;
  char why[160] = "no store holds it";
  order *o = s->read_body ? s->read_body(s->read_body_ud, sl, &kind, why, sizeof why) : NULL;
  if (o && !shop_slot_agrees(sl, o)) {
    order_free(o);
    o = NULL;
    snprintf(why, sizeof why, "its body does not match its summary");
  }
  if (!o) {
    s->unreadable = kind;
    snprintf(s->unreadable_why, sizeof s->unreadable_why, "order %.64s cannot be read from the store: %.150s",
             sl->id, why);
    return NULL;
  }
  sl->o = o;
  return o;
}

order *shop_find(pd_shop *s, const char *order_id) {
  order_slot *sl = shop_slot(s, order_id);
  return sl ? shop_order(s, sl) : NULL;
}

/* The order as t (then its parents, then the shop) sees it, and its slot: NULL for an order
 * new in the transaction, which gets one when it is committed. */
static order *txn_lookup(pd_shop *s, shop_txn *t, const char *order_id, order_slot **slot) {
  for (; t; t = t->parent)
    for (size_t i = 0; i < t->orders.len; i++)
      if (strcmp(t->orders.items[i].work->id, order_id) == 0) {
        *slot = t->orders.items[i].slot;
        return t->orders.items[i].work;
      }
  *slot = shop_slot(s, order_id);
  return *slot ? shop_order(s, *slot) : NULL;
}

order *txn_find(pd_shop *s, shop_txn *t, const char *order_id) {
  order_slot *slot;
  return txn_lookup(s, t, order_id, &slot);
}

static order *take(shop_txn *t, order *orig, order_slot *slot) {
  order *work = NULL;
  if (VEC_GROW(t->orders) || !(work = order_clone(orig))) return NULL;
  t->orders.items[t->orders.len++] = (txn_order){orig, work, slot, 0};
  return work;
}

order *txn_edit(pd_shop *s, shop_txn *t, const char *order_id, int *oom) {
  *oom = 0;
  for (size_t i = 0; i < t->orders.len; i++)
    if (strcmp(t->orders.items[i].work->id, order_id) == 0) return t->orders.items[i].work;
  order_slot *slot;
  order *orig = txn_lookup(s, t->parent, order_id, &slot);
  if (!orig) return NULL;
  order *work = take(t, orig, slot);
  *oom = work == NULL;
  return work;
}

order *txn_take(pd_shop *s, shop_txn *t, order_slot *sl) {
  order *orig = shop_order(s, sl);
  return orig ? take(t, orig, sl) : NULL;
}

int txn_add_order(shop_txn *t, order *o) {
  if (VEC_GROW(t->orders)) {
    order_free(o);
    return -1;
  }
  t->orders.items[t->orders.len++] = (txn_order){NULL, o, NULL, 0};
  return 0;
}

int txn_outbox(shop_txn *t, const char *order_id, const char *channel, const char *kind,
               const char *text, pd_ms at) {
  if (VEC_GROW(t->outbox)) return -1;
  outbox_msg m = {0, pd_strdup(order_id), channel, kind, pd_strdup(text), at};
  if (!m.order_id || !m.text) {
    outbox_msg_free(&m);
    return -1;
  }
  t->outbox.items[t->outbox.len++] = m;
  return 0;
}

int txn_notify(shop_txn *t, const char *order_id, const char *kind, pd_ms at) {
  if (VEC_GROW(t->notes)) return -1;
  notification n = {0, pd_strdup(order_id), kind, at, 0};
  if (!n.order_id) return -1;
  t->notes.items[t->notes.len++] = n;
  return 0;
}

int txn_product(shop_txn *t, const char *sku, unsigned classes, int authorized) {
  product *p = pd_calloc(1, sizeof *p);
  if (!p || VEC_GROW(t->products) || !(p->sku = pd_strdup(sku))) {
    pd_free(p);
    return -1;
  }
  p->classes = classes;
  p->authorized = authorized;
  t->products.items[t->products.len++] = p;
  return 0;
}

int txn_is_empty(const shop_txn *t) {
  return !t->orders.len && !t->outbox.len && !t->notes.len && !t->products.len && !t->acked.len &&
         !t->read_notes.len && !t->policy_changed && sync_change_is_empty(&t->sync);
}

int txn_merge_orders(shop_txn *outer, shop_txn *inner) {
  if (VEC_RESERVE(outer->orders, inner->orders.len)) return -1;
  for (size_t i = 0; i < inner->orders.len; i++) {
    txn_order in = inner->orders.items[i];
    size_t j = 0;
    while (j < outer->orders.len && (!in.orig || outer->orders.items[j].work != in.orig)) j++;
    if (j < outer->orders.len) { /* a copy of outer's copy: it takes that copy's place */
      order_free(outer->orders.items[j].work);
      outer->orders.items[j].work = in.work;
      outer->orders.items[j].keep_version = 0;
    } else {
      outer->orders.items[outer->orders.len++] = (txn_order){in.orig, in.work, in.slot, 0};
    }
  }
  inner->orders.len = 0;
  return 0;
}

void txn_free(shop_txn *t) {
  for (size_t i = 0; i < t->orders.len; i++) {
    order_free(t->orders.items[i].work);
    if (!t->orders.items[i].orig) pd_free(t->orders.items[i].slot); /* prepared, never committed */
  }
  for (size_t i = 0; i < t->outbox.len; i++) outbox_msg_free(&t->outbox.items[i]);
  for (size_t i = 0; i < t->notes.len; i++) pd_free(t->notes.items[i].order_id);
  for (size_t i = 0; i < t->products.len; i++) free_product_value(t->products.items[i]);
  pd_free(t->orders.items);
  pd_free(t->outbox.items);
  pd_free(t->notes.items);
  pd_free(t->products.items);
  pd_free(t->acked.items);
  pd_free(t->read_notes.items);
  sync_change_free(&t->sync);
  memset(t, 0, sizeof *t);
}

const product *shop_product(pd_shop *s, shop_txn *t, const char *sku) {
  if (t)
    for (size_t i = t->products.len; i-- > 0;)
      if (strcmp(t->products.items[i]->sku, sku) == 0) return t->products.items[i];
  return idmap_get(&s->products, sku);
}

/* An overdue obligation still waiting on the seller keeps the order at the top of its stage. */
static int outstanding(const order *o, deadline_kind k) {
  if (o->deadlines[k].state != DL_MISSED) return 0;
  switch (k) {
    case DL_SHIP_BY: return o->shipped_at == 0 && o->stage < STAGE_AWAITING_COLLECTION;
    case DL_PICKUP:
    case DL_DROPOFF: return o->stage == STAGE_AWAITING_COLLECTION;
    default: return 0;
  }
}

void shop_rekey(order *o) {
  pd_ms next = PD_NEVER, urgent = PD_NEVER;
  for (int k = 0; k < DL_FIXED_COUNT; k++) {
    const deadline *d = &o->deadlines[k];
    if (d->state == DL_OPEN && d->due < next) next = d->due;
    if (outstanding(o, (deadline_kind)k) && d->due < urgent) urgent = d->due;
  }
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].due < next)
      next = o->requests.items[i].due;
  /* A completion date is no call to act: it does not make an order urgent. */
  pd_ms act = PD_NEVER;
  for (int k = 0; k < DL_FIXED_COUNT; k++)
    if (k != DL_COMPLETION && o->deadlines[k].state == DL_OPEN && o->deadlines[k].due < act)
      act = o->deadlines[k].due;
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].due < act)
      act = o->requests.items[i].due;
  o->next_event = next;
  o->urgency = act < urgent ? act : urgent;
}

/* What the metrics count of an order, a bit each: kept in its slot, so that the counters are
 * summed at open and kept exact at commit without reading any order's body. */
enum {
  METRIC_PAID = 1 << 0,
  METRIC_DISPATCH_DECIDED = 1 << 1, /* shipped, or past the 72 h mark unshipped */
  METRIC_LATE_DISPATCH = 1 << 2,    /* H9 */
  METRIC_SELLER_CANCELLED = 1 << 3,
  METRIC_DELIVERED = 1 << 4,
  METRIC_ON_TIME = 1 << 5           /* T4 */
};

/* The slot's copies of the order's keys and counts (its keys already computed: shop_rekey). */
static void copy_keys(order_slot *sl, const order *o) {
  sl->urgency = o->urgency;
  sl->next_event = o->next_event;
  sl->placed_at = o->placed_at;
  sl->version = o->version;
  sl->seq = o->seq;
  sl->id = o->id;
  sl->stage = (uint8_t)o->stage;
  sl->metric_bits = (uint8_t)((o->paid_at != 0 ? METRIC_PAID : 0) |
                              (o->shipped_at != 0 || o->deadlines[DL_SHIP_BY].state == DL_MISSED ? METRIC_DISPATCH_DECIDED : 0) |
                              (o->flags & FLAG_LATE_DISPATCH ? METRIC_LATE_DISPATCH : 0) |
                              (o->stage == STAGE_CANCELLED && o->seller_fault_cancel ? METRIC_SELLER_CANCELLED : 0) |
                              (o->delivered_at != 0 ? METRIC_DELIVERED : 0) |
                              (o->delivered_at != 0 && !(o->flags & FLAG_LATE_DELIVERY) ? METRIC_ON_TIME : 0));
  sl->conflicts = (uint32_t)o->conflicts.len;
}

void shop_slot_keys(order_slot *sl, order *o) {
  shop_rekey(o);
  copy_keys(sl, o);
}

void shop_metrics_apply(shop_metrics *m, const order_slot *sl, int64_t sign) {
  unsigned b = sl->metric_bits;
  m->paid += sign * ((b & METRIC_PAID) != 0);
  m->dispatch_decided += sign * ((b & METRIC_DISPATCH_DECIDED) != 0);
  m->late_dispatch += sign * ((b & METRIC_LATE_DISPATCH) != 0);
  m->seller_cancelled += sign * ((b & METRIC_SELLER_CANCELLED) != 0);
  m->delivered += sign * ((b & METRIC_DELIVERED) != 0);
  m->delivered_on_time += sign * ((b & METRIC_ON_TIME) != 0);
  m->conflicts += sign * (int64_t)sl->conflicts;
}

/* Makes by_seq, op_list and the dirty flags big enough for `orders` new orders and `ops` new
 * operations, zero-filled, so that commit only stores into them. */
static int reserve_pages(pd_shop *s, size_t orders, size_t ops) {
  size_t seq_len = (size_t)s->next_seq + orders, op_len = (size_t)s->next_op_seq + ops;
  size_t order_pages = seq_len / ORDER_PAGE + 1, op_pages = op_len / OP_PAGE + 1;
  /* Only the shortfall: a refused command may have grown these already (they stay grown). */
#define SHORT(v, want) ((want) > (v).len ? (want) - (v).len : 0)
  if (VEC_RESERVE(s->by_seq, SHORT(s->by_seq, seq_len)) ||
      VEC_RESERVE(s->op_list, SHORT(s->op_list, op_len)) ||
      VEC_RESERVE(s->dirty_orders, SHORT(s->dirty_orders, order_pages)) ||
      VEC_RESERVE(s->dirty_ops, SHORT(s->dirty_ops, op_pages)))
    return -1;
#undef SHORT
  while (s->by_seq.len < seq_len) s->by_seq.items[s->by_seq.len++] = NULL;
  while (s->op_list.len < op_len) s->op_list.items[s->op_list.len++] = NULL;
  while (s->dirty_orders.len < order_pages) s->dirty_orders.items[s->dirty_orders.len++] = 0;
  while (s->dirty_ops.len < op_pages) s->dirty_ops.items[s->dirty_ops.len++] = 0;
  return 0;
}

int shop_load_slot(pd_shop *s, order_slot *sl) {
  if (sl->seq == 0 || sl->seq > SHOP_MAX_SEQ || sl->stage >= STAGE_COUNT || sl->version > SYNC_VERSION_MAX)
    return -1;
  if (sl->seq >= s->next_seq) s->next_seq = sl->seq + 1;
  if (sl->version > s->version) s->version = sl->version;
  /* A page's worth ahead: an open loads 100k slots in seq order, and grew the tables at each
   * (~5 ms of a 100k open in Chromium's profile). */
  if (sl->seq >= s->by_seq.len && reserve_pages(s, ORDER_PAGE, 0)) return -1;
  if (s->by_seq.items[sl->seq]) return -1; /* two orders with one seq: not a file of ours */
  if (idmap_add(&s->orders, sl->id, sl)) return -1; /* an id twice, or no memory */
  s->by_seq.items[sl->seq] = sl;
  if (!s->index_later) shop_index_slot(s, sl);
  shop_metrics_apply(&s->metrics, sl, +1);
  return 0;
}

int shop_load_order(pd_shop *s, order *o) {
  order_slot *sl = pd_calloc(1, sizeof *sl);
  if (!sl) return -1;
  shop_slot_keys(sl, o);
  sl->o = o;
  if (shop_load_slot(s, sl)) {
    pd_free(sl);
    return -1;
  }
  return 0;
}

int shop_load_op(pd_shop *s, applied_op *op) {
  if (op->seq == 0 || op->seq > SHOP_MAX_SEQ || idmap_get(&s->ops, op->op)) return -1;
  if (op->seq >= s->next_op_seq) s->next_op_seq = op->seq + 1;
  if (idmap_reserve(&s->ops, 1) || reserve_pages(s, 0, 0)) return -1;
  if (s->op_list.items[op->seq]) return -1;
  idmap_put(&s->ops, op->op, op);
  s->op_list.items[op->seq] = op;
  return 0;
}

int shop_prepare(pd_shop *s, shop_txn *t, const char *op) {
  size_t fresh = 0;
  for (size_t i = 0; i < t->orders.len; i++) fresh += t->orders.items[i].orig == NULL;
  if (idmap_reserve(&s->orders, fresh)) return -1;
  for (size_t i = 0; i < t->orders.len; i++)
    if (!t->orders.items[i].orig && !t->orders.items[i].slot &&
        !(t->orders.items[i].slot = pd_calloc(1, sizeof(order_slot))))
      return -1;
  if (VEC_RESERVE(s->outbox, t->outbox.len)) return -1;
  if (VEC_RESERVE(s->notes, t->notes.len)) return -1;
  if (idmap_reserve(&s->products, t->products.len)) return -1;
  if (op && idmap_reserve(&s->ops, 1)) return -1;
  if (sync_prepare(s, t)) return -1;
  return reserve_pages(s, fresh, op != NULL);
}

/*
 * Gives a committed order's slot the keys of `work`, its new state, moving it only in the
 * indexes whose tree or key changes: most commands change the version alone (a line checked, a
 * unit packed), and each tree moved is a removal and an insert of ~17 levels at 100k orders, in
 * memory the open has not touched since. A node is taken out under its old keys before they
 * change (removal finds it from the root by them: index.h).
 */
static void rekey_slot(pd_shop *s, order_slot *sl, order *work) {
  shop_rekey(work);
  int stage = (uint8_t)work->stage != sl->stage;
  int urgency = stage || work->urgency != sl->urgency, tick = work->next_event != sl->next_event;
  int placed = stage || work->placed_at != sl->placed_at, version = work->version != sl->version;
  if (urgency && index_contains(&sl->stage_node)) index_remove(&s->by_stage[sl->stage], &sl->stage_node);
  if (tick && index_contains(&sl->tick_node)) index_remove(&s->timed, &sl->tick_node);
  if (placed && index_contains(&sl->placed_stage_node))
    index_remove(&s->placed_by_stage[sl->stage], &sl->placed_stage_node);
  if (version && index_contains(&sl->version_node)) index_remove(&s->by_version, &sl->version_node);
  copy_keys(sl, work);
  if (urgency) index_insert(&s->by_stage[sl->stage], &sl->stage_node);
  if (tick && sl->next_event != PD_NEVER) index_insert(&s->timed, &sl->tick_node);
  if (placed) index_insert(&s->placed_by_stage[sl->stage], &sl->placed_stage_node);
  if (version) index_insert(&s->by_version, &sl->version_node);
}

void shop_index_slot(pd_shop *s, order_slot *o) {
  index_insert(&s->by_stage[o->stage], &o->stage_node);
  if (o->next_event != PD_NEVER) index_insert(&s->timed, &o->tick_node);
  index_insert(&s->placed_by_stage[o->stage], &o->placed_stage_node);
  index_insert(&s->by_version, &o->version_node);
}

/* Every order a commit changes gets the shop's next version (sync.changes reads them), except
 * the states sync.base loads as they are: those keep theirs, and the counter moves past them. */
static void commit_orders(pd_shop *s, shop_txn *t) {
  for (size_t i = 0; i < t->orders.len; i++)
    if (t->orders.items[i].keep_version && t->orders.items[i].work->version > s->version)
      s->version = t->orders.items[i].work->version;
  for (size_t i = 0; i < t->orders.len; i++) {
    order *orig = t->orders.items[i].orig, *work = t->orders.items[i].work;
    order_slot *sl = t->orders.items[i].slot; /* orig's, or the one shop_prepare made */
    if (!t->orders.items[i].keep_version) work->version = ++s->version;
    if (orig) {
      shop_metrics_apply(&s->metrics, sl, -1);
      work->seq = sl->seq;
      rekey_slot(s, sl, work);
    } else {
      work->seq = s->next_seq++;
      shop_slot_keys(sl, work);
      shop_index_slot(s, sl);
    }
    sl->o = work;
    idmap_put(&s->orders, work->id, sl); /* reserved: cannot fail */
    s->by_seq.items[work->seq] = sl;
    s->dirty_orders.items[work->seq / ORDER_PAGE] = 1;
    shop_metrics_apply(&s->metrics, sl, +1);
    order_free(orig);
  }
  t->orders.len = 0;
}

/* The console lists the newest notifications; keeping every one would grow the shop file with
 * every order. Past 2 × NOTES_KEPT, the oldest drop out (read or not), back to NOTES_KEPT. */
static void forget_old_notes(pd_shop *s) {
  if (s->notes.len <= 2 * NOTES_KEPT) return;
  size_t drop = s->notes.len - NOTES_KEPT;
  for (size_t i = 0; i < drop; i++) {
    s->unread_notes -= !s->notes.items[i].read;
    pd_free(s->notes.items[i].order_id);
  }
  memmove(s->notes.items, s->notes.items + drop, NOTES_KEPT * sizeof *s->notes.items);
  s->notes.len = NOTES_KEPT;
}

/* The outbox's bound (OUTBOX_KEPT in shop.h): past twice it, the oldest drop out. */
static void forget_old_outbox(pd_shop *s) {
  if (s->outbox.len <= 2 * OUTBOX_KEPT) return;
  size_t drop = s->outbox.len - OUTBOX_KEPT;
  for (size_t i = 0; i < drop; i++) outbox_msg_free(&s->outbox.items[i]);
  memmove(s->outbox.items, s->outbox.items + drop, OUTBOX_KEPT * sizeof *s->outbox.items);
  s->outbox.len = OUTBOX_KEPT;
}

static void commit_messages(pd_shop *s, shop_txn *t) {
  for (size_t i = 0; i < t->outbox.len; i++) {
    t->outbox.items[i].id = s->next_outbox_id++;
    s->outbox.items[s->outbox.len++] = t->outbox.items[i];
  }
  t->outbox.len = 0;
  forget_old_outbox(s);
  for (size_t i = 0; i < t->notes.len; i++) {
    t->notes.items[i].id = s->next_note_id++;
    s->notes.items[s->notes.len++] = t->notes.items[i];
    s->unread_notes++;
  }
  t->notes.len = 0;
  forget_old_notes(s);
  for (size_t a = 0; a < t->acked.len; a++) {
    size_t keep = 0;
    for (size_t i = 0; i < s->outbox.len; i++) {
      if (s->outbox.items[i].id == t->acked.items[a]) outbox_msg_free(&s->outbox.items[i]);
      else s->outbox.items[keep++] = s->outbox.items[i];
    }
    s->outbox.len = keep;
  }
  for (size_t r = 0; r < t->read_notes.len; r++)
    for (size_t i = 0; i < s->notes.len; i++)
      if (s->notes.items[i].id == t->read_notes.items[r] && !s->notes.items[i].read) {
        s->notes.items[i].read = 1;
        s->unread_notes--;
      }
}

/* OPS_KEPT (shop.h): the oldest operations go, down to the newest OPS_KEPT, but never one
 * still pending (pending is in application order: its first is the oldest). A commit calls it
 * past twice OPS_KEPT, a checkpoint at each snapshot (shop.h). Never allocates: commit cannot
 * fail. */
void shop_forget_old_ops(pd_shop *s) {
  if (s->next_op_seq <= OPS_KEPT) return;
  uint64_t keep_from = s->next_op_seq - OPS_KEPT;
  if (s->pending.len) {
    const applied_op *oldest = idmap_get(&s->ops, s->pending.items[0].op);
    if (oldest && oldest->seq < keep_from) keep_from = oldest->seq;
  }
  uint64_t seq = s->ops_floor;
  for (; seq < keep_from && seq < s->op_list.len; seq++) {
    applied_op *op = s->op_list.items[seq];
    if (!op) continue;
    idmap_remove(&s->ops, op->op);
    s->op_list.items[seq] = NULL;
    s->dirty_ops.items[seq / OP_PAGE] = 1;
    applied_op_free(op);
  }
  s->ops_floor = seq;
}

void shop_commit(pd_shop *s, shop_txn *t, applied_op *op_record) {
  commit_orders(s, t);
  commit_messages(s, t);
  for (size_t i = 0; i < t->products.len; i++) {
    product *fresh = t->products.items[i], *old = idmap_get(&s->products, fresh->sku);
    idmap_put(&s->products, fresh->sku, fresh); /* reserved: cannot fail */
    free_product_value(old);
  }
  t->products.len = 0;
  if (t->policy_changed) s->policy = t->policy;
  sync_commit(s, t);
  if (op_record) {
    op_record->seq = s->next_op_seq++;
    idmap_put(&s->ops, op_record->op, op_record);
    s->op_list.items[op_record->seq] = op_record;
    s->dirty_ops.items[op_record->seq / OP_PAGE] = 1;
    if (s->ops.len > 2 * OPS_KEPT) shop_forget_old_ops(s);
  }
  txn_free(t);
}
