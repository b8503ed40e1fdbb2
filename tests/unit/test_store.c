/*
 * test_store.c: the durable store keeps every change a command was answered ok for, through
 * checkpoints, restarts, failed writes and failed allocations, and rebuilds the same shop.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fileio.h"
#include "packdesk.h"
#include "scenario.h"
#include "shop.h"
#include "tempdir.h"
#include "unit.h"

static int is_ok(const char *r) { return r && strncmp(r, "{\"ok\":true", 10) == 0; }

/* The snapshot of a plain in-memory shop that ran the commands marked in `applied`. */
static char *reference(const int *applied) {
  pd_shop *s = pd_shop_new();
  for (int i = 0; i < scenario_count; i++) {
    if (!applied[i]) continue;
    char *r = pd_exec(s, scenario_commands[i], strlen(scenario_commands[i]));
    pd_string_free(r);
  }
  char *snap = scenario_snapshot(s);
  pd_shop_free(s);
  return snap;
}

static char *reopen_snapshot(const char *dir, pd_store_report *rep) {
  pd_store *st = pd_store_open(dir, 0, rep);
  if (!st) return NULL;
  char *snap = scenario_snapshot(pd_store_shop(st));
  pd_store_close(st);
  return snap;
}

static void store_roundtrip(void) {
  UNIT_TEST("store: checkpoints and restarts rebuild the same shop");
  int all[256] = {0};
  for (int i = 0; i < scenario_count; i++) all[i] = 1;
  char *want = reference(all), *dir = fresh_dir("pdstore");
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st != NULL);
  for (int i = 0; st && i < scenario_count; i++) {
    char *r = pd_store_exec(st, scenario_commands[i], strlen(scenario_commands[i]));
    UNIT_CHECK(is_ok(r));
    pd_string_free(r);
    if (i % 7 == 3) UNIT_CHECK(pd_store_checkpoint(st) == 0);
    if (i % 11 == 5) { /* a restart mid-way, as a closed laptop lid */
      pd_store_close(st);
      st = pd_store_open(dir, 0, &rep);
      UNIT_CHECK(st != NULL && rep.damaged == 0);
    }
  }
  pd_store_close(st);
  /* What a crash can leave: a temporary file, a page of a checkpoint that never committed. */
  char orphan[4096], tmp[4096];
  snprintf(orphan, sizeof orphan, "%s/orders-0-999.pds", dir);
  snprintf(tmp, sizeof tmp, "%s/manifest.pds.tmp", dir);
  fclose(fopen(orphan, "w"));
  fclose(fopen(tmp, "w"));
  char *got = reopen_snapshot(dir, &rep);
  UNIT_CHECK(got && want && strcmp(got, want) == 0);
  UNIT_CHECK(rep.orders == 4 && rep.damaged == 0);
  UNIT_CHECK(access(orphan, F_OK) != 0 && access(tmp, F_OK) != 0); /* swept at the open */
  free(got);
  free(want);
  rm_rf(dir);
  free(dir);
}

static void store_failed_writes(void) {
  UNIT_TEST("store: the Nth write fails: what was answered ok survives, nothing else");
  for (long n = 1; n <= 120; n++) {
    int applied[256] = {0};
    char *dir = fresh_dir("pdstore");
    pd_store *st = pd_store_open(dir, PD_STORE_FSYNC, NULL);
    UNIT_CHECK(st != NULL);
    fio_fail_after(n);
    for (int i = 0; st && i < scenario_count; i++) {
      char *r = pd_store_exec(st, scenario_commands[i], strlen(scenario_commands[i]));
      applied[i] = is_ok(r);
      pd_string_free(r);
      if (i % 5 == 4) pd_store_checkpoint(st); /* may fail: the journal keeps everything */
    }
    fio_fail_after(0);
    pd_store_close(st);
    char *want = reference(applied);
    pd_store_report rep;
    char *got = reopen_snapshot(dir, &rep);
    UNIT_CHECK(got && want && strcmp(got, want) == 0);
    if (!got || !want || strcmp(got, want) != 0)
      fprintf(stderr, "  write %ld: %s\n", n, got ? "shop differs" : rep.message);
    free(got);
    free(want);
    rm_rf(dir);
    free(dir);
  }
}

