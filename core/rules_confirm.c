/* rules_confirm.c: step 1 of the guide: payment, line checks, confirmation, cancellation
 * and the buyer's requests (C1-C7). */
#include <stdio.h>
#include <string.h>

#include "rules.h"

static int is_closed(const order *o) {
  return o->stage == STAGE_CANCELLED || o->stage == STAGE_COMPLETED || o->stage == STAGE_LOST;
}

int can_pay(rule_ctx *c, const order *o) {
  if (o->stage != STAGE_UNPAID)
    return fail(c, "ILLEGAL_TRANSITION", "C3", "order %s is %s, not unpaid", o->id, stage_name(o->stage));
  return 0;
}

/* The payment arrived at `when`: the order now awaits the seller (D1), 72 h run (H2). */
int rules_paid(rule_ctx *c, order *o, pd_ms when) {
  o->paid_at = when;
  o->stage = STAGE_AWAITING_CONFIRMATION;
  deadline_settle(o, DL_PAYMENT, when);
  deadline_open(o, DL_SHIP_BY, o->deadlines[DL_SHIP_BY].due ? o->deadlines[DL_SHIP_BY].due
                                                             : o->placed_at + RULE_SHIP_BY);
  if (order_add_timeline(o, when, "paid", NULL)) return fail_oom(c);
  return rules_announce(c, o, when);
}

int rules_pay(rule_ctx *c, order *o) {
  if (can_pay(c, o)) return -1;
  return rules_paid(c, o, c->at);
}

int can_check_line(rule_ctx *c, const order *o) {
  if (o->stage != STAGE_AWAITING_CONFIRMATION)
    return fail(c, "ILLEGAL_TRANSITION", "C1",
                "order %s is %s: lines are checked while it awaits confirmation", o->id,
                stage_name(o->stage));
  return 0;
}

int rules_check_line(rule_ctx *c, order *o, const char *line_id, line_check result) {
  if (can_check_line(c, o)) return -1;
  order_line *l = order_find_line(o, line_id);
  if (!l) return fail(c, "NOT_FOUND", NULL, "order %s has no line %s", o->id, line_id);
  if (l->cancelled)
    return fail(c, "ILLEGAL_TRANSITION", "C1", "line %s was cancelled by the marketplace", line_id);
  char detail[200];
  snprintf(detail, sizeof detail, "line %s: %s", line_id, line_check_name(result));
  if (order_add_timeline(o, c->at, "line_checked", detail)) return fail_oom(c);
  l->check = result;
  return 0;
}

/* C1: every line that is to ship must have passed its check. */
int can_confirm(rule_ctx *c, const order *o) {
  if (o->stage != STAGE_AWAITING_CONFIRMATION)
    return fail(c, "ILLEGAL_TRANSITION", "D1", "order %s is %s, not awaiting confirmation", o->id,
                stage_name(o->stage));
  for (size_t i = 0; i < o->lines.len; i++) {
    const order_line *l = &o->lines.items[i];
    if (l->cancelled) continue;
    if (l->check == CHECK_NONE)
      return fail(c, "POLICY_VIOLATION", "C1", "line %s has not been checked", l->id);
    if (l->check == CHECK_OUT_OF_STOCK || l->check == CHECK_DAMAGED)
      return fail(c, "POLICY_VIOLATION", "C6",
                  "line %s is %s: notify the buyer and cancel the order", l->id,
                  line_check_name(l->check));
    if (l->check != CHECK_OK)
      return fail(c, "POLICY_VIOLATION", "C1", "line %s failed its check (%s)", l->id,
                  line_check_name(l->check));
  }
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].kind == REQ_CANCEL)
      return fail(c, "ILLEGAL_TRANSITION", "C4",
                  "the buyer asked to cancel (%s): answer the request first",
                  o->requests.items[i].id);
  return 0;
}

int rules_confirm(rule_ctx *c, order *o) {
  if (can_confirm(c, o)) return -1;
  o->stage = STAGE_CONFIRMED;
  o->confirmed_at = c->at;
  return order_add_timeline(o, c->at, "confirmed", NULL) ? fail_oom(c) : 0;
}

/* A package in trouble after shipping (T6): lost, damaged or late. */
static int in_trouble(const order *o) {
  return o->stage == STAGE_LOST || (o->flags & (FLAG_DAMAGED | FLAG_LATE_DELIVERY)) != 0;
}

int can_cancel(rule_ctx *c, const order *o) {
  if (o->stage == STAGE_CANCELLED || o->stage == STAGE_COMPLETED)
    return fail(c, "ILLEGAL_TRANSITION", "C2", "order %s is already %s", o->id, stage_name(o->stage));
  if (o->stage >= STAGE_AWAITING_COLLECTION && !in_trouble(o))
    return fail(c, "ILLEGAL_TRANSITION", "C2",
                "order %s is marked shipped (%s); it can no longer be cancelled", o->id,
                stage_name(o->stage));
  return 0;
}

