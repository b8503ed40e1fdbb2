/*
 * rules_time.c: what time alone decides (C3 auto-cancel, C5 auto-approve, H9 late dispatch,
 * H4 pickup overdue, H7 drop-off overdue, T3 lost, T4 late delivery, completion), and the
 * deadlines an order gets when it arrives (rules_admit) or is re-imported (rules_merge).
 */
#include <stdio.h>
#include <string.h>

#include "rules.h"

/* The earliest timed thing of o that is strictly before `at`: a deadline kind, or
 * DL_FIXED_COUNT + i for request i; -1 when nothing is due. */
static int next_due(const order *o, pd_ms at, pd_ms *when) {
  int which = -1;
  pd_ms best = at;
  for (int k = 0; k < DL_FIXED_COUNT; k++)
    if (o->deadlines[k].state == DL_OPEN && o->deadlines[k].due < best) {
      best = o->deadlines[k].due;
      which = k;
    }
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].due < best) {
      best = o->requests.items[i].due;
      which = DL_FIXED_COUNT + (int)i;
    }
  *when = best;
  return which;
}

static int mark(rule_ctx *c, order *o, unsigned flag, int issue, pd_ms when, const char *event,
                const char *detail) {
  o->flags |= flag;
  if (issue >= 0 && order_add_issue(o, (issue_kind)issue, when)) return fail_oom(c);
  if (order_add_timeline(o, when, event, detail)) return fail_oom(c);
  return 0;
}

static int deadline_passed(rule_ctx *c, order *o, deadline_kind k, pd_ms when) {
  o->deadlines[k].state = DL_MISSED;
  switch (k) {
    case DL_PAYMENT:
      if (o->stage != STAGE_UNPAID) return 0;
      return order_close_as_cancelled(c, o, when, CANCEL_BY_SYSTEM,
                                      "the payment window ended before payment (C3)");
    case DL_SHIP_BY:
      return mark(c, o, FLAG_LATE_DISPATCH, -1, when, "late_dispatch",
                  "not marked shipped within 72 h of placement (H2/H6)");
    case DL_PICKUP:
      return mark(c, o, FLAG_PICKUP_OVERDUE, ISSUE_PICKUP_OVERDUE, when, "pickup_overdue",
                  "the carrier has not collected within 48 h (H3); a complaint is open to you (H4)");
    case DL_DROPOFF:
      return mark(c, o, FLAG_DROPOFF_OVERDUE, ISSUE_DROPOFF_OVERDUE, when, "dropoff_overdue",
                  "not dropped off at the shipping point within 48 h (H7)");
    case DL_DELIVERY_PROMISE:
      return mark(c, o, FLAG_LATE_DELIVERY, ISSUE_LATE_DELIVERY, when, "late_delivery",
                  "not delivered by the promised date (T4)");
    case DL_LOST:
      if (mark(c, o, 0, ISSUE_LOST, when, "lost", "not delivered within 14 days of shipment (T3)"))
        return -1;
      o->stage = STAGE_LOST;
      o->closed_at = when;
      if (o->deadlines[DL_DELIVERY_PROMISE].state == DL_OPEN)
        o->deadlines[DL_DELIVERY_PROMISE].state = DL_INACTIVE;
      return 0;
    case DL_COMPLETION:
      o->deadlines[k].state = DL_MET;
      o->stage = STAGE_COMPLETED;
      o->closed_at = when;
      return order_add_timeline(o, when, "completed", NULL) ? fail_oom(c) : 0;
    default:
      return 0;
  }
}

int rules_advance(rule_ctx *c, order *o) {
  pd_ms when;
  int which;
  while ((which = next_due(o, c->at, &when)) >= 0) {
    if (which < DL_FIXED_COUNT) {
      if (deadline_passed(c, o, (deadline_kind)which, when)) return -1;
    } else {
      order_request *r = &o->requests.items[which - DL_FIXED_COUNT];
      r->state = REQ_AUTO_APPROVED; /* C5: unanswered at its deadline */
      r->answered_at = when;
      if (rules_request_effect(c, o, r, when)) return -1;
    }
  }
  refresh_request_flag(o);
  return 0;
}

/* The checklist every package gets (P2), plus one guideline per special class (P5). */
static int build_checklist(rule_ctx *c, order *o) {
  unsigned classes = 0;
  for (size_t i = 0; i < o->lines.len; i++) {
    order_line *l = &o->lines.items[i];
    const product *p = shop_product(c->shop, c->txn, l->seller_sku && *l->seller_sku ? l->seller_sku : l->sku_id);
    if (p) l->classes |= p->classes;
    if (!l->cancelled) classes |= l->classes;
  }
  if (order_add_checklist(o, "no_promo_inserts") || order_add_checklist(o, "protective_packaging"))
    return fail_oom(c);
  for (unsigned bit = 1; bit <= CLASS_FRAGILE; bit <<= 1)
    if ((classes & bit) && order_add_checklist(o, class_name(bit))) return fail_oom(c);
  return 0;
}

