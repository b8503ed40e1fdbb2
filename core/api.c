/*
 * api.c: pd_exec, the one entry of the protocol: the envelope (cmd, at, op), the command
 * table, op ids applied at most once, the journal hook, and the all-or-nothing commit.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "command.h"
#include "json.h"
#include "packdesk.h"
#include "sync.h"

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

static const command_def commands[] = {
    {"order.import", cmd_import, 1, 1},
    {"order.pay", cmd_pay, 1, 1},
    {"line.check", cmd_line_check, 1, 1},
    {"order.confirm", cmd_confirm, 1, 1},
    {"order.cancel", cmd_cancel, 1, 1},
    {"request.open", cmd_request_open, 1, 1},
    {"request.approve", cmd_request_approve, 1, 1},
    {"request.reject", cmd_request_reject, 1, 1},
    {"request.extend", cmd_request_extend, 1, 1},
    {"pack.scan", cmd_pack_scan, 1, 1},
    {"pack.unscan", cmd_pack_unscan, 1, 1},
    {"pack.confirm", cmd_pack_confirm, 1, 1},
    {"pack.complete", cmd_pack_complete, 1, 1},
    {"handover.set", cmd_handover, 1, 1},
    {"label.print", cmd_label, 1, 1},
    {"order.ship", cmd_ship, 1, 1},
    {"complaint.file", cmd_complaint, 1, 1},
    {"carrier.event", cmd_carrier_event, 1, 1},
    {"refund.submit", cmd_refund, 1, 1},
    {"issue.resolve", cmd_issue_resolve, 1, 1},
    {"message.send", cmd_message, 1, 1},
    {"tick", cmd_tick, 1, 0},
    {"policy.set", cmd_policy_set, 1, 1},
    {"product.set", cmd_product_set, 1, 1},
    {"notifications.read", cmd_notifications_read, 1, 0},
    {"outbox.ack", cmd_outbox_ack, 1, 0},
    {"order.get", query_order_get, 0, 0},
    {"orders.list", query_orders_list, 0, 0},
    {"orders.export", query_orders_export, 0, 0},
    {"stats", query_stats, 0, 0},
    {"metrics", query_metrics, 0, 0},
    {"notifications.list", query_notifications, 0, 0},
    {"outbox.list", query_outbox, 0, 0},
    {"policy.get", query_policy, 0, 0},
    {"sync.pair", cmd_sync_pair, 1, 0},
    {"sync.base", cmd_sync_base, 1, 0},
    {"conflict.dismiss", cmd_conflict_dismiss, 1, 0},
    {"sync.changes", query_sync_changes, 0, 0},
    {"sync.pending", query_sync_pending, 0, 0},
    {"sync.status", query_sync_status, 0, 0},
};

const command_def *command_find(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

#define REQUEST_MAX (4u << 20) /* 4 MiB: a marketplace order is a few KB */
#define AT_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define OP_MAX 128

/*
 * What cJSON lets through but JSON (RFC 8259) does not, or what C strings cannot hold: a raw
 * control character inside a string, and a \u0000 escape (it would cut the string short and
 * turn "A1\u0000X" into "A1"). Returns a message, or NULL when the text is fine.
 */
static const char *prescan(const char *s, size_t n) {
  int in_string = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\0') return "request contains a NUL byte";
    if (!in_string) {
      in_string = c == '"';
      continue;
    }
    if (c < 0x20) return "request has a raw control character inside a string";
    if (c == '"') in_string = 0;
    if (c == '\\' && i + 1 < n) {
      if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
        return "strings must not contain \\u0000";
      i++;
    }
  }
  return NULL;
}

/* The response text: {"ok":true,"result":...} (takes result) or the error. NULL: no memory. */
static char *respond(cJSON *result, const pd_err *err) {
  cJSON *r = cJSON_CreateObject(), *e;
  char *out = NULL;
  if (!r || j_add_bool(r, "ok", err == NULL)) goto done;
  if (!err) {
    if (j_add(r, "result", result)) {
      result = NULL;
      goto done;
    }
    result = NULL;
  } else {
    if (j_add(r, "error", e = cJSON_CreateObject()) || j_add_str(e, "code", err->code) ||
        j_add_str(e, "message", err->message) || (err->rule && j_add_str(e, "rule", err->rule)) ||
        (err->reason && j_add_str(e, "reason", err->reason)))
      goto done;
  }
  out = pd_json_keep(cJSON_PrintUnformatted(r));
done:
  cJSON_Delete(result);
  cJSON_Delete(r);
  return out;
}

char *api_respond(cJSON *result, const pd_err *err) { return respond(result, err); }

static char *respond_error(const char *code, const char *rule, const char *message) {
  pd_err err = {code, rule, NULL, ""};
  snprintf(err.message, sizeof err.message, "%s", message);
  return respond(NULL, &err);
}

/* Checks the envelope, then runs the command; fills k and returns 0, or -1 with k->err. */
static int run(cmd_ctx *k, const command_def **def, const char **op) {
  const char *cmd = j_get_str(k->req, "cmd");
  *def = NULL;
  *op = NULL;
  if (!cJSON_IsObject(k->req)) return fail(&k->rc, "BAD_REQUEST", NULL, "a request is a JSON object");
  if (!cmd) return fail(&k->rc, "BAD_REQUEST", NULL, "missing field cmd");
  if (!(*def = command_find(cmd)))
    return fail(&k->rc, "UNKNOWN_COMMAND", NULL, "unknown command %.64s", cmd);
  if (!j_get(k->req, "at")) return fail(&k->rc, "BAD_REQUEST", NULL, "missing field at");
  if (j_get_int(k->req, "at", 0, AT_MAX, &k->at))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field at must be an integer of milliseconds since the epoch");
  if (arg_text(k, "op", 0, OP_MAX, op)) return -1;
  /* conflict.dismiss {order_id, op} (docs/sync.md): its `op` names the refused operation, an
   * op id this shop has already applied, so it is an argument here, not an op id to apply at
   * most once (dismissing twice answers NOT_FOUND the second time and changes nothing). */
  if (strcmp((*def)->name, "conflict.dismiss") == 0) *op = NULL;
  return 0;
}

