/*
 * import.h: turns a marketplace order payload into a packdesk order.
 *
 * Accepted shapes (see ../shared/PROTOCOL.md, order.import):
 *   - TikTok Shop legacy API: an `order_list[]` item of /api/orders/detail/query (integer
 *     `order_status`, numeric money in `payment_info`, `item_list[]` with `quantity`,
 *     `create_time` as a string of milliseconds, `paid_time` etc. in seconds).
 *   - TikTok Shop 202309 API: an `orders[]` item (string `status`, decimal-string money in
 *     `payment`, one `line_items[]` entry per unit, seconds, optional `rts_sla_time`,
 *     `tts_sla_time`, `cancel_order_sla_time`, `delivery_due_time`).
 *   - packdesk's own form (`id` + `lines[]`), used by the demo shop and the tests.
 * Money is converted to minor units of the currency (IDR, VND, JPY, KRW have none).
 */
#ifndef PD_IMPORT_H
#define PD_IMPORT_H

#include "cJSON.h"
#include "order.h"

typedef struct {
  int out_of_memory;   /* 1: not the payload's fault */
  char field[96];      /* the offending field's path, e.g. "payment.total_amount" */
  char message[160];   /* for a person; never a value of a buyer field (S1) */
} import_error;

/* SLA times the marketplace stated, in ms; 0 when absent. The rules use them over defaults. */
typedef struct {
  pd_ms ship_by;        /* rts_sla_time / rts_sla */
  pd_ms handover_by;    /* tts_sla_time / tts_sla */
  pd_ms payment_by;     /* cancel_order_sla_time (unpaid orders) */
  pd_ms delivery_by;    /* delivery_due_time / promised_at */
  int payment_window_h; /* packdesk form only: per-order payment window; 0 = shop policy */
} import_sla;

/*
 * Builds a new order from `payload`. On success returns the order (stage, timestamps, money,
 * buyer, carrier, tracking, lines set; deadlines, checklist and timeline NOT set: the rules
 * derive those) and fills *sla. On failure returns NULL and fills *err; nothing leaks.
 */
order *import_order(const cJSON *payload, import_sla *sla, import_error *err);

/* The marketplace status for a stage (TikTok Shop 202309 names): the one mapping table. */
const char *marketplace_status_of(order_stage stage);

/* Money: parses a decimal string or a JSON number into minor units of `currency`.
 * 0 on success; -1 for a malformed, negative, too precise or overflowing amount. */
int money_from_json(const cJSON *amount, const char *currency, int64_t *out);
int currency_exponent(const char *currency); /* -1 for an unknown currency code */

#endif
