/* view.c: the JSON shape of an order (see view.h). */
#include "view.h"

#include "alloc.h"
#include "import.h"
#include "json.h"
#include "mask.h"
#include "policy.h"
#include "rules.h"

cJSON *view_flags(unsigned flags) {
  static const char *const names[] = {"late_dispatch", "pickup_overdue", "late_delivery",
                                      "request_pending", "dropoff_overdue", "damaged"};
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
    if ((flags & (1u << i)) && j_push(arr, cJSON_CreateString(names[i]))) {
      cJSON_Delete(arr);
      return NULL;
    }
  return arr;
}

static const char *deadline_state_name(deadline_state s) {
  static const char *const n[] = {"inactive", "open", "met", "missed"};
  return n[s];
}

static cJSON *deadline_json(const char *kind, const char *rule, pd_ms due, const char *state) {
  cJSON *d = cJSON_CreateObject();
  if (!d || j_add_str(d, "kind", kind) || j_add_int(d, "due", due) || j_add_str(d, "rule", rule) ||
      j_add_str(d, "state", state)) {
    cJSON_Delete(d);
    return NULL;
  }
  return d;
}

cJSON *view_next_deadline(const order *o) {
  if (o->urgency == PD_NEVER) return cJSON_CreateNull();
  for (int k = 0; k < DL_FIXED_COUNT; k++) {
    const deadline *d = &o->deadlines[k];
    if ((d->state == DL_OPEN || d->state == DL_MISSED) && d->due == o->urgency)
      return deadline_json(deadline_kind_name((deadline_kind)k), deadline_rule((deadline_kind)k),
                           d->due, deadline_state_name(d->state));
  }
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].due == o->urgency)
      return deadline_json("request_answer", "C4", o->urgency, "open");
  return cJSON_CreateNull();
}

static cJSON *money_json(int64_t amount, const char *currency) {
  cJSON *m = cJSON_CreateObject();
  if (!m || j_add_int(m, "amount", amount) || j_add_str(m, "currency", currency)) {
    cJSON_Delete(m);
    return NULL;
  }
  return m;
}

/* Adds key → masked(value); the masking function's result is freed here. */
static int add_masked(cJSON *obj, const char *key, char *masked, const char *original) {
  if (!original) {
    pd_free(masked);
    return j_add_null(obj, key);
  }
  int rc = masked ? j_add_str(obj, key, masked) : -1;
  pd_free(masked);
  return rc;
}

static cJSON *buyer_json(const order *o) {
  cJSON *b = cJSON_CreateObject();
  if (!b || add_masked(b, "name", o->buyer_name ? mask_name(o->buyer_name) : NULL, o->buyer_name) ||
      add_masked(b, "phone", o->buyer_phone ? mask_phone(o->buyer_phone) : NULL, o->buyer_phone) ||
      add_masked(b, "address", mask_address(o->address_region),
                 o->address_full ? o->address_full : o->address_region)) {
    cJSON_Delete(b);
    return NULL;
  }
  return b;
}

static int64_t total_units(const order *o) {
  int64_t n = 0;
  for (size_t i = 0; i < o->lines.len; i++)
    if (!o->lines.items[i].cancelled) n += o->lines.items[i].quantity;
  return n;
}

cJSON *view_summary(const order *o) {
  cJSON *r = cJSON_CreateObject();
  if (!r || j_add_str(r, "id", o->id) || j_add_str(r, "stage", stage_name(o->stage)) ||
      j_add(r, "flags", view_flags(o->flags)) || j_add_int(r, "placed_at", o->placed_at) ||
      j_add(r, "total", money_json(o->total, o->currency)) ||
      j_add_int(r, "items", total_units(o)) ||
      j_add_str(r, "first_product", o->lines.len ? o->lines.items[0].product_name : NULL) ||
      j_add(r, "buyer", buyer_json(o)) || j_add_str(r, "tracking_number", o->tracking_number) ||
      j_add(r, "next_deadline", view_next_deadline(o))) {
    cJSON_Delete(r);
    return NULL;
  }
  return r;
}

