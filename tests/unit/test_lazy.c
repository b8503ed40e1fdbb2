/*
 * test_lazy.c: orders read on first use (store format 5, shop.h's order_slot).
 *  - an open reads no order's body: the indexes, counts, metrics and sync versions come from
 *    the summaries, and equal those of the same shop built in memory; a command reads the
 *    orders it needs and no other;
 *  - a body that does not say what its summary says (a writer's bug, or damage the CRC did
 *    not catch) is refused with STORAGE by every command that needs it, changes nothing and
 *    leaves the rest of the shop working; the checkpoint that would rewrite its page fails
 *    and loses nothing; an eager open (verify, export) finds it at open;
 *  - a byte flipped in a body is found by the body's CRC when a command reads it (STORAGE),
 *    and by verify's eager open; one flipped in the summaries fails the open of the page;
 *  - running out of memory while reading a body fails the command with OUT_OF_MEMORY, for
 *    every allocation the read makes, and the next try reads it;
 *  - keys out of seq order (placement times, deadlines; versions of orders changed since they
 *    came in; with each allocation of the build failed in turn) are sorted at open: every index in
 *    order, every list, count and tick as the same shop built in memory answers them;
 *  - bodies come from the file the open read, even once it is unlinked (a checkpoint of
 *    another process, or IndexedDB's refresh of a follower's files); without kept files
 *    (PD_STORE_FEW_FILES, or past 256 pages) they are read by name, and a page gone is STORAGE;
 *  - tail-pages (store.c) names the page files of the orders the journal's tail changed, in
 *    page order, each once; a replay names the same (and writes the file only when it differs:
 *    missing, or wrong); a read-only open writes nothing; a checkpoint removes it.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cJSON.h"
#include "crc32c.h"
#include "fileio.h"
#include "packdesk.h"
#include "scenario.h"
#include "shop.h"
#include "shop_check.h"
#include "tempdir.h"
#include "unit.h"

#define T0 1766000000000LL
#define ORDERS 2500 /* three pages of ORDER_PAGE */

static void import_req(int i, char *req, size_t n) {
  snprintf(req, n,
           "{\"cmd\":\"order.import\",\"at\":%lld,\"order\":{\"id\":\"Z%04d\",\"placed_at\":%lld,"
           "\"paid_at\":%lld,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-%d\","
           "\"name\":\"Product %d\",\"quantity\":1,\"unit_price\":150000}],\"buyer\":{\"name\":"
           "\"Buyer %d\",\"phone\":\"+84 900 000 000\",\"address\":\"%d Le Loi\",\"region\":\"Hanoi\"}}}",
           T0 + i, i, T0 + i, T0 + i, i % 7, i % 7, i, i);
}

/* The response to req, and whether it is ok / its error code. */
static char *run(pd_store *st, const char *req) { return pd_store_exec(st, req, strlen(req)); }
static int is_ok(const char *r) { return r && strncmp(r, "{\"ok\":true", 10) == 0; }
static int has_code(const char *r, const char *code) {
  char want[64];
  snprintf(want, sizeof want, "\"code\":\"%s\"", code);
  return r && strstr(r, want) != NULL;
}

/* A store of ORDERS imported orders, checkpointed, in a new directory; the same shop built in
 * memory in *ref. */
static char *make_store(char *tmpl, pd_shop **ref) {
  char *dir = mkdtemp(tmpl), req[1024];
  pd_store *st = pd_store_open(dir, 0, NULL);
  *ref = pd_shop_new();
  for (int i = 0; st && i < ORDERS; i++) {
    import_req(i, req, sizeof req);
    char *r = run(st, req), *q = pd_exec(*ref, req, strlen(req));
    UNIT_CHECK(is_ok(r) && is_ok(q));
    pd_string_free(r);
    pd_string_free(q);
  }
  UNIT_CHECK(st && pd_store_checkpoint(st) == 0);
  pd_store_close(st);
  return dir;
}

static size_t bodies_read(const pd_shop *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->by_seq.len; i++) n += s->by_seq.items[i] && s->by_seq.items[i]->o;
  return n;
}

/* The same request to the store and to the reference: the same answer. */
static int same_answer(pd_store *st, pd_shop *ref, const char *req) {
  char *a = run(st, req), *b = pd_exec(ref, req, strlen(req));
  int same = a && b && strcmp(a, b) == 0;
  if (!same) fprintf(stderr, "  %s\n  store: %.300s\n  ref:   %.300s\n", req, a ? a : "", b ? b : "");
  pd_string_free(a);
  pd_string_free(b);
  return same;
}

