/*
 * bench_store.c: what saving costs as a shop grows. For a shop of N orders (1,000 and
 * 100,000) kept in a store: the cost of each command that changes an order (journal append,
 * checkpoints included, as they fall; the median of ROUNDS rounds), the bytes written per
 * command, and the time to open the store again (snapshot pages + journal tail). Printed as
 * JSON lines for bench/run-store.mjs.
 * Usage: bench_store [N...]   (up to SHOPS_MAX sizes, their rounds taken in turns; stores under
 *                            /tmp, removed afterwards; KEEP=1 keeps them)
 *        N:ops               each import carries an op id, as the console's commands do: the
 *                            store then keeps the newest 2-4k applied operations and their
 *                            answers (OPS_KEPT), which an open reads whole
 *        bench_store open DIR  (opens a kept store: median open, resident memory)
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "packdesk.h"
#include "shop.h" /* ORDER_PAGE */

#define T0 1764230400000LL
enum { WORK_ORDERS = 1000 }; /* orders in the timed rounds: 2 commands each a round */

static double clock_ms(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

static void rm_rf(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

static void run(pd_store *st, const char *req) {
  char *r = pd_store_exec(st, req, strlen(req));
  if (!r || strncmp(r, "{\"ok\":true", 10) != 0) {
    fprintf(stderr, "bench_store: %s\n -> %s\n", req, r ? r : "NULL");
    exit(1);
  }
  pd_string_free(r);
}

/* Acknowledges a page of the outbox (ids are consecutive: list the first and last); returns
 * how many were acknowledged. */
static long ack_page(pd_store *st, long long at) {
  char req[128];
  snprintf(req, sizeof req, "{\"cmd\":\"outbox.list\",\"at\":%lld}", at);
  char *r = pd_store_exec(st, req, strlen(req));
  const char *p = r ? strstr(r, "\"id\":") : NULL;
  long first = p ? atol(p + 5) : 0, last = first;
  for (; p; p = strstr(p + 1, "\"id\":")) last = atol(p + 5);
  pd_string_free(r);
  if (!first) return 0;
  size_t cap = (size_t)(last - first + 1) * 12 + 64, len;
  char *ack = malloc(cap);
  len = (size_t)snprintf(ack, cap, "{\"cmd\":\"outbox.ack\",\"at\":%lld,\"ids\":[", at);
  for (long id = first; id <= last; id++) len += (size_t)snprintf(ack + len, cap - len, "%s%ld", id > first ? "," : "", id);
  snprintf(ack + len, cap - len, "]}");
  run(st, ack);
  free(ack);
  return last - first + 1;
}

/* Acknowledges every message in the outbox, as the sync server does when it sends them. */
static void ack_outbox(pd_store *st, long long at) {
  while (ack_page(st, at) > 0) {
  }
}

/* The timed work is ROUNDS rounds over the same orders, two commands an order each: round 0
 * checks the line and confirms (what a seller does with new orders), the later ones scan a
 * unit and unscan it (a packer's commands, which an order takes again and again). Rounds, and
 * their median, because a round's saves include its checkpoints, and one fsync that stalls
 * (~100 ms seen on this VM's disk) made a single window's 100k / 1k ratio swing 0.3x-3.7x
 * run to run (1.0-1.1 with 21 rounds). Each round adds two timeline entries to an order, so
 * its page grows: bytes per command (~2.2 KB) are above a single window's (~1.6 KB). */
enum { ROUNDS = 21 };

/* Runs round `round` on orders [from, to); returns ms. */
static double run_round(pd_store *st, int round, long from, long to, long long *at) {
  char req[256];
  double t0 = now_ms();
  for (long i = from; i < to; i++) {
    if (round == 0) {
      snprintf(req, sizeof req, "{\"cmd\":\"line.check\",\"at\":%lld,\"order_id\":\"O%ld\",\"line_id\":\"L1\",\"result\":\"ok\"}", (*at)++, i);
      run(st, req);
      snprintf(req, sizeof req, "{\"cmd\":\"order.confirm\",\"at\":%lld,\"order_id\":\"O%ld\"}", (*at)++, i);
      run(st, req);
      continue;
    }
    snprintf(req, sizeof req, "{\"cmd\":\"pack.scan\",\"at\":%lld,\"order_id\":\"O%ld\",\"sku\":\"SKU-%ld\"}", (*at)++, i, i % 500);
    run(st, req);
    snprintf(req, sizeof req, "{\"cmd\":\"pack.unscan\",\"at\":%lld,\"order_id\":\"O%ld\",\"sku\":\"SKU-%ld\"}", (*at)++, i, i % 500);
    run(st, req);
  }
  return now_ms() - t0;
}

static void sort_doubles(double *v, int n) { /* insertion sort: a handful of numbers */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
}

/* Resident memory of this process (kB), from /proc (0 where there is none). */
static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = atol(line + 6);
  if (f) fclose(f);
  return kb;
}

/* Bytes of the order pages in dir (the snapshot's orders). */
static unsigned long long order_page_bytes(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  unsigned long long total = 0;
  while (d && (e = readdir(d))) {
    struct stat sb;
    if (strncmp(e->d_name, "orders-", 7) != 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &sb) == 0) total += (unsigned long long)sb.st_size;
  }
  if (d) closedir(d);
  return total;
}

