/* rules_ship.c: step 3, handing over to the carrier (H1-H9, P4, P6), and step 4, tracking
 * (T1-T6), with the conduct rules that apply to what leaves the shop (P3, S1, S2). */
#include <stdio.h>
#include <string.h>

#include "rules.h"

int can_handover(rule_ctx *c, const order *o) {
  if (o->stage != STAGE_CONFIRMED && o->stage != STAGE_PACKED)
    return fail(c, "ILLEGAL_TRANSITION", "H1",
                "order %s is %s: the handover is chosen before it is marked shipped", o->id,
                stage_name(o->stage));
  return 0;
}

static unsigned order_classes(const order *o) {
  unsigned classes = 0;
  for (size_t i = 0; i < o->lines.len; i++)
    if (!o->lines.items[i].cancelled) classes |= o->lines.items[i].classes;
  return classes;
}

/* P4: the carrier accepts every class in the package, and the shop may sell every product. */
static int check_authorized(rule_ctx *c, const order *o, const char *carrier) {
  unsigned refused = order_classes(o) & policy_carrier_refuses(&c->shop->policy, carrier);
  if (refused)
    return fail(c, "POLICY_VIOLATION", "P4", "carrier %s does not carry %s products", carrier,
                class_name(refused & -refused));
  for (size_t i = 0; i < o->lines.len; i++) {
    const order_line *l = &o->lines.items[i];
    const product *p = shop_product(c->shop, c->txn, *l->seller_sku ? l->seller_sku : l->sku_id);
    if (!l->cancelled && p && !p->authorized)
      return fail(c, "POLICY_VIOLATION", "P4", "product %s is not authorized for this shop",
                  *l->seller_sku ? l->seller_sku : l->sku_id);
  }
  return 0;
}

int rules_handover(rule_ctx *c, order *o, handover_method m, const char *point, const char *note,
                   const char *carrier) {
  if (can_handover(c, o)) return -1;
  if (carrier && check_authorized(c, o, carrier)) return -1;
  if (m == HANDOVER_PICKUP && point)
    return fail(c, "BAD_REQUEST", "H1", "a shipping point is for drop-off, not pickup");
  if ((point && order_set_string(o, &o->shipping_point, point)) ||
      (!point && m == HANDOVER_PICKUP && order_set_string(o, &o->shipping_point, NULL)) ||
      (note && order_set_string(o, &o->handover_note, note)) ||
      (carrier && order_set_string(o, &o->carrier, carrier)))
    return fail_oom(c);
  o->handover = m;
  return order_add_timeline(o, c->at, "handover_set", m == HANDOVER_PICKUP ? "pickup" : "dropoff")
             ? fail_oom(c)
             : 0;
}

int can_ship(rule_ctx *c, const order *o) {
  if (o->stage == STAGE_CONFIRMED)
    return fail(c, "ILLEGAL_TRANSITION", "P7", "order %s is not packed yet", o->id);
  if (o->stage != STAGE_PACKED)
    return fail(c, "ILLEGAL_TRANSITION", "H2", "order %s is %s: it cannot be marked shipped", o->id,
                stage_name(o->stage));
  if (o->handover == HANDOVER_NONE)
    return fail(c, "POLICY_VIOLATION", "H1", "choose pickup or drop-off first");
  if (o->handover == HANDOVER_DROPOFF && !o->shipping_point)
    return fail(c, "POLICY_VIOLATION", "H5", "select a shipping point before marking it shipped");
  if (order_classes(o) && (!o->handover_note || !*o->handover_note))
    return fail(c, "POLICY_VIOLATION", "P6", "special handling: a handover note to the shipper is required");
  for (size_t i = 0; i < o->requests.len; i++)
    if (o->requests.items[i].state == REQ_PENDING && o->requests.items[i].kind == REQ_CANCEL)
      return fail(c, "ILLEGAL_TRANSITION", "C4", "the buyer asked to cancel: answer %s first",
                  o->requests.items[i].id);
  return check_authorized(c, o, o->carrier);
}

