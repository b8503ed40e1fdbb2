/* snapshot.c: shop state ↔ bytes (see snapshot.h). Field order is the format: change it only
 * with SNAPSHOT_VERSION in snapshot.h, so that older files still read.
 *
 * Format 3 is compact (bytes.h: varints, strings prefixed by varint(length + 1)), and an
 * order's times are written as differences from its placed_at (a few bytes instead of 8):
 * groups of times that are often unset (the order's dates, deadlines, a request's, an issue's)
 * start with a bitmap of those that are set, and only those follow. A timeline entry's time is
 * the difference from the entry before it. Differences wrap around in 64 bits, so every value
 * comes back exactly, however far apart. Formats 1 and 2 (fixed widths, every time absolute)
 * are still read: the reader's format says which it is.
 *
 * An order read back holds all its strings in one allocation (order.h, `strings`). */
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
static int compact(const bytes_reader *r) { return format_of(r) >= BYTES_COMPACT_FORMAT; }

/* t - base and base + d, wrapping in 64 bits (so every pair of times round-trips). */
static int64_t delta(pd_ms t, pd_ms base) { return (int64_t)((uint64_t)t - (uint64_t)base); }
static pd_ms undelta(int64_t d, pd_ms base) { return (pd_ms)((uint64_t)base + (uint64_t)d); }

/* A group of times that are often 0: the bitmap of the set ones, then their differences. */
static void write_times(bytes_writer *w, pd_ms base, const pd_ms *t, int n) {
  uint32_t set = 0;
  for (int i = 0; i < n; i++) set |= (uint32_t)(t[i] != 0) << i;
  bw_u32(w, set);
  for (int i = 0; i < n; i++)
    if (t[i]) bw_i64(w, delta(t[i], base));
}

/* What write_times wrote (format 3), or n absolute times (formats 1-2). */
static void read_times(bytes_reader *r, pd_ms base, pd_ms *const *t, int n) {
  if (!compact(r)) {
    for (int i = 0; i < n; i++) *t[i] = br_i64(r);
    return;
  }
  uint32_t set = br_below(r, 1u << n);
  for (int i = 0; i < n; i++) *t[i] = set >> i & 1 ? undelta(br_i64(r), base) : 0;
}

/* One time written as a difference from base (format 3), absolute before. */
static pd_ms read_time(bytes_reader *r, pd_ms base) {
  int64_t v = br_i64(r);
  return compact(r) ? undelta(v, base) : v;
}

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
  const pd_ms times[] = {o->paid_at, o->confirmed_at, o->packed_at, o->shipped_at, o->collected_at,
                         o->delivered_at, o->closed_at, o->promised_at, o->marketplace_updated_at};
  const pd_ms base = o->placed_at;
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) bw_str(w, strings[i]);
  bw_i64(w, base);
  write_times(w, base, times, (int)(sizeof times / sizeof *times));
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
  /* A deadline: its state and whether it has a due time, in one number; then the due time. */
  for (int k = 0; k < DL_FIXED_COUNT; k++) {
    bw_u32(w, (uint32_t)o->deadlines[k].state << 1 | (o->deadlines[k].due != 0));
    if (o->deadlines[k].due) bw_i64(w, delta(o->deadlines[k].due, base));
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
    const pd_ms qt[] = {q->submitted_at, q->due, q->answered_at};
    bw_str(w, q->id);
    bw_str(w, q->reason);
    bw_str(w, q->answer_reason);
    bw_u32(w, (uint32_t)q->kind);
    bw_u32(w, (uint32_t)q->state);
    write_times(w, base, qt, 3);
    bw_u32(w, (uint32_t)q->extensions);
  }
  bw_u32(w, (uint32_t)o->timeline.len);
  pd_ms prev = base;
  for (size_t i = 0; i < o->timeline.len; i++) {
    bw_i64(w, delta(o->timeline.items[i].at, prev));
    prev = o->timeline.items[i].at;
    bw_str(w, o->timeline.items[i].event);
    bw_str(w, o->timeline.items[i].detail);
  }
  bw_u32(w, (uint32_t)o->issues.len);
  for (size_t i = 0; i < o->issues.len; i++) {
    const pd_ms it[] = {o->issues.items[i].opened_at, o->issues.items[i].resolved_at};
    bw_u32(w, (uint32_t)o->issues.items[i].kind);
    write_times(w, base, it, 2);
  }
  bw_u64(w, o->version);
  bw_u32(w, (uint32_t)o->conflicts.len);
  for (size_t i = 0; i < o->conflicts.len; i++) {
    const order_conflict *c = &o->conflicts.items[i];
    bw_str(w, c->op);
    bw_str(w, c->cmd);
    bw_i64(w, delta(c->at, base));
    bw_str(w, c->code);
    bw_str(w, c->rule);
    bw_str(w, c->message);
    bw_u8(w, c->because_event != NULL);
    if (c->because_event) {
      bw_str(w, c->because_event);
      bw_i64(w, delta(c->because_at, c->at));
    }
  }
}

