/* json.c: total helpers over cJSON (see json.h). */
#include "json.h"

#include <math.h>

int j_add(cJSON *obj, const char *key, cJSON *item) {
  if (!item) return -1;
  /* The key is not copied (one allocation less per member, the most frequent one). */
  if (!cJSON_AddItemToObjectCS(obj, key, item)) {
    cJSON_Delete(item);
    return -1;
  }
  return 0;
}

int j_push(cJSON *arr, cJSON *item) {
  if (!item) return -1;
  if (!cJSON_AddItemToArray(arr, item)) {
    cJSON_Delete(item);
    return -1;
  }
  return 0;
}

int j_add_str(cJSON *obj, const char *key, const char *s) {
  return j_add(obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

/* Integers are written as raw JSON text: cJSON prints any number beyond 32 bits through
 * printf("%1.15g") and a strtod round-trip, which made every millisecond timestamp the most
 * expensive thing in a response. The digits are the same. */
int j_add_int(cJSON *obj, const char *key, int64_t v) {
  char buf[24], *p = buf + sizeof buf - 1;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  *p = '\0';
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  return j_add(obj, key, cJSON_CreateRaw(p));
}

int j_add_bool(cJSON *obj, const char *key, int v) { return j_add(obj, key, cJSON_CreateBool(v)); }
int j_add_null(cJSON *obj, const char *key) { return j_add(obj, key, cJSON_CreateNull()); }

const cJSON *j_get(const cJSON *obj, const char *key) {
  return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

const char *j_get_str(const cJSON *obj, const char *key) {
  const cJSON *v = j_get(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int j_get_int(const cJSON *obj, const char *key, int64_t lo, int64_t hi, int64_t *out) {
  const cJSON *v = j_get(obj, key);
  if (!cJSON_IsNumber(v)) return -1;
  double d = v->valuedouble;
  /* 2^53: beyond it a double no longer holds every integer, so the value is not exact. */
  if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0) return -1;
  int64_t i = (int64_t)d;
  if (i < lo || i > hi) return -1;
  *out = i;
  return 0;
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFY): cJSON does not check. */
int j_valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len;
    unsigned cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1Fu; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0Fu; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07u; }
    else return 0;
    if (n - i < len) return 0;
    for (size_t j = 1; j < len; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + j] & 0x3Fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return 0;
    i += len;
  }
  return 1;
}