/* D2: a new paid order raises a notification and an e-mail notice for the seller. */
int rules_announce(rule_ctx *c, order *o, pd_ms when) {
  char text[200];
  snprintf(text, sizeof text, "New order %s awaits your confirmation.", o->id);
  if (txn_notify(c->txn, o->id, "new_order", when) ||
      txn_outbox(c->txn, o->id, "email", "new_order", text, when))
    return fail_oom(c);
  return 0;
}

int rules_admit(rule_ctx *c, order *o, pd_ms ship_by, pd_ms handover_by, pd_ms payment_by,
                pd_ms delivery_by, int payment_window_h) {
  int window = payment_window_h > 0 ? payment_window_h : c->shop->policy.payment_window_h;
  (void)handover_by; /* the marketplace's handover SLA is shown by the marketplace itself */
  if (order_add_timeline(o, o->placed_at, "placed", NULL)) return fail_oom(c);
  if (o->paid_at && order_add_timeline(o, o->paid_at, "paid", NULL)) return fail_oom(c);
  if (o->stage == STAGE_UNPAID)
    deadline_open(o, DL_PAYMENT, payment_by ? payment_by : o->placed_at + window * PD_HOUR);
  if (o->stage <= STAGE_PACKED && o->stage != STAGE_UNPAID)
    deadline_open(o, DL_SHIP_BY, ship_by ? ship_by : o->placed_at + RULE_SHIP_BY);
  else if (o->stage == STAGE_UNPAID)
    o->deadlines[DL_SHIP_BY].due = ship_by ? ship_by : o->placed_at + RULE_SHIP_BY;
  if (delivery_by) o->promised_at = delivery_by;
  if (o->stage == STAGE_CANCELLED || o->stage == STAGE_COMPLETED) o->closed_at = o->placed_at;
  if (o->stage == STAGE_IN_TRANSIT && o->shipped_at)
    deadline_open(o, DL_LOST, o->shipped_at + RULE_LOST_AFTER);
  if (o->stage == STAGE_AWAITING_CONFIRMATION && rules_announce(c, o, c->at)) return -1;
  return build_checklist(c, o);
}

int rules_merge(rule_ctx *c, order *o, const order *in) {
  if (in->marketplace_updated_at && in->marketplace_updated_at < o->marketplace_updated_at)
    return 0; /* an older payload never rolls the order back */
  if (in->marketplace_updated_at) o->marketplace_updated_at = in->marketplace_updated_at;
  if (in->tracking_number && order_set_string(o, &o->tracking_number, in->tracking_number))
    return fail_oom(c);
  if (in->carrier && order_set_string(o, &o->carrier, in->carrier)) return fail_oom(c);
  if (o->stage >= STAGE_COMPLETED) return 0; /* closed here: nothing to take over */
  if (in->stage == STAGE_CANCELLED)
    return order_close_as_cancelled(c, o, c->at, CANCEL_BY_MARKETPLACE,
                                    in->cancel_reason ? in->cancel_reason : "cancelled on the marketplace");
  if (o->stage == STAGE_UNPAID && in->stage != STAGE_UNPAID &&
      rules_paid(c, o, in->paid_at ? in->paid_at : c->at))
    return -1;
  /* The marketplace moved the parcel on (shipped from its own center, a carrier scan): follow. */
  if (in->stage >= STAGE_AWAITING_COLLECTION && in->stage <= STAGE_COMPLETED && in->stage > o->stage) {
    if (o->shipped_at == 0) {
      o->shipped_at = in->shipped_at ? in->shipped_at : c->at;
      deadline_settle(o, DL_SHIP_BY, o->shipped_at);
      deadline_open(o, DL_LOST, o->shipped_at + RULE_LOST_AFTER);
    }
    if (in->stage >= STAGE_DELIVERED) {
      o->delivered_at = in->delivered_at ? in->delivered_at : c->at;
      deadline_settle(o, DL_LOST, o->delivered_at);
      deadline_settle(o, DL_DELIVERY_PROMISE, o->delivered_at);
    }
    o->stage = in->stage;
    if (order_add_timeline(o, c->at, "marketplace_update", stage_name(in->stage))) return fail_oom(c);
  }
  return 0;
}
