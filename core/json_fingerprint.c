/*
 * json_fingerprint.c: the FNV-1a hash of a cJSON tree's unformatted text, computed from the
 * tree without printing it (json.h's j_fingerprint).
 *
 * Every command that carries an op id is fingerprinted, so that a retry can be told from a
 * reuse of the id (api.c), and the fingerprints of applied operations are stored. They were
 * the hash of cJSON_PrintUnformatted(request), and must stay exactly that. But cJSON prints
 * every number through sprintf("%1.15g") and checks it with sscanf("%lg"): in wasm musl does
 * both in 128-bit soft float, and a replayed journal tail of 615 commands with op ids spent
 * ~15 ms of a 100k store's open in Chromium printing and reading back timestamps (session 8).
 * So this walks the tree the way cJSON's printer does (third_party/cjson/cJSON.c, 1.7.15:
 * print_value, print_string_ptr, print_array, print_object unformatted) and feeds the bytes it
 * would print to the hash. An integer under 10^15 prints as its digits under "%1.15g" (no
 * exponent below 10^15; nothing after the point to keep) and reads back exactly, so it is
 * written directly; any other number goes through the same sprintf/sscanf as cJSON's.
 * test_fingerprint.c checks the two agree on every fixture and on numbers at every edge.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

typedef struct {
  uint64_t h;
  int failed; /* a tree cJSON would not print (a bad type, a raw node without text) */
} fingerprint;

static void feed(fingerprint *f, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) f->h = (f->h ^ (unsigned char)s[i]) * FNV_PRIME;
}

static void feed_str(fingerprint *f, const char *s) { feed(f, s, strlen(s)); }

/* cJSON's compare_double. */
static int same_double(double a, double b) {
  double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= max * DBL_EPSILON;
}

static void feed_number(fingerprint *f, double d) {
  char buf[26];
  int len;
  if (isnan(d) || isinf(d)) {
    feed_str(f, "null");
    return;
  }
  if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
    uint64_t u = (uint64_t)fabs(d);
    char *p = buf + sizeof buf;
    do {
      *--p = (char)('0' + u % 10);
      u /= 10;
    } while (u);
    if (d < 0) *--p = '-';
    feed(f, p, (size_t)(buf + sizeof buf - p));
    return;
  }
  double test = 0.0;
  len = snprintf(buf, sizeof buf, "%1.15g", d);
  if (sscanf(buf, "%lg", &test) != 1 || !same_double(test, d)) len = snprintf(buf, sizeof buf, "%1.17g", d);
  if (len < 0 || len > (int)sizeof buf - 1) {
    f->failed = 1;
    return;
  }
  char point = localeconv()->decimal_point[0];
  for (int i = 0; i < len; i++)
    if (buf[i] == point) buf[i] = '.';
  feed(f, buf, (size_t)len);
}

static void feed_string(fingerprint *f, const char *s) {
  static const char hex[] = "0123456789abcdef";
  feed(f, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t n = 2;
    switch (*p) {
      case '\"': esc[1] = '\"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default:
        if (*p > 31) {
          feed(f, (const char *)p, 1);
          continue;
        }
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[*p >> 4];
        esc[5] = hex[*p & 15];
        n = 6;
    }
    feed(f, esc, n);
  }
  feed(f, "\"", 1);
}

static void feed_value(fingerprint *f, const cJSON *item) {
  switch (item->type & 0xFF) {
    case cJSON_NULL: feed_str(f, "null"); return;
    case cJSON_False: feed_str(f, "false"); return;
    case cJSON_True: feed_str(f, "true"); return;
    case cJSON_Number: feed_number(f, item->valuedouble); return;
    case cJSON_Raw:
      if (!item->valuestring) f->failed = 1;
      else feed_str(f, item->valuestring);
      return;
    case cJSON_String: feed_string(f, item->valuestring); return;
    case cJSON_Array:
      feed(f, "[", 1);
      for (const cJSON *c = item->child; c; c = c->next) {
        feed_value(f, c);
        if (c->next) feed(f, ",", 1);
      }
      feed(f, "]", 1);
      return;
    case cJSON_Object:
      feed(f, "{", 1);
      for (const cJSON *c = item->child; c; c = c->next) {
        feed_string(f, c->string);
        feed(f, ":", 1);
        feed_value(f, c);
        if (c->next) feed(f, ",", 1);
      }
      feed(f, "}", 1);
      return;
    default: f->failed = 1; return;
  }
}

int j_fingerprint(const cJSON *item, uint64_t *out) {
  fingerprint f = {FNV_OFFSET, 0};
  if (!item) return -1;
  feed_value(&f, item);
  *out = f.h;
  return f.failed ? -1 : 0;
}
