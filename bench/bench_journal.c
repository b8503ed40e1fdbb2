/*
 * bench_journal.c: what a journal record costs. Times journal_append of 200-byte payloads one
 * by one (no fsync: median and p99 over 100,000), then appends with an fsync after each, then
 * the open that replays them all. Usage: bench_journal [DIR] (a temporary dir under it, default
 * /tmp, removed afterwards).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

enum { APPENDS = 100000, PAYLOAD = 200, SYNCED_MAX = 5000 };
#define SYNCED_SECONDS 3.0

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p) {
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return sorted[i < n ? i : n - 1];
}

static void remove_dir(const char *dir) {
  char path[4096 + 512];
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path) unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

static int count_record(void *ud, uint64_t seq, const char *payload, size_t len) {
  (void)seq;
  (void)payload;
  *(uint64_t *)ud += len;
  return 0;
}

/* A 200-byte command, as a real one looks: JSON text. */
static void make_payload(char *p, int i) {
  int n = snprintf(p, PAYLOAD + 1, "{\"cmd\":\"order.pack\",\"at\":\"2024-05-01T10:00:00Z\","
                                   "\"order\":\"ORD-%08d\",\"op\":\"op-%d\",\"items\":[",
                   i, i);
  memset(p + n, 'x', (size_t)(PAYLOAD - n - 2));
  memcpy(p + PAYLOAD - 2, "]}", 2);
}

int main(int argc, char **argv) {
  char dir[4096], payload[PAYLOAD + 1];
  journal *j = NULL;
  journal_report rep;
  double *ns = malloc(APPENDS * sizeof *ns);
  snprintf(dir, sizeof dir, "%s/pdj-bench-XXXXXX", argc > 1 ? argv[1] : "/tmp");
  if (!ns || !mkdtemp(dir) || journal_open(dir, 1, 0, NULL, NULL, &j, &rep)) {
    fprintf(stderr, "bench_journal: cannot start in %s: %s\n", dir, rep.damage);
    return 1;
  }
  for (int i = 0; i < 1000; i++) { /* warm the buffer and the page cache */
    make_payload(payload, i);
    journal_append(j, payload, PAYLOAD, NULL);
  }
  for (int i = 0; i < APPENDS; i++) {
    make_payload(payload, i);
    double t0 = now_ns();
    int rc = journal_append(j, payload, PAYLOAD, NULL);
    ns[i] = now_ns() - t0;
    if (rc) {
      fprintf(stderr, "bench_journal: %s\n", journal_errmsg(j));
      return 1;
    }
  }
  qsort(ns, APPENDS, sizeof *ns, cmp_double);
  double median = percentile(ns, APPENDS, 0.5), p99 = percentile(ns, APPENDS, 0.99);

  int synced = 0;
  double t0 = now_ns(), elapsed = 0;
  while (synced < SYNCED_MAX && elapsed < SYNCED_SECONDS * 1e9) {
    make_payload(payload, synced);
    if (journal_append(j, payload, PAYLOAD, NULL) || journal_sync(j)) {
      fprintf(stderr, "bench_journal: %s\n", journal_errmsg(j));
      return 1;
    }
    synced++;
    elapsed = now_ns() - t0;
  }
  size_t bytes = journal_segment_bytes(j);
  journal_close(j);

  /* The first open pays for fresh memory and a cold read; the next ones show the steady cost. */
  double open_ms[3];
  for (int k = 0; k < 3; k++) {
    uint64_t replayed_bytes = 0;
    t0 = now_ns();
    if (journal_open(dir, 1, 1, count_record, &replayed_bytes, &j, &rep)) {
      fprintf(stderr, "bench_journal: reopen: %s\n", rep.damage);
      return 1;
    }
    open_ms[k] = (now_ns() - t0) / 1e6;
    journal_close(j);
  }
  remove_dir(dir);

  printf("journal, %d-byte payloads (%s)\n", PAYLOAD, argc > 1 ? argv[1] : "/tmp");
  printf("  %-34s %10.0f ns\n", "append, no fsync: median", median);
  printf("  %-34s %10.0f ns\n", "append, no fsync: p99", p99);
  printf("  %-34s %10.0f /s  (%d appends, %.0f us each)\n", "append + fsync", synced / (elapsed / 1e9),
         synced, elapsed / synced / 1e3);
  printf("  %-34s %10.1f ms  (%llu records, %.1f MB)\n", "open + replay, first", open_ms[0],
         (unsigned long long)rep.records, (double)bytes / 1e6);
  printf("  %-34s %10.1f ms\n", "open + replay, again",
         open_ms[1] < open_ms[2] ? open_ms[1] : open_ms[2]);
  free(ns);
  return 0;
}
