/* snapshot.c: shop state ↔ bytes (see snapshot.h). Field order is the format: change it only
 * with SNAPSHOT_VERSION in snapshot.h, adding at the end, so that older files still read. */
#include "snapshot.h"

#include <string.h>

#include "alloc.h"
#include "command.h"
#include "sync.h"
#include "vec.h"

#define STR_MAX (1u << 20)
#define ITEMS_MAX 1000000u
#define REQUEST_TEXT_MAX (8u << 20)

/* The format of what r reads (0 in a reader means the current one). */
static uint32_t format_of(const bytes_reader *r) { return r->format ? r->format : SNAPSHOT_VERSION; }

static void write_line(bytes_writer *w, const order_line *l) {
  bw_str(w, l->id);
  bw_str(w, l->sku_id);
  bw_str(w, l->seller_sku);
  bw_str(w, l->product_name);
  bw_str(w, l->sku_name);
  bw_i64(w, l->unit_price);
  bw_u32(w, (uint32_t)l->quantity);
  bw_u32(w, (uint32_t)l->packed);
  bw_u32(w, l->classes);
  bw_u32(w, (uint32_t)l->cancelled);
  bw_u32(w, (uint32_t)l->check);
}

void snapshot_write_order(bytes_writer *w, const order *o) {
  const char *strings[] = {o->id, o->source, o->buyer_name, o->buyer_phone, o->address_full,
                           o->address_region, o->buyer_message, o->carrier, o->tracking_number,
                           o->shipping_point, o->handover_note, o->cancel_reason};
  const pd_ms times[] = {o->placed_at, o->paid_at, o->confirmed_at, o->packed_at, o->shipped_at,
                         o->collected_at, o->delivered_at, o->closed_at, o->promised_at,
                         o->marketplace_updated_at};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) bw_str(w, strings[i]);
  for (size_t i = 0; i < sizeof times / sizeof *times; i++) bw_i64(w, times[i]);
  bw_u64(w, o->seq);
  bw_u32(w, (uint32_t)o->stage);
  bw_u32(w, o->flags);
  bw_raw(w, o->currency, 4);
  bw_i64(w, o->subtotal);
  bw_i64(w, o->shipping_fee);
  bw_i64(w, o->total);
  bw_u32(w, (uint32_t)o->handover);
  bw_u32(w, (uint32_t)o->failed_attempts);
  bw_u32(w, (uint32_t)o->cancelled_by);
  bw_u32(w, (uint32_t)o->seller_fault_cancel);
  bw_u32(w, (uint32_t)o->complaint_filed);
  bw_u32(w, (uint32_t)o->refund_submitted);
  bw_u32(w, (uint32_t)o->label_printed);
  for (int k = 0; k < DL_FIXED_COUNT; k++) {
    bw_i64(w, o->deadlines[k].due);
    bw_u32(w, (uint32_t)o->deadlines[k].state);
  }
  bw_u32(w, (uint32_t)o->lines.len);
  for (size_t i = 0; i < o->lines.len; i++) write_line(w, &o->lines.items[i]);
  bw_u32(w, (uint32_t)o->checklist.len);
  for (size_t i = 0; i < o->checklist.len; i++) {
    bw_str(w, o->checklist.items[i].item);
    bw_u32(w, (uint32_t)o->checklist.items[i].confirmed);
  }
  bw_u32(w, (uint32_t)o->requests.len);
  for (size_t i = 0; i < o->requests.len; i++) {
    const order_request *q = &o->requests.items[i];
    bw_str(w, q->id);
    bw_str(w, q->reason);
    bw_str(w, q->answer_reason);
    bw_u32(w, (uint32_t)q->kind);
    bw_u32(w, (uint32_t)q->state);
    bw_i64(w, q->submitted_at);
    bw_i64(w, q->due);
    bw_i64(w, q->answered_at);
    bw_u32(w, (uint32_t)q->extensions);
  }
  bw_u32(w, (uint32_t)o->timeline.len);
  for (size_t i = 0; i < o->timeline.len; i++) {
    bw_i64(w, o->timeline.items[i].at);
    bw_str(w, o->timeline.items[i].event);
    bw_str(w, o->timeline.items[i].detail);
  }
  bw_u32(w, (uint32_t)o->issues.len);
  for (size_t i = 0; i < o->issues.len; i++) {
    bw_u32(w, (uint32_t)o->issues.items[i].kind);
    bw_i64(w, o->issues.items[i].opened_at);
    bw_i64(w, o->issues.items[i].resolved_at);
  }
  /* format 2 */
  bw_u64(w, o->version);
  bw_u32(w, (uint32_t)o->conflicts.len);
  for (size_t i = 0; i < o->conflicts.len; i++) {
    const order_conflict *c = &o->conflicts.items[i];
    bw_str(w, c->op);
    bw_str(w, c->cmd);
    bw_i64(w, c->at);
    bw_str(w, c->code);
    bw_str(w, c->rule);
    bw_str(w, c->message);
    bw_u8(w, c->because_event != NULL);
    if (c->because_event) {
      bw_str(w, c->because_event);
      bw_i64(w, c->because_at);
    }
  }
}

