/*
 * test_sync.c: the rebase of docs/sync.md with two shops in one process, a "server" (never
 * paired) and a "device" (paired). The device works offline while the server applies a
 * conflicting operation first; then push (the device's pending requests applied on the
 * server), pull (sync.changes) and sync.base. The device must end with exactly the server's
 * orders plus its still-pending operations, and the conflict recorded with its `because`.
 *
 * The same flow runs three ways: with every allocation of every device command failed in turn
 * (each failure leaves the device byte-identical, then it ends as a twin that never failed),
 * with its journal replayed into a fresh shop (byte-identical), and on a store that is
 * checkpointed and reopened. shop_check() runs after every device command.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "base64.h"
#include "cJSON.h"
#include "packdesk.h"
#include "scenario.h"
#include "shop.h"
#include "shop_check.h"
#include "snapshot.h"
#include "tempdir.h"
#include "unit.h"

#define T0 1764230400000LL /* 2025-11-27 08:00 UTC */
#define MIN 60000LL
#define APPROVED_AT (T0 + 118 * MIN) /* 09:58: the server approves the buyer's cancellation */

/* ---- the whole shop as bytes, and its orders as the server would see them ---- */

static void shop_bytes(pd_shop *s, bytes_writer *w) {
  snapshot_write_shop(w, s);
  for (size_t i = 0; i < s->by_seq.len; i++)
    if (s->by_seq.items[i]) snapshot_write_order(w, shop_order(s, s->by_seq.items[i]));
  for (size_t i = 0; i < s->op_list.len; i++)
    if (s->op_list.items[i]) {
      snapshot_write_op(w, s->op_list.items[i]);
      bw_u64(w, s->op_list.items[i]->seq);
    }
}

static int same_bytes(pd_shop *a, pd_shop *b) {
  bytes_writer x = {0}, y = {0};
  shop_bytes(a, &x);
  shop_bytes(b, &y);
  int same = !x.failed && !y.failed && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
  bw_free(&x);
  bw_free(&y);
  return same;
}

/* An order's encoding without what is each shop's own: its seq, its version, its conflicts. */
static void order_bytes(const order *o, bytes_writer *w) {
  order *c = order_clone(o);
  if (!c) {
    w->failed = 1;
    return;
  }
  c->seq = 0;
  c->version = 0;
  while (c->conflicts.len) order_remove_conflict(c, c->conflicts.items[0].op);
  snapshot_write_order(w, c);
  order_free(c);
}

/* Every order of a is in b, the same in all but seq, version and conflicts, and b has no other. */
static int same_orders(pd_shop *a, pd_shop *b) {
  if (a->orders.len != b->orders.len) {
    fprintf(stderr, "  %zu orders against %zu\n", a->orders.len, b->orders.len);
    return 0;
  }
  for (size_t i = 0; i < a->by_seq.len; i++) {
    const order *o = a->by_seq.items[i] ? shop_order(a, a->by_seq.items[i]) : NULL;
    const order *p = o ? shop_find(b, o->id) : NULL;
    if (!o) continue;
    bytes_writer x = {0}, y = {0};
    order_bytes(o, &x);
    if (p) order_bytes(p, &y);
    int same = p && !x.failed && !y.failed && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    bw_free(&x);
    bw_free(&y);
    if (!same) {
      fprintf(stderr, "  order %s differs\n", o->id);
      return 0;
    }
  }
  return 1;
}

/* ---- running commands ---- */

static int is_ok(const char *r) { return r && strncmp(r, "{\"ok\":true", 10) == 0; }

/* A query or command on a shop with no faults; the response parsed (never NULL). */
static cJSON *run(pd_shop *s, const char *req) {
  char *r = pd_exec(s, req, strlen(req));
  UNIT_CHECK(is_ok(r));
  if (!is_ok(r)) fprintf(stderr, "  %.200s\n  -> %.300s\n", req, r ? r : "NULL");
  cJSON *j = cJSON_Parse(r ? r : "{}");
  pd_string_free(r);
  return j ? j : cJSON_CreateObject();
}

static void run_free(pd_shop *s, const char *req) { cJSON_Delete(run(s, req)); }

