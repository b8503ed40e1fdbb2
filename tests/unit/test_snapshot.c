/*
 * test_snapshot.c: the compact snapshot format (3) and the orders it loads.
 *  - a store written in format 2 (tests/unit/fixtures/store-v2) opens whole, and a writable
 *    open rewrites it in today's format and page sizes;
 *  - a store of format 3 in the old small pages (tests/unit/fixtures/store-v3: 3 order pages, 2
 *    of operations, a journal tail) opens read-only as it is, and a writable open rewrites it
 *    in one page of each; a write failing at any point of that rewrite loses nothing;
 *  - a store of format 4 (tests/unit/fixtures/store-v4: orders read whole at open) opens as it
 *    is, and the pages a checkpoint rewrites are written in format 5 (orders as summaries and
 *    bodies), read lazily and eagerly alike;
 *  - an order with every field at its edges (times far from placed_at, INT64_MIN/MAX, "" and
 *    NULL strings) round-trips byte for byte; every cut of it and every failed allocation
 *    while reading it fails cleanly;
 *  - the varint reader refuses what the writer never makes;
 *  - every string field of a loaded order (whose strings share one block) can be replaced,
 *    cleared and freed, directly and through commands: ASan checks that nothing in the block
 *    is freed on its own and that nothing leaks.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "fileio.h"
#include "packdesk.h"
#include "scenario.h"
#include "shop.h"
#include "shop_check.h"
#include "snapshot.h"
#include "sync.h"
#include "tempdir.h"
#include "unit.h"

/* How many scenario commands wrote tests/unit/fixtures/store-v2 (with the build of format 2:
 * pd_store_open, every command through pd_store_exec, pd_store_checkpoint). */
#define SCENARIO_V2 40

static void copy_fixture(const char *name, const char *dir) {
  char src[4096], dst[4096], buf[4096];
  snprintf(src, sizeof src, "tests/unit/fixtures/%s", name);
  DIR *fx = opendir(src);
  struct dirent *e;
  UNIT_CHECK(fx != NULL);
  while (fx && (e = readdir(fx))) {
    if (e->d_name[0] == '.') continue;
    snprintf(src, sizeof src, "tests/unit/fixtures/%s/%s", name, e->d_name);
    snprintf(dst, sizeof dst, "%s/%s", dir, e->d_name);
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
  }
  if (fx) closedir(fx);
}

/* The format a snapshot file of dir says it is in (bytes 4-7), for the first file whose name
 * starts with prefix; 0 when there is none. */
static unsigned file_format(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  struct dirent *e;
  unsigned format = 0;
  while (d && !format && (e = readdir(d))) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    char path[4096];
    unsigned char head[8];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (f && fread(head, 1, 8, f) == 8) format = (unsigned)head[4] | (unsigned)head[5] << 8 | (unsigned)head[6] << 16 | (unsigned)head[7] << 24;
    if (f) fclose(f);
  }
  if (d) closedir(d);
  return format;
}

static int is_ok(const char *r) { return r && strncmp(r, "{\"ok\":true", 10) == 0; }

static void exec_ok(pd_shop *s, const char *req) {
  char *r = pd_exec(s, req, strlen(req));
  UNIT_CHECK(is_ok(r));
  if (!is_ok(r)) fprintf(stderr, "  %.200s\n  -> %.300s\n", req, r ? r : "NULL");
  pd_string_free(r);
}

/* A new order, placed on the same page as the fixture's four; no op, so no operation page
 * changes: after the checkpoint the ops page is still the format 2 file. */
static const char *const NEW_ORDER =
    "{\"cmd\":\"order.import\",\"at\":1766000000002,\"order\":{\"id\":\"E5\",\"placed_at\":1766000000002,"
    "\"paid_at\":1766000000002,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-5\","
    "\"name\":\"Non la\",\"quantity\":2,\"unit_price\":45000}],\"buyer\":{\"name\":\"Tran Thi B\","
    "\"phone\":\"+84 913 000 111\",\"address\":\"5 Hai Ba Trung\",\"region\":\"Ha Noi\"}}}";

