/* command_steps.c: the commands of the four steps, each an argument check and a rule. */
#include <string.h>

#include "command.h"
#include "json.h"

int cmd_pay(cmd_ctx *k);
int cmd_line_check(cmd_ctx *k);
int cmd_confirm(cmd_ctx *k);
int cmd_cancel(cmd_ctx *k);
int cmd_request_open(cmd_ctx *k);
int cmd_request_approve(cmd_ctx *k);
int cmd_request_reject(cmd_ctx *k);
int cmd_request_extend(cmd_ctx *k);
int cmd_pack_scan(cmd_ctx *k);
int cmd_pack_unscan(cmd_ctx *k);
int cmd_pack_confirm(cmd_ctx *k);
int cmd_pack_complete(cmd_ctx *k);
int cmd_handover(cmd_ctx *k);
int cmd_ship(cmd_ctx *k);
int cmd_complaint(cmd_ctx *k);
int cmd_carrier_event(cmd_ctx *k);
int cmd_refund(cmd_ctx *k);
int cmd_message(cmd_ctx *k);
int cmd_issue_resolve(cmd_ctx *k);
int cmd_label(cmd_ctx *k);

/* The common shape: find the order, apply one rule, answer with the order's summary. */
#define ORDER_COMMAND(fn_name, rule_call)            \
  int fn_name(cmd_ctx *k) {                          \
    order *o = arg_order(k);                         \
    if (!o || (rule_call)) return -1;                \
    return result_order(k, o);                       \
  }

ORDER_COMMAND(cmd_pay, rules_pay(&k->rc, o))
ORDER_COMMAND(cmd_confirm, rules_confirm(&k->rc, o))
ORDER_COMMAND(cmd_pack_complete, rules_pack_complete(&k->rc, o))
ORDER_COMMAND(cmd_ship, rules_ship(&k->rc, o))

int cmd_line_check(cmd_ctx *k) {
  static const char *const results[] = {"ok", "out_of_stock", "damaged", "expired"};
  const char *line_id;
  int r;
  order *o = arg_order(k);
  if (!o || arg_text(k, "line_id", 1, ID_MAX, &line_id) ||
      arg_enum(k, "result", results, 4, &r) ||
      rules_check_line(&k->rc, o, line_id, (line_check)(r + CHECK_OK)))
    return -1;
  return result_order(k, o);
}

int cmd_cancel(cmd_ctx *k) {
  const char *reason;
  order *o = arg_order(k);
  if (!o || arg_text(k, "reason", 1, TEXT_MAX, &reason) || rules_cancel(&k->rc, o, reason)) return -1;
  return result_order(k, o);
}

int cmd_request_open(cmd_ctx *k) {
  static const char *const kinds[] = {"cancel", "return", "refund"};
  const char *reason, *request_id = NULL;
  int kind;
  order *o = arg_order(k);
  if (!o || arg_enum(k, "kind", kinds, 3, &kind) || arg_text(k, "reason", 1, TEXT_MAX, &reason) ||
      rules_request_open(&k->rc, o, (request_kind)kind, reason, &request_id) ||
      result_order(k, o))
    return -1;
  return j_add_str(k->result, "request_id", request_id) ? fail_oom(&k->rc) : 0;
}

/* Request ids are "<order id>/r<n>": the order is found from the id alone. */
static order *request_order(cmd_ctx *k, const char **request_id) {
  char order_id[ID_MAX + 1];
  int oom;
  if (arg_text(k, "request_id", 1, ID_MAX + 16, request_id)) return NULL;
  const char *slash = strrchr(*request_id, '/');
  size_t n = slash ? (size_t)(slash - *request_id) : 0;
  if (!slash || n == 0 || n > ID_MAX) {
    fail(&k->rc, "NOT_FOUND", NULL, "no request %s", *request_id);
    return NULL;
  }
  memcpy(order_id, *request_id, n);
  order_id[n] = '\0';
  order *o = txn_edit(k->shop, &k->txn, order_id, &oom);
  if (!o) {
    if (oom) fail_oom(&k->rc);
    else fail(&k->rc, "NOT_FOUND", NULL, "no request %s", *request_id);
    return NULL;
  }
  return rules_advance(&k->rc, o) ? NULL : o;
}

int cmd_request_approve(cmd_ctx *k) {
  const char *id;
  order *o = request_order(k, &id);
  if (!o || rules_request_answer(&k->rc, o, id, 1, NULL)) return -1;
  return result_order(k, o);
}

int cmd_request_reject(cmd_ctx *k) {
  const char *id, *reason;
  order *o = request_order(k, &id);
  if (!o) return -1;
  if (arg_text(k, "reason", 1, TEXT_MAX, &reason)) {
    k->err.rule = "C5"; /* C5: the seller rejects with a reason */
    return -1;
  }
  if (check_text(&k->rc, o, reason) || rules_request_answer(&k->rc, o, id, 0, reason)) return -1;
  return result_order(k, o);
}