/* Reads a count and makes room for it, or fails the reader. */
#define READ_VEC(r, v)                                                          \
  do {                                                                          \
    uint32_t n_ = br_below((r), ITEMS_MAX);                                     \
    if (!(r)->failed && VEC_RESERVE((v), n_)) (r)->failed = 1;                  \
    count_ = (r)->failed ? 0 : n_;                                              \
  } while (0)

/* A word of the order's vocabulary, as its static copy; anything else fails the reader. */
static const char *read_word(bytes_reader *r, const char *(*intern_word)(const char *)) {
  char buf[65];
  uint32_t n = br_below(r, sizeof buf);
  if (!r->failed && n <= r->len - r->pos) {
    memcpy(buf, r->data + r->pos, n);
    buf[n] = '\0';
    r->pos += n;
    const char *word = intern_word(buf);
    if (word) return word;
  }
  r->failed = 1;
  return NULL;
}

static void read_line(bytes_reader *r, order_line *l) {
  l->id = br_str(r, STR_MAX);
  l->sku_id = br_str(r, STR_MAX);
  l->seller_sku = br_str(r, STR_MAX);
  l->product_name = br_str(r, STR_MAX);
  l->sku_name = br_str(r, STR_MAX);
  l->unit_price = br_i64(r);
  l->quantity = (int32_t)br_below(r, 1u << 30);
  l->packed = (int32_t)br_below(r, 1u << 30);
  l->classes = br_below(r, CLASS_ALL + 1);
  l->cancelled = (int)br_below(r, 2);
  l->check = (line_check)br_below(r, CHECK_EXPIRED + 1);
  if (!l->id || !l->sku_id || !l->seller_sku || !l->product_name || !l->sku_name) r->failed = 1;
}

static void read_sync_fields(bytes_reader *r, order *o) {
  size_t count_;
  o->version = br_u64(r);
  if (o->version > SYNC_VERSION_MAX) r->failed = 1;
  READ_VEC(r, o->conflicts);
  for (size_t i = 0; i < count_; i++) {
    order_conflict *c = &o->conflicts.items[o->conflicts.len++];
    c->op = br_str(r, STR_MAX);
    c->cmd = br_str(r, STR_MAX);
    c->at = br_i64(r);
    c->code = br_str(r, STR_MAX);
    c->rule = br_str(r, STR_MAX);
    c->message = br_str(r, STR_MAX);
    uint8_t because = br_u8(r);
    if (because > 1) r->failed = 1;
    c->because_event = because == 1 ? read_word(r, order_timeline_event) : NULL;
    c->because_at = because == 1 ? br_i64(r) : 0;
    if (!c->op || !c->cmd || !c->code || !c->message) r->failed = 1;
  }
}

