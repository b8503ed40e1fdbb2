/*
 * fuzz_store.c: any bytes as a store on disk. The first byte picks what the rest is: a
 * journal segment (framing, torn tails, damage) or snapshot bodies (the reader of orders,
 * operations, pages and the shop file, past its CRC, in every format it reads). Opening must never crash or leak;
 * whatever loads must satisfy the shop's invariants.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "order_page.h"
#include "packdesk.h"
#include "shop.h"
#include "shop_check.h"
#include "snapshot.h"

static char dir[64];

static void clear_dir(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[128];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
}

static void fuzz_journal(const uint8_t *data, size_t size, int flags) {
  char path[128];
  clear_dir();
  snprintf(path, sizeof path, "%s/journal-00000000000000000001.pdj", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size) abort();
  close(fd);
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, flags, &rep);
  if (st && shop_check(pd_store_shop(st))) abort();
  pd_store_close(st);
}

/* One record of a snapshot body, read into s: 0 an order, 1 an operation (and its seq), 2
 * the shop file's body, 3 a page of orders and 4 a page of operations (as store.c's load_page
 * reads them: page number, count, then the records). 0 to go on, -1 to stop. */
static int read_record(bytes_reader *r, pd_shop *s, uint8_t kind) {
  if (kind == 0 || kind == 1) {
    if (kind == 0) {
      order *o = snapshot_read_order(r);
      if (o && shop_load_order(s, o)) order_free(o);
    } else {
      applied_op *op = snapshot_read_op(r);
      if (op) op->seq = br_u64(r);
      if (op && (r->failed || shop_load_op(s, op))) applied_op_free(op);
    }
    return 0;
  }
  if (kind == 2) return snapshot_read_shop(r, s) ? -1 : 0;
  if (kind == 3 && r->format >= ORDER_PAGE_LAZY_FORMAT) { /* the rest: a page file past its header */
    size_t n = r->len - r->pos;
    unsigned char *file = malloc(n + 8);
    if (!file) abort();
    static const unsigned char magic[4] = {'P', 'D', 'S', 'O'}; /* the frame's, as the head's CRC covers it */
    memcpy(file, magic, 4);
    for (int i = 0; i < 4; i++) file[4 + i] = (unsigned char)(r->format >> (8 * i));
    memcpy(file + 8, r->data + r->pos, n);
    r->pos = r->len;
    order_page_head h;
    if (order_page_head_parse(file, n + 8, r->format, &h) == 0) {
      order_page_load(s, file, &h, r->format, file, n + 8); /* eager: every body decoded */
      pd_shop *lazy = pd_shop_new(); /* and lazily: the summaries alone */
      order_page_load(lazy, file, &h, r->format, NULL, n + 8);
      if (shop_check(lazy)) abort();
      pd_shop_free(lazy);
    }
    free(file);
    return -1;
  }
  (void)br_u32(r); /* the page number: the store checks it against seqs, shop_check does here */
  uint32_t count = br_below(r, kind == 3 ? ORDER_PAGE + 1 : OP_PAGE + 1);
  for (uint32_t i = 0; i < count && !r->failed; i++) read_record(r, s, kind == 3 ? 0 : 1);
  return 0;
}

/* Snapshot bodies, past their CRC. Two layouts, told apart by the first byte (its value / 3):
 *  even: records of format 2 (kind % 3 each): what this target read before format 3, so the
 *        inputs in fuzz/regressions mean what they meant;
 *  odd:  a format byte (% SNAPSHOT_VERSION: formats 1 to 5; it was % 3 before format 4, so a
 *        format-3 seed kept from then reads as format 4, whose bodies are format 3's; a page
 *        of orders of format 5 is the rest of the input, read as order_page.c reads a file,
 *        eagerly and lazily), then
 *        records of any kind (% 5), so whole page and shop files of every format are seeds
 *        (fuzz/seeds.mjs). */
static void fuzz_snapshot(uint8_t selector, const uint8_t *data, size_t size) {
  bytes_reader r = {data, size, 0, 0, 2};
  int layout = (selector / 3) % 2;
  if (layout) r.format = (uint32_t)(br_u8(&r) % SNAPSHOT_VERSION + 1);
  pd_shop *s = pd_shop_new();
  while (!r.failed && r.pos < r.len) {
    uint8_t kind = br_u8(&r);
    if (read_record(&r, s, (uint8_t)(layout ? kind % 5 : kind % 3))) break;
  }
  const char *why = shop_check(s);
  if (why) {
    fprintf(stderr, "invariant broken: %s\n", why);
    abort();
  }
  pd_shop_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/pdfuzz-%ld", (long)getpid());
    mkdir(dir, 0755);
  }
  if (size == 0) return 0;
  switch (data[0] % 3) {
    case 0: fuzz_journal(data + 1, size - 1, 0); break;
    case 1: fuzz_journal(data + 1, size - 1, PD_STORE_READ_ONLY); break;
    default: fuzz_snapshot(data[0], data + 1, size - 1);
  }
  return 0;
}
