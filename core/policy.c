/* policy.c: the shop's policy values, their defaults and their validation. */
#include "policy.h"

#include <string.h>

#include "json.h"
#include "order.h"

void policy_defaults(shop_policy *p) {
  memset(p, 0, sizeof *p);
  p->payment_window_h = 24;
  p->extension_max_h = 48;
  p->extensions_max = 1;
  p->completion_days = 7;
  p->delivery_promise_days = 7;
}

/* Reads an optional integer field within [lo, hi]; 0 when absent or valid, -1 otherwise. */
static int int_field(const cJSON *args, const char *name, int lo, int hi, int *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
      v->valuedouble < lo || v->valuedouble > hi)
    return -1;
  *out = (int)v->valuedouble;
  return 0;
}

int classes_from_json(const cJSON *arr, unsigned *out) {
  unsigned bits = 0;
  const cJSON *c;
  if (!cJSON_IsArray(arr)) return -1;
  cJSON_ArrayForEach(c, arr) {
    if (!cJSON_IsString(c)) return -1;
    if (strcmp(c->valuestring, "sharp") == 0) bits |= CLASS_SHARP;
    else if (strcmp(c->valuestring, "liquid") == 0) bits |= CLASS_LIQUID;
    else if (strcmp(c->valuestring, "fragile") == 0) bits |= CLASS_FRAGILE;
    else return -1;
  }
  *out = bits;
  return 0;
}

cJSON *classes_to_json(unsigned classes) {
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (unsigned bit = 1; bit <= CLASS_FRAGILE; bit <<= 1) {
    if (!(classes & bit)) continue;
    if (j_push(arr, cJSON_CreateString(class_name(bit)))) {
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

/* carriers: {"J&T": {"refuses": ["liquid"]}, ...} replaces the whole carrier table. */
static int carriers_field(const cJSON *v, shop_policy *p) {
  int n = 0;
  const cJSON *c;
  if (!cJSON_IsObject(v)) return -1;
  cJSON_ArrayForEach(c, v) {
    unsigned refuses = 0;
    size_t len = strlen(c->string);
    if (n == POLICY_MAX_CARRIERS || len == 0 || len >= sizeof p->carriers[0].name) return -1;
    if (!cJSON_IsObject(c)) return -1;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(c, "refuses");
    if (r && classes_from_json(r, &refuses)) return -1;
    memcpy(p->carriers[n].name, c->string, len + 1);
    p->carriers[n].refuses = refuses;
    n++;
  }
  p->carrier_count = n;
  return 0;
}

int policy_update(shop_policy *p, const cJSON *args, const char **field) {
  shop_policy next = *p;
  static const struct {
    const char *name;
    int lo, hi;
    size_t offset;
  } ints[] = {
      {"payment_window_h", 1, 720, offsetof(shop_policy, payment_window_h)},
      {"extension_max_h", 1, 168, offsetof(shop_policy, extension_max_h)},
      {"extensions_max", 0, 5, offsetof(shop_policy, extensions_max)},
      {"completion_days", 1, 90, offsetof(shop_policy, completion_days)},
      {"delivery_promise_days", 1, 90, offsetof(shop_policy, delivery_promise_days)},
  };
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    if (int_field(args, ints[i].name, ints[i].lo, ints[i].hi,
                  (int *)(void *)((char *)&next + ints[i].offset))) {
      *field = ints[i].name;
      return -1;
    }
  }
  const cJSON *carriers = cJSON_GetObjectItemCaseSensitive(args, "carriers");
  if (carriers && carriers_field(carriers, &next)) {
    *field = "carriers";
    return -1;
  }
  *p = next;
  return 0;
}

cJSON *policy_to_json(const shop_policy *p) {
  cJSON *o = cJSON_CreateObject(), *carriers = NULL;
  if (!o) return NULL;
  if (!cJSON_AddNumberToObject(o, "payment_window_h", p->payment_window_h) ||
      !cJSON_AddNumberToObject(o, "extension_max_h", p->extension_max_h) ||
      !cJSON_AddNumberToObject(o, "extensions_max", p->extensions_max) ||
      !cJSON_AddNumberToObject(o, "completion_days", p->completion_days) ||
      !cJSON_AddNumberToObject(o, "delivery_promise_days", p->delivery_promise_days) ||
      !(carriers = cJSON_AddObjectToObject(o, "carriers")))
    goto fail;
  for (int i = 0; i < p->carrier_count; i++) {
    cJSON *c = cJSON_AddObjectToObject(carriers, p->carriers[i].name);
    if (!c || j_add(c, "refuses", classes_to_json(p->carriers[i].refuses))) goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

unsigned policy_carrier_refuses(const shop_policy *p, const char *carrier) {
  if (!carrier) return 0;
  for (int i = 0; i < p->carrier_count; i++)
    if (strcmp(p->carriers[i].name, carrier) == 0) return p->carriers[i].refuses;
  return 0;
}
