/*
 * sync_base.c: sync.base {orders, acks, cursor}, the rebase of docs/sync.md, as one command:
 *   1. each given order state replaces the local order (or is added);
 *   2. each ack removes its pending operation; a refusal records a conflict on its order;
 *   3. every pending operation left whose order was given is applied again on the new base,
 *      in seq order (a refusal leaves it pending: the server decides);
 *   4. the cursor is kept.
 * Everything happens in the command's transaction (step 3 runs each operation in a
 * transaction of its own inside it, so a refusal drops only that operation's changes), and
 * depends only on the request and the shop: replaying the journal rebuilds the same shop.
 */
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "command.h"
#include "json.h"
#include "snapshot.h"
#include "sync.h"
#include "vec.h"

#define BASE_ORDERS_MAX 1000 /* the server sends ~500 a chunk */
#define BASE_ACKS_MAX 1000
#define ERROR_CODE_MAX 64
#define ERROR_RULE_MAX 16

typedef struct {
  PD_VEC(const char *) given; /* order ids of step 1 (borrowed from the request) */
  int64_t acked, conflicts, reapplied, refused;
} base_run;

static int is_given(const base_run *b, const char *order_id) {
  for (size_t i = 0; i < b->given.len; i++)
    if (strcmp(b->given.items[i], order_id) == 0) return 1;
  return 0;
}

/* The transaction's entry for order_id, or -1. */
static long txn_index(const shop_txn *t, const char *order_id) {
  for (size_t i = 0; i < t->orders.len; i++)
    if (strcmp(t->orders.items[i].work->id, order_id) == 0) return (long)i;
  return -1;
}

static int utf8(const char *s) { return !s || j_valid_utf8((const unsigned char *)s, strlen(s)); }

/* Every text of a decoded state is UTF-8: responses show them, and JSON is UTF-8. (The
 * vocabulary's words are checked by the reader; conflicts are dropped, not shown.) */
static int state_texts_valid(const order *o) {
  const char *const strings[] = {o->id, o->source, o->buyer_name, o->buyer_phone, o->address_full,
                                 o->address_region, o->buyer_message, o->carrier, o->tracking_number,
                                 o->shipping_point, o->handover_note, o->cancel_reason};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
    if (!utf8(strings[i])) return 0;
  for (size_t i = 0; i < o->lines.len; i++) {
    const order_line *l = &o->lines.items[i];
    if (!utf8(l->id) || !utf8(l->sku_id) || !utf8(l->seller_sku) || !utf8(l->product_name) || !utf8(l->sku_name))
      return 0;
  }
  for (size_t i = 0; i < o->requests.len; i++) {
    const order_request *q = &o->requests.items[i];
    if (!utf8(q->id) || !utf8(q->reason) || !utf8(q->answer_reason)) return 0;
  }
  for (size_t i = 0; i < o->timeline.len; i++)
    if (!utf8(o->timeline.items[i].detail)) return 0;
  return 1;
}

/* One given order: its state decoded and checked, into the transaction in place of the local
 * order. Conflicts are this device's own: the local order's stay, whatever the state holds. */
static int take_state(cmd_ctx *k, base_run *b, size_t i, const cJSON *item) {
  const char *id = cJSON_IsObject(item) ? j_get_str(item, "order_id") : NULL;
  const char *state = id ? j_get_str(item, "state") : NULL;
  if (!id || !*id || strlen(id) > ID_MAX || !state)
    return fail(&k->rc, "BAD_REQUEST", NULL,
                "orders[%zu] must be {order_id, state}, with an order id of at most %d bytes", i, ID_MAX);
  if (is_given(b, id)) return fail(&k->rc, "BAD_REQUEST", NULL, "orders[%zu]: order %s is given twice", i, id);
  unsigned char *bytes;
  size_t n;
  int rc = base64_decode(state, strlen(state), &bytes, &n);
  if (rc == -2) return fail_oom(&k->rc);
  if (rc) return fail(&k->rc, "BAD_REQUEST", NULL, "orders[%zu].state is not base64", i);
  long failures = pd_alloc_failures();
  bytes_reader r = {bytes, n, 0, 0, 0};
  order *o = snapshot_read_state(&r);
  pd_free(bytes);
  if (!o && pd_alloc_failures() != failures) return fail_oom(&k->rc);
  if (o && !state_texts_valid(o)) {
    order_free(o);
    return fail(&k->rc, "BAD_REQUEST", NULL, "orders[%zu].state holds text that is not UTF-8", i);
  }
  if (!o) return fail(&k->rc, "BAD_REQUEST", NULL, "orders[%zu].state is not an order state", i);
  if (strcmp(o->id, id) != 0) {
    fail(&k->rc, "BAD_REQUEST", NULL, "orders[%zu].state is order %.64s, not %s", i, o->id, id);
    order_free(o);
    return -1;
  }
  order_slot *slot = shop_slot(k->shop, id);
  order *local = slot ? shop_order(k->shop, slot) : NULL;
  if (slot && !local) { /* unreadable: pd_exec answers why */
    order_free(o);
    return fail_oom(&k->rc);
  }
  while (o->conflicts.len) order_remove_conflict(o, o->conflicts.items[0].op);
  for (size_t c = 0; local && c < local->conflicts.len; c++)
    if (order_add_conflict(o, &local->conflicts.items[c])) {
      order_free(o);
      return fail_oom(&k->rc);
    }
  if (VEC_GROW(b->given) || VEC_GROW(k->txn.orders)) {
    order_free(o);
    return fail_oom(&k->rc);
  }
  k->txn.orders.items[k->txn.orders.len++] = (txn_order){local, o, slot, 1};
  b->given.items[b->given.len++] = id;
  return 0;
}

