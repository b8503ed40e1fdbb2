/* order.c: the order's memory: creation, deep copy, appenders and the names of its enums. */
#include "order.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "vec.h"

order *order_new(const char *id) {
  order *o = pd_calloc(1, sizeof *o);
  if (!o) return NULL;
  o->id = pd_strdup(id ? id : "");
  o->source = pd_strdup("packdesk");
  if (!o->id || !o->source) {
    order_free(o);
    return NULL;
  }
  o->next_event = PD_NEVER;
  o->urgency = PD_NEVER;
  return o;
}

/* Frees s unless it is one of o's loaded strings (which go with the block). o may be NULL:
 * a string of something not in an order yet. */
static void free_string(const order *o, char *s) {
  /* Compared as integers: s may point into another object, where < is not defined for pointers. */
  uintptr_t p = (uintptr_t)s, block = o ? (uintptr_t)o->strings : 0;
  if (block && p >= block && p - block < o->strings_size) return;
  pd_free(s);
}

static void line_free(const order *o, order_line *l) {
  free_string(o, l->id);
  free_string(o, l->sku_id);
  free_string(o, l->seller_sku);
  free_string(o, l->product_name);
  free_string(o, l->sku_name);
}

static void request_free(const order *o, order_request *r) {
  free_string(o, r->id);
  free_string(o, r->reason);
  free_string(o, r->answer_reason);
}

static void conflict_free(const order *o, order_conflict *c) {
  free_string(o, c->op);
  free_string(o, c->cmd);
  free_string(o, c->code);
  free_string(o, c->rule);
  free_string(o, c->message);
}

void order_free(order *o) {
  if (!o) return;
  char **strings[] = {&o->id, &o->source, &o->buyer_name, &o->buyer_phone, &o->address_full,
                      &o->address_region, &o->buyer_message, &o->carrier, &o->tracking_number,
                      &o->shipping_point, &o->handover_note, &o->cancel_reason};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) free_string(o, *strings[i]);
  for (size_t i = 0; i < o->lines.len; i++) line_free(o, &o->lines.items[i]);
  for (size_t i = 0; i < o->requests.len; i++) request_free(o, &o->requests.items[i]);
  for (size_t i = 0; i < o->timeline.len; i++) free_string(o, o->timeline.items[i].detail);
  for (size_t i = 0; i < o->conflicts.len; i++) conflict_free(o, &o->conflicts.items[i]);
  pd_free(o->strings);
  pd_free(o->conflicts.items);
  pd_free(o->lines.items);
  pd_free(o->checklist.items);
  pd_free(o->requests.items);
  pd_free(o->timeline.items);
  pd_free(o->issues.items);
  pd_free(o);
}

/* Copies *src into *dst; returns 0, or -1 when out of memory (*dst is then NULL). */
static int dup_into(char **dst, const char *src) {
  *dst = NULL;
  if (!src) return 0;
  *dst = pd_strdup(src);
  return *dst ? 0 : -1;
}

static int line_copy(order_line *dst, const order_line *src) {
  *dst = *src;
  dst->id = dst->sku_id = dst->seller_sku = dst->product_name = dst->sku_name = NULL;
  if (dup_into(&dst->id, src->id) || dup_into(&dst->sku_id, src->sku_id) ||
      dup_into(&dst->seller_sku, src->seller_sku) ||
      dup_into(&dst->product_name, src->product_name) || dup_into(&dst->sku_name, src->sku_name)) {
    line_free(NULL, dst);
    return -1;
  }
  return 0;
}

static int conflict_copy(order_conflict *dst, const order_conflict *src) {
  *dst = *src;
  dst->op = dst->cmd = dst->code = dst->rule = dst->message = NULL;
  if (dup_into(&dst->op, src->op) || dup_into(&dst->cmd, src->cmd) || dup_into(&dst->code, src->code) ||
      dup_into(&dst->rule, src->rule) || dup_into(&dst->message, src->message)) {
    conflict_free(NULL, dst);
    return -1;
  }
  return 0;
}

