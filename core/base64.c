/* base64.c: the encoder and strict decoder of base64.h. */
#include "base64.h"

#include <stdint.h>

#include "alloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const unsigned char *data, size_t n) {
  if (n > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
  size_t groups = (n + 2) / 3;
  char *out = pd_malloc(groups * 4 + 1), *p = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < n) v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < n) v |= data[i + 2];
    *p++ = alphabet[v >> 18];
    *p++ = alphabet[(v >> 12) & 63];
    *p++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    *p++ = i + 2 < n ? alphabet[v & 63] : '=';
  }
  *p = '\0';
  return out;
}

/* The value of one character of the alphabet, or -1. */
static int value_of(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (len % 4 != 0) return -1;
  size_t pad = len && text[len - 1] == '=' ? (text[len - 2] == '=' ? 2u : 1u) : 0u;
  size_t n = len / 4 * 3 - pad;
  unsigned char *buf = pd_malloc(n ? n : 1);
  if (!buf) return -2;
  for (size_t i = 0, o = 0; i < len; i += 4) {
    int last = i + 4 == len;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; j++) {
      unsigned char c = (unsigned char)text[i + j];
      int d = value_of(c);
      /* '=' only as the last one or two characters of the last group. */
      if (d < 0 && !(c == '=' && last && j >= 4 - pad)) goto bad;
      v = v << 6 | (uint32_t)(d < 0 ? 0 : d);
    }
    /* The bits past the data must be zero: otherwise two texts would decode the same. */
    if ((pad == 1 && last && (v & 0xFFu)) || (pad == 2 && last && (v & 0xFFFFu))) goto bad;
    buf[o++] = (unsigned char)(v >> 16);
    if (!last || pad < 2) buf[o++] = (unsigned char)(v >> 8);
    if (!last || pad < 1) buf[o++] = (unsigned char)v;
  }
  *out = buf;
  *out_len = n;
  return 0;
bad:
  pd_free(buf);
  return -1;
}
