/*
 * test_retention.c: what the shop keeps of what nobody consumes (shop.h).
 *  - notifications: the newest NOTES_KEPT, at most twice that between trims, the unread count
 *    kept exact;
 *  - outbox messages (D2's email notice for every new order, C7's cancellation notices): the
 *    newest OUTBOX_KEPT, at most twice that; ids keep rising; what is kept survives a store's
 *    checkpoint and reopen as it was;
 *  - outbox.list {order_id}: every message of one order however far past the oldest 500 (the
 *    console's "notice queued", C7), and bad order_ids refused with nothing changed;
 *  - applied operations: the newest OPS_KEPT answer a retry as they did; an older one is applied
 *    again; on a device none still pending is forgotten, however old; a store keeps what is
 *    kept across a checkpoint and a reopen; a checkpoint trims to OPS_KEPT (a snapshot holds no
 *    more), and a page of operations left empty gets no file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "bytes.h"
#include "cJSON.h"
#include "crc32c.h"
#include "fileio.h"
#include "idmap.h"
#include "packdesk.h"
#include "shop.h"
#include "snapshot.h"
#include "tempdir.h"
#include "unit.h"

#define T0 1766000000000LL

static cJSON *run(pd_shop *s, const char *req) {
  char *r = pd_exec(s, req, strlen(req));
  cJSON *j = r ? cJSON_Parse(r) : NULL;
  pd_string_free(r);
  return j;
}

static int ok(cJSON *j) { return cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")); }

static void import(pd_shop *s, int i) {
  char req[512];
  snprintf(req, sizeof req,
           "{\"cmd\":\"order.import\",\"at\":%lld,\"order\":{\"id\":\"R%d\",\"placed_at\":%lld,\"paid_at\":%lld,"
           "\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-1\",\"quantity\":1,\"unit_price\":1000}]}}",
           T0 + i, i, T0 + i, T0 + i);
  cJSON *j = run(s, req);
  UNIT_CHECK(ok(j));
  cJSON_Delete(j);
}

/* The items of outbox.list (with `extra` args), as a parsed answer the caller deletes. */
static cJSON *outbox(pd_shop *s, const char *extra) {
  char req[256];
  snprintf(req, sizeof req, "{\"cmd\":\"outbox.list\",\"at\":%lld%s}", T0 + 1000000, extra);
  return run(s, req);
}

static long long item_id(cJSON *list, int i) {
  cJSON *items = cJSON_GetObjectItem(cJSON_GetObjectItem(list, "result"), "items");
  return (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items, i), "id"));
}

static int item_count(cJSON *list) {
  return cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(list, "result"), "items"));
}

#define ACKS_AT_ONCE 1000 /* what sync.base takes in one request (sync_base.c) */
#define PRODUCT_SET "{\"cmd\":\"product.set\",\"at\":1766000000000,\"op\":\"p-%d\",\"sku\":\"SKU-%d\"}"

/* product.set with ops p-<from>.. p-<to - 1>, each through pd_exec; each must be ok. */
static void set_products(pd_shop *s, int from, int to) {
  char req[256];
  int bad = 0;
  for (int i = from; i < to; i++) {
    snprintf(req, sizeof req, PRODUCT_SET, i, i);
    char *r = pd_exec(s, req, strlen(req));
    bad += !r || strncmp(r, "{\"ok\":true", 10) != 0;
    pd_string_free(r);
  }
  UNIT_CHECK_INT(bad, 0);
}

/* A new store in a new directory made from tmpl (mkdtemp), or NULL (the directory removed). */
static pd_store *fresh_store(char *tmpl, char **dir) {
  pd_store_report rep;
  *dir = mkdtemp(tmpl);
  pd_store *st = *dir ? pd_store_open(*dir, 0, &rep) : NULL;
  UNIT_CHECK(st != NULL);
  if (!st && *dir) rm_rf(*dir);
  return st;
}

