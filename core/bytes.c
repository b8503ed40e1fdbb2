/* bytes.c: the compact and the fixed encodings, written and checked (see bytes.h). */
#include "bytes.h"

#include <string.h>

#include "alloc.h"

#define NULL_STRING 0xFFFFFFFFu /* the fixed encoding's NULL */

void bw_raw(bytes_writer *w, const void *p, size_t n) {
  if (w->failed) return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n) cap *= 2;
    unsigned char *d = pd_realloc(w->data, w->cap, cap);
    if (!d) {
      w->failed = 1;
      return;
    }
    w->data = d;
    w->cap = cap;
  }
  if (n) memcpy(w->data + w->len, p, n);
  w->len += n;
}

void bw_u8(bytes_writer *w, uint8_t v) { bw_raw(w, &v, 1); }

void bw_fixed32(bytes_writer *w, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  bw_raw(w, b, 4);
}

void bw_fixed64(bytes_writer *w, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  bw_raw(w, b, 8);
}

void bw_u64(bytes_writer *w, uint64_t v) {
  unsigned char b[10];
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (unsigned char)v;
  bw_raw(w, b, n);
}

void bw_u32(bytes_writer *w, uint32_t v) { bw_u64(w, v); }

/* Zigzag: 0, -1, 1, -2, ... → 0, 1, 2, 3, ..., so small negatives stay short. */
void bw_i64(bytes_writer *w, int64_t v) {
  uint64_t u = (uint64_t)v;
  bw_u64(w, (u << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

void bw_str(bytes_writer *w, const char *s) {
  if (!s) {
    bw_u64(w, 0);
    return;
  }
  size_t n = strlen(s);
  bw_u64(w, (uint64_t)n + 1);
  bw_raw(w, s, n);
}

void bw_free(bytes_writer *w) {
  pd_free(w->data);
  memset(w, 0, sizeof *w);
}

static int compact(const bytes_reader *r) { return r->format == 0 || r->format >= BYTES_COMPACT_FORMAT; }

static const unsigned char *take(bytes_reader *r, size_t n) {
  if (r->failed || n > r->len - r->pos) {
    r->failed = 1;
    return NULL;
  }
  const unsigned char *p = r->data + r->pos;
  r->pos += n;
  return p;
}

uint8_t br_u8(bytes_reader *r) {
  const unsigned char *p = take(r, 1);
  return p ? p[0] : 0;
}

uint32_t br_fixed32(bytes_reader *r) {
  const unsigned char *p = take(r, 4);
  uint32_t v = 0;
  for (int i = 0; p && i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

uint64_t br_fixed64(bytes_reader *r) {
  const unsigned char *p = take(r, 8);
  uint64_t v = 0;
  for (int i = 0; p && i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* A varint of at most 10 bytes, in its shortest form: a longer one, or bits past 64, are
 * not what the writer makes, so they fail the reader (one value, one encoding). */
static uint64_t varint(bytes_reader *r) {
  uint64_t v = 0;
  if (r->failed) return 0;
  if (r->pos < r->len && r->data[r->pos] < 0x80) return r->data[r->pos++]; /* most are one byte */
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (r->pos >= r->len) break;
    unsigned char b = r->data[r->pos++];
    if (shift == 63 && b > 1) break;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift) break; /* overlong: a trailing zero byte */
      return v;
    }
  }
  r->failed = 1;
  return 0;
}

uint64_t br_u64(bytes_reader *r) { return compact(r) ? varint(r) : br_fixed64(r); }

uint32_t br_u32(bytes_reader *r) {
  if (!compact(r)) return br_fixed32(r);
  uint64_t v = varint(r);
  if (v > UINT32_MAX) {
    r->failed = 1;
    return 0;
  }
  return (uint32_t)v;
}

int64_t br_i64(bytes_reader *r) {
  if (!compact(r)) return (int64_t)br_fixed64(r);
  uint64_t u = varint(r);
  return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

int br_view(bytes_reader *r, size_t max, const unsigned char **p, size_t *n) {
  uint64_t len;
  if (compact(r)) {
    len = varint(r);
    if (r->failed || len == 0) return 0;
    len--;
  } else {
    len = br_fixed32(r);
    if (r->failed || len == NULL_STRING) return 0;
  }
  if (len > max) {
    r->failed = 1;
    return 0;
  }
  *p = take(r, (size_t)len);
  if (!*p) return 0;
  if (memchr(*p, '\0', (size_t)len)) { /* a C string cannot hold it: the file is not ours */
    r->failed = 1;
    return 0;
  }
  *n = (size_t)len;
  return 1;
}

char *br_str(bytes_reader *r, size_t max) {
  const unsigned char *p;
  size_t n;
  if (!br_view(r, max, &p, &n)) return NULL;
  char *s = pd_strndup((const char *)p, n);
  if (!s) r->failed = 1;
  return s;
}

uint32_t br_below(bytes_reader *r, uint32_t limit) {
  uint32_t v = br_u32(r);
  if (v >= limit) {
    r->failed = 1;
    return 0;
  }
  return v;
}