/* --- reading an order: its strings gathered into one block --- */

/* The strings of the order being read: where each lies in the data, and which field it is
 * for. The fields are set only once the whole order has been read and its block allocated,
 * so an order that fails half-way owns no string. Most orders fit in `fixed`. */
typedef struct {
  char **field;
  const unsigned char *at;
  size_t n;
} string_ref;

#define FIXED_REFS 48

typedef struct {
  bytes_reader *r;
  string_ref fixed[FIXED_REFS];
  string_ref *refs;
  size_t len, cap;
  size_t bytes; /* the block's size: each string and its NUL */
} strings_in;

/* Reads a string for *field (NULL stays NULL): 1 when one is there, else 0. */
static int take_str(strings_in *in, char **field) {
  const unsigned char *at;
  size_t n;
  *field = NULL;
  if (!br_view(in->r, STR_MAX, &at, &n)) return 0;
  if (in->len == in->cap) {
    size_t cap = in->cap * 2;
    string_ref *refs = in->refs == in->fixed ? pd_malloc(cap * sizeof *refs)
                                             : pd_realloc(in->refs, in->cap * sizeof *refs, cap * sizeof *refs);
    if (!refs) {
      in->r->failed = 1;
      return 0;
    }
    if (in->refs == in->fixed) memcpy(refs, in->fixed, sizeof in->fixed);
    in->refs = refs;
    in->cap = cap;
  }
  in->refs[in->len++] = (string_ref){field, at, n};
  in->bytes += n + 1;
  return 1;
}

/* Copies every string read into one block owned by o, and points the fields at it. */
static void strings_place(strings_in *in, order *o) {
  if (in->r->failed || !in->bytes) return;
  char *block = pd_malloc(in->bytes);
  if (!block) {
    in->r->failed = 1;
    return;
  }
  char *at = block;
  for (size_t i = 0; i < in->len; i++) {
    memcpy(at, in->refs[i].at, in->refs[i].n);
    at[in->refs[i].n] = '\0';
    *in->refs[i].field = at;
    at += in->refs[i].n + 1;
  }
  o->strings = block;
  o->strings_size = in->bytes;
}

/* Reads a count and makes room for it, or fails the reader. */
#define READ_VEC(r, v)                                                          \
  do {                                                                          \
    uint32_t n_ = br_below((r), ITEMS_MAX);                                     \
    if (!(r)->failed && VEC_RESERVE_EXACT((v), n_)) (r)->failed = 1;            \
    count_ = (r)->failed ? 0 : n_;                                              \
  } while (0)

/* A word of the order's vocabulary, as its static copy; anything else fails the reader. */
static const char *read_word(bytes_reader *r, const char *(*intern_word)(const char *)) {
  char buf[65];
  const unsigned char *at;
  size_t n;
  if (br_view(r, sizeof buf - 1, &at, &n)) {
    memcpy(buf, at, n);
    buf[n] = '\0';
    const char *word = intern_word(buf);
    if (word) return word;
  }
  r->failed = 1;
  return NULL;
}

static void read_line(strings_in *in, order_line *l) {
  bytes_reader *r = in->r;
  int all = take_str(in, &l->id);
  all &= take_str(in, &l->sku_id);
  all &= take_str(in, &l->seller_sku);
  all &= take_str(in, &l->product_name);
  all &= take_str(in, &l->sku_name);
  l->unit_price = br_i64(r);
  l->quantity = (int32_t)br_below(r, 1u << 30);
  l->packed = (int32_t)br_below(r, 1u << 30);
  l->classes = br_below(r, CLASS_ALL + 1);
  l->cancelled = (int)br_below(r, 2);
  l->check = (line_check)br_below(r, CHECK_EXPIRED + 1);
  if (!all) r->failed = 1;
}