int rules_ship(rule_ctx *c, order *o) {
  if (can_ship(c, o)) return -1;
  o->stage = STAGE_AWAITING_COLLECTION;
  o->shipped_at = c->at;
  deadline_settle(o, DL_SHIP_BY, c->at);
  if (o->deadlines[DL_SHIP_BY].state == DL_MISSED) o->flags |= FLAG_LATE_DISPATCH; /* H9 */
  deadline_open(o, o->handover == HANDOVER_PICKUP ? DL_PICKUP : DL_DROPOFF, c->at + RULE_COLLECT_BY);
  deadline_open(o, DL_LOST, c->at + RULE_LOST_AFTER);
  deadline_open(o, DL_DELIVERY_PROMISE,
                o->promised_at ? o->promised_at
                               : c->at + c->shop->policy.delivery_promise_days * PD_DAY);
  const char *what = o->handover == HANDOVER_PICKUP ? "ready for pickup" : "waiting for drop-off";
  /* H3: the carrier is told through the marketplace, which the server's outbox reaches. */
  if (order_add_timeline(o, c->at, "shipped", what) ||
      txn_outbox(c->txn, o->id, "marketplace", "ready_to_ship", what, c->at))
    return fail_oom(c);
  return 0;
}

/* H4: a pickup the carrier missed (even if it came late since), and once. */
int can_complain(rule_ctx *c, const order *o) {
  if (o->handover != HANDOVER_PICKUP || o->stage < STAGE_AWAITING_COLLECTION ||
      o->stage > STAGE_DELIVERED)
    return fail(c, "ILLEGAL_TRANSITION", "H4", "a complaint is for a pickup the carrier has not made");
  if (o->deadlines[DL_PICKUP].state != DL_MISSED)
    return fail(c, "ILLEGAL_TRANSITION", "H4", "the carrier has until its 48 h pickup window ends");
  if (o->complaint_filed)
    return fail(c, "ILLEGAL_TRANSITION", "H4", "a complaint was already filed for order %s", o->id);
  return 0;
}

int rules_complaint(rule_ctx *c, order *o, const char *text) {
  if (can_complain(c, o) || check_text(c, o, text)) return -1;
  o->complaint_filed = 1;
  if (txn_outbox(c->txn, o->id, "marketplace", "complaint", text, c->at) ||
      order_add_timeline(o, c->at, "complaint_filed", "about the logistics provider"))
    return fail_oom(c);
  return 0;
}

const char *const CARRIER_EVENTS[CARRIER_EVENT_COUNT] = {
    "picked_up", "dropped_off", "in_transit", "delivery_failed", "delivered", "damaged"};

int can_carrier_event(rule_ctx *c, const order *o, const char *ev) {
  int collect = strcmp(ev, "picked_up") == 0 || strcmp(ev, "dropped_off") == 0;
  if (collect) {
    int pickup = strcmp(ev, "picked_up") == 0;
    if (o->stage != STAGE_AWAITING_COLLECTION)
      return fail(c, "ILLEGAL_TRANSITION", pickup ? "H3" : "H8",
                  "order %s is %s, not waiting for the carrier", o->id, stage_name(o->stage));
    if (pickup != (o->handover == HANDOVER_PICKUP))
      return fail(c, "ILLEGAL_TRANSITION", pickup ? "H3" : "H8",
                  "order %s was handed over by %s", o->id,
                  o->handover == HANDOVER_PICKUP ? "pickup" : "drop-off");
    return 0;
  }
  if (strcmp(ev, "in_transit") == 0 || strcmp(ev, "damaged") == 0) {
    if (o->stage != STAGE_AWAITING_COLLECTION && o->stage != STAGE_IN_TRANSIT)
      return fail(c, "ILLEGAL_TRANSITION", "T1", "order %s is %s: no parcel is on its way", o->id,
                  stage_name(o->stage));
    return 0;
  }
  if (o->stage != STAGE_IN_TRANSIT)
    return fail(c, "ILLEGAL_TRANSITION", "T1", "order %s is %s, not in transit", o->id,
                stage_name(o->stage));
  return 0;
}

/* The parcel left the seller: by pickup (H3), at the shipping point (H8), or a transit scan. */
static void collected(order *o, pd_ms at) {
  deadline_settle(o, DL_PICKUP, at);
  deadline_settle(o, DL_DROPOFF, at);
  o->collected_at = at;
  o->stage = STAGE_IN_TRANSIT;
}