/* Every request of reqs answered alike by the store and the reference shop. */
static void same_answers(pd_store *st, pd_shop *ref, const char *const *reqs, size_t n) {
  for (size_t i = 0; st && i < n; i++) UNIT_CHECK(same_answer(st, ref, reqs[i]));
}

/* order.import of <prefix><i> (4 digits), placed at `placed`, at `at`, with one line; one in
 * five unpaid (another stage, another deadline), the others paid a second after placing. */
static void import_placed(char *req, size_t n, char prefix, int i, long long at, long long placed) {
  char paid[48] = "";
  if (i % 5) snprintf(paid, sizeof paid, "\"paid_at\":%lld,", placed + 1000);
  snprintf(req, n,
           "{\"cmd\":\"order.import\",\"at\":%lld,\"order\":{\"id\":\"%c%04d\",\"placed_at\":%lld,%s"
           "\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-1\",\"quantity\":1,"
           "\"unit_price\":1000}]}}",
           at, prefix, i, placed, paid);
}

static void lazy_open_reads_nothing(void) {
  UNIT_TEST("lazy: an open reads no body; a command reads the orders it needs, and no other");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  pd_shop *ref;
  char *dir = make_store(tmpl, &ref);
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.orders == ORDERS && !rep.damaged);
  if (!st) return;
  pd_shop *s = pd_store_shop(st);
  UNIT_CHECK_INT(bodies_read(s), 0);
  UNIT_CHECK(shop_check(s) == NULL);
  /* What the summaries alone answer: */
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"metrics\",\"at\":1766000100000}"));
  UNIT_CHECK_INT(bodies_read(s), 0);
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":10}"));
  UNIT_CHECK_INT(bodies_read(s), 10);
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":5,\"sort\":\"newest\"}"));
  UNIT_CHECK_INT(bodies_read(s), 15);
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z1200\"}"));
  UNIT_CHECK_INT(bodies_read(s), 16);
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"line.check\",\"at\":1766000100000,\"order_id\":\"Z1300\",\"line_id\":\"L1\",\"result\":\"ok\"}"));
  UNIT_CHECK_INT(bodies_read(s), 17);
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"sync.changes\",\"at\":1766000100000,\"since\":2490}"));
  UNIT_CHECK(shop_check(s) == NULL);
  char *got = scenario_snapshot(s), *want = scenario_snapshot(ref); /* reads every body */
  UNIT_CHECK(got && want && strcmp(got, want) == 0);
  free(got);
  free(want);
  pd_store_close(st);
  pd_shop_free(ref);
  rm_rf(dir);
}

/* The path of the file of page `page` of orders in dir. */
static void page_path(const char *dir, uint64_t page, char *path, size_t n) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "orders-%llu-", (unsigned long long)page);
  DIR *d = opendir(dir);
  struct dirent *e;
  path[0] = '\0';
  while (d && (e = readdir(d)))
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) snprintf(path, n, "%s/%s", dir, e->d_name);
  if (d) closedir(d);
}

/* Where an order's body lies: its page file, offset and length (from a read-only open). */
static int body_place(const char *dir, const char *id, char *path, size_t n, uint32_t *at, uint32_t *len) {
  pd_store *st = pd_store_open(dir, PD_STORE_READ_ONLY, NULL);
  const order_slot *sl = st ? shop_slot(pd_store_shop(st), id) : NULL;
  if (sl) {
    page_path(dir, sl->seq / ORDER_PAGE, path, n);
    *at = sl->body_at;
    *len = sl->body_len;
  }
  pd_store_close(st);
  return sl ? 0 : -1;
}

/* Rewrites a page file with `edit` applied to its bytes; with `seal`, the file's last CRC is
 * made good again (what the lazy reader does not check, and verify does). */
