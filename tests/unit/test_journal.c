/*
 * test_journal.c: the journal gives back exactly what was appended, whatever happened to the
 * files. Like Redis's tests/integration/aof.tcl, it damages the files on purpose: cut at every
 * byte of the last records, flip bytes in the middle, garbage segments, failed writes and
 * allocations. Every record's payload is computed from its seq, so a replay checks itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "crc32c.h"
#include "fileio.h"
#include "journal.h"
#include "unit.h"

#define BIG 70001 /* the largest payload of the cycle, over 64 KiB */

/* An open that must succeed: the test cannot go on without its handle. */
#define REQUIRE_OPEN(call)                                                                 \
  do {                                                                                     \
    int open_rc_ = (call);                                                                 \
    UNIT_CHECK_INT(open_rc_, 0);                                                           \
    if (open_rc_ != 0) return;                                                             \
  } while (0)

static unsigned char gen_buf[BIG], want_buf[BIG];

/* Payload sizes cycle by seq; the "small" cycle keeps byte-by-byte loops short. */
static size_t payload_size(uint64_t seq, int small) {
  static const size_t sizes[] = {0, 1, 19, 20, 21, 200, BIG, 4096, 3, 0, 65543, 57};
  static const size_t small_sizes[] = {0, 5, 100, 250, 31, 1, 64};
  return small ? small_sizes[seq % 7] : sizes[seq % 12];
}

static size_t payload_of(uint64_t seq, int small, unsigned char *out) {
  size_t n = payload_size(seq, small);
  for (size_t i = 0; i < n; i++) out[i] = (unsigned char)(seq * 131 + i * 7 + (i >> 8));
  return n;
}

typedef struct {
  uint64_t next;    /* the seq the next replayed record must have */
  uint64_t count;   /* records replayed */
  int bad;          /* records that were not what was appended */
  int small;
  uint64_t stop_at; /* return non-zero at this seq (0: never) */
} replay_check;

static int check_replay(void *ud, uint64_t seq, const char *payload, size_t len) {
  replay_check *c = ud;
  size_t want = payload_of(seq, c->small, want_buf);
  if (seq != c->next || len != want || (len && memcmp(payload, want_buf, len) != 0)) c->bad++;
  c->next = seq + 1;
  c->count++;
  return c->stop_at && seq == c->stop_at;
}

static int reopen(const char *dir, uint64_t from, int ro, int small, journal_report *rep,
                  replay_check *c, journal **j) {
  memset(c, 0, sizeof *c);
  c->next = from ? from : 1;
  c->small = small;
  return journal_open(dir, from, ro, check_replay, c, j, rep);
}

/* Appends n records whose payloads follow their seqs; the number that went in. */
static int append_n(journal *j, int small, int n) {
  int ok = 0;
  for (int i = 0; j && i < n; i++) {
    uint64_t seq = 0, want = journal_last_seq(j) + 1;
    size_t len = payload_of(want, small, gen_buf);
    if (journal_append(j, (const char *)gen_buf, len, &seq) == 0 && seq == want) ok++;
  }
  return ok;
}

static void seg_path(char *out, size_t cap, const char *dir, uint64_t first) {
  snprintf(out, cap, "%s/journal-%020llu.pdj", dir, (unsigned long long)first);
}