static void snapshot_store_v2(void) {
  UNIT_TEST("snapshot: a store of format 2 opens whole, and a writable open rewrites it in today's format");
  UNIT_CHECK(scenario_count >= SCENARIO_V2);
  char tmpl[] = "/tmp/pdv2-XXXXXX";
  char *dir = mkdtemp(tmpl);
  copy_fixture("store-v2", dir);
  UNIT_CHECK(file_format(dir, "manifest") == 2 && file_format(dir, "orders-") == 2 && file_format(dir, "ops-") == 2);
  pd_shop *ref = pd_shop_new();
  for (int i = 0; i < SCENARIO_V2; i++) exec_ok(ref, scenario_commands[i]);
  for (int round = 0; round < 3; round++) {
    pd_store_report rep;
    pd_store *st = pd_store_open(dir, 0, &rep);
    UNIT_CHECK(st && !rep.damaged && rep.orders == (round ? 5u : 4u));
    if (!st) {
      fprintf(stderr, "  %s\n", rep.message);
      break;
    }
    pd_shop *s = pd_store_shop(st);
    char *got = scenario_snapshot(s), *want = scenario_snapshot(ref);
    UNIT_CHECK(got && want && strcmp(got, want) == 0);
    if (got && want && strcmp(got, want) != 0) fprintf(stderr, "  got  %.600s\n  want %.600s\n", got, want);
    free(got);
    free(want);
    UNIT_CHECK(shop_check(s) == NULL);
    UNIT_CHECK(shop_find(s, "A1") && shop_find(s, "A1")->strings != NULL); /* loaded: one block */
    if (round == 0) {
      char *r = pd_store_exec(st, NEW_ORDER, strlen(NEW_ORDER));
      UNIT_CHECK(is_ok(r));
      pd_string_free(r);
      exec_ok(ref, NEW_ORDER);
      UNIT_CHECK(pd_store_checkpoint(st) == 0);
      /* The open rewrote every file in today's format (its page sizes are new): no old page
       * is left beside the new ones. */
      UNIT_CHECK(file_format(dir, "manifest") == SNAPSHOT_VERSION && file_format(dir, "shop-") == SNAPSHOT_VERSION);
      UNIT_CHECK(file_format(dir, "orders-") == SNAPSHOT_VERSION && file_format(dir, "ops-") == SNAPSHOT_VERSION);
      UNIT_CHECK(count_files(dir, "orders-") == 1 && count_files(dir, "ops-") == 1);
    }
    pd_store_close(st);
  }
  pd_shop_free(ref);
  rm_rf(dir);
}

/* --- format 3 in the old page sizes (64 orders, 256 operations a page) --- */

/* The commands that wrote tests/unit/fixtures/store-v3, with the build of commit 8adee0b (format
 * 3): pd_store_open, each through pd_store_exec, pd_store_checkpoint after V3_CHECKPOINTED, then
 * V3_TAIL more left in the journal. Orders P0.. imported with an op each, then their line checked
 * with an op each: 140 orders (3 pages of 64), 275 operations (2 pages of 256). */
#define V3_ORDERS 140
#define V3_CHECKS 130
#define V3_TAIL 5
#define V3_CHECKPOINTED (V3_ORDERS + V3_CHECKS)
#define V3_COMMANDS (V3_CHECKPOINTED + V3_TAIL)

static void v3_command(int i, char *buf, size_t n) {
  long long at = 1766000000000LL + i;
  int k = i < V3_ORDERS ? i : i < V3_CHECKPOINTED ? i - V3_ORDERS : i - V3_CHECKS;
  if (i < V3_ORDERS || i >= V3_CHECKPOINTED)
    snprintf(buf, n,
             "{\"cmd\":\"order.import\",\"at\":%lld,\"op\":\"v3-%d\",\"order\":{\"id\":\"P%d\","
             "\"placed_at\":%lld,\"paid_at\":%lld,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\","
             "\"sku\":\"SKU-%d\",\"name\":\"Product %d\",\"quantity\":%d,\"unit_price\":150000}],"
             "\"buyer\":{\"name\":\"Buyer %d\",\"phone\":\"+84 900 000 %03d\",\"address\":\"%d Le Loi\","
             "\"region\":\"Ho Chi Minh\"}}}",
             at, i, k, at, at, k % 17, k % 17, 1 + k % 3, k, k, k);
  else
    snprintf(buf, n,
             "{\"cmd\":\"line.check\",\"at\":%lld,\"op\":\"v3-%d\",\"order_id\":\"P%d\",\"line_id\":\"L1\","
             "\"result\":\"ok\"}",
             at, i, k);
}