typedef struct {
  char *lines[64];
  int count;
} journal_log;

static int record(void *ud, const char *req, size_t len) {
  journal_log *j = ud;
  if (j->count == 64) return -1;
  j->lines[j->count] = malloc(len + 1);
  memcpy(j->lines[j->count], req, len);
  j->lines[j->count++][len] = '\0';
  return 0;
}

typedef struct {
  pd_shop *shop;   /* the device */
  pd_store *store; /* when the device is a store: commands go through it */
  pd_shop *twin;   /* the same commands, never failed */
  int faults;      /* fail each allocation of each command in turn */
  long injected;
  journal_log log;
} device;

/* Fails allocation 1, 2, 3, ... of req until it gets through: each failure must answer
 * OUT_OF_MEMORY and leave the shop byte-identical, with its invariants whole. */
static char *exec_faulted(device *d, const char *req) {
  for (long n = 1;; n++) {
    bytes_writer before = {0}, after = {0};
    shop_bytes(d->shop, &before);
    pd_alloc_fail_after(n);
    char *r = pd_exec(d->shop, req, strlen(req));
    pd_alloc_fail_after(0);
    if (r && !strstr(r, "\"code\":\"OUT_OF_MEMORY\"")) {
      bw_free(&before);
      return r;
    }
    d->injected++;
    shop_bytes(d->shop, &after);
    int same = before.len == after.len && memcmp(before.data, after.data, before.len) == 0;
    const char *why = shop_check(d->shop);
    UNIT_CHECK(same && why == NULL);
    bw_free(&before);
    bw_free(&after);
    pd_string_free(r);
    if (!same || why) {
      fprintf(stderr, "  allocation %ld of %.120s: %s\n", n, req, why ? why : "the shop changed");
      return pd_exec(d->shop, req, strlen(req));
    }
  }
}

/* A device command: on the device (faulted or through its store) and on its twin; both must
 * answer the same and stay the same. */
static cJSON *dev(device *d, const char *req) {
  char *r = d->store ? pd_store_exec(d->store, req, strlen(req))
            : d->faults ? exec_faulted(d, req)
                        : pd_exec(d->shop, req, strlen(req));
  char *t = pd_exec(d->twin, req, strlen(req));
  UNIT_CHECK(is_ok(r) && t && strcmp(r, t) == 0);
  if (!is_ok(r) || !t || strcmp(r, t) != 0) fprintf(stderr, "  %.200s\n  -> %.300s\n  twin %.300s\n", req, r, t);
  const char *why = shop_check(d->shop);
  UNIT_CHECK(why == NULL && same_bytes(d->shop, d->twin));
  if (why) fprintf(stderr, "  after %.120s: %s\n", req, why);
  cJSON *j = cJSON_Parse(r ? r : "{}");
  pd_string_free(r);
  pd_string_free(t);
  return j ? j : cJSON_CreateObject();
}

static void dev_free(device *d, const char *req) { cJSON_Delete(dev(d, req)); }

static const cJSON *path(const cJSON *j, const char *a, const char *b) {
  j = cJSON_GetObjectItemCaseSensitive(j, a);
  return b ? cJSON_GetObjectItemCaseSensitive(j, b) : j;
}

