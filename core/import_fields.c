/* import_fields.c: reading one field of a marketplace payload, checked, named in the error. */
#include "import_fields.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_TIME_MS ((pd_ms)253402300799999) /* 9999-12-31T23:59:59.999Z */
#define MS_THRESHOLD ((int64_t)1000000000000) /* 1e12: from here on a time is in ms */

int import_fail(import_error *err, const char *path, const char *key, const char *message) {
  if (!key)
    snprintf(err->field, sizeof err->field, "%s", path);
  else if (!path || !*path)
    snprintf(err->field, sizeof err->field, "%s", key);
  else
    snprintf(err->field, sizeof err->field, "%s.%s", path, key);
  snprintf(err->message, sizeof err->message, "%s", message);
  return -1;
}

int import_oom(import_error *err) {
  err->out_of_memory = 1;
  err->field[0] = '\0';
  snprintf(err->message, sizeof err->message, "out of memory");
  return -1;
}

void import_item_path(char *buf, size_t size, const char *array, size_t index) {
  snprintf(buf, size, "%s[%zu]", array, index);
}

/* The member, or NULL when it is absent or null. */
static const cJSON *member(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNull(v) ? NULL : v;
}

int field_object(import_error *err, const char *path, const cJSON *obj, const char *key,
                 int required, const cJSON **out) {
  const cJSON *v = member(obj, key);
  *out = NULL;
  if (!v) return required ? import_fail(err, path, key, "is required") : 0;
  if (!cJSON_IsObject(v)) return import_fail(err, path, key, "must be an object");
  *out = v;
  return 0;
}

int field_array(import_error *err, const char *path, const cJSON *obj, const char *key,
                int required, int max, const cJSON **out) {
  const cJSON *v = member(obj, key);
  char message[64];
  *out = NULL;
  if (!v) return required ? import_fail(err, path, key, "is required") : 0;
  if (!cJSON_IsArray(v)) return import_fail(err, path, key, "must be an array");
  if (cJSON_GetArraySize(v) > max) {
    snprintf(message, sizeof message, "has more than %d entries", max);
    return import_fail(err, path, key, message);
  }
  *out = v;
  return 0;
}

int field_text(import_error *err, const char *path, const cJSON *obj, const char *key,
               int required, const char **out) {
  const cJSON *v = member(obj, key);
  *out = NULL;
  if (!v) return required ? import_fail(err, path, key, "is required") : 0;
  if (!cJSON_IsString(v) || !v->valuestring)
    return import_fail(err, path, key, "must be a string");
  if (strlen(v->valuestring) > IMPORT_MAX_TEXT)
    return import_fail(err, path, key, "is longer than 1024 bytes");
  *out = v->valuestring;
  return 0;
}

int import_is_id(const char *s) {
  size_t n = 0;
  for (; s[n]; n++) {
    char c = s[n];
    if (n >= IMPORT_MAX_ID) return 0;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == ':' || c == '-'))
      return 0;
  }
  return n > 0;
}

int field_id(import_error *err, const char *path, const cJSON *obj, const char *key,
             int required, const char **out) {
  const cJSON *v = member(obj, key);
  *out = NULL;
  if (!v) return required ? import_fail(err, path, key, "is required") : 0;
  if (!cJSON_IsString(v) || !v->valuestring || !import_is_id(v->valuestring))
    return import_fail(err, path, key, "must be an id: 1 to 64 of A-Z a-z 0-9 _ . : -");
  *out = v->valuestring;
  return 0;
}

/* A whole number in [0, 2^53] from a JSON number; -1 otherwise. */
static int whole_number(const cJSON *v, double *out) {
  double d = v->valuedouble;
  if (!cJSON_IsNumber(v) || !isfinite(d) || d < -9007199254740992.0 || d > 9007199254740992.0)
    return -1;
  if ((double)(int64_t)d != d) return -1;
  *out = d;
  return 0;
}

int field_int(import_error *err, const char *path, const cJSON *obj, const char *key,
              int required, int64_t min, int64_t max, int64_t *out) {
  const cJSON *v = member(obj, key);
  double d;
  char message[96];
  if (!v) return required ? import_fail(err, path, key, "is required") : 0;
  if (whole_number(v, &d) || d < (double)min || d > (double)max) {
    snprintf(message, sizeof message, "must be a whole number from %lld to %lld", (long long)min,
             (long long)max);
    return import_fail(err, path, key, message);
  }
  *out = (int64_t)d;
  return 0;
}

