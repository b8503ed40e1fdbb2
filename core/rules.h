/*
 * rules.h: the rules of ../shared/RULES.md as a state machine over one order. Each command
 * has a guard (may it happen now?) and an effect; the guards also produce order.get's
 * `actions`, so the shell can never offer what the core would refuse. Everything works on a
 * transaction's working copy: a refusal or an out-of-memory leaves the shop untouched.
 */
#ifndef PD_RULES_H
#define PD_RULES_H

#include "cJSON.h"
#include "order.h"
#include "shop.h"

/* The hard rules of the guide (RULES.md); what it leaves to the shop is in policy.h. */
#define RULE_SHIP_BY (72 * PD_HOUR)        /* H2, H6 */
#define RULE_COLLECT_BY (48 * PD_HOUR)     /* H3, H7 */
#define RULE_ANSWER_BY (48 * PD_HOUR)      /* C4 */
#define RULE_LOST_AFTER (14 * PD_DAY)      /* T3 */
#define RULE_LOST_ATTEMPTS 2               /* T5 */

typedef struct {
  const char *code;   /* protocol error code: "ILLEGAL_TRANSITION", ... */
  const char *rule;   /* the RULES.md id that refused, or NULL */
  const char *reason; /* a stable word for the shell when one code covers two cases, or NULL */
  char message[320];
} pd_err;

typedef struct {
  pd_shop *shop;
  shop_txn *txn;
  pd_ms at;
  pd_err *err;
} rule_ctx;

/* Fills ctx->err and returns -1, for `return fail(...)`. */
int fail(rule_ctx *c, const char *code, const char *rule, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int fail_oom(rule_ctx *c);

/* Time: applies what time alone decides up to ctx->at (strictly after each due time). */
int rules_advance(rule_ctx *c, order *o);
/* A new or imported order: its deadlines, checklist, timeline and notices. */
int rules_admit(rule_ctx *c, order *o, pd_ms ship_by, pd_ms handover_by, pd_ms payment_by,
                pd_ms delivery_by, int payment_window_h);
/* A re-imported order: the marketplace's newer state, where the rules allow it. */
int rules_merge(rule_ctx *c, order *o, const order *incoming);

/* Step 1 */
int rules_pay(rule_ctx *c, order *o);
int rules_check_line(rule_ctx *c, order *o, const char *line_id, line_check result);
int rules_confirm(rule_ctx *c, order *o);
int rules_cancel(rule_ctx *c, order *o, const char *reason);
int rules_request_open(rule_ctx *c, order *o, request_kind kind, const char *reason,
                       const char **request_id);
int rules_request_answer(rule_ctx *c, order *o, const char *request_id, int approve,
                         const char *reason);
int rules_request_extend(rule_ctx *c, order *o, const char *request_id, int64_t hours);
/* Step 2 */
int rules_pack_scan(rule_ctx *c, order *o, const char *sku, int undo, order_line **line);
int rules_pack_confirm(rule_ctx *c, order *o, const char *item);
int rules_pack_complete(rule_ctx *c, order *o);
/* Step 3 */
int rules_handover(rule_ctx *c, order *o, handover_method m, const char *point,
                   const char *note, const char *carrier);
int rules_ship(rule_ctx *c, order *o);
int rules_complaint(rule_ctx *c, order *o, const char *text);
/* Step 4 */
int rules_carrier_event(rule_ctx *c, order *o, const char *event, const char *tracking);
int rules_refund(rule_ctx *c, order *o, const char *reason);
int rules_issue_resolve(rule_ctx *c, order *o, const char *kind);
/* Conduct */
int rules_message(rule_ctx *c, order *o, const char *text);
int rules_label(rule_ctx *c, order *o);

/* The commands allowed on o now, as a JSON array of names (NULL when out of memory). */
cJSON *rules_actions(pd_shop *s, const order *o, pd_ms at);
/* The carrier events (of CARRIER_EVENTS) that fit o now, as a JSON array (NULL: out of memory). */
cJSON *rules_carrier_events(pd_shop *s, const order *o, pd_ms at);

/* carrier.event's vocabulary (rules_ship.c). */
#define CARRIER_EVENT_COUNT 6
extern const char *const CARRIER_EVENTS[CARRIER_EVENT_COUNT];

/* Shared by the rules files. */
void deadline_open(order *o, deadline_kind k, pd_ms due);
void deadline_settle(order *o, deadline_kind k, pd_ms at); /* met if at <= due, else missed */
int order_close_as_cancelled(rule_ctx *c, order *o, pd_ms when, cancel_by by, const char *reason);
void refresh_request_flag(order *o);
/* P3/S2: refuses a text that solicits, markets or carries contact details. */
int check_text(rule_ctx *c, const order *o, const char *text);
int rules_paid(rule_ctx *c, order *o, pd_ms when);          /* payment arrived at `when` */
int rules_announce(rule_ctx *c, order *o, pd_ms when);      /* D2 notices */
int rules_request_effect(rule_ctx *c, order *o, order_request *r, pd_ms when); /* C5 */

#endif

/* Guards: 0 when the command may run on o now, else -1 with c->err set. They read, never
 * write, so rules_actions() can ask them all. Argument-specific checks come after them. */
int can_pay(rule_ctx *c, const order *o);
int can_check_line(rule_ctx *c, const order *o);
int can_confirm(rule_ctx *c, const order *o);
int can_cancel(rule_ctx *c, const order *o);
int can_request(rule_ctx *c, const order *o, request_kind kind);
int can_pack(rule_ctx *c, const order *o);
int can_pack_complete(rule_ctx *c, const order *o);
int can_handover(rule_ctx *c, const order *o);
int can_ship(rule_ctx *c, const order *o);
int can_complain(rule_ctx *c, const order *o);
int can_carrier_event(rule_ctx *c, const order *o, const char *event);
int can_refund(rule_ctx *c, const order *o);
int can_label(rule_ctx *c, const order *o);