static void store_failed_allocations(void) {
  UNIT_TEST("store: an allocation fails while opening: NULL, nothing leaks, it opens after");
  char *dir = fresh_dir("pdstore");
  pd_store *st = pd_store_open(dir, 0, NULL);
  for (int i = 0; st && i < scenario_count; i++) {
    pd_string_free(pd_store_exec(st, scenario_commands[i], strlen(scenario_commands[i])));
    if (i == scenario_count / 2) pd_store_checkpoint(st);
  }
  pd_store_close(st);
  int opened = 0;
  for (long n = 1; n < 200000 && !opened; n++) {
    pd_alloc_fail_after(n);
    st = pd_store_open(dir, 0, NULL);
    pd_alloc_fail_after(0);
    if (st) {
      opened = 1;
      pd_store_close(st);
    }
  }
  UNIT_CHECK(opened);
  rm_rf(dir);
  free(dir);
}

#define IMPORT_REQ(op_field, id)                                                                       \
  "{\"cmd\":\"order.import\"," op_field "\"at\":1764230400000,\"order\":{\"id\":\"" id "\","           \
  "\"placed_at\":1764230400000,\"paid_at\":1764230400000,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\","   \
  "\"sku\":\"SKU-1\",\"name\":\"Ao thun\",\"quantity\":1,\"unit_price\":150000}],\"buyer\":{\"name\":"   \
  "\"Nguyen Van A\",\"phone\":\"+84 912 345 678\",\"address\":\"12 Le Loi\",\"region\":\"Ho Chi Minh\"}}}"

/* A replayed command keeps the answer of its op exactly (a retry after the reopen answers as
 * the first time did), while one without an op is replayed without printing its answer. */
static void store_replay_answers(void) {
  UNIT_TEST("store: the journal's commands replay to the same answers for their ops, and those without an op apply too");
  const char *with_op[] = {IMPORT_REQ("\"op\":\"op-1\",", "R1"),
                           "{\"cmd\":\"line.check\",\"op\":\"op-2\",\"at\":1764230500000,\"order_id\":\"R1\","
                           "\"line_id\":\"L1\",\"result\":\"ok\"}"};
  const char *without_op = IMPORT_REQ("", "R2");
  char *dir = fresh_dir("pdstore"), *first[2] = {NULL, NULL};
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st != NULL);
  for (int i = 0; st && i < 2; i++) UNIT_CHECK(is_ok(first[i] = pd_store_exec(st, with_op[i], strlen(with_op[i]))));
  char *r = st ? pd_store_exec(st, without_op, strlen(without_op)) : NULL;
  UNIT_CHECK(is_ok(r));
  pd_string_free(r);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep); /* no checkpoint: all three come back from the journal */
  UNIT_CHECK(st && rep.replayed == 3);
  for (int i = 0; st && i < 2; i++) {
    char *again = pd_store_exec(st, with_op[i], strlen(with_op[i]));
    UNIT_CHECK(again && first[i] && strcmp(again, first[i]) == 0);
    pd_string_free(again);
  }
  const char *get = "{\"cmd\":\"order.get\",\"at\":1764230600000,\"order_id\":\"R2\"}";
  r = st ? pd_store_exec(st, get, strlen(get)) : NULL;
  UNIT_CHECK(is_ok(r));
  pd_string_free(r);
  pd_store_close(st);
  for (int i = 0; i < 2; i++) pd_string_free(first[i]);
  rm_rf(dir);
  free(dir);
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

/* The names in dir (up to 64), sorted and joined (what a directory holds, to compare). */
static char *dir_names(const char *dir) {
  char names[64][256], *out = calloc(1, 64 * 257);
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && out && (e = readdir(d)) && n < 64;)
    if (e->d_name[0] != '.') snprintf(names[n++], sizeof names[0], "%s", e->d_name);
  if (d) closedir(d);
  qsort(names, (size_t)n, sizeof names[0], by_name);
  for (int i = 0; out && i < n; i++) strcat(strcat(out, names[i]), " ");
  return out;
}

static int import_orders(pd_store *st, int from, int to) {
  char req[512];
  int ok = 1;
  for (int i = from; st && i < to; i++) {
    snprintf(req, sizeof req,
             "{\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"I%d\",\"placed_at\":"
             "1764230400000,\"currency\":\"VND\",\"lines\":[{\"sku\":\"S\",\"quantity\":1}]}}", i);
    char *r = pd_store_exec(st, req, strlen(req));
    ok &= is_ok(r);
    pd_string_free(r);
  }
  return ok;
}

/* pd_store_idle checkpoints only a tail worth it (IDLE_CHECKPOINT_RECORDS, 64): after it an
 * open replays nothing; a follower never writes; a failed one loses nothing. */