static void write_file(const char *path, const void *buf, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  UNIT_CHECK(fd >= 0 && write(fd, buf, n) == (ssize_t)n);
  if (fd >= 0) close(fd);
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Writes a record that is valid in itself, whatever seq it claims. */
static void write_record(const char *path, uint64_t seq, const char *payload, uint32_t len) {
  unsigned char rec[64] = {0x4A, 0x52, 0x44, 0x50};
  for (int i = 0; i < 4; i++) rec[4 + i] = (unsigned char)(len >> (8 * i));
  for (int i = 0; i < 8; i++) rec[8 + i] = (unsigned char)(seq >> (8 * i));
  memcpy(rec + 20, payload, len);
  uint32_t crc = crc32c(crc32c(0, rec + 4, 12), rec + 20, len);
  for (int i = 0; i < 4; i++) rec[16 + i] = (unsigned char)(crc >> (8 * i));
  write_file(path, rec, 20 + len);
}

static void make_dir(char *dir) {
  strcpy(dir, "/tmp/pdj-XXXXXX");
  UNIT_CHECK(mkdtemp(dir) != NULL);
}

static void remove_dir(const char *dir) {
  char path[512];
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

/* A journal of n small records, rolled after every `per` records. */
static void build(const char *dir, int n, int per) {
  journal *j = NULL;
  REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, NULL));
  for (int i = 0; j && i < n; i++) {
    UNIT_CHECK_INT(append_n(j, 1, 1), 1);
    if ((i + 1) % per == 0 && i + 1 < n) UNIT_CHECK_INT(journal_roll(j), 0);
  }
  journal_close(j);
}

/* Where record seq sits in a journal made by build(): its segment and byte offset. */
static size_t record_at(uint64_t seq, int per, uint64_t *seg_first) {
  uint64_t first = (seq - 1) / (uint64_t)per * (uint64_t)per + 1;
  size_t off = 0;
  for (uint64_t s = first; s < seq; s++) off += 20 + payload_size(s, 1);
  *seg_first = first;
  return off;
}