/* The shop the store-v3 (and store-v4) commands make, in memory. */
static pd_shop *v3_reference(void) {
  pd_shop *ref = pd_shop_new();
  char req[1024];
  for (int i = 0; i < V3_COMMANDS; i++) {
    v3_command(i, req, sizeof req);
    exec_ok(ref, req);
  }
  return ref;
}

/* Opens dir (flags), checks it holds what ref does, and closes it; 0 when it opened. */
static int open_equals(const char *dir, int flags, pd_shop *ref, pd_store_report *rep) {
  pd_store *st = pd_store_open(dir, flags, rep);
  if (!st) return -1;
  char *got = scenario_snapshot(pd_store_shop(st)), *want = scenario_snapshot(ref);
  UNIT_CHECK(got && want && strcmp(got, want) == 0);
  UNIT_CHECK(shop_check(pd_store_shop(st)) == NULL);
  free(got);
  free(want);
  pd_store_close(st);
  return 0;
}

static void snapshot_store_v3(void) {
  UNIT_TEST("snapshot: a store in the old small pages opens read-only as it is, and a writable open rewrites it in big pages");
  char tmpl[] = "/tmp/pdv3-XXXXXX";
  char *dir = mkdtemp(tmpl);
  copy_fixture("store-v3", dir);
  UNIT_CHECK(file_format(dir, "manifest") == 3 && count_files(dir, "orders-") == 3 && count_files(dir, "ops-") == 2);
  pd_shop *ref = v3_reference();
  pd_store_report rep;
  UNIT_CHECK(open_equals(dir, PD_STORE_READ_ONLY, ref, &rep) == 0 && !rep.damaged && rep.replayed == V3_TAIL);
  UNIT_CHECK(file_format(dir, "manifest") == 3 && count_files(dir, "orders-") == 3); /* read-only: untouched */
  UNIT_CHECK(open_equals(dir, 0, ref, &rep) == 0 && !rep.damaged && rep.orders == V3_ORDERS + V3_TAIL);
  UNIT_CHECK(file_format(dir, "manifest") == SNAPSHOT_VERSION && file_format(dir, "orders-") == SNAPSHOT_VERSION &&
             file_format(dir, "ops-") == SNAPSHOT_VERSION);
  UNIT_CHECK(count_files(dir, "orders-") == 1 && count_files(dir, "ops-") == 1 && count_files(dir, "journal-") == 1);
  UNIT_CHECK(open_equals(dir, 0, ref, &rep) == 0 && rep.replayed == 0); /* the rewrite covered the tail */
  rm_rf(dir);

  /* The Nth write of the rewrite fails (a full disk, a pulled plug): the open still gives the
   * whole shop, and so does the next, which finishes the rewrite. */
  int failures = 0;
  for (long n = 1; n < 200; n++) {
    char t2[] = "/tmp/pdv3f-XXXXXX";
    dir = mkdtemp(t2);
    copy_fixture("store-v3", dir);
    long before = fio_op_count();
    fio_fail_after(n);
    int opened = open_equals(dir, 0, ref, &rep);
    fio_fail_after(0);
    int failed = fio_op_count() - before >= n; /* the Nth write was reached, so it failed */
    UNIT_CHECK(opened == 0);
    UNIT_CHECK(open_equals(dir, 0, ref, &rep) == 0);
    UNIT_CHECK(file_format(dir, "manifest") == SNAPSHOT_VERSION && count_files(dir, "orders-") == 1);
    rm_rf(dir);
    if (!failed) break;
    failures++;
  }
  UNIT_CHECK(failures > 5); /* the rewrite writes pages, shop, manifest, journal: all were hit */
  pd_shop_free(ref);
}

/* --- format 4: the store-v3 commands, written by the build of f372059 (1 page of each) --- */

