/* rules_common.c: errors, deadlines and cancellation, shared by every step's rules. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msgcheck.h"
#include "rules.h"

int fail(rule_ctx *c, const char *code, const char *rule, const char *fmt, ...) {
  va_list ap;
  c->err->code = code;
  c->err->rule = rule;
  c->err->reason = NULL;
  va_start(ap, fmt);
  vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
  va_end(ap);
  return -1;
}

int fail_oom(rule_ctx *c) { return fail(c, "OUT_OF_MEMORY", NULL, "out of memory"); }

void deadline_open(order *o, deadline_kind k, pd_ms due) {
  o->deadlines[k].due = due;
  o->deadlines[k].state = DL_OPEN;
}

void deadline_settle(order *o, deadline_kind k, pd_ms at) {
  deadline *d = &o->deadlines[k];
  if (d->state == DL_OPEN) d->state = at <= d->due ? DL_MET : DL_MISSED;
}

void refresh_request_flag(order *o) {
  o->flags &= ~(unsigned)FLAG_REQUEST_PENDING;
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING) o->flags |= FLAG_REQUEST_PENDING;
}

/* C7: every cancellation reaches the buyer as an in-app message. */
static int queue_cancel_notice(rule_ctx *c, order *o, pd_ms when, const char *reason) {
  char text[1200];
  snprintf(text, sizeof text, "Your order %s has been cancelled. Reason: %s", o->id, reason);
  return txn_outbox(c->txn, o->id, "in_app", "cancellation_notice", text, when);
}

int order_close_as_cancelled(rule_ctx *c, order *o, pd_ms when, cancel_by by, const char *reason) {
  static const char *const by_name[] = {"", "seller", "buyer", "system", "marketplace"};
  char detail[1200];
  if (order_set_string(o, &o->cancel_reason, reason)) return fail_oom(c);
  snprintf(detail, sizeof detail, "cancelled by %s: %s", by_name[by], reason);
  if (order_add_timeline(o, when, "cancelled", detail)) return fail_oom(c);
  /* The marketplace tells its buyer itself; every other cancellation is ours to announce. */
  if (by != CANCEL_BY_MARKETPLACE && queue_cancel_notice(c, o, when, reason)) return fail_oom(c);
  o->stage = STAGE_CANCELLED;
  o->cancelled_by = by;
  o->closed_at = when;
  /* What was still open no longer applies to a cancelled order. */
  for (int k = 0; k < DL_FIXED_COUNT; k++)
    if (o->deadlines[k].state == DL_OPEN) o->deadlines[k].state = DL_INACTIVE;
  for (size_t i = 0; i < o->requests.len; i++) {
    order_request *r = &o->requests.items[i];
    if (r->state == REQ_PENDING && r->kind == REQ_CANCEL) {
      r->state = REQ_APPROVED;
      r->answered_at = when;
    }
  }
  refresh_request_flag(o);
  return 0;
}

int check_text(rule_ctx *c, const order *o, const char *text) {
  msgcheck_refusal why;
  const char *own[] = {o ? o->id : NULL, o ? o->tracking_number : NULL, NULL};
  if (msgcheck_text(text, o ? own : NULL, &why))
    return fail(c, "POLICY_VIOLATION", why.rule, "the text %s (%s)", why.reason, why.rule);
  return 0;
}
