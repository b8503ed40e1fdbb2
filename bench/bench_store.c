/*
 * bench_store.c: what saving costs as a shop grows. For a shop of N orders (1,000 and
 * 100,000) kept in a store: the cost of each command that changes an order (journal append,
 * checkpoints included, as they fall), the bytes written per command, and the time to open
 * the store again (snapshot pages + journal tail). Printed as JSON lines for bench/run.mjs.
 * Usage: bench_store [N...]   (stores under /tmp, removed afterwards; KEEP=1 keeps them)
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

#define T0 1764230400000LL
enum { WORK_ORDERS = 8000 }; /* orders confirmed in the timed part: 2 commands each */

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

/* Runs the timed work on orders [from, to): line.check + confirm each; returns ms. */
static double confirm_range(pd_store *st, long from, long to, long long *at) {
  char req[256];
  double t0 = now_ms();
  for (long i = from; i < to; i++) {
    snprintf(req, sizeof req, "{\"cmd\":\"line.check\",\"at\":%lld,\"order_id\":\"O%ld\",\"line_id\":\"L1\",\"result\":\"ok\"}", (*at)++, i);
    run(st, req);
    snprintf(req, sizeof req, "{\"cmd\":\"order.confirm\",\"at\":%lld,\"order_id\":\"O%ld\"}", (*at)++, i);
    run(st, req);
  }
  return now_ms() - t0;
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

static void sort5(double *v) { /* insertion sort: five numbers */
  for (int i = 1; i < OPENS; i++)
    for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
}
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
  sort5(ms);
  sort5(cpu);
  /* The first open is what a fresh page pays: its memory is new to the process, and on this
   * machine each first touch of a page costs (about 4 ms a MB). The median is a warm one.
   * CPU time too: on a busy machine the wall clock says more about the neighbours. */
  printf("\"open_first_ms\":%.1f,\"open_ms\":%.1f,\"open_ms_min\":%.1f,\"open_cpu_ms\":%.1f,\"bytes_per_order\":%.0f,\"open_rss_mb\":%.1f,"
         "\"open_first_faults\":%ld,\"opened_orders\":%llu,\"replayed\":%llu}\n",
         first, ms[OPENS / 2], ms[0], cpu[OPENS / 2], count > 0 ? (double)order_page_bytes(dir) / count : 0.0, (double)rss / 1024.0,
         faults, rep.orders, rep.replayed);
  fflush(stdout);
}

static void bench(long n, int ops) {
  char tmpl[] = "/tmp/pdbench-XXXXXX", req[1024], op[40] = "";
  char *dir = mkdtemp(tmpl);
  pd_store *st = pd_store_open(dir, 0, NULL);
  long long at = T0;
  for (long i = 0; i < n; i++) {
    if (ops) snprintf(op, sizeof op, "\"op\":\"import-%ld\",", i);
    snprintf(req, sizeof req,
             "{\"cmd\":\"order.import\",%s\"at\":%lld,\"order\":{\"id\":\"O%ld\",\"placed_at\":%lld,"
             "\"paid_at\":%lld,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-%ld\","
             "\"name\":\"Product %ld\",\"quantity\":1,\"unit_price\":150000}],\"buyer\":{\"name\":"
             "\"Buyer %ld\",\"phone\":\"+84 900 000 %03ld\",\"address\":\"%ld Le Loi\",\"region\":"
             "\"Ho Chi Minh\"}}}", op, at, i, at, at, i % 500, i % 500, i, i % 1000, i);
    run(st, req);
    at++;
    if (i % 1000 == 999) { /* the sync server takes the new-order e-mails as it goes */
      ack_outbox(st, at++);
    }
  }
  pd_store_checkpoint(st);
  /* The timed part: the newest orders are confirmed, as a seller works through new ones;
   * half saved through the store, half (the same kind of work) applied without saving. The
   * difference is what saving costs; checkpoints fall inside it as they come. */
  long work = n < WORK_ORDERS ? n : WORK_ORDERS, half = work / 2;
  unsigned long long bytes0 = fio_bytes_written();
  double saved_ms = confirm_range(st, n - work, n - half, &at);
  double c0 = now_ms();
  pd_store_checkpoint(st); /* the window ends on a checkpoint, at every size alike */
  saved_ms += now_ms() - c0;
  double bytes = (double)(fio_bytes_written() - bytes0) / (2.0 * (double)half);
  pd_set_journal(pd_store_shop(st), NULL, NULL);
  double unsaved_ms = confirm_range(st, n - half, n, &at);
  double save_us = (saved_ms - unsaved_ms) * 1000.0 / (2.0 * (double)half);
  double cmd_us = unsaved_ms * 1000.0 / (2.0 * (double)half);
  pd_store_close(st);
  printf("{\"orders\":%ld,\"ops\":%s,\"command_us\":%.2f,\"save_us_per_command\":%.2f,\"bytes_per_command\":%.0f,",
         n, ops ? "true" : "false", cmd_us, save_us, bytes);
  fflush(stdout);
  /* Opened by a fresh process (this program again): this one's heap still holds the shop it
   * built, so its RSS would say nothing about what an open takes. */
  pid_t child = fork();
  if (child == 0) {
    char count[32];
    snprintf(count, sizeof count, "%ld", n);
    execl("/proc/self/exe", "bench_store", "open-rest", dir, count, (char *)NULL);
    _exit(1);
  }
  int status = 1;
  if (child < 0 || waitpid(child, &status, 0) < 0 || status != 0) exit(1);
  if (getenv("KEEP")) printf("kept %s\n", dir); else rm_rf(dir);
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
  if (argc < 2) {
    bench(1000, 0);
    bench(100000, 0);
  }
  for (int i = 1; i < argc; i++) bench(atol(argv[i]), strstr(argv[i], ":ops") != NULL);
  return 0;
}