static void snapshot_store_v4(void) {
  UNIT_TEST("snapshot: a store of format 4 opens as it is, and the pages a checkpoint rewrites become format 5");
  char tmpl[] = "/tmp/pdv4-XXXXXX";
  char *dir = mkdtemp(tmpl);
  copy_fixture("store-v4", dir);
  UNIT_CHECK(file_format(dir, "manifest") == 4 && file_format(dir, "orders-") == 4);
  pd_shop *ref = v3_reference();
  pd_store_report rep;
  UNIT_CHECK(open_equals(dir, PD_STORE_READ_ONLY, ref, &rep) == 0 && !rep.damaged && rep.replayed == V3_TAIL);
  UNIT_CHECK(open_equals(dir, 0, ref, &rep) == 0 && !rep.damaged && rep.orders == V3_ORDERS + V3_TAIL);
  UNIT_CHECK(file_format(dir, "orders-") == 4); /* same page sizes: nothing to rewrite */
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st != NULL);
  if (st) {
    const char *confirm = "{\"cmd\":\"order.confirm\",\"at\":1766000001000,\"order_id\":\"P3\"}";
    char *r = pd_store_exec(st, confirm, strlen(confirm));
    UNIT_CHECK(is_ok(r));
    pd_string_free(r);
    exec_ok(ref, confirm);
    UNIT_CHECK(pd_store_checkpoint(st) == 0);
    pd_store_close(st);
  }
  /* The journal's tail carried ops: their page was rewritten too. */
  UNIT_CHECK(file_format(dir, "orders-") == SNAPSHOT_VERSION && file_format(dir, "ops-") == SNAPSHOT_VERSION);
  UNIT_CHECK(open_equals(dir, 0, ref, &rep) == 0 && rep.replayed == 0);
  UNIT_CHECK(open_equals(dir, PD_STORE_READ_ONLY | PD_STORE_EAGER, ref, &rep) == 0 && !rep.damaged);
  pd_shop_free(ref);
  rm_rf(dir);
}

/* --- one order with every field set, at its edges --- */