/* The count, not the list: a list shows a marker on the row (order.get has the sentences), and
 * only when there are some, so a shop that never synced lists what it always did. */
cJSON *view_list_row(const order *o) {
  cJSON *r = view_summary(o);
  if (r && o->conflicts.len && j_add_int(r, "conflicts", (int64_t)o->conflicts.len)) {
    cJSON_Delete(r);
    return NULL;
  }
  return r;
}

static cJSON *line_json(const order_line *l) {
  cJSON *j = cJSON_CreateObject();
  if (!j || j_add_str(j, "id", l->id) || j_add_str(j, "sku_id", l->sku_id) ||
      j_add_str(j, "seller_sku", l->seller_sku) || j_add_str(j, "product_name", l->product_name) ||
      j_add_str(j, "sku_name", l->sku_name) || j_add_int(j, "quantity", l->quantity) ||
      j_add_int(j, "packed", l->packed) || j_add_int(j, "unit_price", l->unit_price) ||
      j_add(j, "classes", classes_to_json(l->classes)) ||
      j_add_str(j, "check", line_check_name(l->check)) || j_add_bool(j, "cancelled", l->cancelled)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

static cJSON *deadlines_json(const order *o) {
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (int k = 0; k < DL_FIXED_COUNT; k++) {
    const deadline *d = &o->deadlines[k];
    if (d->state == DL_INACTIVE) continue;
    if (j_push(arr, deadline_json(deadline_kind_name((deadline_kind)k),
                                  deadline_rule((deadline_kind)k), d->due,
                                  deadline_state_name(d->state))))
      goto fail;
  }
  for (size_t i = 0; i < o->requests.len; i++) {
    const order_request *r = &o->requests.items[i];
    const char *state = r->state == REQ_PENDING ? "open" : r->state == REQ_AUTO_APPROVED ? "missed" : "met";
    if (j_push(arr, deadline_json("request_answer", "C4", r->due, state))) goto fail;
  }
  return arr;
fail:
  cJSON_Delete(arr);
  return NULL;
}

static cJSON *request_json(const order_request *r) {
  cJSON *j = cJSON_CreateObject();
  if (!j || j_add_str(j, "id", r->id) || j_add_str(j, "kind", request_kind_name(r->kind)) ||
      j_add_str(j, "reason", r->reason) || j_add_str(j, "state", request_state_name(r->state)) ||
      j_add_int(j, "submitted_at", r->submitted_at) || j_add_int(j, "due", r->due) ||
      j_add_int(j, "extensions", r->extensions) ||
      j_add_str(j, "answer_reason", r->answer_reason)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

static cJSON *issue_json(const order_issue *is) {
  cJSON *j = cJSON_CreateObject();
  if (!j || j_add_str(j, "kind", issue_kind_name(is->kind)) || j_add_int(j, "opened_at", is->opened_at) ||
      (is->resolved_at ? j_add_int(j, "resolved_at", is->resolved_at) : j_add_null(j, "resolved_at"))) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

static cJSON *timeline_json(const timeline_entry *t) {
  cJSON *j = cJSON_CreateObject();
  if (!j || j_add_int(j, "at", t->at) || j_add_str(j, "event", t->event) ||
      j_add_str(j, "detail", t->detail)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

/* sync: an operation the server refused (docs/sync.md), as order.get shows it. */
static cJSON *conflict_json(const order_conflict *c) {
  cJSON *j = cJSON_CreateObject(), *because = NULL;
  if (!j || j_add_str(j, "op", c->op) || j_add_str(j, "cmd", c->cmd) || j_add_int(j, "at", c->at) ||
      j_add_str(j, "code", c->code) || (c->rule && j_add_str(j, "rule", c->rule)) ||
      j_add_str(j, "message", c->message) ||
      (c->because_event && (j_add(j, "because", because = cJSON_CreateObject()) ||
                            j_add_str(because, "event", c->because_event) ||
                            j_add_int(because, "at", c->because_at)))) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

static cJSON *checklist_json(const checklist_item *ci) {
  cJSON *j = cJSON_CreateObject();
  if (!j || j_add_str(j, "item", ci->item) || j_add_bool(j, "confirmed", ci->confirmed)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

static cJSON *handover_json(const order *o) {
  static const char *const m[] = {NULL, "pickup", "dropoff"};
  cJSON *j = cJSON_CreateObject();
  if (!j || j_add_str(j, "method", m[o->handover]) || j_add_str(j, "shipping_point", o->shipping_point) ||
      j_add_str(j, "note", o->handover_note) || j_add_str(j, "carrier", o->carrier)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

/* Appends each of n items, made by fn, to a new array named key. */
#define ADD_LIST(obj, key, vec, fn)                                              \
  do {                                                                           \
    cJSON *arr_ = cJSON_CreateArray();                                           \
    if (j_add((obj), (key), arr_)) goto fail;                                    \
    for (size_t i_ = 0; i_ < (vec).len; i_++)                                    \
      if (j_push(arr_, fn(&(vec).items[i_]))) goto fail;                         \
  } while (0)

static int add_times(cJSON *j, const order *o) {
  const struct {
    const char *key;
    pd_ms v;
  } times[] = {{"paid_at", o->paid_at},       {"confirmed_at", o->confirmed_at},
               {"packed_at", o->packed_at},   {"shipped_at", o->shipped_at},
               {"collected_at", o->collected_at}, {"delivered_at", o->delivered_at},
               {"closed_at", o->closed_at},   {"promised_at", o->promised_at}};
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    if (times[i].v ? j_add_int(j, times[i].key, times[i].v) : j_add_null(j, times[i].key)) return -1;
  return 0;
}

cJSON *view_order(pd_shop *s, const order *o, pd_ms at) {
  static const char *const by[] = {NULL, "seller", "buyer", "system", "marketplace"};
  cJSON *j = view_summary(o), *money = NULL;
  if (!j) return NULL;
  if (j_add_str(j, "source", o->source) ||
      j_add_str(j, "marketplace_status", marketplace_status_of(o->stage)) || add_times(j, o) ||
      !(money = cJSON_AddObjectToObject(j, "money")) ||
      j_add_str(money, "currency", o->currency) || j_add_int(money, "subtotal", o->subtotal) ||
      j_add_int(money, "shipping_fee", o->shipping_fee) || j_add_int(money, "total", o->total) ||
      j_add_str(j, "buyer_message", o->buyer_message) || j_add(j, "handover", handover_json(o)) ||
      j_add_int(j, "failed_attempts", o->failed_attempts) ||
      j_add_str(j, "cancelled_by", by[o->cancelled_by]) ||
      j_add_str(j, "cancel_reason", o->cancel_reason) ||
      j_add_bool(j, "complaint_filed", o->complaint_filed) ||
      j_add_bool(j, "refund_submitted", o->refund_submitted) ||
      j_add(j, "deadlines", deadlines_json(o)) || j_add(j, "actions", rules_actions(s, o, at)) ||
      j_add(j, "carrier_events", rules_carrier_events(s, o, at)))
    goto fail;
  ADD_LIST(j, "lines", o->lines, line_json);
  ADD_LIST(j, "checklist", o->checklist, checklist_json);
  ADD_LIST(j, "requests", o->requests, request_json);
  ADD_LIST(j, "issues", o->issues, issue_json);
  ADD_LIST(j, "timeline", o->timeline, timeline_json);
  ADD_LIST(j, "conflicts", o->conflicts, conflict_json);
  return j;
fail:
  cJSON_Delete(j);
  return NULL;
}