static int64_t int_at(const cJSON *j, const char *a, const char *b) {
  const cJSON *v = path(j, a, b);
  return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/* ---- the sync client's three steps, by hand ---- */

/* Push: the device's pending requests, applied on the server in seq order; the acks. */
static cJSON *push(pd_shop *server, device *d) {
  cJSON *pending = dev(d, "{\"cmd\":\"sync.pending\",\"at\":1,\"limit\":1000}");
  cJSON *acks = cJSON_CreateArray(), *op;
  cJSON_ArrayForEach(op, path(pending, "result", "ops")) {
    const char *req = cJSON_GetObjectItemCaseSensitive(op, "request")->valuestring;
    char *r = pd_exec(server, req, strlen(req));
    cJSON *resp = cJSON_Parse(r), *ack = cJSON_CreateObject();
    cJSON_AddNumberToObject(ack, "seq", cJSON_GetObjectItemCaseSensitive(op, "seq")->valuedouble);
    cJSON_AddBoolToObject(ack, "ok", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok")));
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok")))
      cJSON_AddItemToObject(ack, "error", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(resp, "error"), 1));
    cJSON_AddItemToArray(acks, ack);
    cJSON_Delete(resp);
    pd_string_free(r);
  }
  cJSON_Delete(pending);
  UNIT_CHECK(shop_check(server) == NULL);
  return acks;
}

/* Pull: the server's changes since `since` (plus `include`'s orders whatever their version),
 * as a sync.base request with the acks and the server's version as cursor. */
static char *pull(pd_shop *server, int64_t since, const char *include, const cJSON *acks, int64_t *cursor) {
  char req[160];
  snprintf(req, sizeof req, "{\"cmd\":\"sync.changes\",\"at\":1,\"since\":%lld,\"limit\":2000}", (long long)since);
  cJSON *ch = run(server, req), *base = cJSON_CreateObject(), *orders = cJSON_CreateArray(), *c;
  cJSON_ArrayForEach(c, path(ch, "result", "changes")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "order_id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "order_id"), 0));
    cJSON_AddItemToObject(o, "state", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "state"), 0));
    cJSON_AddItemToArray(orders, o);
  }
  if (include) { /* what the server's pull does for `include`: the order's current state */
    cJSON *all = run(server, "{\"cmd\":\"sync.changes\",\"at\":1,\"since\":0,\"limit\":2000}");
    cJSON_ArrayForEach(c, path(all, "result", "changes")) {
      const char *id = cJSON_GetObjectItemCaseSensitive(c, "order_id")->valuestring;
      int have = 0;
      const cJSON *g;
      cJSON_ArrayForEach(g, orders) have |= strcmp(cJSON_GetObjectItemCaseSensitive(g, "order_id")->valuestring, id) == 0;
      if (strcmp(id, include) != 0 || have) continue;
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "order_id", id);
      cJSON_AddItemToObject(o, "state", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "state"), 0));
      cJSON_AddItemToArray(orders, o);
    }
    cJSON_Delete(all);
  }
  *cursor = int_at(ch, "result", "version");
  cJSON_AddStringToObject(base, "cmd", "sync.base");
  cJSON_AddNumberToObject(base, "at", 1);
  cJSON_AddItemToObject(base, "orders", orders);
  if (acks) cJSON_AddItemToObject(base, "acks", cJSON_Duplicate(acks, 1));
  cJSON_AddNumberToObject(base, "cursor", (double)*cursor);
  char *text = cJSON_PrintUnformatted(base);
  cJSON_Delete(base);
  cJSON_Delete(ch);
  return text;
}

/* ---- the flow ---- */

#define IMPORT(id, sku)                                                                              \
  "{\"cmd\":\"order.import\",\"at\":1764230400000,\"op\":\"mkt-" id "\",\"order\":{\"id\":\"" id    \
  "\",\"placed_at\":1764230400000,\"paid_at\":1764230400000,\"currency\":\"VND\",\"lines\":[{\"id\":" \
  "\"L1\",\"sku\":\"" sku "\",\"quantity\":1,\"unit_price\":1000}]}}"

static const char *const still_pending[] = {
    "{\"cmd\":\"pack.confirm\",\"at\":1764237780000,\"op\":\"d1-4\",\"order_id\":\"B2\",\"item\":\"no_promo_inserts\"}",
    "{\"cmd\":\"line.check\",\"at\":1764237840000,\"op\":\"d1-5\",\"order_id\":\"C3\",\"line_id\":\"L1\",\"result\":\"ok\"}",
};

/* The conflict the flow must leave on A1: the device's confirm, refused because the server
 * had approved the cancellation at 09:58. */
static void check_conflict(pd_shop *s) {
  const order *a1 = shop_find(s, "A1");
  UNIT_CHECK(a1 && a1->conflicts.len == 1);
  if (!a1 || a1->conflicts.len != 1) return;
  const order_conflict *c = &a1->conflicts.items[0];
  UNIT_CHECK_STR(c->op, "d1-1");
  UNIT_CHECK_STR(c->cmd, "order.confirm");
  UNIT_CHECK_INT(c->at, T0 + 120 * MIN);
  UNIT_CHECK_STR(c->code, "ILLEGAL_TRANSITION");
  UNIT_CHECK_STR(c->because_event, "cancelled");
  UNIT_CHECK_INT(c->because_at, APPROVED_AT);
  UNIT_CHECK(a1->stage == STAGE_CANCELLED);
}