static int edit_file(const char *path, void (*edit)(unsigned char *buf, void *ud), void *ud, int seal) {
  unsigned char *buf;
  size_t n;
  if (fio_read_file(path, &buf, &n)) return -1;
  edit(buf, ud);
  if (seal) {
    uint32_t crc = crc32c(0, buf, n - 4);
    for (int i = 0; i < 4; i++) buf[n - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
  }
  int rc = fio_write_file_atomic(path, buf, n);
  pd_free(buf);
  return rc;
}

typedef struct {
  uint32_t a, b, len;
} swap_args;

static void swap(unsigned char *buf, void *ud) {
  swap_args *w = ud;
  unsigned char tmp[4096];
  memcpy(tmp, buf + w->a, w->len);
  memmove(buf + w->a, buf + w->b, w->len);
  memcpy(buf + w->b, tmp, w->len);
}

static void flip(unsigned char *buf, void *ud) { buf[*(uint32_t *)ud] ^= 0x20; }

/* Swaps the bodies of two orders of one page (same length, each with its CRC) and seals the
 * file: each body decodes, but says another order than its summary. */
static int swap_bodies(const char *dir, const char *a_id, const char *b_id) {
  char path[4096], path_b[4096];
  swap_args w;
  uint32_t len_b;
  if (body_place(dir, a_id, path, sizeof path, &w.a, &w.len) ||
      body_place(dir, b_id, path_b, sizeof path_b, &w.b, &len_b) || w.len != len_b || strcmp(path, path_b) != 0)
    return -1;
  w.len += 4;
  return edit_file(path, swap, &w, 1);
}

static void lazy_mismatch_refused(void) {
  UNIT_TEST("lazy: a body that is not what its summary says is refused (STORAGE), changes nothing, and the rest works");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  pd_shop *ref;
  char *dir = make_store(tmpl, &ref);
  UNIT_CHECK(swap_bodies(dir, "Z0005", "Z0006") == 0);
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged); /* the summaries are whole: the open cannot know */
  if (!st) return;
  char *r = run(st, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z0005\"}");
  UNIT_CHECK(has_code(r, "STORAGE") && strstr(r, "Z0005") && strstr(r, "does not match its summary"));
  pd_string_free(r);
  r = run(st, "{\"cmd\":\"line.check\",\"at\":1766000100000,\"op\":\"c-5\",\"order_id\":\"Z0006\",\"line_id\":\"L1\",\"result\":\"ok\"}");
  UNIT_CHECK(has_code(r, "STORAGE") && strstr(r, "Z0006"));
  pd_string_free(r);
  /* Every command that would need either: a first page of the list, an import of it again. */
  r = run(st, "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"sort\":\"oldest\",\"limit\":10}");
  UNIT_CHECK(has_code(r, "STORAGE"));
  pd_string_free(r);
  char req[1024];
  import_req(5, req, sizeof req);
  r = run(st, req);
  UNIT_CHECK(has_code(r, "STORAGE")); /* never taken for a new order of that id */
  pd_string_free(r);
  UNIT_CHECK(shop_check(pd_store_shop(st)) == NULL && pd_store_shop(st)->orders.len == ORDERS);
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"line.check\",\"at\":1766000100000,\"order_id\":\"Z0007\",\"line_id\":\"L1\",\"result\":\"ok\"}"));
  UNIT_CHECK(same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z2400\"}"));
  /* The page must be rewritten whole, and two of its bodies cannot be read: the checkpoint
   * fails, and the journal still holds the check. */
  UNIT_CHECK(pd_store_checkpoint(st) == -1);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == 1 && !rep.damaged);
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z0007\"}"));
  pd_store_close(st);
  /* verify and export read every body at open: the page is damage there (and the journal's
   * check of Z0007, which lies past the damage in that page, no longer applies). */
  st = pd_store_open(dir, PD_STORE_READ_ONLY | PD_STORE_EAGER, &rep);
  UNIT_CHECK(rep.damaged);
  pd_store_close(st);
  UNIT_CHECK(pd_store_open(dir, PD_STORE_EAGER, &rep) == NULL);
  pd_shop_free(ref);
  rm_rf(dir);
}