/* Opens the store in dir OPENS times (the files in the page cache: what a warm open costs) and
 * prints the first and the median open, the bytes per order of its pages and what the open
 * shop keeps resident (the growth of this process's RSS over the first open). */
enum { OPENS = 5 };

static void print_open(const char *dir, long n) {
  double ms[OPENS], cpu[OPENS];
  pd_store_report rep;
  long rss = 0;
  long faults = 0;
  for (int i = 0; i < OPENS; i++) {
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    long rss0 = rss_kb();
    double t0 = now_ms(), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    pd_store *st = pd_store_open(dir, 0, &rep);
    ms[i] = now_ms() - t0;
    cpu[i] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (!st) {
      fprintf(stderr, "bench_store: %s: %s\n", dir, rep.message);
      exit(1);
    }
    getrusage(RUSAGE_SELF, &ru1);
    if (i == 0) {
      rss = rss_kb() - rss0;
      faults = ru1.ru_minflt - ru0.ru_minflt;
    }
    pd_store_close(st);
  }
  double count = n ? (double)n : (double)rep.orders;
  double first = ms[0];
  sort_doubles(ms, OPENS);
  sort_doubles(cpu, OPENS);
  /* The first open is what a fresh page pays: its memory is new to the process, and on this
   * machine each first touch of a page costs (about 4 ms a MB). The median is a warm one.
   * CPU time too: on a busy machine the wall clock says more about the neighbours. */
  printf("\"open_first_ms\":%.1f,\"open_ms\":%.1f,\"open_ms_min\":%.1f,\"open_cpu_ms\":%.1f,\"bytes_per_order\":%.0f,\"open_rss_mb\":%.1f,"
         "\"open_first_faults\":%ld,\"opened_orders\":%llu,\"replayed\":%llu}\n",
         first, ms[OPENS / 2], ms[0], cpu[OPENS / 2], count > 0 ? (double)order_page_bytes(dir) / count : 0.0, (double)rss / 1024.0,
         faults, rep.orders, rep.replayed);
  fflush(stdout);
}

enum { SHOPS_MAX = 8 }; /* sizes one run takes (each shop is kept open until the rounds end) */

/* A shop of n orders in a store of its own, and what its timed rounds measured. */
typedef struct {
  long n;
  int ops;
  char dir[32];
  pd_store *st;
  long long at;
  long first, half; /* the timed orders: [first, first + half) saved, the next half not */
  double saved[ROUNDS], unsaved[ROUNDS];
  unsigned long long bytes;
} shop_bench;

static void fill(shop_bench *b, long n, int ops) {
  char req[1024], op[40] = "";
  b->n = n;
  b->ops = ops;
  snprintf(b->dir, sizeof b->dir, "/tmp/pdbench-XXXXXX");
  if (!mkdtemp(b->dir) || !(b->st = pd_store_open(b->dir, 0, NULL))) {
    fprintf(stderr, "bench_store: cannot make a store under /tmp\n");
    exit(1);
  }
  b->at = T0;
  for (long i = 0; i < n; i++) {
    if (ops) snprintf(op, sizeof op, "\"op\":\"import-%ld\",", i);
    snprintf(req, sizeof req,
             "{\"cmd\":\"order.import\",%s\"at\":%lld,\"order\":{\"id\":\"O%ld\",\"placed_at\":%lld,"
             "\"paid_at\":%lld,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-%ld\","
             "\"name\":\"Product %ld\",\"quantity\":1,\"unit_price\":150000}],\"buyer\":{\"name\":"
             "\"Buyer %ld\",\"phone\":\"+84 900 000 %03ld\",\"address\":\"%ld Le Loi\",\"region\":"
             "\"Ho Chi Minh\"}}}", op, b->at, i, b->at, b->at, i % 500, i % 500, i, i % 1000, i);
    run(b->st, req);
    b->at++;
    if (i % 1000 == 999) { /* the sync server takes the new-order e-mails as it goes */
      ack_outbox(b->st, b->at++);
    }
  }
  pd_store_checkpoint(b->st);
  /* The timed orders lie in one page at every size, as they do at 1k (one page of 1,000):
   * the newest full page's first WORK_ORDERS. A save rewrites the pages a checkpoint finds
   * changed, so timed orders spread over busier pages at 100k would measure the bench's
   * layout, not the shop's size (the order of seq s is in page s / ORDER_PAGE; O<i> has seq
   * i + 1). */
  long work = n < WORK_ORDERS ? n : WORK_ORDERS;
  b->half = work / 2;
  b->first = n >= 2 * (long)ORDER_PAGE ? (n / (long)ORDER_PAGE - 1) * (long)ORDER_PAGE : 0;
}

