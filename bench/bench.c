/*
 * bench.c: the native half of `make bench` (bench/bench-wasm.mjs is the other half, command for
 * command the same workload; bench/run.mjs runs both and prints the table).
 *
 * For each N: a fresh shop; import N orders (packdesk form); confirm-pack-ship the first half
 * (line.check each line, order.confirm, order.get for the checklist, pack.scan each unit,
 * pack.confirm each open checklist item, pack.complete, handover.set pickup, order.ship);
 * confirm the second half (not timed: it gives orders.list something to list); then
 * orders.list {stage: "confirmed", limit: 50} LIST_QUERIES times. Every command's `at` is the
 * fixed epoch plus 1 ms per command. Only the time inside pd_exec is counted, less the cost of
 * the clock reading each interval holds (clock_ns, calibrated at start, as the wasm half does
 * with its own clock). WARMUP_RUNS runs of WARMUP_ORDERS orders come first, as in the wasm half
 * (where they let the JIT tier up); the first is reported as "cold".
 *
 * Prints one JSON object on stdout: {"engine":"native","clock_ns","cold": {phases},"results":
 * [{"n", "phases": {name: {"commands","seconds"}}, "checksum"}]}. The checksum (FNV-1a over
 * every response) must equal the wasm one: both engines answered the same workload byte for byte.
 *
 * usage: bench [N...]   (default: 1000 100000)
 */
#define _POSIX_C_SOURCE 200809L
#include "cJSON.h"
#include "packdesk.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EPOCH INT64_C(1764230400000)
#define LIST_QUERIES 500
#define WARMUP_ORDERS 1000
#define WARMUP_RUNS 3
#define REQ_MAX 2048

typedef struct {
  long commands;
  double seconds;
} phase;

static pd_shop *shop;
static int64_t now_ms;
static uint32_t checksum;
static phase *current; /* the phase that pd_exec time is charged to; NULL: not timed */
static double clock_cost; /* seconds: one clock reading, held by every timed interval */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The median, over 11 batches, of the mean empty interval. */
static double calibrate_clock(void) {
  double means[11];
  for (int b = 0; b < 11; b++) {
    double sum = 0;
    for (int k = 0; k < 20000; k++) {
      double t0 = seconds_now();
      sum += seconds_now() - t0;
    }
    means[b] = sum / 20000;
  }
  for (int i = 1; i < 11; i++) /* insertion sort: 11 values */
    for (int j = i; j > 0 && means[j - 1] > means[j]; j--) {
      double t = means[j];
      means[j] = means[j - 1];
      means[j - 1] = t;
    }
  return means[5];
}

/* FNV-1a, 32 bits, over the response and a '\n'. */
static void sum(const char *s) {
  for (; *s; s++) checksum = (checksum ^ (unsigned char)*s) * 16777619u;
  checksum = (checksum ^ '\n') * 16777619u;
}

/* Runs one command (printf-style; callers pass now_ms as its `at`), requires ok:true, and
 * returns the response for the caller to release with run_free(). */