static void flow(device *d) {
  pd_shop *server = pd_shop_new();
  int64_t cursor = 0;
  run_free(server, IMPORT("A1", "SKU-1")); /* the marketplace's orders reach the server */
  run_free(server, IMPORT("B2", "SKU-2"));
  run_free(server, IMPORT("C3", "SKU-3"));
  run_free(server, "{\"cmd\":\"line.check\",\"at\":1764230460000,\"order_id\":\"A1\",\"line_id\":\"L1\",\"result\":\"ok\"}");
  run_free(server, "{\"cmd\":\"line.check\",\"at\":1764230460000,\"order_id\":\"B2\",\"line_id\":\"L1\",\"result\":\"ok\"}");

  UNIT_TEST("sync: a paired device takes the server's orders");
  dev_free(d, "{\"cmd\":\"sync.pair\",\"at\":1764230500000,\"device_id\":\"d1\"}");
  char *base = pull(server, 0, NULL, NULL, &cursor);
  cJSON *r = dev(d, base);
  UNIT_CHECK_INT(int_at(r, "result", "orders"), 3);
  cJSON_Delete(r);
  free(base);
  UNIT_CHECK(same_orders(server, d->shop));
  UNIT_CHECK_INT(d->shop->cursor, cursor);

  UNIT_TEST("sync: offline work, a conflicting server change, push, pull, rebase");
  dev_free(d, "{\"cmd\":\"order.confirm\",\"at\":1764237600000,\"op\":\"d1-1\",\"order_id\":\"A1\"}");
  dev_free(d, "{\"cmd\":\"order.confirm\",\"at\":1764237660000,\"op\":\"d1-2\",\"order_id\":\"B2\"}");
  dev_free(d, "{\"cmd\":\"pack.scan\",\"at\":1764237720000,\"op\":\"d1-3\",\"order_id\":\"B2\",\"sku\":\"SKU-2\"}");
  run_free(server, "{\"cmd\":\"request.open\",\"at\":1764235800000,\"op\":\"mkt-r1\",\"order_id\":\"A1\",\"kind\":\"cancel\",\"reason\":\"ordered twice\"}");
  run_free(server, "{\"cmd\":\"request.approve\",\"at\":1764237480000,\"op\":\"mkt-r2\",\"request_id\":\"A1/r1\"}");
  cJSON *acks = push(server, d);
  UNIT_CHECK_INT(cJSON_GetArraySize(acks), 3);
  UNIT_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(acks, 0), "ok")));
  for (size_t i = 0; i < 2; i++) dev_free(d, still_pending[i]); /* after the push: not in it */
  base = pull(server, cursor, "A1", acks, &cursor);
  r = dev(d, base);
  free(base);
  cJSON_Delete(acks);
  UNIT_CHECK_INT(int_at(r, "result", "orders"), 2); /* A1 and B2 changed on the server */
  UNIT_CHECK_INT(int_at(r, "result", "acked"), 3);
  UNIT_CHECK_INT(int_at(r, "result", "conflicts"), 1);
  UNIT_CHECK_INT(int_at(r, "result", "reapplied"), 1); /* d1-4 on B2; d1-5's C3 was not given */
  UNIT_CHECK_INT(int_at(r, "result", "refused"), 0);
  UNIT_CHECK_INT(int_at(r, "result", "pending"), 2);
  cJSON_Delete(r);
  check_conflict(d->shop);

  /* What the device must now be: the server's orders, then its two pending operations. */
  pd_shop *expect = pd_shop_new();
  base = pull(server, 0, NULL, NULL, &cursor);
  run_free(expect, base);
  free(base);
  for (size_t i = 0; i < 2; i++) run_free(expect, still_pending[i]);
  UNIT_CHECK(same_orders(expect, d->shop));
  UNIT_CHECK(shop_check(expect) == NULL);
  pd_shop_free(expect);
  r = dev(d, "{\"cmd\":\"sync.status\",\"at\":1764237900000}");
  UNIT_CHECK_INT(int_at(r, "result", "pending"), 2);
  UNIT_CHECK_INT(int_at(r, "result", "conflicts"), 1);
  UNIT_CHECK_INT(int_at(r, "result", "cursor"), cursor);
  cJSON_Delete(r);

  UNIT_TEST("sync: the next round leaves the device equal to the server, the conflict kept");
  acks = push(server, d);
  base = pull(server, cursor, "A1", acks, &cursor); /* A1 again: a replace keeps the conflict */
  r = dev(d, base);
  free(base);
  cJSON_Delete(acks);
  UNIT_CHECK_INT(int_at(r, "result", "acked"), 2);
  UNIT_CHECK_INT(int_at(r, "result", "conflicts"), 0);
  UNIT_CHECK_INT(int_at(r, "result", "pending"), 0);
  cJSON_Delete(r);
  UNIT_CHECK(same_orders(server, d->shop));
  check_conflict(d->shop);
  dev_free(d, "{\"cmd\":\"conflict.dismiss\",\"at\":1764238000000,\"op\":\"d1-1\",\"order_id\":\"A1\"}");
  UNIT_CHECK(shop_find(d->shop, "A1")->conflicts.len == 0 && d->shop->metrics.conflicts == 0);
  UNIT_CHECK(shop_check(server) == NULL);
  pd_shop_free(server);
}