static void retention_bounds(void) {
  UNIT_TEST("retention: outbox and notifications keep the newest, bounded, with exact counts");
  pd_shop *s = pd_shop_new();
  int n = 2 * (int)OUTBOX_KEPT + 1; /* one past the bound: the trim happens */
  for (int i = 0; i < n; i++) {
    import(s, i);
    UNIT_CHECK(s->outbox.len <= 2 * OUTBOX_KEPT && s->notes.len <= 2 * NOTES_KEPT);
  }
  UNIT_CHECK_INT(s->outbox.len, OUTBOX_KEPT);
  UNIT_CHECK_INT(s->notes.len, NOTES_KEPT);
  UNIT_CHECK_INT(s->unread_notes, NOTES_KEPT);
  /* The newest are kept, in order: the last order's notice is the last message. */
  UNIT_CHECK_INT(s->outbox.items[0].id, (unsigned long long)(n - (int)OUTBOX_KEPT + 1));
  UNIT_CHECK_INT(s->outbox.items[OUTBOX_KEPT - 1].id, (unsigned long long)n);
  char want[16];
  snprintf(want, sizeof want, "R%d", n - 1);
  UNIT_CHECK_STR(s->outbox.items[OUTBOX_KEPT - 1].order_id, want);
  /* Ids keep rising after a trim: an ack can never hit a newer message by an old id. */
  import(s, n);
  UNIT_CHECK_INT(s->outbox.items[s->outbox.len - 1].id, (unsigned long long)n + 1);
  /* An ack of a dropped id changes nothing; of a kept one, removes it. */
  char req[160];
  snprintf(req, sizeof req, "{\"cmd\":\"outbox.ack\",\"at\":%lld,\"ids\":[1,%d]}", T0 + n + 1, n + 1);
  cJSON *j = run(s, req);
  UNIT_CHECK(ok(j));
  cJSON_Delete(j);
  UNIT_CHECK_INT(s->outbox.len, OUTBOX_KEPT);
  pd_shop_free(s);
}

static void retention_order_filter(void) {
  UNIT_TEST("retention: outbox.list {order_id} finds an order's notice past the oldest 500");
  pd_shop *s = pd_shop_new();
  for (int i = 0; i < 700; i++) import(s, i);
  char req[256];
  snprintf(req, sizeof req, "{\"cmd\":\"order.cancel\",\"at\":%lld,\"order_id\":\"R650\",\"reason\":\"cannot deliver to this region\"}", T0 + 800);
  cJSON *j = run(s, req);
  UNIT_CHECK(ok(j));
  cJSON_Delete(j);
  cJSON *all = outbox(s, "");
  UNIT_CHECK(ok(all) && item_count(all) == 500 && item_id(all, 0) == 1); /* the oldest 500 */
  cJSON_Delete(all);
  cJSON *mine = outbox(s, ",\"order_id\":\"R650\"");
  UNIT_CHECK(ok(mine) && item_count(mine) == 2); /* its new-order email and the C7 notice */
  cJSON *items = cJSON_GetObjectItem(cJSON_GetObjectItem(mine, "result"), "items");
  UNIT_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "kind")), "cancellation_notice");
  UNIT_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "channel")), "in_app");
  cJSON_Delete(mine);
  cJSON *none = outbox(s, ",\"order_id\":\"NOPE\"");
  UNIT_CHECK(ok(none) && item_count(none) == 0);
  cJSON_Delete(none);
  /* Bad order_ids: a clear error, and the outbox as it was. */
  size_t before = s->outbox.len;
  static const char *const bad[] = {",\"order_id\":7", ",\"order_id\":[\"R1\"]", ",\"order_id\":\"\"", ",\"order_id\":\"  \"",
                                    ",\"order_id\":{}", ",\"order_id\":true"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cJSON *b = outbox(s, bad[i]);
    UNIT_CHECK(b && !ok(b));
    UNIT_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "error"), "code")), "BAD_REQUEST");
    cJSON_Delete(b);
  }
  UNIT_CHECK_INT(s->outbox.len, before);
  pd_shop_free(s);
}

static void retention_survives_reopen(void) {
  UNIT_TEST("retention: a trimmed outbox is stored and reopened as it was");
  char tmpl[] = "/tmp/pdret-XXXXXX", *dir;
  pd_store_report rep;
  pd_store *st = fresh_store(tmpl, &dir);
  if (!st) return;
  for (int i = 0; i < 2 * (int)OUTBOX_KEPT + 10; i++) import(pd_store_shop(st), i);
  cJSON *before = outbox(pd_store_shop(st), "");
  UNIT_CHECK(pd_store_checkpoint(st) == 0);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged);
  if (st) {
    cJSON *after = outbox(pd_store_shop(st), "");
    UNIT_CHECK(cJSON_Compare(before, after, 1));
    UNIT_CHECK_INT(pd_store_shop(st)->outbox.len, OUTBOX_KEPT + 10 - 1); /* trimmed at 2 × KEPT + 1 */
    cJSON_Delete(after);
    pd_store_close(st);
  }
  cJSON_Delete(before);
  rm_rf(dir);
}

/* message.send under op `op`; returns how many messages the outbox holds after it. */
static size_t send_message(pd_shop *s, const char *op) {
  char req[256];
  snprintf(req, sizeof req,
           "{\"cmd\":\"message.send\",\"at\":%lld,\"op\":\"%s\",\"order_id\":\"R0\",\"text\":\"Thank you!\"}", T0 + 5, op);
  cJSON *j = run(s, req);
  UNIT_CHECK(ok(j));
  cJSON_Delete(j);
  return s->outbox.len;
}