static int request_copy(order_request *dst, const order_request *src) {
  *dst = *src;
  dst->id = dst->reason = dst->answer_reason = NULL;
  if (dup_into(&dst->id, src->id) || dup_into(&dst->reason, src->reason) ||
      dup_into(&dst->answer_reason, src->answer_reason)) {
    request_free(NULL, dst);
    return -1;
  }
  return 0;
}

/* Allocates an array of n elements (none when n == 0). */
static int alloc_items(void **items, size_t *cap, size_t n, size_t elem) {
  *items = NULL;
  *cap = 0;
  if (n == 0) return 0;
  *items = pd_calloc(n, elem);
  if (!*items) return -1;
  *cap = n;
  return 0;
}

order *order_clone(const order *o) {
  order *c = pd_calloc(1, sizeof *c);
  if (!c) return NULL;
  *c = *o;
  /* Nothing below may point into o: clear every owned pointer before copying into it. */
  c->id = c->source = c->buyer_name = c->buyer_phone = c->address_full = c->address_region =
      c->buyer_message = c->carrier = c->tracking_number = c->shipping_point = c->handover_note =
          c->cancel_reason = NULL;
  c->strings = NULL; /* a copy's strings are its own, one allocation each */
  c->strings_size = 0;
  memset(&c->lines, 0, sizeof c->lines);
  memset(&c->checklist, 0, sizeof c->checklist);
  memset(&c->requests, 0, sizeof c->requests);
  memset(&c->timeline, 0, sizeof c->timeline);
  memset(&c->issues, 0, sizeof c->issues);
  memset(&c->conflicts, 0, sizeof c->conflicts);

  if (dup_into(&c->id, o->id) || dup_into(&c->source, o->source) ||
      dup_into(&c->buyer_name, o->buyer_name) || dup_into(&c->buyer_phone, o->buyer_phone) ||
      dup_into(&c->address_full, o->address_full) ||
      dup_into(&c->address_region, o->address_region) ||
      dup_into(&c->buyer_message, o->buyer_message) || dup_into(&c->carrier, o->carrier) ||
      dup_into(&c->tracking_number, o->tracking_number) ||
      dup_into(&c->shipping_point, o->shipping_point) ||
      dup_into(&c->handover_note, o->handover_note) ||
      dup_into(&c->cancel_reason, o->cancel_reason))
    goto fail;

  if (alloc_items((void **)&c->lines.items, &c->lines.cap, o->lines.len, sizeof(order_line)))
    goto fail;
  for (; c->lines.len < o->lines.len; c->lines.len++)
    if (line_copy(&c->lines.items[c->lines.len], &o->lines.items[c->lines.len])) goto fail;

  if (alloc_items((void **)&c->checklist.items, &c->checklist.cap, o->checklist.len,
                  sizeof(checklist_item)))
    goto fail;
  if (o->checklist.len) memcpy(c->checklist.items, o->checklist.items, o->checklist.len * sizeof(checklist_item));
  c->checklist.len = o->checklist.len;

  if (alloc_items((void **)&c->requests.items, &c->requests.cap, o->requests.len,
                  sizeof(order_request)))
    goto fail;
  for (; c->requests.len < o->requests.len; c->requests.len++)
    if (request_copy(&c->requests.items[c->requests.len], &o->requests.items[c->requests.len]))
      goto fail;

  if (alloc_items((void **)&c->timeline.items, &c->timeline.cap, o->timeline.len,
                  sizeof(timeline_entry)))
    goto fail;
  for (; c->timeline.len < o->timeline.len; c->timeline.len++) {
    const timeline_entry *s = &o->timeline.items[c->timeline.len];
    timeline_entry *d = &c->timeline.items[c->timeline.len];
    d->at = s->at;
    d->event = s->event;
    if (dup_into(&d->detail, s->detail)) goto fail;
  }

  if (alloc_items((void **)&c->issues.items, &c->issues.cap, o->issues.len, sizeof(order_issue)))
    goto fail;
  if (o->issues.len) memcpy(c->issues.items, o->issues.items, o->issues.len * sizeof(order_issue));
  c->issues.len = o->issues.len;

  if (alloc_items((void **)&c->conflicts.items, &c->conflicts.cap, o->conflicts.len,
                  sizeof(order_conflict)))
    goto fail;
  for (; c->conflicts.len < o->conflicts.len; c->conflicts.len++)
    if (conflict_copy(&c->conflicts.items[c->conflicts.len], &o->conflicts.items[c->conflicts.len]))
      goto fail;
  return c;

fail:
  order_free(c);
  return NULL;
}