static void store_idle(void) {
  UNIT_TEST("store: idle, a tail of 64 records or more is checkpointed and the next open replays nothing; a shorter one is left alone");
  char *dir = fresh_dir("pdstore");
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && import_orders(st, 0, 63));
  char *before = dir_names(dir);
  UNIT_CHECK(st && pd_store_idle(st) == 0); /* 63 records: not worth a checkpoint */
  char *after = dir_names(dir);
  UNIT_CHECK(before && after && strcmp(before, after) == 0);
  free(before);
  free(after);
  UNIT_CHECK(import_orders(st, 63, 64) && pd_store_idle(st) == 1);
  UNIT_CHECK(st && pd_store_idle(st) == 0); /* nothing left to replay */
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == 0 && rep.orders == 64 && shop_find(pd_store_shop(st), "I63"));
  UNIT_CHECK(import_orders(st, 64, 200));
  pd_store_close(st);

  /* A read-only open (a follower tab) never checkpoints, however long its tail. */
  st = pd_store_open(dir, PD_STORE_READ_ONLY, &rep);
  before = dir_names(dir);
  UNIT_CHECK(st && rep.replayed == 136 && pd_store_idle(st) == 0);
  after = dir_names(dir);
  UNIT_CHECK(before && after && strcmp(before, after) == 0);
  free(before);
  free(after);
  pd_store_close(st);

  /* Its first write fails: -1, said why, and the journal still holds all 200 orders. */
  st = pd_store_open(dir, 0, &rep);
  fio_fail_after(1);
  UNIT_CHECK(st && pd_store_idle(st) == -1 && strstr(pd_store_errmsg(st), "checkpoint failed"));
  fio_fail_after(0);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == 136 && rep.orders == 200 && rep.damaged == 0);
  UNIT_CHECK(st && pd_store_idle(st) == 1);
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == 0 && rep.orders == 200);
  pd_store_close(st);
  rm_rf(dir);
  free(dir);
}

/* However small its commands, the journal's tail never passes PD_STORE_TAIL_RECORDS_MAX - 1
 * records: the command that makes it that long checkpoints. */
static void store_tail_bound(void) {
  UNIT_TEST("store: the command that brings the journal's tail to PD_STORE_TAIL_RECORDS_MAX records checkpoints; an open replays at most one fewer");
  char *dir = fresh_dir("pdstore");
  int most = (int)PD_STORE_TAIL_RECORDS_MAX - 1;
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && import_orders(st, 0, most));
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == (unsigned long long)most && rep.snapshot_seq == 0);
  UNIT_CHECK(st && import_orders(st, most, most + 1));
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == 0 && rep.snapshot_seq == (unsigned long long)most + 1 && rep.orders == (unsigned long long)most + 1);
  UNIT_CHECK(st && import_orders(st, most + 1, most + 11));
  pd_store_close(st);
  st = pd_store_open(dir, 0, &rep);
  UNIT_CHECK(st && rep.replayed == 10 && rep.orders == (unsigned long long)most + 11);
  pd_store_close(st);
  rm_rf(dir);
  free(dir);
}

void suite_store(void) {
  store_idle();
  store_tail_bound();
  store_replay_answers();
  store_roundtrip();
  store_failed_writes();
  store_failed_allocations();
}

/* Regressions found by fuzz_exec and fuzz_store (fuzz/regressions/): kept as unit tests too. */
void suite_store_regressions(void);
void suite_store_regressions(void) {
  UNIT_TEST("regression: freeing a shop of many orders reads no freed key (fuzz_exec)");
  pd_shop *s = pd_shop_new();
  char req[256];
  for (int i = 0; i < 3000; i++) {
    snprintf(req, sizeof req,
             "{\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"R%d\",\"placed_at\":"
             "1764230400000,\"currency\":\"VND\",\"lines\":[{\"sku\":\"S\",\"quantity\":1}]}}", i);
    char *r = pd_exec(s, req, strlen(req));
    UNIT_CHECK(is_ok(r));
    pd_string_free(r);
  }
  pd_shop_free(s); /* ASan reports a use after free here if the map is walked while freed */

  UNIT_TEST("regression: a stored seq past SHOP_MAX_SEQ is refused, not allocated for (fuzz_store)");
  s = pd_shop_new();
  order *o = order_new("HUGE");
  o->seq = SHOP_MAX_SEQ + 1;
  UNIT_CHECK(o && shop_load_order(s, o) == -1);
  o->seq = (uint64_t)1 << 40;
  UNIT_CHECK(shop_load_order(s, o) == -1);
  o->seq = 7;
  UNIT_CHECK(shop_load_order(s, o) == 0 && shop_find(s, "HUGE") == o);
  pd_shop_free(s);
}