static void retention_ops(void) {
  UNIT_TEST("retention: the newest OPS_KEPT operations answer a retry as they did, older ones are applied again");
  pd_shop *s = pd_shop_new();
  import(s, 0);
  size_t before = s->outbox.len;
  UNIT_CHECK_INT(send_message(s, "m-old"), before + 1);
  UNIT_CHECK_INT(send_message(s, "m-old"), before + 1); /* a retry: the stored answer, no new message */
  set_products(s, 0, 2 * (int)OPS_KEPT);
  UNIT_CHECK(s->ops.len <= 2 * OPS_KEPT && s->ops.len >= OPS_KEPT);
  UNIT_CHECK(idmap_get(&s->ops, "m-old") == NULL); /* past the newest OPS_KEPT */
  UNIT_CHECK_INT(send_message(s, "m-old"), before + 2); /* forgotten: applied again */
  UNIT_CHECK_INT(send_message(s, "m-old"), before + 2); /* and now remembered again */
  char newest[32];
  snprintf(newest, sizeof newest, "p-%d", 2 * (int)OPS_KEPT - 1);
  UNIT_CHECK(idmap_get(&s->ops, newest) != NULL);
  int bad = 0;
  for (uint64_t seq = 0; seq < s->op_list.len; seq++) /* what is listed is what is mapped */
    if (s->op_list.items[seq] && idmap_get(&s->ops, s->op_list.items[seq]->op) != s->op_list.items[seq]) bad++;
  UNIT_CHECK_INT(bad, 0);
  pd_shop_free(s);
}

static void retention_ops_pending(void) {
  UNIT_TEST("retention: on a device, no operation still pending for the server is forgotten");
  pd_shop *s = pd_shop_new();
  cJSON *j = run(s, "{\"cmd\":\"sync.pair\",\"at\":1766000000000,\"device_id\":\"dev-1\"}");
  UNIT_CHECK(ok(j));
  cJSON_Delete(j);
  int n = 2 * (int)OPS_KEPT + 5;
  set_products(s, 0, n);
  UNIT_CHECK_INT(s->pending.len, n);
  UNIT_CHECK_INT(s->ops.len, n); /* all pending: all kept */
  /* The server acknowledges the first n - 3, ACKS_AT_ONCE at a time: those may go now, the
   * last 3 stay pending. */
  for (int from = 1; from <= n - 3; from += ACKS_AT_ONCE) {
    size_t cap = (size_t)ACKS_AT_ONCE * 32 + 128, len = 0;
    char *base = malloc(cap);
    len += (size_t)snprintf(base + len, cap - len, "{\"cmd\":\"sync.base\",\"at\":1766000000001,\"acks\":[");
    for (int i = from; i <= n - 3 && i < from + ACKS_AT_ONCE; i++)
      len += (size_t)snprintf(base + len, cap - len, "%s{\"seq\":%d,\"ok\":true}", i > from ? "," : "", i);
    snprintf(base + len, cap - len, "]}");
    j = run(s, base);
    UNIT_CHECK(ok(j));
    cJSON_Delete(j);
    free(base);
  }
  UNIT_CHECK_INT(s->pending.len, 3);
  set_products(s, n, n + 1); /* the next commit trims */
  UNIT_CHECK_INT(s->ops.len, OPS_KEPT);
  for (size_t i = 0; i < s->pending.len; i++) UNIT_CHECK(idmap_get(&s->ops, s->pending.items[i].op) != NULL);
  pd_shop_free(s);
}

static void retention_ops_reopen(void) {
  UNIT_TEST("retention: a store keeps exactly the kept operations across a checkpoint and a reopen");
  char tmpl[] = "/tmp/pdops-XXXXXX", *dir;
  pd_store_report rep;
  pd_store *st = fresh_store(tmpl, &dir);
  if (!st) return;
  set_products(pd_store_shop(st), 0, 2 * (int)OPS_KEPT + 1); /* journaled through the shop's hook */
  UNIT_CHECK(pd_store_checkpoint(st) == 0);
  size_t kept = pd_store_shop(st)->ops.len;
  UNIT_CHECK_INT(kept, OPS_KEPT);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged);
  if (st) {
    pd_shop *s = pd_store_shop(st);
    UNIT_CHECK_INT(s->ops.len, kept);
    char newest[32];
    snprintf(newest, sizeof newest, "p-%d", 2 * (int)OPS_KEPT);
    UNIT_CHECK(idmap_get(&s->ops, "p-0") == NULL && idmap_get(&s->ops, newest) != NULL);
    pd_store_close(st);
  }
  rm_rf(dir);
}

/* Whether op id `op` is among the shop's applied operations. */
static int has_op(pd_shop *s, const char *fmt, int i) {
  char op[32];
  snprintf(op, sizeof op, fmt, i);
  return idmap_get(&s->ops, op) != NULL;
}