int order_set_string(order *o, char **field, const char *value) {
  char *copy = NULL;
  if (value && !(copy = pd_strdup(value))) return -1;
  free_string(o, *field);
  *field = copy;
  return 0;
}

int order_add_line(order *o, const order_line *src) {
  if (VEC_GROW(o->lines)) return -1;
  if (line_copy(&o->lines.items[o->lines.len], src)) return -1;
  o->lines.len++;
  return 0;
}

int order_add_timeline(order *o, pd_ms at, const char *event, const char *detail) {
  if (VEC_GROW(o->timeline)) return -1;
  timeline_entry *t = &o->timeline.items[o->timeline.len];
  t->at = at;
  t->event = order_timeline_event(event);
  assert(t->event != NULL); /* a new event belongs in the vocabulary below */
  if (!t->event) return -1;
  t->detail = detail ? pd_strdup(detail) : NULL;
  if (detail && !t->detail) return -1;
  o->timeline.len++;
  return 0;
}

int order_add_checklist(order *o, const char *item) {
  if (order_find_checklist(o, item)) return 0;
  if (VEC_GROW(o->checklist)) return -1;
  checklist_item *c = &o->checklist.items[o->checklist.len];
  c->confirmed = 0;
  c->item = order_checklist_item(item);
  assert(c->item != NULL);
  if (!c->item) return -1;
  o->checklist.len++;
  return 0;
}

int order_add_issue(order *o, issue_kind kind, pd_ms at) {
  for (size_t i = 0; i < o->issues.len; i++)
    if (o->issues.items[i].kind == kind && o->issues.items[i].resolved_at == 0) return 0;
  if (VEC_GROW(o->issues)) return -1;
  o->issues.items[o->issues.len++] = (order_issue){kind, at, 0};
  return 0;
}

order_request *order_add_request(order *o, request_kind kind, const char *reason, pd_ms at) {
  if (VEC_GROW(o->requests)) return NULL;
  order_request *r = &o->requests.items[o->requests.len];
  memset(r, 0, sizeof *r);
  /* Request ids carry their order id, so request.* commands find the order from the id. */
  size_t n = strlen(o->id) + 24;
  r->id = pd_malloc(n);
  r->reason = pd_strdup(reason ? reason : "");
  if (!r->id || !r->reason) {
    request_free(NULL, r);
    return NULL;
  }
  snprintf(r->id, n, "%s/r%zu", o->id, o->requests.len + 1);
  r->kind = kind;
  r->state = REQ_PENDING;
  r->submitted_at = at;
  o->requests.len++;
  return r;
}

int order_add_conflict(order *o, const order_conflict *c) {
  if (VEC_GROW(o->conflicts) || conflict_copy(&o->conflicts.items[o->conflicts.len], c)) return -1;
  o->conflicts.len++;
  return 0;
}

int order_remove_conflict(order *o, const char *op) {
  for (size_t i = 0; i < o->conflicts.len; i++) {
    if (strcmp(o->conflicts.items[i].op, op) != 0) continue;
    conflict_free(o, &o->conflicts.items[i]);
    memmove(&o->conflicts.items[i], &o->conflicts.items[i + 1],
            (o->conflicts.len - i - 1) * sizeof *o->conflicts.items);
    o->conflicts.len--;
    return 0;
  }
  return -1;
}