/* CRC-32C by its definition, one bit at a time: what the tables must agree with. */
static uint32_t crc32c_bitwise(const unsigned char *p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void crc_check_value(void) {
  UNIT_TEST("crc32c: check value, extension, every length and alignment");
  UNIT_CHECK_INT(crc32c(0, "123456789", 9), 0xE3069283u);
  UNIT_CHECK_INT(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
  UNIT_CHECK_INT(crc32c(0, NULL, 0), 0);
  unsigned char b[600];
  for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)(i * 167 + (i >> 3));
  int wrong = 0;
  for (size_t off = 0; off < 8; off++)
    for (size_t n = 0; n + off <= sizeof b; n += 1 + n / 16) {
      uint32_t whole = crc32c(0, b + off, n);
      wrong += whole != crc32c_bitwise(b + off, n);
      wrong += whole != crc32c(crc32c(0, b + off, n / 3), b + off + n / 3, n - n / 3);
    }
  UNIT_CHECK_INT(wrong, 0);
}

static void journal_roundtrip(void) {
  UNIT_TEST("journal: records across segments replay exactly, in order");
  char dir[32];
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  make_dir(dir);
  REQUIRE_OPEN(reopen(dir, 1, 0, 0, &rep, &c, &j));
  UNIT_CHECK_INT(rep.records + rep.segments + rep.first_seq + rep.last_seq, 0);
  UNIT_CHECK_INT(journal_roll(j), 0); /* an empty segment is not rolled */
  UNIT_CHECK_INT(journal_last_seq(j), 0);
  for (int i = 1; j && i <= 40; i++) {
    UNIT_CHECK_INT(append_n(j, 0, 1), 1);
    if (i % 7 == 0) UNIT_CHECK_INT(journal_roll(j), 0);
  }
  UNIT_CHECK_INT(journal_sync(j), 0);
  size_t last_bytes = 0; /* the current segment holds 36..40 */
  for (uint64_t s = 36; s <= 40; s++) last_bytes += 20 + payload_size(s, 0);
  UNIT_CHECK_INT(journal_segment_bytes(j), last_bytes);
  journal_close(j);
  REQUIRE_OPEN(reopen(dir, 1, 0, 0, &rep, &c, &j));
  UNIT_CHECK_INT(c.count, 40);
  UNIT_CHECK_INT(c.bad, 0);
  UNIT_CHECK_INT(rep.records, 40);
  UNIT_CHECK_INT(rep.first_seq, 1);
  UNIT_CHECK_INT(rep.last_seq, 40);
  UNIT_CHECK_INT(rep.segments, 6);
  UNIT_CHECK_INT(rep.torn_bytes + rep.torn_seq + (uint64_t)rep.damaged, 0);
  UNIT_CHECK_INT(journal_last_seq(j), 40);
  journal_close(j);
  /* A replay function that says stop fails the open, with the place. */
  memset(&c, 0, sizeof c);
  c.next = 1;
  c.stop_at = 5;
  UNIT_CHECK_INT(journal_open(dir, 1, 0, check_replay, &c, &j, &rep), -1);
  UNIT_CHECK(j == NULL && strstr(rep.damage, "replay stopped at seq 5") != NULL);
  remove_dir(dir);
}

/* Cuts the last segment at every byte of its last 3 records. */
static void journal_torn_tail(void) {
  UNIT_TEST("journal: a tail cut at any byte yields the complete prefix");
  char dir[32], path[96];
  unsigned char *orig = NULL;
  size_t n = 0;
  uint64_t first, seq;
  make_dir(dir);
  build(dir, 10, 3); /* segments 1, 4, 7, 10: the last holds only seq 10 */
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j)); /* add 11, 12 to the last segment */
  UNIT_CHECK_INT(append_n(j, 1, 2), 2);
  journal_close(j);
  size_t start = record_at(10, 3, &first);
  seg_path(path, sizeof path, dir, first);
  UNIT_CHECK_INT(fio_read_file(path, &orig, &n), 0);
  for (size_t cut = start; orig && cut <= n; cut++) {
    write_file(path, orig, cut);
    uint64_t complete = 9; /* whole records before the cut */
    size_t end = start;
    for (seq = 10; seq <= 12 && end + 20 + payload_size(seq, 1) <= cut; seq++) {
      end += 20 + payload_size(seq, 1);
      complete++;
    }
    int rc = reopen(dir, 1, 0, 1, &rep, &c, &j);
    UNIT_CHECK_INT(rc, 0);
    UNIT_CHECK_INT(c.count, complete);
    UNIT_CHECK_INT(c.bad, 0);
    UNIT_CHECK_INT(rep.damaged, 0);
    UNIT_CHECK_INT(rep.torn_bytes, cut - end);
    UNIT_CHECK_INT(rep.torn_seq, cut > end ? complete + 1 : 0);
    UNIT_CHECK_INT(file_size(path), (long)end); /* cut on disk, not only skipped */
    UNIT_CHECK_INT(append_n(j, 1, 1), 1);
    journal_close(j);
    REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
    UNIT_CHECK_INT(c.count, complete + 1);
    UNIT_CHECK_INT(c.bad + (int)rep.torn_bytes + rep.damaged, 0);
    journal_close(j);
  }
  pd_free(orig);
  remove_dir(dir);
}

/* Flips the byte at off of segment first; checks the damage is caught at record seq. */
static void flip_one(const char *dir, uint64_t first, const unsigned char *orig, size_t n,
                     size_t off, uint64_t seq, size_t rec_start, int is_final) {
  char path[96], where[96];
  unsigned char *b = malloc(n);
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  seg_path(path, sizeof path, dir, first);
  memcpy(b, orig, n);
  b[off] ^= (unsigned char)(off % 3 == 0 ? 0xFF : 1u << (off % 8));
  write_file(path, b, n);
  int rc = reopen(dir, 1, 0, 1, &rep, &c, &j);
  if (is_final) { /* a bad last record is a torn tail */
    UNIT_CHECK_INT(rc, 0);
    UNIT_CHECK_INT(rep.torn_seq, seq);
    UNIT_CHECK_INT(c.count, seq - 1);
  } else {
    snprintf(where, sizeof where, "journal-%020llu.pdj: byte %zu,", (unsigned long long)first,
             rec_start);
    UNIT_CHECK(rc == -1 && j == NULL && rep.damaged);
    UNIT_CHECK(strstr(rep.damage, where) != NULL);
    REQUIRE_OPEN(reopen(dir, 1, 1, 1, &rep, &c, &j));
    UNIT_CHECK_INT(c.count, seq - 1);
    UNIT_CHECK(rep.damaged && strstr(rep.damage, where) != NULL);
    UNIT_CHECK_INT(journal_append(j, "x", 1, NULL), -1);
    UNIT_CHECK(strstr(journal_errmsg(j), "read-only") != NULL);
  }
  UNIT_CHECK_INT(c.bad, 0);
  journal_close(j);
  write_file(path, orig, n);
  free(b);
}