static void lazy_flipped_bytes(void) {
  UNIT_TEST("lazy: a byte flipped in a body is found when it is read (STORAGE) and by verify; in the summaries, at open");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  pd_shop *ref;
  char *dir = make_store(tmpl, &ref);
  char path[4096];
  uint32_t at, len;
  UNIT_CHECK(body_place(dir, "Z1500", path, sizeof path, &at, &len) == 0);
  uint32_t where = at + len / 2;
  UNIT_CHECK(edit_file(path, flip, &where, 0) == 0);
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged);
  char *r = st ? run(st, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z1500\"}") : NULL;
  UNIT_CHECK(has_code(r, "STORAGE") && strstr(r, "Z1500") && strstr(r, "is damaged"));
  pd_string_free(r);
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z1501\"}"));
  pd_store_close(st);
  st = pd_store_open(dir, PD_STORE_READ_ONLY | PD_STORE_EAGER, &rep); /* verify */
  UNIT_CHECK(st && rep.damaged && strstr(rep.message, "orders-1-"));
  pd_store_close(st);
  /* The same byte flipped back, then one of the summaries: no open takes the page. */
  UNIT_CHECK(edit_file(path, flip, &where, 0) == 0);
  where = 40;
  UNIT_CHECK(edit_file(path, flip, &where, 1) == 0);
  UNIT_CHECK(pd_store_open(dir, 0, &rep) == NULL);
  st = pd_store_open(dir, PD_STORE_READ_ONLY, &rep);
  UNIT_CHECK(st && rep.damaged && strstr(rep.message, "orders-1-") && rep.orders == ORDERS - ORDER_PAGE);
  pd_store_close(st);
  pd_shop_free(ref);
  rm_rf(dir);
}

static void lazy_read_out_of_memory(void) {
  UNIT_TEST("lazy: out of memory while reading a body fails the command (OUT_OF_MEMORY), and the next try reads it");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  pd_shop *ref;
  char *dir = make_store(tmpl, &ref);
  const char *get = "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z0042\"}";
  int failures = 0;
  for (long n = 1; n < 400; n++) {
    pd_store *st = pd_store_open(dir, 0, NULL);
    if (!st) break;
    char pack[128]; /* a new order each time: the last one may have been confirmed */
    snprintf(pack, sizeof pack, "{\"cmd\":\"line.check\",\"at\":1766000100000,\"order_id\":\"Z%04ld\",\"line_id\":\"L1\",\"result\":\"ok\"}", 1000 + n);
    pd_alloc_fail_after(n);
    long before = pd_alloc_failures();
    char *a = run(st, get), *b = run(st, pack);
    int failed = pd_alloc_failures() != before;
    pd_alloc_fail_after(0);
    UNIT_CHECK(!a || is_ok(a) || has_code(a, "OUT_OF_MEMORY"));
    UNIT_CHECK(!b || is_ok(b) || has_code(b, "OUT_OF_MEMORY") || has_code(b, "STORAGE"));
    int confirmed = is_ok(b);
    pd_string_free(a);
    pd_string_free(b);
    UNIT_CHECK(same_answer(st, ref, get));
    UNIT_CHECK(shop_check(pd_store_shop(st)) == NULL);
    pd_store_close(st);
    if (confirmed) { /* it was saved: the reference takes it too, once */
      char *q = pd_exec(ref, pack, strlen(pack));
      pd_string_free(q);
    }
    if (!failed) break;
    failures++;
  }
  UNIT_CHECK(failures > 5);
  pd_store *st = pd_store_open(dir, 0, NULL);
  char *got = st ? scenario_snapshot(pd_store_shop(st)) : NULL, *want = scenario_snapshot(ref);
  UNIT_CHECK(got && want && strcmp(got, want) == 0);
  free(got);
  free(want);
  pd_store_close(st);
  pd_shop_free(ref);
  rm_rf(dir);
}

/* req to the store and to the reference: both ok, with the same answer. */
static void exec_both(pd_store *st, pd_shop *ref, const char *req) {
  char *r = run(st, req), *q = pd_exec(ref, req, strlen(req));
  UNIT_CHECK(is_ok(r) && q && strcmp(r, q) == 0);
  pd_string_free(r);
  pd_string_free(q);
}

/* Checkpoints st and opens its dir again: the store opened, its indexes checked (NULL: not). */
static pd_store *checkpoint_reopen(pd_store *st, const char *dir) {
  UNIT_CHECK(st && pd_store_checkpoint(st) == 0);
  pd_store_close(st);
  st = pd_store_open(dir, 0, NULL);
  UNIT_CHECK(st && shop_check(pd_store_shop(st)) == NULL);
  return st;
}