static char *exec(pd_shop *shop, const char *request, size_t len) {
  cmd_ctx k;
  memset(&k, 0, sizeof k);
  k.shop = shop;
  k.rc = (rule_ctx){shop, &k.txn, 0, &k.err};
  if (len > REQUEST_MAX) return respond_error("BAD_REQUEST", NULL, "request larger than 4 MiB");
  if (!j_valid_utf8((const unsigned char *)request, len))
    return respond_error("BAD_JSON", NULL, "request is not valid UTF-8");
  const char *bad = prescan(request, len);
  if (bad) return respond_error("BAD_JSON", NULL, bad);
  long failures = pd_alloc_failures();
  const char *end = NULL;
  cJSON *req = cJSON_ParseWithLengthOpts(request, len, &end, 0);
  if (!req && pd_alloc_failures() != failures) /* cJSON says "invalid" for out-of-memory too */
    return respond_error("OUT_OF_MEMORY", NULL, "out of memory; nothing was changed");
  if (!req) return respond_error("BAD_JSON", NULL, "request is not valid JSON");
  while (end < request + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
  if (end != request + len) {
    cJSON_Delete(req);
    return respond_error("BAD_JSON", NULL, "request has text after its JSON value");
  }
  k.req = req;

  const command_def *def;
  const char *op;
  char *out = NULL;
  applied_op *record = NULL;
  uint64_t print = 0;
  int rc = run(&k, &def, &op);
  k.rc.at = k.at;
  if (rc == 0 && def->mutating && op) {
    applied_op *seen = idmap_get(&shop->ops, op);
    /* The hash of the request's canonical text (cJSON's unformatted print), without printing it. */
    if (j_fingerprint(req, &print)) {
      rc = fail(&k.rc, "BAD_REQUEST", NULL, "the request cannot be fingerprinted");
    } else if (seen) { /* applied before: answer as then, or refuse a different command */
      out = seen->fingerprint == print
                ? pd_strdup(seen->response)
                : respond_error("CONFLICT", NULL, "this op id was already used for another command");
      goto done;
    }
  }
  shop->unreadable = 0;
  if (rc == 0) rc = def->fn(&k);
  if (shop->unreadable) { /* an order's body could not be read: nothing is decided without it */
    int oom = shop->unreadable == SHOP_UNREADABLE_OOM, later = shop->unreadable == SHOP_UNREADABLE_NOT_LOADED;
    out = respond_error(oom ? "OUT_OF_MEMORY" : later ? "NOT_LOADED" : "STORAGE", NULL,
                        oom ? "out of memory; nothing was changed" : shop->unreadable_why);
    if (later) shop->not_loaded++; /* the store's replay waits on it (store.c) */
    shop->unreadable = 0;
    goto done;
  }
  if (rc != 0) {
    out = respond(k.result, &k.err);
    k.result = NULL;
    goto done;
  }
  if (shop->replaying && !op) { /* its answer goes nowhere: building the text was the cost */
    out = pd_strdup("{\"ok\":true}");
  } else {
    out = respond(k.result, NULL);
    k.result = NULL;
  }
  if (!out) goto done;
  if (!def->mutating || (txn_is_empty(&k.txn) && !op)) goto done;
  if (op) {
    record = pd_calloc(1, sizeof *record);
    if (!record || !(record->op = pd_strdup(op))) goto oom;
    if (shop->replaying) { /* the answer goes nowhere else: kept, not copied (~0.8 MB at a full tail) */
      record->response = out;
      if (!(out = pd_strdup("{\"ok\":true}"))) goto oom;
    } else if (!(record->response = pd_strdup(out))) {
      goto oom;
    }
    record->fingerprint = print;
  }
  /* A device keeps what it did for the server (docs/sync.md): the request as received. */
  if (op && def->pending && shop->device_id && sync_capture(&k.txn, def->name, op, k.at, request, len))
    goto oom;
  if (shop_prepare(shop, &k.txn, op)) goto oom;
  shop->journaling = &k.txn;
  int unsaved = shop->journal && shop->journal(shop->journal_ud, request, len);
  shop->journaling = NULL;
  if (unsaved) {
    pd_free(out);
    out = respond_error("STORAGE", NULL, "the change could not be saved; nothing was changed");
    goto drop_record;
  }
  shop_commit(shop, &k.txn, record);
  goto done;
oom:
  pd_free(out);
  out = respond_error("OUT_OF_MEMORY", NULL, "out of memory; nothing was changed");
drop_record:
  applied_op_free(record);
done:
  txn_free(&k.txn);
  cJSON_Delete(k.result);
  cJSON_Delete(req);
  return out;
}

/* A command, its cJSON trees in the arena (alloc.h); the answer is the caller's. */
char *pd_exec(pd_shop *shop, const char *request, size_t len) {
  pd_alloc_init();
  pd_json_begin();
  char *out = exec(shop, request, len);
  pd_json_end();
  return out;
}

void pd_string_free(char *s) { pd_free(s); }