order *snapshot_read_order(bytes_reader *r) {
  order *o = pd_calloc(1, sizeof *o);
  size_t count_;
  if (!o) {
    r->failed = 1;
    return NULL;
  }
  char **strings[] = {&o->id, &o->source, &o->buyer_name, &o->buyer_phone, &o->address_full,
                      &o->address_region, &o->buyer_message, &o->carrier, &o->tracking_number,
                      &o->shipping_point, &o->handover_note, &o->cancel_reason};
  pd_ms *times[] = {&o->placed_at, &o->paid_at, &o->confirmed_at, &o->packed_at, &o->shipped_at,
                    &o->collected_at, &o->delivered_at, &o->closed_at, &o->promised_at,
                    &o->marketplace_updated_at};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) *strings[i] = br_str(r, STR_MAX);
  for (size_t i = 0; i < sizeof times / sizeof *times; i++) *times[i] = br_i64(r);
  if (!o->id || !o->source) r->failed = 1;
  o->seq = br_u64(r);
  o->stage = (order_stage)br_below(r, STAGE_COUNT);
  o->flags = br_u32(r);
  const unsigned char *cur = r->failed ? NULL : r->data + r->pos;
  if (cur && r->len - r->pos >= 4 && cur[3] == '\0') memcpy(o->currency, cur, 4);
  else r->failed = 1;
  r->pos += r->failed ? 0 : 4;
  o->subtotal = br_i64(r);
  o->shipping_fee = br_i64(r);
  o->total = br_i64(r);
  o->handover = (handover_method)br_below(r, HANDOVER_DROPOFF + 1);
  o->failed_attempts = (int)br_below(r, 1000);
  o->cancelled_by = (cancel_by)br_below(r, CANCEL_BY_MARKETPLACE + 1);
  o->seller_fault_cancel = (int)br_below(r, 2);
  o->complaint_filed = (int)br_below(r, 2);
  o->refund_submitted = (int)br_below(r, 2);
  o->label_printed = (int)br_u32(r);
  for (int k = 0; k < DL_FIXED_COUNT; k++) {
    o->deadlines[k].due = br_i64(r);
    o->deadlines[k].state = (deadline_state)br_below(r, DL_MISSED + 1);
  }
  READ_VEC(r, o->lines);
  for (size_t i = 0; i < count_; i++) read_line(r, &o->lines.items[o->lines.len++]);
  READ_VEC(r, o->checklist);
  for (size_t i = 0; i < count_; i++) {
    checklist_item *c = &o->checklist.items[o->checklist.len++];
    c->item = read_word(r, order_checklist_item);
    c->confirmed = (int)br_below(r, 2);
  }
  READ_VEC(r, o->requests);
  for (size_t i = 0; i < count_; i++) {
    order_request *q = &o->requests.items[o->requests.len++];
    q->id = br_str(r, STR_MAX);
    q->reason = br_str(r, STR_MAX);
    q->answer_reason = br_str(r, STR_MAX);
    q->kind = (request_kind)br_below(r, REQ_REFUND + 1);
    q->state = (request_state)br_below(r, REQ_AUTO_APPROVED + 1);
    q->submitted_at = br_i64(r);
    q->due = br_i64(r);
    q->answered_at = br_i64(r);
    q->extensions = (int)br_below(r, 1000);
    if (!q->id || !q->reason) r->failed = 1;
  }
  READ_VEC(r, o->timeline);
  for (size_t i = 0; i < count_; i++) {
    timeline_entry *t = &o->timeline.items[o->timeline.len++];
    t->at = br_i64(r);
    t->event = read_word(r, order_timeline_event);
    t->detail = br_str(r, STR_MAX);
  }
  READ_VEC(r, o->issues);
  for (size_t i = 0; i < count_; i++) {
    order_issue *is = &o->issues.items[o->issues.len++];
    is->kind = (issue_kind)br_below(r, ISSUE_KIND_COUNT);
    is->opened_at = br_i64(r);
    is->resolved_at = br_i64(r);
  }
  if (format_of(r) >= 2) read_sync_fields(r, o);
  if (r->failed) {
    order_free(o);
    return NULL;
  }
  o->urgency = o->next_event = PD_NEVER;
  return o;
}

void snapshot_write_state(bytes_writer *w, const order *o) {
  bw_u32(w, SNAPSHOT_VERSION);
  snapshot_write_order(w, o);
}

order *snapshot_read_state(bytes_reader *r) {
  r->format = br_u32(r);
  if (r->format < SNAPSHOT_VERSION_MIN || r->format > SNAPSHOT_VERSION) r->failed = 1;
  order *o = r->failed ? NULL : snapshot_read_order(r);
  if (o && r->pos != r->len) { /* a state is one order, whole: anything after it is damage */
    order_free(o);
    r->failed = 1;
    return NULL;
  }
  if (o) o->seq = 0; /* the sending shop's arrival order means nothing here */
  return o;
}

void snapshot_write_op(bytes_writer *w, const applied_op *op) {
  bw_str(w, op->op);
  bw_u64(w, op->fingerprint);
  bw_str(w, op->response);
}

applied_op *snapshot_read_op(bytes_reader *r) {
  applied_op *op = pd_calloc(1, sizeof *op);
  if (!op) {
    r->failed = 1;
    return NULL;
  }
  op->op = br_str(r, STR_MAX);
  op->fingerprint = br_u64(r);
  op->response = br_str(r, 64u << 20);
  if (!op->op || !op->response) r->failed = 1;
  if (r->failed) {
    applied_op_free(op);
    return NULL;
  }
  return op;
}

