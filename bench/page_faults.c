/*
 * page_faults.c: what this machine charges for memory touched for the first time, the unit
 * most of a big store's open in the browser is paid in (docs/store-open.md): every MB of wasm
 * heap or IndexedDB value an open touches is a fresh mapping. Maps 64 MB and writes a byte a
 * page, five times (median); then the same faulted in by MADV_POPULATE_WRITE, which the
 * browser does not use, for scale. Prints one JSON line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

enum { MB = 64, ROUNDS = 5 };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ms per MB to fault in a fresh 64 MB mapping: by touch, or by madvise (-1: refused). */
static double fault_in(int populate) {
  size_t n = (size_t)MB << 20;
  volatile char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  double t = now_ms();
  if (populate) {
    if (madvise((void *)p, n, MADV_POPULATE_WRITE) != 0) t = -1;
  } else {
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  }
  double ms = t < 0 ? -1 : (now_ms() - t) / MB;
  munmap((void *)p, n);
  return ms;
}

int main(void) {
  double touch[ROUNDS], populate[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    touch[r] = fault_in(0);
    populate[r] = fault_in(1);
  }
  qsort(touch, ROUNDS, sizeof *touch, cmp_double);
  qsort(populate, ROUNDS, sizeof *populate, cmp_double);
  printf("{\"first_touch_ms_per_mb\":%.2f,\"populate_ms_per_mb\":%.2f}\n", touch[ROUNDS / 2], populate[ROUNDS / 2]);
  return touch[ROUNDS / 2] < 0;
}