static void read_deadline(bytes_reader *r, pd_ms base, deadline *d) {
  if (!compact(r)) {
    d->due = br_i64(r);
    d->state = (deadline_state)br_below(r, DL_MISSED + 1);
    return;
  }
  uint32_t v = br_below(r, (DL_MISSED + 1) << 1);
  d->state = (deadline_state)(v >> 1);
  d->due = v & 1 ? undelta(br_i64(r), base) : 0;
}

static void read_sync_fields(strings_in *in, order *o) {
  bytes_reader *r = in->r;
  size_t count_;
  o->version = br_u64(r);
  if (o->version > SYNC_VERSION_MAX) r->failed = 1;
  READ_VEC(r, o->conflicts);
  for (size_t i = 0; i < count_; i++) {
    order_conflict *c = &o->conflicts.items[o->conflicts.len++];
    int all = take_str(in, &c->op);
    all &= take_str(in, &c->cmd);
    c->at = read_time(r, o->placed_at);
    all &= take_str(in, &c->code);
    take_str(in, &c->rule);
    all &= take_str(in, &c->message);
    uint8_t because = br_u8(r);
    if (because > 1) r->failed = 1;
    c->because_event = because == 1 ? read_word(r, order_timeline_event) : NULL;
    c->because_at = because == 1 ? read_time(r, c->at) : 0;
    if (!all) r->failed = 1;
  }
}

static void read_order(strings_in *in, order *o) {
  bytes_reader *r = in->r;
  size_t count_;
  char **strings[] = {&o->id, &o->source, &o->buyer_name, &o->buyer_phone, &o->address_full,
                      &o->address_region, &o->buyer_message, &o->carrier, &o->tracking_number,
                      &o->shipping_point, &o->handover_note, &o->cancel_reason};
  pd_ms *const times[] = {&o->paid_at, &o->confirmed_at, &o->packed_at, &o->shipped_at, &o->collected_at,
                          &o->delivered_at, &o->closed_at, &o->promised_at, &o->marketplace_updated_at};
  int required = 1;
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
    int present = take_str(in, strings[i]);
    if (i < 2) required &= present; /* the id and the source */
  }
  if (!required) r->failed = 1;
  o->placed_at = br_i64(r);
  read_times(r, o->placed_at, times, (int)(sizeof times / sizeof *times));
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
  for (int k = 0; k < DL_FIXED_COUNT; k++) read_deadline(r, o->placed_at, &o->deadlines[k]);
  READ_VEC(r, o->lines);
  for (size_t i = 0; i < count_; i++) read_line(in, &o->lines.items[o->lines.len++]);
  READ_VEC(r, o->checklist);
  for (size_t i = 0; i < count_; i++) {
    checklist_item *c = &o->checklist.items[o->checklist.len++];
    c->item = read_word(r, order_checklist_item);
    c->confirmed = (int)br_below(r, 2);
  }
  READ_VEC(r, o->requests);
  for (size_t i = 0; i < count_; i++) {
    order_request *q = &o->requests.items[o->requests.len++];
    pd_ms *const qt[] = {&q->submitted_at, &q->due, &q->answered_at};
    int all = take_str(in, &q->id);
    all &= take_str(in, &q->reason);
    take_str(in, &q->answer_reason);
    q->kind = (request_kind)br_below(r, REQ_REFUND + 1);
    q->state = (request_state)br_below(r, REQ_AUTO_APPROVED + 1);
    read_times(r, o->placed_at, qt, 3);
    q->extensions = (int)br_below(r, 1000);
    if (!all) r->failed = 1;
  }
  READ_VEC(r, o->timeline);
  pd_ms prev = o->placed_at;
  for (size_t i = 0; i < count_; i++) {
    timeline_entry *t = &o->timeline.items[o->timeline.len++];
    t->at = prev = read_time(r, prev);
    t->event = read_word(r, order_timeline_event);
    take_str(in, &t->detail);
  }
  READ_VEC(r, o->issues);
  for (size_t i = 0; i < count_; i++) {
    order_issue *is = &o->issues.items[o->issues.len++];
    pd_ms *const it[] = {&is->opened_at, &is->resolved_at};
    is->kind = (issue_kind)br_below(r, ISSUE_KIND_COUNT);
    read_times(r, o->placed_at, it, 2);
  }
  if (format_of(r) >= 2) read_sync_fields(in, o);
}