static char *run(const char *fmt, ...) {
  char req[REQ_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(req, sizeof req, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof req) {
    fprintf(stderr, "bench: request too long\n");
    exit(1);
  }
  double t0 = seconds_now();
  char *resp = pd_exec(shop, req, (size_t)n);
  double t1 = seconds_now();
  now_ms++;
  if (current) {
    current->seconds += t1 - t0 - clock_cost;
    current->commands++;
  }
  if (!resp || strncmp(resp, "{\"ok\":true", 10) != 0) {
    fprintf(stderr, "bench: command failed\n  request:  %s\n  response: %s\n", req, resp ? resp : "(NULL)");
    exit(1);
  }
  sum(resp);
  return resp;
}

static void run_free(char *resp) { pd_string_free(resp); }

/* The generated order i: 1 to 3 lines, 1 or 2 units each; every tenth order has a fragile line. */
static int lines_of(int i) { return 1 + i % 3; }
static int sku_of(int i, int j) { return (i * 7 + j * 13) % 200; }
static int qty_of(int i, int j) { return 1 + (i + j) % 2; }
static int fragile(int i, int j) { return i % 10 == 0 && j == 0; }

static void import_order(int i) {
  char lines[1024];
  size_t len = 0;
  for (int j = 0; j < lines_of(i); j++) {
    len += (size_t)snprintf(lines + len, sizeof lines - len,
                            "%s{\"id\":\"L%d\",\"sku\":\"SKU-%03d\",\"name\":\"Product %03d\","
                            "\"quantity\":%d,\"unit_price\":%d%s}",
                            j ? "," : "", j + 1, sku_of(i, j), sku_of(i, j), qty_of(i, j),
                            10000 + (i * 31 + j * 17) % 50 * 1000,
                            fragile(i, j) ? ",\"classes\":[\"fragile\"]" : "");
  }
  run_free(run("{\"cmd\":\"order.import\",\"at\":%" PRId64 ",\"order\":{\"id\":\"BENCH-%07d\","
               "\"placed_at\":%" PRId64 ",\"paid_at\":%" PRId64 ",\"currency\":\"VND\",\"lines\":[%s]}}",
               now_ms, i, now_ms, now_ms, lines));
}

static void confirm_order(int i) {
  for (int j = 0; j < lines_of(i); j++)
    run_free(run("{\"cmd\":\"line.check\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\","
                 "\"line_id\":\"L%d\",\"result\":\"ok\"}", now_ms, i, j + 1));
  run_free(run("{\"cmd\":\"order.confirm\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\"}", now_ms, i));
}

static void pack_and_ship(int i) {
  char *resp = run("{\"cmd\":\"order.get\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\"}", now_ms, i);
  cJSON *got = cJSON_Parse(resp);
  run_free(resp);
  for (int j = 0; j < lines_of(i); j++)
    for (int u = 0; u < qty_of(i, j); u++)
      run_free(run("{\"cmd\":\"pack.scan\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\","
                   "\"sku\":\"SKU-%03d\"}", now_ms, i, sku_of(i, j)));
  const cJSON *checklist = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(got, "result"), "checklist");
  const cJSON *entry;
  cJSON_ArrayForEach(entry, checklist) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, "item");
    if (!cJSON_IsString(item) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "confirmed")))
      continue;
    run_free(run("{\"cmd\":\"pack.confirm\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\","
                 "\"item\":\"%s\"}", now_ms, i, item->valuestring));
  }
  cJSON_Delete(got);
  run_free(run("{\"cmd\":\"pack.complete\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\"}", now_ms, i));
  run_free(run("{\"cmd\":\"handover.set\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\","
               "\"method\":\"pickup\"%s}", now_ms, i,
               fragile(i, 0) ? ",\"note\":\"fragile: keep upright\"" : ""));
  run_free(run("{\"cmd\":\"order.ship\",\"at\":%" PRId64 ",\"order_id\":\"BENCH-%07d\"}", now_ms, i));
}

typedef struct {
  phase import, cps, list;
  uint32_t checksum;
} run_result;

static run_result bench_n(int n) {
  run_result r = {{0, 0}, {0, 0}, {0, 0}, 0};
  shop = pd_shop_new();
  if (!shop) {
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
  now_ms = EPOCH;
  checksum = 2166136261u;

  current = &r.import;
  for (int i = 0; i < n; i++) import_order(i);
  current = &r.cps;
  for (int i = 0; i < n / 2; i++) {
    confirm_order(i);
    pack_and_ship(i);
  }
  current = NULL;
  for (int i = n / 2; i < n; i++) confirm_order(i);
  current = &r.list;
  for (int q = 0; q < LIST_QUERIES; q++)
    run_free(run("{\"cmd\":\"orders.list\",\"at\":%" PRId64 ",\"stage\":\"confirmed\",\"limit\":50}", now_ms));
  current = NULL;
  pd_shop_free(shop);
  r.checksum = checksum;
  return r;
}

static void print_phases(const run_result *r) {
  printf("{\"import\":{\"commands\":%ld,\"seconds\":%.6f},"
         "\"confirm_pack_ship\":{\"commands\":%ld,\"seconds\":%.6f},"
         "\"orders_list\":{\"commands\":%ld,\"seconds\":%.6f}}",
         r->import.commands, r->import.seconds, r->cps.commands, r->cps.seconds, r->list.commands,
         r->list.seconds);
}

static void report(int n, int first) {
  run_result r = bench_n(n);
  printf("%s{\"n\":%d,\"phases\":", first ? "" : ",", n);
  print_phases(&r);
  printf(",\"checksum\":\"%08" PRIx32 "\"}", r.checksum);
  fflush(stdout);
}

int main(int argc, char **argv) {
  static const int defaults[] = {1000, 100000};
  clock_cost = calibrate_clock();
  run_result cold = bench_n(WARMUP_ORDERS);
  for (int k = 1; k < WARMUP_RUNS; k++) bench_n(WARMUP_ORDERS);
  printf("{\"engine\":\"native\",\"clock_ns\":%.1f,\"cold\":", clock_cost * 1e9);
  print_phases(&cold);
  printf(",\"results\":[");
  if (argc > 1) {
    for (int a = 1; a < argc; a++) report(atoi(argv[a]), a == 1);
  } else {
    for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++) report(defaults[k], k == 0);
  }
  printf("]}\n");
  return 0;
}