static void journal_flipped_bytes(void) {
  UNIT_TEST("journal: a flipped byte before the tail is damage, reported, never a crash");
  enum { N = 30, PER = 10 };
  char dir[32], path[96];
  unsigned char *orig[3] = {NULL, NULL, NULL};
  size_t len[3] = {0, 0, 0};
  make_dir(dir);
  build(dir, N, PER);
  for (int s = 0; s < 3; s++) {
    seg_path(path, sizeof path, dir, (uint64_t)(s * PER + 1));
    UNIT_CHECK_INT(fio_read_file(path, &orig[s], &len[s]), 0);
  }
  /* Every byte of seq 17 (250 payload bytes), in the middle segment. */
  uint64_t first;
  size_t start = record_at(17, PER, &first);
  for (size_t off = start; orig[1] && off < start + 20 + payload_size(17, 1); off++)
    flip_one(dir, first, orig[1], len[1], off, 17, start, 0);
  /* 300 bytes anywhere in the journal, the last record included. */
  uint32_t rnd = 12345;
  for (int k = 0; k < 300; k++) {
    rnd = rnd * 1103515245u + 12345u;
    int s = (int)((rnd >> 16) % 3);
    rnd = rnd * 1103515245u + 12345u;
    if (!orig[s]) continue;
    size_t off = (size_t)(rnd >> 8) % len[s];
    uint64_t seq = (uint64_t)(s * PER + 1);
    size_t rec = 0;
    while (rec + 20 + payload_size(seq, 1) <= off) rec += 20 + payload_size(seq++, 1);
    flip_one(dir, (uint64_t)(s * PER + 1), orig[s], len[s], off, seq, rec, seq == N);
  }
  for (int s = 0; s < 3; s++) pd_free(orig[s]);
  remove_dir(dir);
}

/* Writes n pseudo-random bytes to path. */
static void write_garbage(const char *path, size_t n) {
  unsigned char *b = malloc(n);
  uint32_t r = 99;
  for (size_t i = 0; i < n; i++) {
    r = r * 1664525u + 1013904223u;
    b[i] = (unsigned char)(r >> 24);
  }
  write_file(path, b, n);
  free(b);
}

