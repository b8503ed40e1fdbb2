/* bytes.c: little-endian writer and checked reader (see bytes.h). */
#include "bytes.h"

#include <string.h>

#include "alloc.h"

#define NULL_STRING 0xFFFFFFFFu

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

void bw_u32(bytes_writer *w, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  bw_raw(w, b, 4);
}

void bw_u64(bytes_writer *w, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  bw_raw(w, b, 8);
}

void bw_i64(bytes_writer *w, int64_t v) { bw_u64(w, (uint64_t)v); }

void bw_str(bytes_writer *w, const char *s) {
  if (!s) {
    bw_u32(w, NULL_STRING);
    return;
  }
  size_t n = strlen(s);
  bw_u32(w, (uint32_t)n);
  bw_raw(w, s, n);
}

void bw_free(bytes_writer *w) {
  pd_free(w->data);
  memset(w, 0, sizeof *w);
}

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

uint32_t br_u32(bytes_reader *r) {
  const unsigned char *p = take(r, 4);
  uint32_t v = 0;
  for (int i = 0; p && i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

uint64_t br_u64(bytes_reader *r) {
  const unsigned char *p = take(r, 8);
  uint64_t v = 0;
  for (int i = 0; p && i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int64_t br_i64(bytes_reader *r) { return (int64_t)br_u64(r); }

char *br_str(bytes_reader *r, size_t max) {
  uint32_t n = br_u32(r);
  if (r->failed || n == NULL_STRING) return NULL;
  if (n > max) {
    r->failed = 1;
    return NULL;
  }
  const unsigned char *p = take(r, n);
  if (!p) return NULL;
  if (memchr(p, '\0', n)) { /* a C string cannot hold it: the file is not ours */
    r->failed = 1;
    return NULL;
  }
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