static void retention_ops_checkpoint(void) {
  UNIT_TEST("retention: a checkpoint trims the operations to the newest OPS_KEPT, and a page left empty gets no file");
  char tmpl[] = "/tmp/pdops-XXXXXX", *dir;
  pd_store_report rep;
  pd_store *st = fresh_store(tmpl, &dir);
  if (!st) return;
  pd_shop *s = pd_store_shop(st);
  int n = (int)OPS_KEPT + 500; /* under twice OPS_KEPT: no commit trims */
  set_products(s, 0, n);
  UNIT_CHECK_INT(s->ops.len, n);
  UNIT_CHECK(pd_store_checkpoint(st) == 0);
  UNIT_CHECK_INT(s->ops.len, OPS_KEPT);
  UNIT_CHECK(!has_op(s, "p-%d", 499) && has_op(s, "p-%d", 500) && has_op(s, "p-%d", n - 1));
  UNIT_CHECK_INT(count_files(dir, "ops-"), 1);
  /* Past OP_PAGE operations, the first page holds none of the newest OPS_KEPT: no file. */
  int m = (int)OP_PAGE + (int)OPS_KEPT;
  set_products(s, n, m);
  UNIT_CHECK(pd_store_checkpoint(st) == 0);
  UNIT_CHECK_INT(s->ops.len, OPS_KEPT);
  UNIT_CHECK_INT(count_files(dir, "ops-0-"), 0);
  UNIT_CHECK_INT(count_files(dir, "ops-"), 1);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged);
  if (st) {
    s = pd_store_shop(st);
    UNIT_CHECK_INT(s->ops.len, OPS_KEPT);
    UNIT_CHECK(!has_op(s, "p-%d", m - (int)OPS_KEPT - 1) && has_op(s, "p-%d", m - (int)OPS_KEPT) && has_op(s, "p-%d", m - 1));
    /* A retry of the newest answers as it did; one forgotten is applied again (and kept). */
    char req[256];
    snprintf(req, sizeof req, PRODUCT_SET, m - 1, m - 1);
    char *r = pd_exec(s, req, strlen(req));
    UNIT_CHECK(r && strncmp(r, "{\"ok\":true", 10) == 0);
    pd_string_free(r);
    UNIT_CHECK_INT(s->ops.len, OPS_KEPT);
    set_products(s, 0, 1);
    UNIT_CHECK_INT(s->ops.len, OPS_KEPT + 1);
    pd_store_close(st);
  }
  rm_rf(dir);
}

/* Rewrites dir's file whose name starts with prefix as an ops page (store.c's format) holding
 * no operation: what a checkpoint wrote for a page left empty before empty pages were dropped.
 * 0, or -1 when there is no such file. */
static int write_empty_ops_page(const char *dir, const char *prefix, uint32_t page) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096] = "";
  while (d && (e = readdir(d)))
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
  if (d) closedir(d);
  if (!path[0]) return -1;
  bytes_writer w = {0};
  bw_fixed32(&w, 0x50534450u); /* "PDSP" */
  bw_fixed32(&w, SNAPSHOT_VERSION);
  bw_u32(&w, page);
  bw_u32(&w, 0);
  bw_fixed32(&w, crc32c(0, w.data, w.len));
  int rc = w.failed ? -1 : fio_write_file_atomic(path, w.data, w.len);
  bw_free(&w);
  return rc;
}

static void retention_old_empty_page(void) {
  UNIT_TEST("retention: a page of operations an older checkpoint left empty is dropped by the next one");
  char tmpl[] = "/tmp/pdops-XXXXXX", *dir;
  pd_store_report rep;
  pd_store *st = fresh_store(tmpl, &dir);
  if (!st) return;
  set_products(pd_store_shop(st), 0, 10);
  UNIT_CHECK(pd_store_checkpoint(st) == 0);
  pd_store_close(st);
  UNIT_CHECK(write_empty_ops_page(dir, "ops-0-", 0) == 0);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged);
  if (st) {
    UNIT_CHECK_INT(pd_store_shop(st)->ops.len, 0);
    UNIT_CHECK(pd_store_checkpoint(st) == 0);
    UNIT_CHECK_INT(count_files(dir, "ops-"), 0);
    pd_store_close(st);
  }
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged);
  if (st) {
    set_products(pd_store_shop(st), 10, 11); /* and the store goes on */
    UNIT_CHECK_INT(pd_store_shop(st)->ops.len, 1);
    pd_store_close(st);
  }
  rm_rf(dir);
}

void suite_retention(void) {
  retention_ops();
  retention_ops_pending();
  retention_ops_reopen();
  retention_ops_checkpoint();
  retention_old_empty_page();
  retention_bounds();
  retention_order_filter();
  retention_survives_reopen();
}