/* A string member of at most max bytes: 0 (*out NULL when absent and optional), or -1. */
static int error_text(const cJSON *e, const char *key, size_t max, int required, const char **out) {
  const cJSON *v = j_get(e, key);
  *out = NULL;
  if (!v) return required ? -1 : 0;
  if (!cJSON_IsString(v) || strlen(v->valuestring) > max || (required && !*v->valuestring)) return -1;
  *out = v->valuestring;
  return 0;
}

/* The newest event of o's timeline (the latest `at`; the later entry on a tie), or NULL. */
static const timeline_entry *newest_event(const order *o) {
  const timeline_entry *best = NULL;
  for (size_t i = 0; i < o->timeline.len; i++)
    if (!best || o->timeline.items[i].at >= best->at) best = &o->timeline.items[i];
  return best;
}

/* A refused operation: a conflict on its order, `because` the server's newest event when the
 * server sent the order. An operation of no order here (shop-wide, or an order this device
 * does not hold) has nowhere to be shown: its ack only ends it. */
static int record_conflict(cmd_ctx *k, base_run *b, const pending_op *p, const char *code,
                           const char *rule, const char *message) {
  int oom;
  if (!p->order_id) return 0;
  order *o = txn_edit(k->shop, &k->txn, p->order_id, &oom);
  if (!o) return oom ? fail_oom(&k->rc) : 0;
  const timeline_entry *why = is_given(b, p->order_id) ? newest_event(o) : NULL;
  order_conflict c = {(char *)p->op, (char *)p->cmd, p->at, (char *)code, (char *)rule, (char *)message,
                      why ? why->event : NULL, why ? why->at : 0};
  if (order_add_conflict(o, &c)) return fail_oom(&k->rc);
  k->txn.orders.items[txn_index(&k->txn, p->order_id)].keep_version = 0;
  b->conflicts++;
  return 0;
}

/* Step 2: every ack is checked before any is applied. */
static int take_acks(cmd_ctx *k, base_run *b, const cJSON *acks) {
  size_t i = 0;
  const cJSON *a;
  cJSON_ArrayForEach(a, acks) {
    int64_t seq;
    const cJSON *ok = j_get(a, "ok"), *err = j_get(a, "error");
    const char *code = NULL, *rule = NULL, *message = NULL;
    if (!cJSON_IsObject(a) || j_get_int(a, "seq", 1, (int64_t)SYNC_VERSION_MAX, &seq) || !cJSON_IsBool(ok))
      return fail(&k->rc, "BAD_REQUEST", NULL, "acks[%zu] must be {seq, ok, error?}: a positive seq, ok true or false", i);
    if (err && !cJSON_IsObject(err))
      return fail(&k->rc, "BAD_REQUEST", NULL, "acks[%zu].error must be an object", i);
    if (cJSON_IsFalse(ok) &&
        (!err || error_text(err, "code", ERROR_CODE_MAX, 1, &code) ||
         error_text(err, "message", TEXT_MAX, 1, &message) || error_text(err, "rule", ERROR_RULE_MAX, 0, &rule)))
      return fail(&k->rc, "BAD_REQUEST", NULL,
                  "acks[%zu]: a refusal needs error {code, message, rule?} (strings of at most %d, %d, %d bytes)",
                  i, ERROR_CODE_MAX, TEXT_MAX, ERROR_RULE_MAX);
    const pending_op *p = sync_pending_find(k->shop, (uint64_t)seq);
    if (!p) return fail(&k->rc, "NOT_FOUND", NULL, "acks[%zu]: no pending operation %lld", i, (long long)seq);
    for (size_t j = 0; j < k->txn.sync.acked.len; j++)
      if (k->txn.sync.acked.items[j] == (uint64_t)seq)
        return fail(&k->rc, "BAD_REQUEST", NULL, "acks[%zu]: seq %lld is acknowledged twice", i, (long long)seq);
    if (VEC_GROW(k->txn.sync.acked)) return fail_oom(&k->rc);
    k->txn.sync.acked.items[k->txn.sync.acked.len++] = (uint64_t)seq;
    if (cJSON_IsFalse(ok) && record_conflict(k, b, p, code, rule, message)) return -1;
    b->acked++;
    i++;
  }
  return 0;
}