static void write_policy(bytes_writer *w, const shop_policy *p) {
  bw_u32(w, (uint32_t)p->payment_window_h);
  bw_u32(w, (uint32_t)p->extension_max_h);
  bw_u32(w, (uint32_t)p->extensions_max);
  bw_u32(w, (uint32_t)p->completion_days);
  bw_u32(w, (uint32_t)p->delivery_promise_days);
  bw_u32(w, (uint32_t)p->carrier_count);
  for (int i = 0; i < p->carrier_count; i++) {
    bw_str(w, p->carriers[i].name);
    bw_u32(w, p->carriers[i].refuses);
  }
}

static void read_policy(bytes_reader *r, shop_policy *p) {
  p->payment_window_h = (int)br_below(r, 100000);
  p->extension_max_h = (int)br_below(r, 100000);
  p->extensions_max = (int)br_below(r, 100);
  p->completion_days = (int)br_below(r, 100000);
  p->delivery_promise_days = (int)br_below(r, 100000);
  p->carrier_count = (int)br_below(r, POLICY_MAX_CARRIERS + 1);
  for (int i = 0; i < p->carrier_count && !r->failed; i++) {
    char *name = br_str(r, sizeof p->carriers[i].name - 1);
    if (name) memcpy(p->carriers[i].name, name, strlen(name) + 1);
    else r->failed = 1;
    pd_free(name);
    p->carriers[i].refuses = br_below(r, CLASS_ALL + 1);
  }
}

void snapshot_write_shop(bytes_writer *w, const pd_shop *s) {
  write_policy(w, &s->policy);
  bw_u64(w, s->next_seq);
  bw_u64(w, s->next_outbox_id);
  bw_u64(w, s->next_note_id);
  bw_u64(w, s->next_op_seq);
  bw_u32(w, (uint32_t)s->outbox.len);
  for (size_t i = 0; i < s->outbox.len; i++) {
    const outbox_msg *m = &s->outbox.items[i];
    bw_u64(w, m->id);
    bw_str(w, m->order_id);
    bw_str(w, m->channel);
    bw_str(w, m->kind);
    bw_str(w, m->text);
    bw_i64(w, m->at);
  }
  bw_u32(w, (uint32_t)s->notes.len);
  for (size_t i = 0; i < s->notes.len; i++) {
    const notification *n = &s->notes.items[i];
    bw_u64(w, n->id);
    bw_str(w, n->order_id);
    bw_str(w, n->kind);
    bw_i64(w, n->at);
    bw_u8(w, (uint8_t)n->read);
  }
  bw_u32(w, (uint32_t)s->products.len);
  for (size_t i = 0; i < s->products.cap; i++) {
    const idmap_slot *slot = &s->products.slots[i];
    if (!slot->key || idmap_get(&s->products, slot->key) != slot->value) continue;
    const product *p = slot->value;
    bw_str(w, p->sku);
    bw_u32(w, p->classes);
    bw_u8(w, (uint8_t)p->authorized);
  }
  /* format 2: sync (the pending operations are few: they go with the shop file) */
  bw_u64(w, s->version);
  bw_str(w, s->device_id);
  bw_u64(w, s->next_pending);
  bw_u64(w, s->cursor);
  bw_u32(w, (uint32_t)s->pending.len);
  for (size_t i = 0; i < s->pending.len; i++) {
    const pending_op *p = &s->pending.items[i];
    bw_u64(w, p->seq);
    bw_str(w, p->op);
    bw_str(w, p->order_id);
    bw_str(w, p->cmd);
    bw_i64(w, p->at);
    bw_str(w, p->request);
  }
}

/* Outbox channels and kinds, notification kinds: the static strings the core uses. */
static const char *intern(bytes_reader *r, const char *const *known) {
  char *s = br_str(r, 64);
  const char *found = NULL;
  for (; s && *known; known++)
    if (strcmp(*known, s) == 0) found = *known;
  if (!found) r->failed = 1;
  pd_free(s);
  return found;
}

static const char *const channels[] = {"in_app", "email", "marketplace", NULL};
static const char *const outbox_kinds[] = {"cancellation_notice", "message", "new_order", "complaint",
                                           "refund_request", "ready_to_ship", NULL};