static void journal_garbage(void) {
  UNIT_TEST("journal: empty, random and absurd segments");
  char dir[32], path[96], other[96];
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  make_dir(dir);
  seg_path(path, sizeof path, dir, 1);
  /* A zero-length segment is an empty journal. */
  write_file(path, "", 0);
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
  UNIT_CHECK_INT(rep.segments, 1);
  UNIT_CHECK_INT(append_n(j, 1, 1), 1);
  journal_close(j);
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
  UNIT_CHECK_INT(c.count, 1);
  journal_close(j);
  /* A segment of random bytes, alone: one torn tail, cut (read-only: reported, left). */
  write_garbage(path, 4096);
  REQUIRE_OPEN(reopen(dir, 1, 1, 1, &rep, &c, &j));
  UNIT_CHECK(rep.torn_bytes == 4096 && rep.torn_seq == 1 && file_size(path) == 4096);
  journal_close(j);
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
  UNIT_CHECK(rep.torn_bytes == 4096 && rep.records == 0 && file_size(path) == 0);
  journal_close(j);
  /* Longer than any one record: not a torn write, so not cut. */
  write_garbage(path, 20 + JOURNAL_MAX_PAYLOAD + 1);
  UNIT_CHECK_INT(reopen(dir, 1, 0, 1, &rep, &c, &j), -1);
  UNIT_CHECK(rep.damaged && file_size(path) == (long)(20 + JOURNAL_MAX_PAYLOAD + 1));
  /* ... and followed by another segment: damage, found before the gap. */
  write_garbage(path, 4096);
  seg_path(other, sizeof other, dir, 5);
  write_file(other, "", 0);
  UNIT_CHECK_INT(reopen(dir, 1, 0, 1, &rep, &c, &j), -1);
  UNIT_CHECK(rep.damaged && strstr(rep.damage, "byte 0, seq 1: bad magic") != NULL);
  REQUIRE_OPEN(reopen(dir, 1, 1, 1, &rep, &c, &j));
  UNIT_CHECK(rep.damaged && c.count == 0);
  journal_close(j);
  unlink(other);
  /* A header claiming 4 GB: at the tail, torn; in an earlier segment, damage. */
  unlink(path);
  build(dir, 6, 3);
  static const unsigned char huge[20] = {0x4A, 0x52, 0x44, 0x50, 0, 0, 0, 0xF0, 7};
  seg_path(other, sizeof other, dir, 4);
  int fd = open(other, O_WRONLY | O_APPEND);
  UNIT_CHECK(fd >= 0 && write(fd, huge, 20) == 20 && write(fd, "tail", 4) == 4);
  if (fd >= 0) close(fd);
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
  UNIT_CHECK(rep.torn_bytes == 24 && rep.torn_seq == 7 && c.count == 6 && c.bad == 0);
  UNIT_CHECK(strstr(rep.damage, "length over 8 MiB") != NULL);
  fd = open(path, O_WRONLY | O_APPEND);
  UNIT_CHECK(fd >= 0 && write(fd, huge, 20) == 20);
  if (fd >= 0) close(fd);
  UNIT_CHECK_INT(append_n(j, 1, 1), 1);
  journal_close(j);
  UNIT_CHECK_INT(reopen(dir, 1, 0, 1, &rep, &c, &j), -1);
  UNIT_CHECK(rep.damaged && strstr(rep.damage, "length over 8 MiB") != NULL);
  REQUIRE_OPEN(reopen(dir, 1, 1, 1, &rep, &c, &j));
  UNIT_CHECK(c.count == 3 && c.bad == 0);
  journal_close(j);
  remove_dir(dir);
}

static void journal_limits(void) {
  UNIT_TEST("journal: 8 MiB payloads, stray files, overlaps, a missing directory");
  char dir[32], path[96], other[96];
  journal *j = NULL;
  journal_report rep;
  make_dir(dir);
  char *big = calloc(1, JOURNAL_MAX_PAYLOAD + 1);
  REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, &rep));
  UNIT_CHECK_INT(journal_append(j, big, JOURNAL_MAX_PAYLOAD + 1, NULL), -1);
  UNIT_CHECK_INT(journal_append(j, big, JOURNAL_MAX_PAYLOAD, NULL), 0);
  UNIT_CHECK_INT(journal_append(j, NULL, 0, NULL), 0);
  journal_close(j);
  free(big);
  /* Names that are not segments are not read. */
  snprintf(path, sizeof path, "%s/journal-1.pdj", dir);
  write_file(path, "junk", 4);
  snprintf(path, sizeof path, "%s/journal-99999999999999999999.pdj", dir);
  write_file(path, "junk", 4);
  REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, &rep));
  UNIT_CHECK(rep.records == 2 && rep.segments == 1 && rep.torn_bytes == 0);
  UNIT_CHECK_INT(journal_roll(j), 0);
  UNIT_CHECK_INT(append_n(j, 1, 1), 1);
  journal_close(j);
  /* A segment that repeats seqs already read overlaps. */
  seg_path(path, sizeof path, dir, 3);
  seg_path(other, sizeof other, dir, 2);
  UNIT_CHECK_INT(rename(path, other), 0);
  UNIT_CHECK_INT(journal_open(dir, 1, 0, NULL, NULL, &j, &rep), -1);
  UNIT_CHECK(rep.damaged && strstr(rep.damage, "overlaps") != NULL);
  /* A record whose seq is not the one its place calls for, checksum and all. */
  unlink(other);
  write_record(path, 4, "abc", 3);
  UNIT_CHECK_INT(journal_open(dir, 1, 0, NULL, NULL, &j, &rep), -1);
  UNIT_CHECK(rep.damaged && strstr(rep.damage, "byte 0: seq 4 where 3 was expected") != NULL);
  write_record(path, 3, "abc", 3);
  REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, &rep));
  UNIT_CHECK(rep.records == 3 && journal_last_seq(j) == 3);
  journal_close(j);
  remove_dir(dir);
  UNIT_CHECK_INT(journal_open(dir, 1, 0, NULL, NULL, &j, &rep), -1);
  UNIT_CHECK(j == NULL && !rep.damaged && strstr(rep.damage, "cannot list") != NULL);
}

