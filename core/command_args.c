/* command_args.c: reading and checking a command's arguments (see command.h). */
#include <string.h>

#include "command.h"
#include "json.h"
#include "view.h"

int arg_text(cmd_ctx *k, const char *name, int required, size_t maxlen, const char **out) {
  const cJSON *v = j_get(k->req, name);
  *out = NULL;
  if (!v || cJSON_IsNull(v)) {
    if (required) return fail(&k->rc, "BAD_REQUEST", NULL, "missing field %s", name);
    return 0;
  }
  if (!cJSON_IsString(v))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field %s must be a string", name);
  size_t n = strlen(v->valuestring);
  if (n == 0 || strspn(v->valuestring, " \t\r\n") == n)
    return fail(&k->rc, "BAD_REQUEST", NULL, "field %s must not be empty", name);
  if (n > maxlen)
    return fail(&k->rc, "BAD_REQUEST", NULL, "field %s is longer than %zu bytes", name, maxlen);
  *out = v->valuestring;
  return 0;
}

int arg_enum(cmd_ctx *k, const char *name, const char *const *names, int count, int *out) {
  const char *s;
  if (arg_text(k, name, 1, 64, &s)) return -1;
  for (int i = 0; i < count; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return 0;
    }
  char list[256] = "";
  for (int i = 0; i < count; i++) {
    strncat(list, names[i], sizeof list - strlen(list) - 1);
    if (i + 1 < count) strncat(list, ", ", sizeof list - strlen(list) - 1);
  }
  return fail(&k->rc, "BAD_REQUEST", NULL, "field %s must be one of: %s", name, list);
}

int arg_int(cmd_ctx *k, const char *name, int required, int64_t lo, int64_t hi, int64_t *out) {
  const cJSON *v = j_get(k->req, name);
  if (!v) {
    if (required) return fail(&k->rc, "BAD_REQUEST", NULL, "missing field %s", name);
    return 0;
  }
  if (j_get_int(k->req, name, lo, hi, out))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field %s must be an integer from %lld to %lld", name,
                (long long)lo, (long long)hi);
  return 0;
}

order *arg_order(cmd_ctx *k) {
  const char *id;
  int oom;
  if (arg_text(k, "order_id", 1, ID_MAX, &id)) return NULL;
  order *o = txn_edit(k->shop, &k->txn, id, &oom);
  if (!o) {
    if (oom) fail_oom(&k->rc);
    else fail(&k->rc, "NOT_FOUND", NULL, "no order %s", id);
    return NULL;
  }
  return rules_advance(&k->rc, o) ? NULL : o;
}

int result_order(cmd_ctx *k, const order *o) {
  k->result = cJSON_CreateObject();
  if (!k->result) return fail_oom(&k->rc);
  order copy = *o;
  shop_rekey(&copy); /* the summary's next deadline, as it will be once committed */
  if (j_add(k->result, "order", view_summary(&copy))) return fail_oom(&k->rc);
  return 0;
}