order_line *order_find_line(order *o, const char *line_id) {
  for (size_t i = 0; i < o->lines.len; i++)
    if (strcmp(o->lines.items[i].id, line_id) == 0) return &o->lines.items[i];
  return NULL;
}

order_request *order_find_request(order *o, const char *request_id) {
  for (size_t i = 0; i < o->requests.len; i++)
    if (strcmp(o->requests.items[i].id, request_id) == 0) return &o->requests.items[i];
  return NULL;
}

checklist_item *order_find_checklist(order *o, const char *item) {
  for (size_t i = 0; i < o->checklist.len; i++)
    if (strcmp(o->checklist.items[i].item, item) == 0) return &o->checklist.items[i];
  return NULL;
}

static const char *const stage_names[STAGE_COUNT] = {
    "unpaid",     "awaiting_confirmation", "confirmed", "packed",    "awaiting_collection",
    "in_transit", "delivered",             "completed", "cancelled", "lost"};

const char *stage_name(order_stage s) { return (unsigned)s < STAGE_COUNT ? stage_names[s] : "?"; }

int stage_from_name(const char *name) {
  for (int i = 0; i < STAGE_COUNT; i++)
    if (strcmp(stage_names[i], name) == 0) return i;
  return -1;
}

static const struct {
  const char *name, *rule;
} deadline_names[DL_FIXED_COUNT] = {
    {"payment", "C3"}, {"ship_by", "H2"},          {"pickup", "H3"},     {"dropoff", "H7"},
    {"lost", "T3"},    {"delivery_promise", "T4"}, {"completion", NULL},
};

const char *deadline_kind_name(deadline_kind k) { return deadline_names[k].name; }
const char *deadline_rule(deadline_kind k) { return deadline_names[k].rule; }

const char *request_kind_name(request_kind k) {
  static const char *const n[] = {"cancel", "return", "refund"};
  return n[k];
}

const char *request_state_name(request_state s) {
  static const char *const n[] = {"pending", "approved", "rejected", "auto_approved"};
  return n[s];
}

const char *issue_kind_name(issue_kind k) {
  static const char *const n[ISSUE_KIND_COUNT] = {"pickup_overdue", "dropoff_overdue",
                                                  "delivery_failed", "late_delivery",
                                                  "lost",            "damaged"};
  return n[k];
}

const char *line_check_name(line_check c) {
  static const char *const n[] = {"unchecked", "ok", "out_of_stock", "damaged", "expired"};
  return n[c];
}

const char *class_name(unsigned class_bit) {
  switch (class_bit) {
    case CLASS_SHARP: return "sharp";
    case CLASS_LIQUID: return "liquid";
    case CLASS_FRAGILE: return "fragile";
    default: return "?";
  }
}

static const char *const timeline_events[] = {
    "placed", "paid", "line_checked", "confirmed", "cancelled", "request_opened",
    "request_answered", "request_extended", "packed_unit", "unpacked", "checklist_confirmed",
    "packed", "handover_set", "label_printed", "shipped", "complaint_filed", "picked_up",
    "dropped_off", "in_transit", "delivery_failed", "delivered", "damaged", "lost",
    "refund_submitted", "issue_resolved", "message_sent", "late_dispatch", "pickup_overdue",
    "dropoff_overdue", "late_delivery", "completed", "marketplace_update", NULL};

static const char *const checklist_items[] = {"no_promo_inserts", "protective_packaging", "sharp",
                                              "liquid", "fragile", NULL};

static const char *intern(const char *const *vocabulary, const char *word) {
  for (; *vocabulary; vocabulary++)
    if (strcmp(*vocabulary, word) == 0) return *vocabulary;
  return NULL;
}

const char *order_timeline_event(const char *event) { return intern(timeline_events, event); }
const char *order_checklist_item(const char *item) { return intern(checklist_items, item); }
