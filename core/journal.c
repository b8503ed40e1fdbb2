/* journal.c: segment files of checksummed records, recovered up to the last valid one. */
#define _POSIX_C_SOURCE 200809L
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "crc32c.h"
#include "fileio.h"

#define HDR 20                /* magic, length, seq, crc */
#define MAGIC 0x5044524Au     /* "PDRJ" */
#define NAME_LEN 32           /* "journal-" + 20 digits + ".pdj" */
#define PATH_CAP 4096

struct journal {
  char *dir;
  int fd;               /* the current segment, opened for append; -1 when read-only */
  uint64_t seg_first;   /* first seq of the current segment (its name) */
  uint64_t next_seq;    /* the seq the next append gets */
  size_t seg_bytes;     /* length of the current segment: where a failed append cuts back to */
  size_t last_size;     /* bytes of the record appended last, while it can be undone; else 0 */
  unsigned char *buf;   /* the record being appended, reused */
  size_t buf_cap;
  int read_only, failed;
  char err[256];
};

/* What journal_open carries from segment to segment. */
typedef struct {
  journal *j;
  journal_report *rep;
  journal_replay_fn fn;
  void *ud;
  uint64_t from_seq;
  uint64_t expect;     /* seq of the next record; 0 before the first segment */
  size_t valid_up_to;  /* of the segment scanned last */
} open_state;

static void say(char *dst, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, 256, fmt, ap);
  va_end(ap);
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

static void seg_name(char name[NAME_LEN + 1], uint64_t first) {
  snprintf(name, NAME_LEN + 1, "journal-%020llu.pdj", (unsigned long long)first);
}

static int seg_path(const char *dir, uint64_t first, char path[PATH_CAP]) {
  char name[NAME_LEN + 1];
  seg_name(name, first);
  return snprintf(path, PATH_CAP, "%s/%s", dir, name) < PATH_CAP ? 0 : -1;
}