/* extra_lines more lines: past 48 strings, the reader keeps their places on the heap. */
static order *rich_order(int extra_lines) {
  order *o = order_new("E1");
  static const char *const texts[] = {"tiktok", "Nguyễn Văn A", "+84 912 345 678", "12 Lê Lợi, Q1",
                                      "Hồ Chí Minh", "", "GHN", "GHN123456", "Bưu cục Q1", "blade wrapped",
                                      "out of stock"};
  char **fields[] = {&o->source, &o->buyer_name, &o->buyer_phone, &o->address_full, &o->address_region,
                     &o->buyer_message, &o->carrier, &o->tracking_number, &o->shipping_point,
                     &o->handover_note, &o->cancel_reason};
  for (size_t i = 0; o && i < sizeof fields / sizeof *fields; i++) UNIT_CHECK(order_set_string(o, fields[i], texts[i]) == 0);
  if (!o) return NULL;
  const pd_ms placed = 1764230400000;
  o->placed_at = placed;
  o->paid_at = placed + 1;
  o->confirmed_at = INT64_MIN; /* the farthest any time can be from placed_at */
  o->packed_at = INT64_MAX;
  o->shipped_at = -5;
  o->collected_at = 0;
  o->delivered_at = placed - 1;
  o->closed_at = placed + 40 * PD_DAY;
  o->promised_at = 1;
  o->marketplace_updated_at = placed + 7;
  o->seq = 7;
  o->stage = STAGE_LOST;
  o->flags = FLAG_LATE_DISPATCH | FLAG_DAMAGED;
  memcpy(o->currency, "VND", 4);
  o->subtotal = -1;
  o->shipping_fee = INT64_MAX;
  o->total = INT64_MIN;
  o->handover = HANDOVER_DROPOFF;
  o->failed_attempts = 999;
  o->cancelled_by = CANCEL_BY_MARKETPLACE;
  o->seller_fault_cancel = o->complaint_filed = o->refund_submitted = 1;
  o->label_printed = 5;
  o->deadlines[DL_PAYMENT] = (deadline){0, DL_OPEN};
  o->deadlines[DL_SHIP_BY] = (deadline){INT64_MAX, DL_MET};
  o->deadlines[DL_PICKUP] = (deadline){INT64_MIN, DL_MISSED};
  o->deadlines[DL_LOST] = (deadline){placed + 14 * PD_DAY, DL_INACTIVE};
  order_line line = {"L1", "1729384756", "", "Dao gọt", "", -150000, 3, 2, CLASS_ALL, 1, CHECK_EXPIRED};
  UNIT_CHECK(order_add_line(o, &line) == 0);
  line.id = "L2";
  line.seller_sku = "KNIFE-1";
  UNIT_CHECK(order_add_line(o, &line) == 0);
  for (int i = 0; i < extra_lines; i++) {
    char id[16];
    snprintf(id, sizeof id, "X%d", i);
    line.id = id;
    line.product_name = i % 2 ? "" : "Ly thủy tinh";
    UNIT_CHECK(order_add_line(o, &line) == 0);
  }
  UNIT_CHECK(order_add_checklist(o, "sharp") == 0 && order_add_checklist(o, "fragile") == 0);
  o->checklist.items[1].confirmed = 1;
  order_request *q = order_add_request(o, REQ_RETURN, "broken on arrival", placed + PD_DAY);
  UNIT_CHECK(q && order_set_string(o, &q->answer_reason, "no photo") == 0);
  if (q) {
    q->state = REQ_REJECTED;
    q->due = INT64_MAX;
    q->answered_at = INT64_MIN;
    q->extensions = 2;
  }
  UNIT_CHECK(order_add_request(o, REQ_CANCEL, "", 0) != NULL);
  UNIT_CHECK(order_add_timeline(o, placed, "placed", NULL) == 0 && order_add_timeline(o, INT64_MIN, "paid", "early") == 0 &&
             order_add_timeline(o, INT64_MAX, "lost", "") == 0 && order_add_timeline(o, placed, "delivered", NULL) == 0);
  UNIT_CHECK(order_add_issue(o, ISSUE_LOST, placed + 15 * PD_DAY) == 0 && order_add_issue(o, ISSUE_DAMAGED, INT64_MIN) == 0);
  o->issues.items[0].resolved_at = INT64_MAX;
  order_conflict c = {"d1-9", "order.confirm", placed + 3, "ILLEGAL_TRANSITION", "C2", "already cancelled", "paid", INT64_MIN};
  UNIT_CHECK(order_add_conflict(o, &c) == 0);
  order_conflict d = {"d1-10", "pack.scan", INT64_MAX, "NOT_ORDERED", NULL, "", NULL, 0};
  UNIT_CHECK(order_add_conflict(o, &d) == 0);
  o->version = SYNC_VERSION_MAX;
  return o;
}

static int same_encoding(const bytes_writer *a, const order *o) {
  bytes_writer b = {0};
  snapshot_write_order(&b, o);
  int same = !b.failed && a->len == b.len && memcmp(a->data, b.data, a->len) == 0;
  bw_free(&b);
  return same;
}