static void sync_faults_and_replay(void) {
  device d;
  memset(&d, 0, sizeof d);
  d.shop = pd_shop_new();
  d.twin = pd_shop_new();
  d.faults = 1;
  pd_set_journal(d.shop, record, &d.log);
  flow(&d);
  UNIT_TEST("sync: every allocation of every device command failed in turn");
  UNIT_CHECK(d.injected > 500);

  UNIT_TEST("sync: replaying the device's journal rebuilds it byte for byte");
  pd_shop *replayed = pd_shop_new();
  for (int i = 0; i < d.log.count; i++) {
    char *r = pd_exec(replayed, d.log.lines[i], strlen(d.log.lines[i]));
    UNIT_CHECK(is_ok(r));
    pd_string_free(r);
    UNIT_CHECK(shop_check(replayed) == NULL);
  }
  UNIT_CHECK(d.log.count == 10); /* pair, 3 bases, 5 operations, a dismissal */
  UNIT_CHECK(same_bytes(d.shop, replayed));
  pd_shop_free(replayed);
  for (int i = 0; i < d.log.count; i++) free(d.log.lines[i]);
  pd_shop_free(d.shop);
  pd_shop_free(d.twin);
}

static void sync_store(void) {
  UNIT_TEST("sync: a device store keeps versions, pending operations, cursor and conflicts");
  char tmpl[] = "/tmp/pdsync-XXXXXX";
  char *dir = mkdtemp(tmpl);
  device d;
  memset(&d, 0, sizeof d);
  d.store = pd_store_open(dir, 0, NULL);
  UNIT_CHECK(d.store != NULL);
  if (!d.store) return;
  d.shop = pd_store_shop(d.store);
  d.twin = pd_shop_new();
  flow(&d);
  /* Reopened from the journal alone, then from a checkpoint, then from both. */
  for (int round = 0; round < 3; round++) {
    if (round == 1) UNIT_CHECK(pd_store_checkpoint(d.store) == 0);
    if (round == 2) dev_free(&d, "{\"cmd\":\"message.send\",\"at\":1764238100000,\"op\":\"d1-9\",\"order_id\":\"B2\",\"text\":\"Packed today\"}");
    pd_store_close(d.store);
    pd_store_report rep;
    d.store = pd_store_open(dir, 0, &rep);
    UNIT_CHECK(d.store && !rep.damaged);
    if (!d.store) break;
    d.shop = pd_store_shop(d.store);
    UNIT_CHECK(same_bytes(d.shop, d.twin));
    UNIT_CHECK(shop_check(d.shop) == NULL);
  }
  UNIT_CHECK(d.shop && d.shop->pending.len == 1 && d.shop->device_id && d.shop->version > 10);
  pd_store_close(d.store);
  pd_shop_free(d.twin);
  rm_rf(dir);
}