/* The raw number of a time: 0 on success, -1 malformed or negative, -2 too large. */
static int time_raw(const cJSON *v, int64_t *out) {
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0) return -1;
    if (d > (double)MAX_TIME_MS) return -2;
    if ((double)(int64_t)d != d) return -1;
    *out = (int64_t)d;
    return 0;
  }
  if (!cJSON_IsString(v) || !v->valuestring || !*v->valuestring) return -1;
  int64_t n = 0;
  for (const char *s = v->valuestring; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    if (n <= MAX_TIME_MS) n = n * 10 + (*s - '0'); /* past the limit it only needs to stay so */
  }
  if (n > MAX_TIME_MS) return -2;
  *out = n;
  return 0;
}

int field_time(import_error *err, const char *path, const cJSON *obj, const char *key,
               int required, time_unit unit, pd_ms *out) {
  const cJSON *v = member(obj, key);
  int64_t n = 0;
  int rc;
  *out = 0;
  if (v && (rc = time_raw(v, &n)) != 0)
    return import_fail(err, path, key,
                       rc == -2 ? "is after the year 9999"
                       : unit == TIME_MS
                           ? "must be a time: a whole, non-negative number of milliseconds"
                           : "must be a time: a whole, non-negative number of seconds or ms");
  if (unit == TIME_SECONDS_OR_MS && n == 0) v = NULL; /* the marketplace's "not set" */
  if (!v) return required ? import_fail(err, path, key, "is required") : 0;
  if (unit == TIME_SECONDS_OR_MS && n < MS_THRESHOLD) n *= 1000;
  if (n > MAX_TIME_MS) return import_fail(err, path, key, "is after the year 9999");
  *out = n;
  return 0;
}

int field_currency(import_error *err, const char *path, const cJSON *obj, const char *key,
                   char out[4]) {
  const char *s;
  if (field_text(err, path, obj, key, 1, &s)) return -1;
  if (strlen(s) != 3 || !(s[0] >= 'A' && s[0] <= 'Z') || !(s[1] >= 'A' && s[1] <= 'Z') ||
      !(s[2] >= 'A' && s[2] <= 'Z'))
    return import_fail(err, path, key, "must be a 3-letter currency code");
  if (currency_exponent(s) < 0) return import_fail(err, path, key, "is not a supported currency");
  memcpy(out, s, 4);
  return 0;
}

int field_money(import_error *err, const char *path, const cJSON *obj, const char *key,
                const char *currency, int64_t *out, int *present) {
  const cJSON *v = member(obj, key);
  char message[128];
  *present = 0;
  if (!v) return 0;
  if (money_from_json(v, currency, out)) {
    snprintf(message, sizeof message,
             "must be an amount: a number or decimal string, not negative, with at most %d "
             "decimals in %s",
             currency_exponent(currency), currency);
    return import_fail(err, path, key, message);
  }
  *present = 1;
  return 0;
}

int import_set_string(import_error *err, order *o, char **field, const char *value) {
  if (!value) return 0;
  return order_set_string(o, field, value) ? import_oom(err) : 0;
}

int import_add_line(order *o, const order_line *line, import_error *err, const char *path) {
  if (o->lines.len >= IMPORT_MAX_LINES)
    return import_fail(err, path, NULL, "is one line too many: at most 500 lines");
  for (size_t i = 0; i < o->lines.len; i++)
    if (strcmp(o->lines.items[i].id, line->id) == 0)
      return import_fail(err, path, NULL, "has the line id of an earlier line");
  return order_add_line(o, line) ? import_oom(err) : 0;
}

int import_add_amounts(int64_t a, int64_t b, int64_t *out) {
  if (a > INT64_MAX - b) return -1;
  *out = a + b;
  return 0;
}

int import_lines_total(const order *o, int64_t *out) {
  int64_t sum = 0;
  for (size_t i = 0; i < o->lines.len; i++) {
    const order_line *l = &o->lines.items[i];
    if (l->cancelled) continue;
    if (l->quantity > 0 && l->unit_price > INT64_MAX / l->quantity) return -1;
    if (import_add_amounts(sum, l->unit_price * l->quantity, &sum)) return -1;
  }
  *out = sum;
  return 0;
}