static const char *const note_kinds[] = {"new_order", "buyer_request", NULL};

static int read_messages(bytes_reader *r, pd_shop *s) {
  uint32_t n = br_below(r, ITEMS_MAX);
  if (r->failed || VEC_RESERVE(s->outbox, n)) return -1;
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    outbox_msg m;
    m.id = br_u64(r);
    m.order_id = br_str(r, STR_MAX);
    m.channel = intern(r, channels);
    m.kind = intern(r, outbox_kinds);
    m.text = br_str(r, STR_MAX);
    m.at = br_i64(r);
    if (r->failed || !m.order_id || !m.text) {
      pd_free(m.order_id);
      pd_free(m.text);
      return -1;
    }
    s->outbox.items[s->outbox.len++] = m;
  }
  n = br_below(r, ITEMS_MAX);
  if (r->failed || VEC_RESERVE(s->notes, n)) return -1;
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    notification no;
    no.id = br_u64(r);
    no.order_id = br_str(r, STR_MAX);
    no.kind = intern(r, note_kinds);
    no.at = br_i64(r);
    no.read = br_u8(r) != 0;
    if (r->failed || !no.order_id) {
      pd_free(no.order_id);
      return -1;
    }
    s->notes.items[s->notes.len++] = no;
    s->unread_notes += !no.read;
  }
  return 0;
}

/* A pending operation's command: one of the table's that are kept as pending. */
static const char *read_command(bytes_reader *r) {
  char *name = br_str(r, 64);
  const command_def *def = name ? command_find(name) : NULL;
  pd_free(name);
  if (!def || !def->pending) r->failed = 1;
  return def && def->pending ? def->name : NULL;
}

static int read_sync(bytes_reader *r, pd_shop *s) {
  s->version = br_u64(r);
  s->device_id = br_str(r, 64);
  s->next_pending = br_u64(r);
  s->cursor = br_u64(r);
  if (s->version > SYNC_VERSION_MAX || s->next_pending == 0 || s->next_pending > SYNC_VERSION_MAX ||
      s->cursor > SYNC_VERSION_MAX)
    r->failed = 1;
  uint32_t n = br_below(r, ITEMS_MAX);
  if (r->failed || (n && !s->device_id) || VEC_RESERVE(s->pending, n)) return -1;
  for (uint32_t i = 0; i < n; i++) {
    pending_op p;
    p.seq = br_u64(r);
    p.op = br_str(r, STR_MAX);
    p.order_id = br_str(r, STR_MAX);
    p.cmd = read_command(r);
    p.at = br_i64(r);
    p.request = br_str(r, REQUEST_TEXT_MAX);
    /* Seqs ascend strictly and stay below the next one: anything else is not a file of ours. */
    if (r->failed || !p.op || !p.request || p.seq == 0 || p.seq >= s->next_pending ||
        (i && p.seq <= s->pending.items[i - 1].seq)) {
      pending_op_free(&p);
      return -1;
    }
    s->pending.items[s->pending.len++] = p;
  }
  return 0;
}

int snapshot_read_shop(bytes_reader *r, pd_shop *s) {
  read_policy(r, &s->policy);
  s->next_seq = br_u64(r);
  s->next_outbox_id = br_u64(r);
  s->next_note_id = br_u64(r);
  s->next_op_seq = br_u64(r);
  /* Counters beyond what a shop can hold are damage: they would size the page tables. */
  if (s->next_seq == 0 || s->next_seq > SHOP_MAX_SEQ + 1 || s->next_op_seq == 0 ||
      s->next_op_seq > SHOP_MAX_SEQ + 1)
    r->failed = 1;
  if (r->failed || read_messages(r, s)) return -1;
  uint32_t n = br_below(r, ITEMS_MAX);
  if (r->failed || idmap_reserve(&s->products, n)) return -1;
  for (uint32_t i = 0; i < n; i++) {
    product *p = pd_calloc(1, sizeof *p);
    if (!p) return -1;
    p->sku = br_str(r, STR_MAX);
    p->classes = br_below(r, CLASS_ALL + 1);
    p->authorized = br_u8(r) != 0;
    if (r->failed || !p->sku || idmap_get(&s->products, p->sku)) {
      pd_free(p->sku);
      pd_free(p);
      return -1;
    }
    idmap_put(&s->products, p->sku, p);
  }
  if (format_of(r) >= 2 && read_sync(r, s)) return -1;
  return r->failed ? -1 : 0;
}