/* 1 if name is a segment's, with its first seq in *first (20 digits that fit in 64 bits). */
static int parse_name(const char *name, uint64_t *first) {
  uint64_t v = 0;
  if (strlen(name) != NAME_LEN || strncmp(name, "journal-", 8) || strcmp(name + 28, ".pdj"))
    return 0;
  for (int i = 8; i < 28; i++) {
    unsigned d = (unsigned)(name[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *first = v;
  return 1;
}

static int cmp_seq(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The first seqs of dir's segments, ascending, in a pd_malloc array: 0, or -1 (errno set). */
static int list_segments(const char *dir, uint64_t **out, size_t *count) {
  uint64_t *v = NULL, first;
  size_t n = 0, cap = 0;
  struct dirent *e;
  DIR *d = opendir(dir);
  if (!d) return -1;
  while ((e = readdir(d)) != NULL) {
    if (!parse_name(e->d_name, &first)) continue;
    if (n == cap) {
      size_t ncap = cap ? 2 * cap : 16;
      uint64_t *nv = pd_realloc(v, cap * sizeof *v, ncap * sizeof *v);
      if (!nv) goto fail;
      v = nv;
      cap = ncap;
    }
    v[n++] = first;
  }
  closedir(d);
  if (n) qsort(v, n, sizeof *v, cmp_seq);
  *out = v;
  *count = n;
  return 0;
fail:
  closedir(d);
  pd_free(v);
  errno = ENOMEM;
  return -1;
}

/* NULL if a valid record starts at p (avail bytes on), with its size and seq; else why not. */
static const char *check_record(const unsigned char *p, size_t avail, size_t *size,
                                uint64_t *seq) {
  if (avail < HDR) return "incomplete header";
  if (get32(p) != MAGIC) return "bad magic";
  uint32_t len = get32(p + 4);
  if (len > JOURNAL_MAX_PAYLOAD) return "length over 8 MiB";
  if (len > avail - HDR) return "record runs past the end of the segment";
  if (crc32c(crc32c(0, p + 4, 12), p + HDR, len) != get32(p + 16)) return "bad checksum";
  *size = HDR + (size_t)len;
  *seq = get64(p + 8);
  return NULL;
}

/* 1 if a valid record starts anywhere after off: the bad record at off is not the last. */
static int valid_record_after(const unsigned char *buf, size_t n, size_t off) {
  size_t size;
  uint64_t seq;
  for (size_t i = off + 1; i + HDR <= n; i++)
    if (buf[i] == (MAGIC & 0xFFu) && !check_record(buf + i, n - i, &size, &seq)) return 1;
  return 0;
}

/* Sorts out a bad record at off: 0 for a torn tail (reported), 1 for damage (reported). */
static int bad_record(open_state *st, const char *name, const unsigned char *buf, size_t n,
                      size_t off, int is_last, const char *why) {
  journal_report *rep = st->rep;
  if (is_last && n - off <= HDR + JOURNAL_MAX_PAYLOAD && !valid_record_after(buf, n, off)) {
    rep->torn_bytes = n - off;
    rep->torn_seq = st->expect;
    say(rep->damage, "%s: torn tail of %zu bytes at byte %zu, seq %llu (%s)", name, n - off,
        off, (unsigned long long)st->expect, why);
    return 0;
  }
  rep->damaged = 1;
  say(rep->damage, "%s: byte %zu, seq %llu: %s", name, off, (unsigned long long)st->expect, why);
  return 1;
}

/* A segment named first must continue the seqs, or start a run the caller does not need. */
static int check_continuity(open_state *st, const char *name, uint64_t first) {
  if (first == st->expect) return 0;
  if (first > st->from_seq || (st->expect && first < st->expect)) {
    st->rep->damaged = 1;
    if (first > st->expect && first > st->from_seq)
      say(st->rep->damage, "%s: missing segment: records %llu..%llu are not in the journal", name,
          (unsigned long long)(st->expect > st->from_seq ? st->expect : st->from_seq),
          (unsigned long long)(first - 1));
    else
      say(st->rep->damage, "%s: overlaps the segment before (seq %llu expected)", name,
          (unsigned long long)st->expect);
    return 1;
  }
  st->expect = first;
  return 0;
}

/* Reads one record after another, replaying them: 0 read to the end or a torn tail,
 * 1 damage (reported), -1 error (in j->err). */
static int scan_records(open_state *st, const char *name, const unsigned char *buf, size_t n,
                        int is_last) {
  journal_report *rep = st->rep;
  size_t off = 0, size = 0;
  uint64_t seq = 0;
  int rc = 0;
  while (off < n && rc == 0) {
    const char *why = check_record(buf + off, n - off, &size, &seq);
    if (why) {
      rc = bad_record(st, name, buf, n, off, is_last, why);
      break;
    }
    if (seq != st->expect) {
      rep->damaged = 1;
      say(rep->damage, "%s: byte %zu: seq %llu where %llu was expected", name, off,
          (unsigned long long)seq, (unsigned long long)st->expect);
      return 1;
    }
    if (seq >= st->from_seq && st->fn &&
        st->fn(st->ud, seq, (const char *)buf + off + HDR, size - HDR)) {
      say(st->j->err, "replay stopped at seq %llu (%s, byte %zu)", (unsigned long long)seq, name,
          off);
      return -1;
    }
    if (!rep->records++) rep->first_seq = seq;
    rep->last_seq = seq;
    st->expect++;
    off += size;
  }
  st->valid_up_to = off;
  return rc;
}

static int scan_segment(open_state *st, uint64_t first, int is_last) {
  char name[NAME_LEN + 1], path[PATH_CAP];
  unsigned char *buf = NULL;
  size_t n = 0;
  seg_name(name, first);
  if (check_continuity(st, name, first)) return 1;
  errno = ENOMEM; /* what is left when fio_read_file's allocation fails */
  if (seg_path(st->j->dir, first, path) || fio_read_file(path, &buf, &n)) {
    say(st->j->err, "cannot read %s: %s", name, strerror(errno));
    return -1;
  }
  st->rep->segments++;
  int rc = scan_records(st, name, buf, n, is_last);
  pd_free(buf);
  return rc;
}

/* Creates segment first, its name made durable, and makes it the current one. */
static int create_segment(journal *j, uint64_t first) {
  char path[PATH_CAP];
  int fd = -1;
  if (seg_path(j->dir, first, path)) {
    say(j->err, "directory name too long");
    return -1;
  }
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
  if (fd < 0 || fio_fsync_dir(j->dir)) {
    say(j->err, "cannot create %s: %s", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      if (unlink(path)) j->failed = 1; /* a stray segment would overlap the next records */
    }
    return -1;
  }
  if (j->fd >= 0) close(j->fd);
  j->fd = fd;
  j->seg_first = first;
  j->seg_bytes = 0;
  j->last_size = 0;
  return 0;
}

/* Opens the last segment for appends, cut back to its valid records first. */
static int open_last(journal *j, uint64_t first, size_t valid_up_to, int torn) {
  char path[PATH_CAP];
  if (seg_path(j->dir, first, path)) return -1;
  j->fd = open(path, O_WRONLY | O_APPEND);
  if (j->fd < 0) goto fail;
  if (torn && (ftruncate(j->fd, (off_t)valid_up_to) || fio_fsync(j->fd))) goto fail;
  j->seg_first = first;
  j->seg_bytes = valid_up_to;
  return 0;
fail:
  say(j->err, "cannot open %s for appends: %s", path, strerror(errno));
  return -1;
}

/* After a clean scan: appends go on in the last segment, or in a new one at next_seq. */
static int start_writing(journal *j, const open_state *st, const uint64_t *segs, size_t n) {
  if (n && open_last(j, segs[n - 1], st->valid_up_to, st->rep->torn_bytes > 0)) return -1;
  if (n && st->expect == j->next_seq) return 0;
  return create_segment(j, j->next_seq);
}

int journal_open(const char *dir, uint64_t from_seq, int read_only, journal_replay_fn fn,
                 void *ud, journal **out, journal_report *rep) {
  journal_report local;
  uint64_t *segs = NULL;
  size_t nsegs = 0;
  int rc = -1, scan = 0;
  if (!rep) rep = &local;
  open_state st = {NULL, rep, fn, ud, from_seq ? from_seq : 1, 0, 0};
  memset(rep, 0, sizeof *rep);
  *out = NULL;
  journal *j = pd_calloc(1, sizeof *j);
  if (!j) goto fail;
  j->fd = -1;
  j->read_only = read_only;
  if (!(j->dir = pd_strdup(dir))) goto fail;
  if (list_segments(dir, &segs, &nsegs)) {
    say(j->err, "cannot list %s: %s", dir, strerror(errno));
    goto fail;
  }
  st.j = j;
  for (size_t i = 0; i < nsegs && scan == 0; i++) scan = scan_segment(&st, segs[i], i + 1 == nsegs);
  if (scan < 0 || (scan > 0 && !read_only)) goto fail;
  if (!st.expect) st.expect = st.from_seq; /* no segment: the journal starts at from_seq */
  j->next_seq = st.expect > st.from_seq ? st.expect : st.from_seq;
  if (!read_only && start_writing(j, &st, segs, nsegs)) goto fail;
  *out = j;
  j = NULL;
  rc = 0;
fail:
  if (rc && !rep->damaged) say(rep->damage, "%s", j && j->err[0] ? j->err : "out of memory");
  pd_free(segs);
  journal_close(j);
  return rc;
}

int journal_replay(journal *j, uint64_t from, uint64_t last, journal_replay_fn fn, void *ud, uint64_t *next) {
  uint64_t *segs = NULL;
  size_t nsegs = 0;
  int rc = 0;
  *next = from;
  if (from > last) return 0;
  if (list_segments(j->dir, &segs, &nsegs)) {
    say(j->err, "cannot list %s: %s", j->dir, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < nsegs && rc == 0 && *next <= last; i++) {
    /* Only the segments that can hold `next`: the one it is in and those after. */
    if (segs[i] > *next || (i + 1 < nsegs && segs[i + 1] <= *next)) continue;
    char name[NAME_LEN + 1], path[PATH_CAP];
    unsigned char *buf = NULL;
    size_t n = 0, off = 0, size = 0;
    uint64_t seq = 0;
    seg_name(name, segs[i]);
    errno = ENOMEM;
    if (seg_path(j->dir, segs[i], path) || fio_read_file(path, &buf, &n)) {
      say(j->err, "cannot read %s: %s", name, strerror(errno));
      rc = -1;
      break;
    }
    /* journal_open checked every record up to `last`: one that is not right now was changed
     * under the open store, and nothing past it is replayed. */
    while (off < n && *next <= last && !check_record(buf + off, n - off, &size, &seq)) {
      if (seq == *next) {
        int r = fn(ud, seq, (const char *)buf + off + HDR, size - HDR);
        if (r) {
          if (r < 0) say(j->err, "replay stopped at seq %llu (%s, byte %zu)", (unsigned long long)seq, name, off);
          rc = r < 0 ? -1 : 1;
          break;
        }
        ++*next;
      }
      off += size;
    }
    pd_free(buf);
  }
  pd_free(segs);
  if (rc == 0 && *next <= last) {
    say(j->err, "the journal changed while the store was open: record %llu is gone", (unsigned long long)*next);
    rc = -1;
  }
  return rc;
}

/* Room for a record of n bytes in j->buf. */
static int reserve(journal *j, size_t n) {
  if (n <= j->buf_cap) return 0;
  unsigned char *b = pd_realloc(j->buf, j->buf_cap, n);
  if (!b) return -1;
  j->buf = b;
  j->buf_cap = n;
  return 0;
}

static const char *refusal(const journal *j) {
  if (j->read_only) return "the journal is open read-only";
  if (j->failed) return "the journal failed (a failed write could not be undone)";
  if (j->fd < 0) return "the journal has no segment open";
  return NULL;
}

int journal_append(journal *j, const char *payload, size_t len, uint64_t *seq) {
  const char *no = refusal(j);
  if (no || len > JOURNAL_MAX_PAYLOAD) {
    say(j->err, "%s", no ? no : "payload over 8 MiB");
    return -1;
  }
  size_t n = HDR + len;
  if (reserve(j, n)) {
    say(j->err, "out of memory");
    return -1;
  }
  unsigned char *b = j->buf;
  put32(b, MAGIC);
  put32(b + 4, (uint32_t)len);
  put64(b + 8, j->next_seq);
  if (len) memcpy(b + HDR, payload, len);
  put32(b + 16, crc32c(crc32c(0, b + 4, 12), b + HDR, len));
  if (fio_write_all(j->fd, b, n)) {
    say(j->err, "cannot append seq %llu: %s", (unsigned long long)j->next_seq, strerror(errno));
    if (ftruncate(j->fd, (off_t)j->seg_bytes)) j->failed = 1;
    return -1;
  }
  j->seg_bytes += n;
  j->last_size = n;
  if (seq) *seq = j->next_seq;
  j->next_seq++;
  return 0;
}

int journal_undo_last(journal *j) {
  const char *no = refusal(j);
  if (no || !j->last_size) {
    say(j->err, "%s", no ? no : "no record to undo");
    return -1;
  }
  if (ftruncate(j->fd, (off_t)(j->seg_bytes - j->last_size))) {
    say(j->err, "cannot undo seq %llu: %s", (unsigned long long)(j->next_seq - 1), strerror(errno));
    j->failed = 1;
    return -1;
  }
  j->seg_bytes -= j->last_size;
  j->last_size = 0;
  j->next_seq--;
  return 0;
}

int journal_sync(journal *j) {
  if (j->fd < 0) {
    say(j->err, "the journal has no segment open");
    return -1;
  }
  if (fio_fsync(j->fd)) {
    say(j->err, "cannot fsync the journal: %s", strerror(errno));
    return -1;
  }
  return 0;
}

int journal_roll(journal *j) {
  const char *no = refusal(j);
  if (no) {
    say(j->err, "%s", no);
    return -1;
  }
  if (j->seg_bytes == 0) return 0;
  if (journal_sync(j)) return -1;
  return create_segment(j, j->next_seq);
}

size_t journal_segment_bytes(const journal *j) { return j->seg_bytes; }

uint64_t journal_last_seq(const journal *j) { return j->next_seq - 1; }

int journal_drop_before(journal *j, uint64_t seq) {
  uint64_t *segs = NULL;
  size_t n = 0, dropped = 0;
  char path[PATH_CAP];
  int rc = -1;
  if (j->read_only) {
    say(j->err, "the journal is open read-only");
    return -1;
  }
  if (list_segments(j->dir, &segs, &n)) {
    say(j->err, "cannot list %s: %s", j->dir, strerror(errno));
    return -1;
  }
  /* Segment i holds seqs below segs[i + 1]: all < seq when segs[i + 1] <= seq. */
  for (; dropped + 1 < n && segs[dropped + 1] <= seq && segs[dropped] != j->seg_first; dropped++) {
    if (seg_path(j->dir, segs[dropped], path) || unlink(path)) {
      say(j->err, "cannot delete %s: %s", path, strerror(errno));
      goto fail;
    }
  }
  if (dropped && fio_fsync_dir(j->dir)) {
    say(j->err, "cannot fsync %s: %s", j->dir, strerror(errno));
    goto fail;
  }
  rc = 0;
fail:
  pd_free(segs);
  return rc;
}

const char *journal_errmsg(const journal *j) { return j ? j->err : "no journal"; }

void journal_close(journal *j) {
  if (!j) return;
  if (j->fd >= 0) close(j->fd);
  pd_free(j->buf);
  pd_free(j->dir);
  pd_free(j);
}