int cmd_request_extend(cmd_ctx *k) {
  const char *id;
  int64_t hours = 0;
  order *o = request_order(k, &id);
  if (!o || arg_int(k, "hours", 1, -1000000, 1000000, &hours) ||
      rules_request_extend(&k->rc, o, id, hours))
    return -1;
  return result_order(k, o);
}

static int pack_scan(cmd_ctx *k, int undo) {
  const char *sku;
  order_line *line = NULL;
  order *o = arg_order(k);
  if (!o || arg_text(k, "sku", 1, ID_MAX, &sku) || rules_pack_scan(&k->rc, o, sku, undo, &line) ||
      result_order(k, o))
    return -1;
  int64_t packed = 0, units = 0;
  for (size_t i = 0; i < o->lines.len; i++)
    if (!o->lines.items[i].cancelled) {
      packed += o->lines.items[i].packed;
      units += o->lines.items[i].quantity;
    }
  if (j_add_str(k->result, "line_id", line->id) || j_add_int(k->result, "line_packed", line->packed) ||
      j_add_int(k->result, "line_quantity", line->quantity) || j_add_int(k->result, "packed", packed) ||
      j_add_int(k->result, "units", units))
    return fail_oom(&k->rc);
  return 0;
}

int cmd_pack_scan(cmd_ctx *k) { return pack_scan(k, 0); }
int cmd_pack_unscan(cmd_ctx *k) { return pack_scan(k, 1); }

int cmd_pack_confirm(cmd_ctx *k) {
  const char *item;
  order *o = arg_order(k);
  if (!o || arg_text(k, "item", 1, ID_MAX, &item) || rules_pack_confirm(&k->rc, o, item)) return -1;
  return result_order(k, o);
}

int cmd_handover(cmd_ctx *k) {
  static const char *const methods[] = {"pickup", "dropoff"};
  const char *point, *note, *carrier;
  int m;
  order *o = arg_order(k);
  if (!o || arg_enum(k, "method", methods, 2, &m) ||
      arg_text(k, "shipping_point", 0, 200, &point) || arg_text(k, "note", 0, TEXT_MAX, &note) ||
      arg_text(k, "carrier", 0, 63, &carrier) ||
      rules_handover(&k->rc, o, m ? HANDOVER_DROPOFF : HANDOVER_PICKUP, point, note, carrier))
    return -1;
  return result_order(k, o);
}

int cmd_complaint(cmd_ctx *k) {
  const char *text;
  order *o = arg_order(k);
  if (!o || arg_text(k, "text", 1, TEXT_MAX, &text) || rules_complaint(&k->rc, o, text)) return -1;
  return result_order(k, o);
}

int cmd_carrier_event(cmd_ctx *k) {
  const char *tracking;
  int e;
  order *o = arg_order(k);
  if (!o || arg_enum(k, "event", CARRIER_EVENTS, CARRIER_EVENT_COUNT, &e) ||
      arg_text(k, "tracking_number", 0, ID_MAX, &tracking) ||
      rules_carrier_event(&k->rc, o, CARRIER_EVENTS[e], tracking))
    return -1;
  return result_order(k, o);
}

int cmd_refund(cmd_ctx *k) {
  const char *reason;
  order *o = arg_order(k);
  if (!o || arg_text(k, "reason", 1, TEXT_MAX, &reason) || rules_refund(&k->rc, o, reason)) return -1;
  return result_order(k, o);
}

int cmd_message(cmd_ctx *k) {
  const char *text;
  order *o = arg_order(k);
  if (!o || arg_text(k, "text", 1, TEXT_MAX, &text) || rules_message(&k->rc, o, text)) return -1;
  return result_order(k, o);
}

int cmd_issue_resolve(cmd_ctx *k) {
  const char *kind;
  order *o = arg_order(k);
  if (!o || arg_text(k, "kind", 1, ID_MAX, &kind) || rules_issue_resolve(&k->rc, o, kind)) return -1;
  return result_order(k, o);
}

/* S1: the one output with the buyer's full address, at the seller's explicit request. */
int cmd_label(cmd_ctx *k) {
  order *o = arg_order(k);
  if (!o || rules_label(&k->rc, o) || result_order(k, o)) return -1;
  cJSON *label = cJSON_CreateObject();
  if (j_add(k->result, "label", label) || j_add_str(label, "name", o->buyer_name) ||
      j_add_str(label, "address", o->address_full) || j_add_str(label, "carrier", o->carrier) ||
      j_add_str(label, "tracking_number", o->tracking_number))
    return fail_oom(&k->rc);
  return 0;
}