static int was_acked(const cmd_ctx *k, uint64_t seq) {
  for (size_t i = 0; i < k->txn.sync.acked.len; i++)
    if (k->txn.sync.acked.items[i] == seq) return 1;
  return 0;
}

/* Step 3 for one operation: its command runs again, as first received, inside this
 * transaction; the dedupe of op ids is not asked (it would answer as before). Its stored
 * answer becomes this one. Messages and notifications it makes again are dropped: the first
 * application already made them on this device. */
static int reapply(cmd_ctx *k, base_run *b, const pending_op *p) {
  long failures = pd_alloc_failures();
  const command_def *def = command_find(p->cmd);
  cmd_ctx sub;
  memset(&sub, 0, sizeof sub);
  sub.shop = k->shop;
  sub.txn.parent = &k->txn;
  sub.rc = (rule_ctx){k->shop, &sub.txn, 0, &sub.err};
  cJSON *req = cJSON_ParseWithLength(p->request, strlen(p->request));
  sub.req = req;
  int rc;
  if (!req || !def || j_get_int(req, "at", 0, INT64_MAX, &sub.at)) { /* it was read once: cannot be */
    rc = fail(&sub.rc, "BAD_REQUEST", NULL, "the stored request cannot be read again");
  } else {
    sub.rc.at = sub.at;
    rc = def->fn(&sub);
  }
  char *answer = NULL;
  if (pd_alloc_failures() == failures) {
    answer = api_respond(sub.result, rc ? &sub.err : NULL);
    sub.result = NULL;
  }
  applied_op *rec = idmap_get(&k->shop->ops, p->op);
  int oom = pd_alloc_failures() != failures || !answer || (rec && VEC_GROW(k->txn.sync.answers)) ||
            (rc == 0 && txn_merge_orders(&k->txn, &sub.txn));
  if (!oom && rec) {
    k->txn.sync.answers.items[k->txn.sync.answers.len++] = (op_answer){rec, answer};
    answer = NULL;
  }
  if (!oom) {
    if (rc == 0) b->reapplied++;
    else b->refused++;
  }
  pd_free(answer);
  cJSON_Delete(sub.result);
  txn_free(&sub.txn);
  cJSON_Delete(req);
  return oom ? fail_oom(&k->rc) : 0;
}

int cmd_sync_base(cmd_ctx *k) {
  const cJSON *orders = j_get(k->req, "orders"), *acks = j_get(k->req, "acks"), *item;
  int64_t cursor = 0;
  pd_shop *s = k->shop;
  base_run b;
  int rc = -1;
  memset(&b, 0, sizeof b);
  if (orders && !cJSON_IsArray(orders))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field orders must be an array of {order_id, state}");
  if (acks && !cJSON_IsArray(acks))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field acks must be an array of {seq, ok, error?}");
  if (cJSON_GetArraySize(orders) > BASE_ORDERS_MAX || cJSON_GetArraySize(acks) > BASE_ACKS_MAX)
    return fail(&k->rc, "BAD_REQUEST", NULL, "at most %d orders and %d acks at a time", BASE_ORDERS_MAX,
                BASE_ACKS_MAX);
  if (arg_int(k, "cursor", 0, 0, (int64_t)SYNC_VERSION_MAX, &cursor)) return -1;
  size_t i = 0;
  cJSON_ArrayForEach(item, orders) /* step 1 */
    if (take_state(k, &b, i++, item)) goto done;
  if (acks && take_acks(k, &b, acks)) goto done; /* step 2 */
  for (size_t p = 0; p < s->pending.len; p++) { /* step 3 */
    const pending_op *op = &s->pending.items[p];
    if (!was_acked(k, op->seq) && op->order_id && is_given(&b, op->order_id) && reapply(k, &b, op)) goto done;
  }
  if (j_get(k->req, "cursor") && (uint64_t)cursor != s->cursor) { /* step 4 */
    k->txn.sync.cursor_set = 1;
    k->txn.sync.cursor = (uint64_t)cursor;
  }
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_int(k->result, "orders", (int64_t)b.given.len) ||
      j_add_int(k->result, "acked", b.acked) || j_add_int(k->result, "conflicts", b.conflicts) ||
      j_add_int(k->result, "reapplied", b.reapplied) || j_add_int(k->result, "refused", b.refused) ||
      j_add_int(k->result, "pending", (int64_t)s->pending.len - b.acked) ||
      j_add_int(k->result, "cursor", (int64_t)(k->txn.sync.cursor_set ? k->txn.sync.cursor : s->cursor))) {
    fail_oom(&k->rc);
    goto done;
  }
  rc = 0;
done:
  pd_free(b.given.items);
  return rc;
}
