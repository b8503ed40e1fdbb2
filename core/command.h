/*
 * command.h: one command's context, and the table of every command of the protocol.
 * Handlers read their arguments, work through ctx->txn (never the shop directly) and leave
 * ctx->result; api.c does the envelope, the op ids, the journal and the commit.
 */
#ifndef PD_COMMAND_H
#define PD_COMMAND_H

#include "cJSON.h"
#include "rules.h"
#include "shop.h"

typedef struct {
  pd_shop *shop;
  const cJSON *req;
  pd_ms at;
  shop_txn txn;
  pd_err err;
  rule_ctx rc;    /* {shop, &txn, at, &err} */
  cJSON *result;  /* set by a handler that succeeds */
} cmd_ctx;

typedef int (*cmd_fn)(cmd_ctx *k);

typedef struct {
  const char *name;
  cmd_fn fn;
  int mutating; /* 1: journaled, op ids apply; 0: a query */
  /* 1: on a paired shop, a command with an op is kept as pending for the server (sync.c).
   * Not tick (each side's time runs on its own), not sync.*, and not what only means something
   * on this device: its notification and outbox ids, its conflicts. */
  int pending;
} command_def;

const command_def *command_find(const char *name);

/* The response text for a result (taken) or an error: what pd_exec answers. NULL: no memory. */
char *api_respond(cJSON *result, const pd_err *err);

/* Argument readers: 0 (with *out NULL when an optional one is absent), or -1 with a
 * BAD_REQUEST naming the field. Strings must be non-empty and at most maxlen bytes. */
int arg_text(cmd_ctx *k, const char *name, int required, size_t maxlen, const char **out);
int arg_enum(cmd_ctx *k, const char *name, const char *const *names, int count, int *out);
int arg_int(cmd_ctx *k, const char *name, int required, int64_t lo, int64_t hi, int64_t *out);
/* The working copy of the order named by `order_id`, with time advanced to `at`. */
order *arg_order(cmd_ctx *k);
/* result = {"order": summary of o} plus whatever the caller adds. */
int result_order(cmd_ctx *k, const order *o);

/* Handlers, by file. */
int cmd_import(cmd_ctx *k);
int cmd_tick(cmd_ctx *k);
int cmd_policy_set(cmd_ctx *k);
int cmd_product_set(cmd_ctx *k);
int cmd_notifications_read(cmd_ctx *k);
int cmd_outbox_ack(cmd_ctx *k);
int query_order_get(cmd_ctx *k);
int query_orders_list(cmd_ctx *k);
int query_orders_export(cmd_ctx *k);
int query_stats(cmd_ctx *k);
int query_metrics(cmd_ctx *k);
int query_notifications(cmd_ctx *k);
int query_outbox(cmd_ctx *k);
int query_policy(cmd_ctx *k);
/* sync (command_sync.c, sync_base.c; docs/sync.md) */
int cmd_sync_pair(cmd_ctx *k);
int cmd_sync_base(cmd_ctx *k);
int cmd_conflict_dismiss(cmd_ctx *k);
int query_sync_changes(cmd_ctx *k);
int query_sync_pending(cmd_ctx *k);
int query_sync_status(cmd_ctx *k);

#define ID_MAX 64
#define TEXT_MAX 1000

#endif