/* A store written before sync existed (format 1, tests/unit/fixtures/store-v1, made by the
 * first scenario_count_v1 scenario commands) opens whole; its orders have version 0 until
 * they change, and sync.changes since 0 still lists them. */
static void sync_store_v1(void) {
  UNIT_TEST("sync: a store of format 1 still opens, and is written as format 2 after");
  char tmpl[] = "/tmp/pdv1-XXXXXX", src[4096], dst[4096];
  char *dir = mkdtemp(tmpl);
  DIR *fx = opendir("tests/unit/fixtures/store-v1");
  struct dirent *e;
  UNIT_CHECK(fx != NULL);
  while (fx && (e = readdir(fx))) {
    if (e->d_name[0] == '.') continue;
    snprintf(src, sizeof src, "tests/unit/fixtures/store-v1/%s", e->d_name);
    snprintf(dst, sizeof dst, "%s/%s", dir, e->d_name);
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char buf[4096];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
  }
  if (fx) closedir(fx);
  pd_shop *ref = pd_shop_new();
  for (int i = 0; i < scenario_count_v1; i++) run_free(ref, scenario_commands[i]);
  static const char *const observe[] = {"{\"cmd\":\"orders.export\",\"at\":1766000000001,\"limit\":1000}",
                                        "{\"cmd\":\"stats\",\"at\":1766000000001}",
                                        "{\"cmd\":\"metrics\",\"at\":1766000000001}",
                                        "{\"cmd\":\"outbox.list\",\"at\":1766000000001}",
                                        "{\"cmd\":\"notifications.list\",\"at\":1766000000001}"};
  for (int round = 0; round < 2; round++) {
    pd_store_report rep;
    pd_store *st = pd_store_open(dir, 0, &rep);
    UNIT_CHECK(st && !rep.damaged && rep.orders == 3);
    if (!st) {
      fprintf(stderr, "  %s\n", rep.message);
      break;
    }
    pd_shop *s = pd_store_shop(st);
    for (size_t i = 0; i < sizeof observe / sizeof *observe; i++) {
      char *a = pd_exec(s, observe[i], strlen(observe[i])), *b = pd_exec(ref, observe[i], strlen(observe[i]));
      UNIT_CHECK(is_ok(a) && b && strcmp(a, b) == 0);
      pd_string_free(a);
      pd_string_free(b);
    }
    UNIT_CHECK(shop_check(s) == NULL);
    cJSON *ch = run(s, "{\"cmd\":\"sync.changes\",\"at\":1766000000001,\"since\":0}");
    UNIT_CHECK_INT(cJSON_GetArraySize(path(ch, "result", "changes")), 3);
    cJSON_Delete(ch);
    if (round == 0) { /* a change and a checkpoint: format 2 files beside format 1 pages */
      char *r = pd_store_exec(st, scenario_commands[scenario_count_v1], strlen(scenario_commands[scenario_count_v1]));
      UNIT_CHECK(is_ok(r));
      pd_string_free(r);
      run_free(ref, scenario_commands[scenario_count_v1]);
      UNIT_CHECK(pd_store_checkpoint(st) == 0);
    } else {
      UNIT_CHECK(s->device_id != NULL); /* the pairing came through the checkpoint */
    }
    pd_store_close(st);
  }
  pd_shop_free(ref);
  rm_rf(dir);
}

/* sync.base {orders: [{order_id: "A1", state: base64 of w}]} on s; the response. */
static char *base_with(pd_shop *s, const bytes_writer *w) {
  char *state = base64_encode(w->data, w->len);
  size_t n = strlen(state) + 200;
  char *req = malloc(n);
  snprintf(req, n, "{\"cmd\":\"sync.base\",\"at\":1,\"orders\":[{\"order_id\":\"A1\",\"state\":\"%s\"}]}", state);
  char *r = pd_exec(s, req, strlen(req));
  free(req);
  pd_free(state);
  return r;
}