static void lazy_keys_out_of_order(void) {
  UNIT_TEST("lazy: a store whose keys are out of seq order opens with every index in order");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  char *dir = mkdtemp(tmpl), req[1024];
  pd_store *st = pd_store_open(dir, 0, NULL);
  pd_shop *ref = pd_shop_new();
  for (int i = 0; st && i < ORDERS; i++) {
    long long placed = T0 - (i * 7919) % ORDERS * 60000LL; /* placed (and so due) out of arrival order */
    import_placed(req, sizeof req, 'Y', i, T0 + ORDERS, placed);
    exec_both(st, ref, req);
  }
  st = checkpoint_reopen(st, dir);
  static const char *const lists[] = {
      "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":40}",
      "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":40,\"sort\":\"newest\"}",
      "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":40,\"sort\":\"oldest\",\"stage\":\"unpaid\"}",
      "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":40,\"stage\":\"awaiting_confirmation\"}",
      "{\"cmd\":\"stats\",\"at\":1766200000000}",
      "{\"cmd\":\"sync.changes\",\"at\":1766000100000,\"since\":100,\"limit\":20}",
      "{\"cmd\":\"tick\",\"at\":1766300000000}"};
  same_answers(st, ref, lists, sizeof lists / sizeof *lists);
  UNIT_CHECK(st && shop_check(pd_store_shop(st)) == NULL);
  pd_store_close(st);
  pd_shop_free(ref);
  rm_rf(dir);
}

/* Takes every order out of every index, as they are before an open builds them. */
static void unindex_all(pd_shop *s) {
  for (size_t i = 0; i < s->by_seq.len; i++) {
    order_slot *sl = s->by_seq.items[i];
    if (!sl) continue;
    index_remove(&s->by_stage[sl->stage], &sl->stage_node);
    index_remove(&s->placed_by_stage[sl->stage], &sl->placed_stage_node);
    if (sl->next_event != PD_NEVER) index_remove(&s->timed, &sl->tick_node);
    index_remove(&s->by_version, &sl->version_node);
  }
}

/* Orders changed after those that came in after them hold versions above theirs: the version
 * index's keys at open are in seq order but for those, which shop_index_all takes out, sorts
 * and merges back. Placement times shared by three orders (ties: seq decides), one order in 50
 * placed 5 minutes before those before it (it takes out ~13 of them, and the orders after it
 * tie with those taken out), deadlines of stages interleaved (in order within each stage),
 * orders changed in reverse seq order (their versions descending). Then the build again with
 * each of its allocations failed in turn, up to one that none reached: every index in order
 * all the same (a build without memory falls back to inserting). */
#define NEAR_ORDERS 700
static void lazy_keys_nearly_in_order(void) {
  UNIT_TEST("lazy: orders changed since they came in (versions out of place) open with every index in order");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  char *dir = mkdtemp(tmpl), req[1024];
  pd_store *st = pd_store_open(dir, 0, NULL);
  pd_shop *ref = pd_shop_new();
  for (int i = 0; st && i < NEAR_ORDERS + 16; i++) {
    if (i < NEAR_ORDERS) {
      long long placed = T0 + (i / 3) * 60000LL;
      if (i % 50 == 49) placed -= 5 * 60000LL; /* one in 50 comes in late */
      import_placed(req, sizeof req, 'N', i, placed + 2000, placed);
    } else { /* then orders checked and confirmed (another stage), the last first */
      static const int changed[] = {699, 642, 584, 528, 471, 414, 13, 1};
      int k = i - NEAR_ORDERS;
      snprintf(req, sizeof req, k % 2 ? "{\"cmd\":\"order.confirm\",\"at\":%lld,\"order_id\":\"N%04d\"}"
                                      : "{\"cmd\":\"line.check\",\"at\":%lld,\"order_id\":\"N%04d\",\"line_id\":\"L1\",\"result\":\"ok\"}",
               T0 + 50000000LL + k, changed[k / 2]);
    }
    exec_both(st, ref, req);
  }
  st = checkpoint_reopen(st, dir);
  static const char *const lists[] = {
      "{\"cmd\":\"sync.changes\",\"at\":1766100000000,\"since\":690,\"limit\":30}",
      "{\"cmd\":\"sync.changes\",\"at\":1766100000000,\"since\":0,\"limit\":800}",
      "{\"cmd\":\"orders.list\",\"at\":1766100000000,\"limit\":40}",
      "{\"cmd\":\"orders.list\",\"at\":1766100000000,\"limit\":40,\"sort\":\"newest\"}",
      "{\"cmd\":\"orders.list\",\"at\":1766100000000,\"limit\":40,\"stage\":\"awaiting_shipment\"}",
      "{\"cmd\":\"orders.list\",\"at\":1766100000000,\"limit\":40,\"sort\":\"oldest\",\"stage\":\"unpaid\"}",
      "{\"cmd\":\"tick\",\"at\":1766300000000}"};
  same_answers(st, ref, lists, sizeof lists / sizeof *lists);
  /* The open's index build again, each of its allocations failed in turn. */
  pd_shop *s = st ? pd_store_shop(st) : NULL;
  int fell_back = 0, checked = 1, whole = 0; /* whole: a build that no failure reached */
  for (long n = 1; s && !whole && n <= 64; n++) {
    unindex_all(s);
    long failures = pd_alloc_failures();
    pd_alloc_fail_after(n);
    shop_index_all(s);
    pd_alloc_fail_after(0);
    if (pd_alloc_failures() > failures) fell_back++;
    else whole = 1;
    if (shop_check(s) != NULL) checked = 0;
  }
  UNIT_CHECK(checked);
  UNIT_CHECK(whole);          /* so every allocation of the build was failed once */
  UNIT_CHECK(fell_back >= 8); /* the builder's arrays, the sort's, and each sort's items */
  pd_store_close(st);
  pd_shop_free(ref);
  rm_rf(dir);
}