static void snapshot_roundtrip(void) {
  UNIT_TEST("snapshot: an order at the edges of every field round-trips byte for byte, its strings in one block");
  order *o = rich_order(12); /* 102 strings */
  bytes_writer w = {0};
  snapshot_write_order(&w, o);
  UNIT_CHECK(!w.failed);
  bytes_reader r = {w.data, w.len, 0, 0, 0};
  order *back = snapshot_read_order(&r);
  UNIT_CHECK(back && !r.failed && r.pos == r.len);
  if (back) {
    UNIT_CHECK(same_encoding(&w, back));
    UNIT_CHECK(back->strings != NULL && o->strings == NULL);
    UNIT_CHECK(back->confirmed_at == INT64_MIN && back->packed_at == INT64_MAX && back->shipped_at == -5 &&
               back->collected_at == 0 && back->promised_at == 1);
    UNIT_CHECK(back->deadlines[DL_PICKUP].due == INT64_MIN && back->deadlines[DL_PICKUP].state == DL_MISSED &&
               back->deadlines[DL_LOST].due == o->deadlines[DL_LOST].due && back->deadlines[DL_PAYMENT].due == 0);
    UNIT_CHECK(back->timeline.items[1].at == INT64_MIN && back->timeline.items[2].at == INT64_MAX &&
               back->timeline.items[0].detail == NULL && strcmp(back->timeline.items[2].detail, "") == 0);
    UNIT_CHECK(back->requests.items[0].answered_at == INT64_MIN && back->requests.items[1].answer_reason == NULL);
    UNIT_CHECK(back->conflicts.items[0].because_at == INT64_MIN && back->conflicts.items[1].rule == NULL &&
               back->conflicts.items[1].because_event == NULL && back->conflicts.items[1].at == INT64_MAX);
    UNIT_CHECK(strcmp(back->buyer_message, "") == 0 && strcmp(back->buyer_name, "Nguyễn Văn A") == 0 &&
               back->lines.items[1].seller_sku && strcmp(back->lines.items[1].seller_sku, "KNIFE-1") == 0);
    UNIT_CHECK(back->total == INT64_MIN && back->shipping_fee == INT64_MAX && back->version == SYNC_VERSION_MAX);
    UNIT_CHECK(back->lines.len == 14 && strcmp(back->lines.items[13].id, "X11") == 0 &&
               strcmp(back->lines.items[12].product_name, "Ly thủy tinh") == 0);
  }
  order_free(back);

  UNIT_TEST("snapshot: every cut of an order, and every failed allocation reading it, fails cleanly");
  int cuts_failed = 1;
  for (size_t n = 0; n < w.len; n++) {
    bytes_reader cut = {w.data, n, 0, 0, 0};
    order *p = snapshot_read_order(&cut);
    if (p || !cut.failed) cuts_failed = 0;
    order_free(p);
  }
  UNIT_CHECK(cuts_failed);
  int k;
  for (k = 1; k < 1000; k++) {
    long failures = pd_alloc_failures();
    pd_alloc_fail_after(k);
    bytes_reader again = {w.data, w.len, 0, 0, 0};
    order *p = snapshot_read_order(&again);
    pd_alloc_fail_after(0);
    if (p) {
      UNIT_CHECK(same_encoding(&w, p));
      order_free(p);
      break;
    }
    UNIT_CHECK(pd_alloc_failures() > failures); /* NULL only because an allocation failed */
  }
  UNIT_CHECK(k > 4 && k < 1000); /* the order, its lines, ..., its block: then it reads */
  bw_free(&w);
  order_free(o);
}

static void snapshot_varints(void) {
  UNIT_TEST("snapshot: the reader refuses varints the writer never makes, and reads both encodings");
  static const struct {
    unsigned char bytes[12];
    size_t len;
  } bad[] = {
      {{0x80, 0x00}, 2},                                                       /* 0, overlong */
      {{0xFF, 0x80, 0x00}, 3},                                                 /* 127, overlong */
      {{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}, 10},      /* past 64 bits */
      {{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00}, 11}, /* 11 bytes */
      {{0x80}, 1},                                                             /* cut */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    bytes_reader r = {bad[i].bytes, bad[i].len, 0, 0, 0};
    (void)br_u64(&r);
    UNIT_CHECK(r.failed);
  }
  unsigned char max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  bytes_reader r = {max, sizeof max, 0, 0, 0};
  UNIT_CHECK(br_u64(&r) == UINT64_MAX && !r.failed && r.pos == sizeof max);
  unsigned char big[] = {0x80, 0x80, 0x80, 0x80, 0x10}; /* 2^32 */
  bytes_reader r32 = {big, sizeof big, 0, 0, 0};
  (void)br_u32(&r32);
  UNIT_CHECK(r32.failed);

  bytes_writer w = {0};
  const int64_t values[] = {0, -1, 1, INT64_MIN, INT64_MAX, -64, 63, 64};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) bw_i64(&w, values[i]);
  bw_str(&w, NULL);
  bw_str(&w, "");
  bw_str(&w, "a");
  bytes_reader rv = {w.data, w.len, 0, 0, 0};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) UNIT_CHECK(br_i64(&rv) == values[i]);
  UNIT_CHECK(w.data[1] == 1 && w.data[2] == 2); /* -1 and 1: one byte each (zigzag) */
  char *s0 = br_str(&rv, 10), *s1 = br_str(&rv, 10), *s2 = br_str(&rv, 10);
  UNIT_CHECK(!s0 && s1 && !*s1 && s2 && strcmp(s2, "a") == 0 && !rv.failed && rv.pos == w.len);
  pd_free(s1);
  pd_free(s2);
  bw_free(&w);

  unsigned char nul[] = {0x03, 'a', 0x00}; /* a string holding a NUL: no C string can */
  bytes_reader rn = {nul, sizeof nul, 0, 0, 0};
  UNIT_CHECK(br_str(&rn, 10) == NULL && rn.failed);
  unsigned char fixed[] = {0x05, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 0, 0, 'x'}; /* format 2 */
  bytes_reader rf = {fixed, sizeof fixed, 0, 0, 2};
  UNIT_CHECK(br_u32(&rf) == 5 && br_str(&rf, 10) == NULL && !rf.failed);
  char *x = br_str(&rf, 10);
  UNIT_CHECK(x && strcmp(x, "x") == 0 && rf.pos == sizeof fixed);
  pd_free(x);
}