/* Prints the shop's line, closes its store and has a fresh process open it again. */
static void report(shop_bench *b) {
  double per_round = 2.0 * (double)b->half, save_us[ROUNDS], cmd_us[ROUNDS];
  printf("{\"orders\":%ld,\"ops\":%s,\"save_us_rounds\":[", b->n, b->ops ? "true" : "false");
  for (int r = 0; r < ROUNDS; r++) {
    save_us[r] = (b->saved[r] - b->unsaved[r]) * 1000.0 / per_round;
    cmd_us[r] = b->unsaved[r] * 1000.0 / per_round;
    printf("%s%.2f", r ? "," : "", save_us[r]);
  }
  sort_doubles(save_us, ROUNDS);
  sort_doubles(cmd_us, ROUNDS);
  printf("],\"command_us\":%.2f,\"save_us_per_command\":%.2f,\"bytes_per_command\":%.0f,", cmd_us[ROUNDS / 2],
         save_us[ROUNDS / 2], (double)b->bytes / (per_round * ROUNDS));
  fflush(stdout);
  pd_store_close(b->st);
  /* Opened by a fresh process (this program again): this one's heap still holds the shops it
   * built, so its RSS would say nothing about what an open takes. */
  pid_t child = fork();
  if (child == 0) {
    char count[32];
    snprintf(count, sizeof count, "%ld", b->n);
    execl("/proc/self/exe", "bench_store", "open-rest", b->dir, count, (char *)NULL);
    _exit(1);
  }
  int status = 1;
  if (child < 0 || waitpid(child, &status, 0) < 0 || status != 0) exit(1);
  if (getenv("KEEP")) printf("kept %s\n", b->dir); else rm_rf(b->dir);
}

/* Every shop filled first, then the rounds taken in turns across the shops, so that what the
 * machine does meanwhile (this VM's disk stalls for ~100 ms now and then) falls on every size
 * alike: the 100k / 1k ratio is of figures measured side by side. Each round runs on one half
 * of a shop's timed orders through its store (and ends on a checkpoint, at every size alike),
 * then the same rounds on the other half without saving: a round's difference is what saving
 * costs, checkpoints included as they fall. */
static void bench(shop_bench *all, int count) {
  for (int r = 0; r < ROUNDS; r++)
    for (int i = 0; i < count; i++) {
      shop_bench *b = &all[i];
      unsigned long long bytes0 = fio_bytes_written();
      b->saved[r] = run_round(b->st, r, b->first, b->first + b->half, &b->at);
      double c0 = now_ms();
      pd_store_checkpoint(b->st);
      b->saved[r] += now_ms() - c0;
      b->bytes += fio_bytes_written() - bytes0;
    }
  for (int i = 0; i < count; i++) pd_set_journal(pd_store_shop(all[i].st), NULL, NULL);
  for (int r = 0; r < ROUNDS; r++)
    for (int i = 0; i < count; i++)
      all[i].unsaved[r] = run_round(all[i].st, r, all[i].first + all[i].half, all[i].first + 2 * all[i].half, &all[i].at);
  for (int i = 0; i < count; i++) report(&all[i]);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "open") == 0) { /* bench_store open DIR: a kept store */
    printf("{\"dir\":\"%s\",", argv[2]);
    print_open(argv[2], 0);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "open-rest") == 0) { /* the end of bench()'s line */
    print_open(argv[2], atol(argv[3]));
    return 0;
  }
  static shop_bench all[SHOPS_MAX];
  int count = 0;
  if (argc - 1 > SHOPS_MAX) {
    fprintf(stderr, "bench_store: at most %d sizes at once (their rounds are taken in turns)\n", SHOPS_MAX);
    return 2;
  }
  if (argc < 2) {
    fill(&all[count++], 1000, 0);
    fill(&all[count++], 100000, 0);
  }
  for (int i = 1; i < argc; i++) fill(&all[count++], atol(argv[i]), strstr(argv[i], ":ops") != NULL);
  bench(all, count);
  return 0;
}