/* Fails the kth write or fsync of a series of appends, syncs and a roll. */
static void journal_failed_writes(void) {
  UNIT_TEST("journal: a failed write leaves exactly the appends that returned 0");
  int injected = 0;
  for (long k = 1; k <= 40; k++) {
    char dir[32];
    journal *j = NULL;
    journal_report rep;
    replay_check c;
    make_dir(dir);
    REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, NULL));
    int ok = 0, failed = 0;
    fio_fail_after(k);
    for (int i = 0; j && i < 20; i++) {
      uint64_t before = journal_last_seq(j), seq = 0;
      size_t len = payload_of(before + 1, 1, gen_buf);
      if (journal_append(j, (const char *)gen_buf, len, &seq) == 0) {
        ok++;
        UNIT_CHECK_INT(seq, before + 1);
      } else {
        failed++;
        UNIT_CHECK_INT(journal_last_seq(j), before);
      }
      if (i % 3 == 2 && journal_sync(j)) failed++;
      if (i == 10 && journal_roll(j)) failed++;
    }
    fio_fail_after(0);
    injected += failed;
    UNIT_CHECK(failed <= 1);
    journal_close(j);
    REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
    UNIT_CHECK_INT(c.count, ok);
    UNIT_CHECK_INT(c.bad + (int)rep.torn_bytes + rep.damaged, 0);
    journal_close(j);
    remove_dir(dir);
  }
  UNIT_CHECK_INT(injected, 28); /* each of the 20 writes and 8 fsyncs failed once */
}

static void journal_undo(void) {
  UNIT_TEST("journal: undo_last takes back a record whose fsync failed");
  char dir[32];
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  make_dir(dir);
  REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, NULL));
  UNIT_CHECK_INT(journal_undo_last(j), -1); /* nothing appended yet */
  UNIT_CHECK_INT(append_n(j, 1, 3), 3);
  size_t before = journal_segment_bytes(j);
  UNIT_CHECK_INT(journal_append(j, "not durable", 11, NULL), 0);
  fio_fail_after(1);
  UNIT_CHECK_INT(journal_sync(j), -1);
  fio_fail_after(0);
  UNIT_CHECK_INT(journal_undo_last(j), 0);
  UNIT_CHECK(journal_last_seq(j) == 3 && journal_segment_bytes(j) == before);
  UNIT_CHECK_INT(journal_undo_last(j), -1); /* once */
  UNIT_CHECK_INT(append_n(j, 1, 1), 1);     /* seq 4 given again, to its own payload */
  UNIT_CHECK_INT(journal_roll(j), 0);
  UNIT_CHECK_INT(journal_undo_last(j), -1); /* not across a roll */
  journal_close(j);
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
  UNIT_CHECK(c.count == 4 && c.bad == 0 && rep.torn_bytes == 0);
  journal_close(j);
  remove_dir(dir);
}