int rules_cancel(rule_ctx *c, order *o, const char *reason) {
  if (can_cancel(c, o) || check_text(c, o, reason)) return -1;
  /* A cancellation is the seller's fault unless the buyer asked for it (metrics). */
  int buyer_asked = 0;
  for (size_t i = 0; i < o->requests.len; i++)
    buyer_asked |= o->requests.items[i].state == REQ_PENDING && o->requests.items[i].kind == REQ_CANCEL;
  o->seller_fault_cancel = !buyer_asked && !in_trouble(o);
  return order_close_as_cancelled(c, o, c->at, CANCEL_BY_SELLER, reason);
}

int can_request(rule_ctx *c, const order *o, request_kind kind) {
  int ok;
  switch (kind) {
    case REQ_CANCEL: ok = o->stage >= STAGE_AWAITING_CONFIRMATION && o->stage <= STAGE_PACKED; break;
    case REQ_RETURN: ok = o->stage == STAGE_DELIVERED; break;
    default: ok = o->stage >= STAGE_AWAITING_CONFIRMATION && o->stage <= STAGE_DELIVERED; ok |= o->stage == STAGE_LOST;
  }
  if (!ok)
    return fail(c, "ILLEGAL_TRANSITION", "C4", "a %s request cannot be opened on a %s order",
                request_kind_name(kind), stage_name(o->stage));
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].kind == kind)
      return fail(c, "CONFLICT", "C4", "a %s request is already pending (%s)",
                  request_kind_name(kind), o->requests.items[i].id);
  return 0;
}

int rules_request_open(rule_ctx *c, order *o, request_kind kind, const char *reason,
                       const char **request_id) {
  if (can_request(c, o, kind)) return -1;
  order_request *r = order_add_request(o, kind, reason, c->at);
  if (!r) return fail_oom(c);
  r->due = c->at + RULE_ANSWER_BY; /* C4 */
  *request_id = r->id;
  char detail[120];
  snprintf(detail, sizeof detail, "%s request %s", request_kind_name(kind), r->id);
  if (order_add_timeline(o, c->at, "request_opened", detail) ||
      txn_notify(c->txn, o->id, "buyer_request", c->at))
    return fail_oom(c);
  refresh_request_flag(o);
  return 0;
}

/* What an approved request does to the order (C5), at `when`. */
int rules_request_effect(rule_ctx *c, order *o, order_request *r, pd_ms when) {
  char detail[160];
  snprintf(detail, sizeof detail, "%s request %s %s", request_kind_name(r->kind), r->id,
           request_state_name(r->state));
  if (order_add_timeline(o, when, "request_answered", detail)) return fail_oom(c);
  int cancels = r->kind == REQ_CANCEL || (r->kind == REQ_REFUND && o->stage <= STAGE_PACKED);
  if (cancels && !is_closed(o))
    return order_close_as_cancelled(c, o, when, CANCEL_BY_BUYER, r->reason);
  return 0;
}

static order_request *pending_request(rule_ctx *c, order *o, const char *request_id) {
  order_request *r = order_find_request(o, request_id);
  if (!r) {
    fail(c, "NOT_FOUND", NULL, "no request %s", request_id);
    return NULL;
  }
  if (r->state == REQ_AUTO_APPROVED) {
    fail(c, "DEADLINE_PASSED", "C5", "request %s was approved automatically when its 48 h ran out",
         request_id);
    return NULL;
  }
  if (r->state != REQ_PENDING) {
    fail(c, "ILLEGAL_TRANSITION", "C5", "request %s is already %s", request_id,
         request_state_name(r->state));
    return NULL;
  }
  return r;
}

int rules_request_answer(rule_ctx *c, order *o, const char *request_id, int approve,
                         const char *reason) {
  order_request *r = pending_request(c, o, request_id);
  if (!r) return -1;
  if (!approve && order_set_string(o, &r->answer_reason, reason)) return fail_oom(c);
  r->state = approve ? REQ_APPROVED : REQ_REJECTED;
  r->answered_at = c->at;
  int rc = approve ? rules_request_effect(c, o, r, c->at)
                   : (order_add_timeline(o, c->at, "request_answered", "rejected") ? fail_oom(c) : 0);
  refresh_request_flag(o);
  return rc;
}

int rules_request_extend(rule_ctx *c, order *o, const char *request_id, int64_t hours) {
  const shop_policy *p = &c->shop->policy;
  order_request *r = pending_request(c, o, request_id);
  if (!r) return -1;
  if (r->extensions >= p->extensions_max)
    return fail(c, "POLICY_VIOLATION", "C5", "request %s was already extended (at most %d time%s)",
                request_id, p->extensions_max, p->extensions_max == 1 ? "" : "s");
  if (hours < 1 || hours > p->extension_max_h)
    return fail(c, "POLICY_VIOLATION", "C5", "an extension is 1 to %d hours", p->extension_max_h);
  r->due += hours * PD_HOUR;
  r->extensions++;
  return order_add_timeline(o, c->at, "request_extended", r->id) ? fail_oom(c) : 0;
}