order *snapshot_read_order(bytes_reader *r) {
  order *o = pd_calloc(1, sizeof *o);
  if (!o) {
    r->failed = 1;
    return NULL;
  }
  strings_in in;
  in.r = r;
  in.refs = in.fixed;
  in.len = 0;
  in.cap = FIXED_REFS;
  in.bytes = 0;
  read_order(&in, o);
  strings_place(&in, o);
  if (in.refs != in.fixed) pd_free(in.refs);
  if (r->failed) {
    order_free(o);
    return NULL;
  }
  o->urgency = o->next_event = PD_NEVER;
  return o;
}

/* --- an order's summary (format 5 order pages): what its slot holds, then its body's size --- */

enum { SUMMARY_URGENCY = 1u << 6, SUMMARY_NEXT_EVENT = 1u << 7 }; /* above the metric bits */

void snapshot_write_summary(bytes_writer *w, const order_slot *sl, uint32_t body_len) {
  uint32_t bits = sl->metric_bits | (sl->urgency != PD_NEVER ? SUMMARY_URGENCY : 0) |
                  (sl->next_event != PD_NEVER ? SUMMARY_NEXT_EVENT : 0);
  bw_str(w, sl->id);
  bw_u64(w, sl->seq);
  bw_u32(w, sl->stage);
  bw_i64(w, sl->placed_at);
  bw_u32(w, bits);
  if (sl->urgency != PD_NEVER) bw_i64(w, delta(sl->urgency, sl->placed_at));
  if (sl->next_event != PD_NEVER) bw_i64(w, delta(sl->next_event, sl->placed_at));
  bw_u64(w, sl->version);
  bw_u32(w, sl->conflicts);
  bw_u32(w, body_len);
}

uint32_t snapshot_read_summary(bytes_reader *r, order_slot *sl, const unsigned char **id, size_t *id_n) {
  if (!br_view(r, STR_MAX, id, id_n)) r->failed = 1; /* an order always has an id */
  sl->seq = br_u64(r);
  sl->stage = (uint8_t)br_below(r, STAGE_COUNT);
  sl->placed_at = br_i64(r);
  uint32_t bits = br_below(r, SUMMARY_NEXT_EVENT << 1);
  sl->metric_bits = (uint8_t)(bits & (SUMMARY_URGENCY - 1));
  sl->urgency = bits & SUMMARY_URGENCY ? undelta(br_i64(r), sl->placed_at) : PD_NEVER;
  sl->next_event = bits & SUMMARY_NEXT_EVENT ? undelta(br_i64(r), sl->placed_at) : PD_NEVER;
  sl->version = br_u64(r);
  sl->conflicts = br_below(r, ITEMS_MAX);
  uint32_t body_len = br_u32(r);
  return r->failed ? 0 : body_len;
}

void snapshot_write_state(bytes_writer *w, const order *o) {
  bw_fixed32(w, SNAPSHOT_VERSION);
  snapshot_write_order(w, o);
}

order *snapshot_read_state(bytes_reader *r) {
  r->format = br_fixed32(r);
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
  bw_fixed64(w, op->fingerprint); /* a hash: a varint would make it longer */
  bw_str(w, op->response);
}

applied_op *snapshot_read_op(bytes_reader *r) {
  applied_op *op = pd_calloc(1, sizeof *op);
  if (!op) {
    r->failed = 1;
    return NULL;
  }
  op->op = br_str(r, STR_MAX);
  op->fingerprint = br_fixed64(r); /* 8 bytes in every format */
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

/* Outbox channels and kinds, notification kinds: the static strings the core uses (compared
 * where they lie: an outbox nobody acknowledges holds one message an order). */
static const char *intern(bytes_reader *r, const char *const *known) {
  const unsigned char *at;
  size_t n;
  const char *found = NULL;
  if (br_view(r, 64, &at, &n))
    for (; *known; known++)
      if (strlen(*known) == n && memcmp(*known, at, n) == 0) found = *known;
  if (!found) r->failed = 1;
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