static int exists(const char *dir, uint64_t first) {
  char path[96];
  seg_path(path, sizeof path, dir, first);
  return file_size(path) >= 0;
}

static void journal_drop_and_from(void) {
  UNIT_TEST("journal: drop_before and from_seq");
  char dir[32];
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  make_dir(dir);
  build(dir, 30, 10); /* 1..10, 11..20, 21..30 */
  REQUIRE_OPEN(reopen(dir, 25, 0, 1, &rep, &c, &j));
  UNIT_CHECK(c.count == 6 && c.bad == 0 && rep.records == 30);
  UNIT_CHECK_INT(journal_drop_before(j, 15), 0);
  UNIT_CHECK(!exists(dir, 1) && exists(dir, 11) && exists(dir, 21));
  UNIT_CHECK_INT(journal_drop_before(j, 21), 0);
  UNIT_CHECK(!exists(dir, 11) && exists(dir, 21));
  UNIT_CHECK_INT(journal_drop_before(j, 1000), 0);
  UNIT_CHECK(exists(dir, 21));
  journal_close(j);
  /* Records before the first segment are missing for whoever needs them. */
  UNIT_CHECK_INT(reopen(dir, 1, 0, 1, &rep, &c, &j), -1);
  UNIT_CHECK(rep.damaged && strstr(rep.damage, "missing segment: records 1..20") != NULL);
  REQUIRE_OPEN(reopen(dir, 21, 0, 1, &rep, &c, &j));
  UNIT_CHECK(c.count == 10 && c.bad == 0 && rep.first_seq == 21);
  journal_close(j);
  /* A snapshot ahead of the journal's end: appends go on at from_seq, in a new segment. */
  REQUIRE_OPEN(reopen(dir, 40, 0, 1, &rep, &c, &j));
  UNIT_CHECK(c.count == 0 && journal_last_seq(j) == 39);
  UNIT_CHECK_INT(append_n(j, 1, 1), 1);
  UNIT_CHECK(exists(dir, 40));
  UNIT_CHECK_INT(journal_drop_before(j, 40), 0);
  UNIT_CHECK(!exists(dir, 21) && exists(dir, 40));
  journal_close(j);
  REQUIRE_OPEN(reopen(dir, 40, 0, 1, &rep, &c, &j));
  UNIT_CHECK(c.count == 1 && c.bad == 0 && journal_last_seq(j) == 40);
  journal_close(j);
  REQUIRE_OPEN(reopen(dir, 35, 1, 1, &rep, &c, &j));
  UNIT_CHECK(rep.damaged && journal_drop_before(j, 100) == -1);
  journal_close(j);
  remove_dir(dir);
}

static void journal_failed_allocs(void) {
  UNIT_TEST("journal: a failed allocation fails the open, leaks nothing, cuts nothing");
  char dir[32], path[96];
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  make_dir(dir);
  build(dir, 25, 10);
  seg_path(path, sizeof path, dir, 21);
  int fd = open(path, O_WRONLY | O_APPEND);
  UNIT_CHECK(fd >= 0 && write(fd, "PDRJ torn", 9) == 9);
  if (fd >= 0) close(fd);
  long n = 1;
  for (; n < 1000; n++) {
    pd_alloc_fail_after(n);
    int rc = reopen(dir, 1, 0, 1, &rep, &c, &j);
    pd_alloc_fail_after(0);
    if (rc == 0) break;
    UNIT_CHECK(rc == -1 && j == NULL && !rep.damaged && strstr(rep.damage, "memory"));
  }
  UNIT_CHECK(n > 3 && n < 1000);
  if (!j) return;
  UNIT_CHECK(c.count == 25 && c.bad == 0 && rep.torn_bytes == 9);
  /* The append buffer: a failed allocation refuses the record, the next one goes in. */
  pd_alloc_fail_after(1);
  UNIT_CHECK_INT(journal_append(j, "x", 1, NULL), -1);
  pd_alloc_fail_after(0);
  UNIT_CHECK(strstr(journal_errmsg(j), "memory") != NULL);
  UNIT_CHECK_INT(append_n(j, 1, 1), 1);
  journal_close(j);
  remove_dir(dir);
}