int rules_carrier_event(rule_ctx *c, order *o, const char *ev, const char *tracking) {
  if (can_carrier_event(c, o, ev)) return -1;
  if (tracking && order_set_string(o, &o->tracking_number, tracking)) return fail_oom(c);
  if (order_add_timeline(o, c->at, ev, tracking)) return fail_oom(c);
  if (strcmp(ev, "picked_up") == 0 || strcmp(ev, "dropped_off") == 0 ||
      (strcmp(ev, "in_transit") == 0 && o->stage == STAGE_AWAITING_COLLECTION)) {
    collected(o, c->at);
  } else if (strcmp(ev, "damaged") == 0) {
    o->flags |= FLAG_DAMAGED;
    if (order_add_issue(o, ISSUE_DAMAGED, c->at)) return fail_oom(c);
  } else if (strcmp(ev, "delivery_failed") == 0) {
    o->failed_attempts++;
    if (order_add_issue(o, ISSUE_DELIVERY_FAILED, c->at)) return fail_oom(c);
    if (o->failed_attempts >= RULE_LOST_ATTEMPTS) { /* T5 */
      if (order_add_issue(o, ISSUE_LOST, c->at) ||
          order_add_timeline(o, c->at, "lost", "two failed delivery attempts (T5)"))
        return fail_oom(c);
      o->stage = STAGE_LOST;
      o->closed_at = c->at;
      deadline_settle(o, DL_LOST, c->at);
      if (o->deadlines[DL_DELIVERY_PROMISE].state == DL_OPEN)
        o->deadlines[DL_DELIVERY_PROMISE].state = DL_INACTIVE;
    }
  } else if (strcmp(ev, "delivered") == 0) {
    o->stage = STAGE_DELIVERED;
    o->delivered_at = c->at;
    deadline_settle(o, DL_LOST, c->at);
    deadline_settle(o, DL_DELIVERY_PROMISE, c->at);
    if (o->deadlines[DL_DELIVERY_PROMISE].state == DL_MISSED) { /* T4 */
      o->flags |= FLAG_LATE_DELIVERY;
      if (order_add_issue(o, ISSUE_LATE_DELIVERY, c->at)) return fail_oom(c);
    }
    deadline_open(o, DL_COMPLETION, c->at + c->shop->policy.completion_days * PD_DAY);
  }
  return 0;
}

/* T6: a refund request for a damaged, lost or delayed package. */
int can_refund(rule_ctx *c, const order *o) {
  if (o->stage != STAGE_LOST && !(o->flags & (FLAG_DAMAGED | FLAG_LATE_DELIVERY)))
    return fail(c, "POLICY_VIOLATION", "T6",
                "a refund request is for a damaged, lost or delayed package");
  if (o->refund_submitted)
    return fail(c, "ILLEGAL_TRANSITION", "T6", "a refund request was already submitted");
  return 0;
}

int rules_refund(rule_ctx *c, order *o, const char *reason) {
  if (can_refund(c, o) || check_text(c, o, reason)) return -1;
  o->refund_submitted = 1;
  if (txn_outbox(c->txn, o->id, "marketplace", "refund_request", reason, c->at) ||
      order_add_timeline(o, c->at, "refund_submitted", NULL))
    return fail_oom(c);
  return 0;
}

int rules_issue_resolve(rule_ctx *c, order *o, const char *kind) {
  for (size_t i = 0; i < o->issues.len; i++) {
    order_issue *is = &o->issues.items[i];
    if (is->resolved_at == 0 && strcmp(issue_kind_name(is->kind), kind) == 0) {
      if (order_add_timeline(o, c->at, "issue_resolved", kind)) return fail_oom(c);
      is->resolved_at = c->at;
      return 0;
    }
  }
  return fail(c, "NOT_FOUND", "T2", "order %s has no open %s issue", o->id, kind);
}

int rules_message(rule_ctx *c, order *o, const char *text) {
  if (check_text(c, o, text)) return -1;
  if (txn_outbox(c->txn, o->id, "in_app", "message", text, c->at) ||
      order_add_timeline(o, c->at, "message_sent", NULL))
    return fail_oom(c);
  return 0;
}

/* S1: the label is the one output with the full address, and only once packing is under way. */
int can_label(rule_ctx *c, const order *o) {
  if (o->stage < STAGE_CONFIRMED || o->stage > STAGE_AWAITING_COLLECTION)
    return fail(c, "ILLEGAL_TRANSITION", "S1", "order %s is %s: no label to print", o->id,
                stage_name(o->stage));
  return 0;
}

int rules_label(rule_ctx *c, order *o) {
  if (can_label(c, o)) return -1;
  o->label_printed++;
  return order_add_timeline(o, c->at, "label_printed", NULL) ? fail_oom(c) : 0;
}