static void lazy_reads_the_opened_file(void) {
  UNIT_TEST("lazy: bodies come from the files the open read, even once they are unlinked");
  char tmpl[] = "/tmp/pdlazy-XXXXXX";
  pd_shop *ref;
  char *dir = make_store(tmpl, &ref);
  pd_store *st = pd_store_open(dir, PD_STORE_READ_ONLY, NULL);
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  int unlinked = 0;
  while (d && (e = readdir(d)))
    if (strncmp(e->d_name, "orders-", 7) == 0) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlinked += unlink(path) == 0;
    }
  if (d) closedir(d);
  UNIT_CHECK_INT(unlinked, 3);
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z2222\"}"));
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"orders.list\",\"at\":1766000100000,\"limit\":50}"));
  pd_store_close(st);
  rm_rf(dir);

  /* Without kept files (PD_STORE_FEW_FILES, and past 256 pages), each read opens the page by
   * name: the same answers while the files are there, and STORAGE, not a crash, once gone. */
  UNIT_TEST("lazy: without kept files, bodies are read by name; a page gone is STORAGE");
  char tmpl2[] = "/tmp/pdlazy-XXXXXX";
  pd_shop_free(ref);
  dir = make_store(tmpl2, &ref);
  st = pd_store_open(dir, PD_STORE_FEW_FILES, NULL);
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z2222\"}"));
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"line.check\",\"at\":1766000100000,\"order_id\":\"Z0001\",\"line_id\":\"L1\",\"result\":\"ok\"}"));
  UNIT_CHECK(st && pd_store_checkpoint(st) == 0);
  UNIT_CHECK(st && same_answer(st, ref, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z0002\"}"));
  page_path(dir, 2, path, sizeof path);
  UNIT_CHECK(unlink(path) == 0);
  char *r = st ? run(st, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z2100\"}") : NULL;
  UNIT_CHECK(has_code(r, "STORAGE") && strstr(r, "Z2100") && strstr(r, "cannot be opened"));
  pd_string_free(r);
  pd_store_close(st);
  pd_shop_free(ref);
  rm_rf(dir);
}

/* tail-pages's text, or "" when there is none (the caller frees it). */
static char *tail_pages(const char *dir) {
  char path[4096];
  unsigned char *buf = NULL;
  size_t n = 0;
  snprintf(path, sizeof path, "%s/tail-pages", dir);
  if (fio_read_file(path, &buf, &n)) return strdup("");
  char *text = strndup((const char *)buf, n);
  pd_free(buf);
  return text;
}

/* The lines tail-pages should hold for pages `pages` (ascending): their files' names. */
static void page_lines(const char *dir, const int *pages, int n, char *out, size_t size) {
  char path[4096];
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    page_path(dir, (uint64_t)pages[i], path, sizeof path);
    snprintf(out + strlen(out), size - strlen(out), "%s\n", strrchr(path, '/') + 1);
  }
}