/* Replays that stop and go on (a store's replay waiting for order bodies): from any seq of any
 * segment, stopped by fn before a record and started again there, every record once, in order. */
static int stop_then_go(void *ud, uint64_t seq, const char *payload, size_t len) {
  replay_check *c = ud;
  if (c->stop_at && seq == c->stop_at) {
    c->stop_at = 0; /* stopped once: the next call goes past it */
    return 1;
  }
  return check_replay(ud, seq, payload, len);
}

static int fail_at(void *ud, uint64_t seq, const char *payload, size_t len) {
  (void)payload;
  (void)len;
  return seq == *(uint64_t *)ud ? -1 : 0;
}

static void journal_replay_resumes(void) {
  UNIT_TEST("journal: a replay stopped before a record goes on from it, across segments");
  char dir[32];
  journal *j = NULL;
  journal_report rep;
  replay_check c;
  make_dir(dir);
  REQUIRE_OPEN(reopen(dir, 1, 0, 1, &rep, &c, &j));
  for (int i = 1; j && i <= 30; i++) {
    UNIT_CHECK_INT(append_n(j, 1, 1), 1);
    if (i % 8 == 0) UNIT_CHECK_INT(journal_roll(j), 0); /* segments 1-8, 9-16, 17-24, 25-30 */
  }
  journal_close(j);
  /* Checked only: nothing replayed by the open. */
  REQUIRE_OPEN(journal_open(dir, 1, 0, NULL, NULL, &j, &rep));
  UNIT_CHECK_INT(rep.last_seq, 30);
  int all_ok = 1;
  for (uint64_t from = 1; from <= 31; from++)
    for (uint64_t stop = from; stop <= 31; stop++) {
      memset(&c, 0, sizeof c);
      c.small = 1;
      c.next = from;
      c.stop_at = stop <= 30 ? stop : 0;
      uint64_t next = 0;
      int first = journal_replay(j, from, 30, stop_then_go, &c, &next);
      int ok = stop <= 30 ? first == 1 && next == stop && c.count == stop - from : first == 0 && next == 31;
      if (stop <= 30) ok &= journal_replay(j, next, 30, stop_then_go, &c, &next) == 0;
      all_ok &= ok && next == 31 && c.count == 31 - from && c.bad == 0;
    }
  UNIT_CHECK(all_ok);
  /* Up to `last` only, and an error from fn is one, with where. */
  memset(&c, 0, sizeof c);
  c.small = 1;
  c.next = 3;
  uint64_t next = 0, bad_seq = 12;
  UNIT_CHECK_INT(journal_replay(j, 3, 10, check_replay, &c, &next), 0);
  UNIT_CHECK(next == 11 && c.count == 8 && c.bad == 0);
  UNIT_CHECK_INT(journal_replay(j, 5, 20, fail_at, &bad_seq, &next), -1);
  UNIT_CHECK(next == 12 && strstr(journal_errmsg(j), "replay stopped at seq 12") != NULL);
  /* A record the open saw and is gone now (the files changed under it) is an error, not a stop. */
  UNIT_CHECK_INT(journal_replay(j, 25, 31, check_replay, &c, &next), -1);
  UNIT_CHECK(next == 31 && strstr(journal_errmsg(j), "record 31 is gone") != NULL);
  journal_close(j);
  remove_dir(dir);
}

void suite_journal(void) {
  crc_check_value();
  journal_roundtrip();
  journal_torn_tail();
  journal_flipped_bytes();
  journal_garbage();
  journal_limits();
  journal_failed_writes();
  journal_undo();
  journal_drop_and_from();
  journal_failed_allocs();
  journal_replay_resumes();
}
