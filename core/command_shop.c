/* command_shop.c: commands on the shop as a whole: import, tick, policy, catalog, and the
 * acknowledgements of notifications and outbox messages. */
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "import.h"
#include "json.h"
#include "vec.h"

int cmd_import(cmd_ctx *k) {
  const cJSON *payload = j_get(k->req, "order");
  import_sla sla;
  import_error ie;
  int oom, created = 0;
  if (!cJSON_IsObject(payload))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field order must be an order object");
  order *in = import_order(payload, &sla, &ie);
  if (!in) {
    if (ie.out_of_memory) return fail_oom(&k->rc);
    return fail(&k->rc, "BAD_REQUEST", NULL, "order.%s: %s", ie.field, ie.message);
  }
  order *o = txn_edit(k->shop, &k->txn, in->id, &oom);
  if (o) { /* known: the marketplace's newer state, where the rules allow (never a duplicate) */
    int rc = rules_advance(&k->rc, o) || rules_merge(&k->rc, o, in) || rules_advance(&k->rc, o);
    order_free(in);
    if (rc) return -1;
  } else if (oom) {
    order_free(in);
    return fail_oom(&k->rc);
  } else {
    if (rules_admit(&k->rc, in, sla.ship_by, sla.handover_by, sla.payment_by, sla.delivery_by,
                    sla.payment_window_h) ||
        rules_advance(&k->rc, in)) {
      order_free(in);
      return -1;
    }
    if (txn_add_order(&k->txn, in)) return fail_oom(&k->rc);
    o = in;
    created = 1;
  }
  if (result_order(k, o) || j_add_bool(k->result, "created", created)) return fail_oom(&k->rc);
  return 0;
}

/* Applies what time decides to every order with something due before `at`: the timed index
 * gives exactly those, so a tick costs what is due, not the size of the shop. */
int cmd_tick(cmd_ctx *k) {
  int64_t changed = 0;
  for (index_node *n = index_first(&k->shop->timed); n && index_key(&k->shop->timed, n) < k->at; n = index_next(&k->shop->timed, n)) {
    order *o = txn_take(k->shop, &k->txn, PD_CONTAINER(n, order_slot, tick_node));
    if (!o) return fail_oom(&k->rc);
    if (rules_advance(&k->rc, o)) return -1;
    changed++;
  }
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_int(k->result, "changed", changed)) return fail_oom(&k->rc);
  return 0;
}

int cmd_policy_set(cmd_ctx *k) {
  const char *field = NULL;
  k->txn.policy = k->shop->policy;
  if (policy_update(&k->txn.policy, k->req, &field))
    return fail(&k->rc, "BAD_REQUEST", NULL, "policy field %s is not valid", field);
  k->txn.policy_changed = 1;
  k->result = policy_to_json(&k->txn.policy);
  return k->result ? 0 : fail_oom(&k->rc);
}

int cmd_product_set(cmd_ctx *k) {
  const char *sku;
  unsigned classes = 0;
  int authorized = 1;
  if (arg_text(k, "sku", 1, ID_MAX, &sku)) return -1;
  const cJSON *c = j_get(k->req, "classes"), *a = j_get(k->req, "authorized");
  if (c && classes_from_json(c, &classes))
    return fail(&k->rc, "BAD_REQUEST", "P5", "field classes must list sharp, liquid or fragile");
  if (a && !cJSON_IsBool(a))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field authorized must be true or false");
  if (a) authorized = cJSON_IsTrue(a);
  if (txn_product(&k->txn, sku, classes, authorized)) return fail_oom(&k->rc);
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_str(k->result, "sku", sku) ||
      j_add(k->result, "classes", classes_to_json(classes)) ||
      j_add_bool(k->result, "authorized", authorized))
    return fail_oom(&k->rc);
  return 0;
}

/* Reads {"ids": [1, 2, ...]} into a txn vector of ids. */
static int read_ids(cmd_ctx *k, uint64_t **items, size_t *len, size_t *cap) {
  const cJSON *ids = j_get(k->req, "ids"), *v;
  if (!cJSON_IsArray(ids)) return fail(&k->rc, "BAD_REQUEST", NULL, "field ids must be an array");
  if (cJSON_GetArraySize(ids) > 10000)
    return fail(&k->rc, "BAD_REQUEST", NULL, "at most 10000 ids at a time");
  cJSON_ArrayForEach(v, ids) {
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d < 1 || d > 9007199254740991.0 || d != (double)(uint64_t)d)
      return fail(&k->rc, "BAD_REQUEST", NULL, "field ids must hold positive integers");
    if (vec_reserve((void **)items, cap, *len, 1, sizeof **items)) return fail_oom(&k->rc);
    (*items)[(*len)++] = (uint64_t)d;
  }
  return 0;
}

int cmd_notifications_read(cmd_ctx *k) {
  const cJSON *all = j_get(k->req, "all");
  if (cJSON_IsTrue(all)) {
    for (size_t i = 0; i < k->shop->notes.len; i++) {
      if (k->shop->notes.items[i].read) continue;
      if (VEC_GROW(k->txn.read_notes)) return fail_oom(&k->rc);
      k->txn.read_notes.items[k->txn.read_notes.len++] = k->shop->notes.items[i].id;
    }
  } else if (read_ids(k, &k->txn.read_notes.items, &k->txn.read_notes.len, &k->txn.read_notes.cap)) {
    return -1;
  }
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_int(k->result, "marked", (int64_t)k->txn.read_notes.len))
    return fail_oom(&k->rc);
  return 0;
}

int cmd_outbox_ack(cmd_ctx *k) {
  if (read_ids(k, &k->txn.acked.items, &k->txn.acked.len, &k->txn.acked.cap)) return -1;
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_int(k->result, "acked", (int64_t)k->txn.acked.len)) return fail_oom(&k->rc);
  return 0;
}