static int tail_pages_are(const char *dir, const int *pages, int n) {
  char want[1024], *got = tail_pages(dir);
  page_lines(dir, pages, n, want, sizeof want);
  int same = strcmp(got, want) == 0;
  if (!same) fprintf(stderr, "  tail-pages: got \"%s\", want \"%s\"\n", got, want);
  free(got);
  return same;
}

static int ok_run(pd_store *st, const char *req) {
  char *r = run(st, req);
  int ok = is_ok(r);
  pd_string_free(r);
  return ok;
}

#define CHECK_LINE(id) \
  "{\"cmd\":\"line.check\",\"at\":1766000100000,\"order_id\":\"" id "\",\"line_id\":\"L1\",\"result\":\"ok\"}"

static void lazy_tail_pages(void) {
  UNIT_TEST("lazy: tail-pages names the page files whose bodies the journal's tail needs, for the shell to read with the open");
  char tmpl[] = "/tmp/pdlazy-XXXXXX", path[4096];
  pd_shop *ref;
  char *dir = make_store(tmpl, &ref);
  pd_shop_free(ref);
  const int page1[] = {1}, pages01[] = {0, 1};
  snprintf(path, sizeof path, "%s/tail-pages", dir);
  UNIT_CHECK_INT(count_files(dir, "tail-pages"), 0); /* a checkpoint leaves an empty tail */
  pd_store *st = pd_store_open(dir, 0, NULL);
  UNIT_CHECK(st != NULL);
  if (!st) return;
  UNIT_CHECK(ok_run(st, CHECK_LINE("Z1300"))); /* page 1 */
  UNIT_CHECK(tail_pages_are(dir, page1, 1));
  /* Another order of a page named already: nothing more is written than the journal's record. */
  long before = fio_op_count();
  UNIT_CHECK(ok_run(st, CHECK_LINE("Z1301")));
  long repeat = fio_op_count() - before;
  before = fio_op_count();
  UNIT_CHECK(ok_run(st, CHECK_LINE("Z0100"))); /* page 0 */
  UNIT_CHECK(fio_op_count() - before > repeat);
  UNIT_CHECK(tail_pages_are(dir, pages01, 2));
  /* A new order is in no page file: nothing to name. A query changes nothing. */
  char req[1024];
  import_req(ORDERS, req, sizeof req);
  UNIT_CHECK(ok_run(st, req));
  UNIT_CHECK(ok_run(st, "{\"cmd\":\"order.get\",\"at\":1766000100000,\"order_id\":\"Z2000\"}"));
  UNIT_CHECK(tail_pages_are(dir, pages01, 2));
  pd_store_close(st);

  /* The replay of the tail names the same pages: a reopen leaves the file as it is, and one
   * without it (a store saved before there was such a file), or with a wrong one, rewrites it. */
  st = pd_store_open(dir, 0, NULL);
  UNIT_CHECK(st && tail_pages_are(dir, pages01, 2));
  pd_store_close(st);
  unlink(path);
  st = pd_store_open(dir, 0, NULL);
  UNIT_CHECK(st && tail_pages_are(dir, pages01, 2));
  pd_store_close(st);
  UNIT_CHECK(fio_write_file_atomic(path, "orders-7-99.pds\n\x01garbage", 24) == 0);
  pd_store_report rep;
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && !rep.damaged && rep.replayed == 4 && tail_pages_are(dir, pages01, 2));
  pd_store_close(st);
  /* A read-only open writes nothing. */
  unlink(path);
  st = pd_store_open(dir, PD_STORE_READ_ONLY, NULL);
  UNIT_CHECK(st != NULL);
  pd_store_close(st);
  UNIT_CHECK_INT(count_files(dir, "tail-pages"), 0);
  /* A checkpoint empties the tail: no file. */
  st = pd_store_open(dir, 0, NULL);
  UNIT_CHECK(st && count_files(dir, "tail-pages") == 1);
  UNIT_CHECK(st && pd_store_checkpoint(st) == 0);
  UNIT_CHECK_INT(count_files(dir, "tail-pages"), 0);
  pd_store_close(st);
  rm_rf(dir);
}

void suite_lazy(void);
void suite_lazy(void) {
  lazy_open_reads_nothing();
  lazy_mismatch_refused();
  lazy_flipped_bytes();
  lazy_read_out_of_memory();
  lazy_reads_the_opened_file();
  lazy_keys_out_of_order();
  lazy_keys_nearly_in_order();
  lazy_tail_pages();
}