/* Order A1 of sync_states as a format 2 state (snapshot_write_state before format 3). */
static const char *const A1_STATE_V2 =
    "AgAAAAIAAABBMQgAAABwYWNrZGVza/////////////////////////////////////////////////////8AiFPEmgEAAACIU8Sa"
    "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAA"
    "AQAAAAAAAABWTkQA6AMAAAAAAAAAAAAAAAAAAOgDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AACcxtOaAQAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEA"
    "AAACAAAATDEFAAAAU0tVLTEFAAAAU0tVLTEAAAAAAAAAAOgDAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAACAAAAEAAAAG5vX3By"
    "b21vX2luc2VydHMAAAAAFAAAAHByb3RlY3RpdmVfcGFja2FnaW5nAAAAAAAAAAACAAAAAIhTxJoBAAAGAAAAcGxhY2Vk/////wCI"
    "U8SaAQAABAAAAHBhaWT/////AAAAAAEAAAAAAAAAAAAAAA==";

static void sync_states(void) {
  UNIT_TEST("sync: a state must be one whole order, of a known format, with UTF-8 text");
  pd_shop *s = pd_shop_new();
  run_free(s, IMPORT("A1", "SKU-1"));
  order *a1 = order_clone(shop_find(s, "A1"));
  bytes_writer before = {0}, w = {0};
  shop_bytes(s, &before);
  static const char *const refusals[] = {"is not an order state", "is not an order state", "is not an order state",
                                         "holds text that is not UTF-8"};
  for (int kind = 0; kind < 4; kind++) {
    char *saved = NULL;
    if (kind == 3) { /* a buyer name that is not UTF-8 */
      saved = a1->buyer_name;
      a1->buyer_name = "Nguy\xe1\xbb";
    }
    snapshot_write_state(&w, a1);
    if (kind == 0) bw_u8(&w, 0);                          /* a byte after the order */
    if (kind == 1) w.data[0] = (unsigned char)(SNAPSHOT_VERSION + 1); /* a format to come */
    if (kind == 2) w.len -= 1;                            /* cut short */
    if (kind == 3) a1->buyer_name = saved;
    char *r = base_with(s, &w);
    UNIT_CHECK(r && strstr(r, "\"code\":\"BAD_REQUEST\"") && strstr(r, refusals[kind]));
    pd_string_free(r);
    bw_free(&w);
  }
  bytes_writer after = {0};
  shop_bytes(s, &after);
  UNIT_CHECK(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
  bw_free(&after);

  UNIT_TEST("sync: a state of format 1 (before versions and conflicts) loads, at version 0");
  { /* format 1 is format 2 (fixed widths, written before format 3) without the version (8
     * bytes) and conflict count (4) at its end; A1_STATE_V2 is A1 above, written in format 2 */
    unsigned char *v2;
    size_t n;
    UNIT_CHECK(base64_decode(A1_STATE_V2, strlen(A1_STATE_V2), &v2, &n) == 0);
    bw_raw(&w, v2, n);
    pd_free(v2);
  }
  w.data[0] = 1;
  w.len -= 12;
  run_free(s, "{\"cmd\":\"line.check\",\"at\":1764230460000,\"order_id\":\"A1\",\"line_id\":\"L1\",\"result\":\"ok\"}");
  run_free(s, "{\"cmd\":\"order.confirm\",\"at\":1764230460000,\"order_id\":\"A1\"}");
  UNIT_CHECK(shop_find(s, "A1")->stage == STAGE_CONFIRMED && shop_find(s, "A1")->version == 3);
  char *r = base_with(s, &w); /* the state wins: back to awaiting confirmation */
  UNIT_CHECK(is_ok(r));
  pd_string_free(r);
  bw_free(&w);
  UNIT_CHECK(shop_find(s, "A1")->version == 0 && shop_find(s, "A1")->stage == STAGE_AWAITING_CONFIRMATION);
  UNIT_CHECK(shop_check(s) == NULL);
  order_free(a1);
  bw_free(&before);
  pd_shop_free(s);
}

void suite_sync(void);
void suite_sync(void) {
  sync_states();
  sync_faults_and_replay();
  sync_store();
  sync_store_v1();
}