/* --- strings of a loaded order --- */

/* Every string field of o, however many lines, requests, entries and conflicts it has. */
static size_t string_fields(order *o, char ***out, size_t max) {
  size_t n = 0;
  char **own[] = {&o->id, &o->source, &o->buyer_name, &o->buyer_phone, &o->address_full, &o->address_region,
                  &o->buyer_message, &o->carrier, &o->tracking_number, &o->shipping_point, &o->handover_note,
                  &o->cancel_reason};
  for (size_t i = 0; i < sizeof own / sizeof *own && n < max; i++) out[n++] = own[i];
  for (size_t i = 0; i < o->lines.len && n + 5 <= max; i++) {
    order_line *l = &o->lines.items[i];
    out[n++] = &l->id;
    out[n++] = &l->sku_id;
    out[n++] = &l->seller_sku;
    out[n++] = &l->product_name;
    out[n++] = &l->sku_name;
  }
  for (size_t i = 0; i < o->requests.len && n + 3 <= max; i++) {
    out[n++] = &o->requests.items[i].id;
    out[n++] = &o->requests.items[i].reason;
    out[n++] = &o->requests.items[i].answer_reason;
  }
  for (size_t i = 0; i < o->timeline.len && n < max; i++) out[n++] = &o->timeline.items[i].detail;
  for (size_t i = 0; i < o->conflicts.len && n + 5 <= max; i++) {
    order_conflict *c = &o->conflicts.items[i];
    out[n++] = &c->op;
    out[n++] = &c->cmd;
    out[n++] = &c->code;
    out[n++] = &c->rule;
    out[n++] = &c->message;
  }
  return n;
}

static int in_block(const order *o, const char *s) {
  uintptr_t p = (uintptr_t)s, b = (uintptr_t)o->strings;
  return s && p >= b && p - b < o->strings_size;
}

static void snapshot_loaded_strings(void) {
  UNIT_TEST("snapshot: every string field of a loaded order can be replaced, cleared and freed");
  order *o = rich_order(0);
  bytes_writer w = {0};
  snapshot_write_order(&w, o);
  order_free(o);
  bytes_reader r = {w.data, w.len, 0, 0, 0};
  order *loaded = snapshot_read_order(&r);
  bw_free(&w);
  UNIT_CHECK(loaded != NULL);
  if (!loaded) return;
  /* A conflict removed whole while its strings are in the block (sync.base does this). */
  UNIT_CHECK(order_remove_conflict(loaded, "d1-10") == 0 && loaded->conflicts.len == 1);
  char **fields[64];
  size_t n = string_fields(loaded, fields, 64), in = 0;
  UNIT_CHECK(n == 12 + 2 * 5 + 2 * 3 + 4 + 5);
  for (size_t i = 0; i < n; i++) in += (size_t)in_block(loaded, *fields[i]);
  UNIT_CHECK(in >= n - 4); /* all but the NULLs (two details, an answer_reason; rule is set) */
  for (size_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "replaced %zu", i);
    UNIT_CHECK(order_set_string(loaded, fields[i], name) == 0);       /* the block's: not freed */
    UNIT_CHECK(order_set_string(loaded, fields[i], "again") == 0);    /* its own: freed */
    if (i % 3 == 0) UNIT_CHECK(order_set_string(loaded, fields[i], NULL) == 0 && *fields[i] == NULL);
    UNIT_CHECK(!in_block(loaded, *fields[i]));
  }
  order *copy = order_clone(loaded);
  UNIT_CHECK(copy && copy->strings == NULL && copy->strings_size == 0);
  order_free(copy);
  order_free(loaded); /* the block and every string set above: ASan/LSan check the rest */

  UNIT_TEST("snapshot: commands replace the strings of orders a store loaded, and the store frees them");
  char tmpl[] = "/tmp/pdstr-XXXXXX";
  char *dir = mkdtemp(tmpl);
  copy_fixture("store-v2", dir);
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st != NULL);
  if (!st) return;
  /* An order loaded from format 3 too: checkpoint, reopen. */
  char *res = pd_store_exec(st, NEW_ORDER, strlen(NEW_ORDER));
  UNIT_CHECK(is_ok(res));
  pd_string_free(res);
  UNIT_CHECK(pd_store_checkpoint(st) == 0);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st != NULL);
  if (!st) return;
  pd_shop *s = pd_store_shop(st);
  UNIT_CHECK(shop_find(s, "E5") && shop_find(s, "E5")->strings);
  static const char *const edits[] = {
      /* handover: shipping point, note, carrier; then the label, the carrier's tracking number */
      "{\"cmd\":\"line.check\",\"at\":1766000000010,\"order_id\":\"E5\",\"line_id\":\"L1\",\"result\":\"ok\"}",
      "{\"cmd\":\"order.confirm\",\"at\":1766000000011,\"order_id\":\"E5\"}",
      "{\"cmd\":\"request.open\",\"at\":1766000000012,\"order_id\":\"E5\",\"kind\":\"cancel\",\"reason\":\"wrong size\"}",
      "{\"cmd\":\"request.reject\",\"at\":1766000000013,\"request_id\":\"E5/r1\",\"reason\":\"already packed\"}",
      "{\"cmd\":\"pack.scan\",\"at\":1766000000014,\"order_id\":\"E5\",\"sku\":\"SKU-5\"}",
      "{\"cmd\":\"pack.scan\",\"at\":1766000000015,\"order_id\":\"E5\",\"sku\":\"SKU-5\"}",
      "{\"cmd\":\"pack.confirm\",\"at\":1766000000016,\"order_id\":\"E5\",\"item\":\"no_promo_inserts\"}",
      "{\"cmd\":\"pack.confirm\",\"at\":1766000000016,\"order_id\":\"E5\",\"item\":\"protective_packaging\"}",
      "{\"cmd\":\"pack.complete\",\"at\":1766000000017,\"order_id\":\"E5\"}",
      "{\"cmd\":\"handover.set\",\"at\":1766000000018,\"order_id\":\"E5\",\"method\":\"dropoff\","
      "\"shipping_point\":\"Buu cuc Q1\",\"note\":\"fragile\",\"carrier\":\"GHN\"}",
      "{\"cmd\":\"handover.set\",\"at\":1766000000019,\"order_id\":\"E5\",\"method\":\"pickup\"}",
      "{\"cmd\":\"order.ship\",\"at\":1766000000020,\"order_id\":\"E5\"}",
      "{\"cmd\":\"carrier.event\",\"at\":1766000000021,\"order_id\":\"E5\",\"event\":\"picked_up\",\"tracking_number\":\"T-1\"}",
  };
  for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
    char *out = pd_store_exec(st, edits[i], strlen(edits[i]));
    UNIT_CHECK(is_ok(out));
    if (!is_ok(out)) fprintf(stderr, "  %.200s\n  -> %.300s\n", edits[i], out ? out : "NULL");
    pd_string_free(out);
  }
  /* And one edited in place in the open shop, as no command does: the close frees it right. */
  order *d4 = shop_find(s, "D4");
  UNIT_CHECK(d4 && d4->strings && order_set_string(d4, &d4->buyer_message, "in place") == 0);
  UNIT_CHECK(shop_check(s) == NULL);
  pd_store_close(st);
  rm_rf(dir);
}

void suite_snapshot(void);
void suite_snapshot(void) {
  snapshot_store_v2();
  snapshot_store_v3();
  snapshot_store_v4();
  snapshot_roundtrip();
  snapshot_varints();
  snapshot_loaded_strings();
}
