/* queries.c: the read-only commands. None changes the shop; none needs an op id. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "json.h"
#include "stage_walk.h"
#include "view.h"

/* order.get shows the order as of `at`: what time has decided since the last tick is
 * applied to a scratch copy, which is then dropped. */
int query_order_get(cmd_ctx *k) {
  const char *id;
  if (arg_text(k, "order_id", 1, ID_MAX, &id)) return -1;
  order_slot *sl = shop_slot(k->shop, id);
  if (!sl) return fail(&k->rc, "NOT_FOUND", NULL, "no order %s", id);
  order *o = shop_order(k->shop, sl);
  if (!o) return fail_oom(&k->rc); /* unreadable: pd_exec says why */
  if (o->next_event < k->at) {
    order *now = txn_take(k->shop, &k->txn, sl);
    if (!now) return fail_oom(&k->rc);
    if (rules_advance(&k->rc, now)) return -1;
    shop_rekey(now);
    o = now;
  }
  k->result = view_order(k->shop, o, k->at);
  return k->result ? 0 : fail_oom(&k->rc);
}

static int icontains(const char *hay, const char *needle) {
  if (!hay) return 0;
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i]) {
      char a = hay[i], b = needle[i];
      if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
      if (a != b) break;
      i++;
    }
    if (i == n) return 1;
  }
  return 0;
}

/* q matches order id, SKU, product name or tracking number (never buyer data: S1). */
static int matches(const order *o, const char *q) {
  if (icontains(o->id, q) || icontains(o->tracking_number, q)) return 1;
  for (size_t i = 0; i < o->lines.len; i++) {
    const order_line *l = &o->lines.items[i];
    if (icontains(l->sku_id, q) || icontains(l->seller_sku, q) || icontains(l->product_name, q) ||
        icontains(l->sku_name, q))
      return 1;
  }
  return 0;
}

/* Cursors are "<key>:<seq>" strings: urgency can exceed what a JSON number holds exactly. */
static int parse_cursor(const char *s, int64_t *key, uint64_t *seq) {
  char tail;
  long long k;
  unsigned long long q;
  if (sscanf(s, "%lld:%llu%c", &k, &q, &tail) != 2) return -1;
  *key = k;
  *seq = q;
  return 0;
}

/* orders.list's orders: most urgent first (the default), or by placed_at, newest or oldest
 * first. Each sort walks its own index (core/shop.h), so a page costs the same at any size. */
enum { SORT_URGENCY, SORT_NEWEST, SORT_OLDEST };
static const char *const sort_names[] = {"urgency", "newest", "oldest"};

/* An urgency cursor is "<key>:<seq>" (as it always was); the others name their sort,
 * "newest/<placed_at>:<seq>", so a cursor cannot resume a page of another sort. */
static int parse_list_cursor(const char *s, int sort, int64_t *key, uint64_t *seq) {
  const char *slash = strchr(s, '/');
  if (sort == SORT_URGENCY) return slash ? -1 : parse_cursor(s, key, seq);
  size_t n = strlen(sort_names[sort]);
  if (!slash || (size_t)(slash - s) != n || strncmp(s, sort_names[sort], n) != 0) return -1;
  return parse_cursor(slash + 1, key, seq);
}

int query_orders_list(cmd_ctx *k) {
  const char *stage_s, *q, *after, *sort_s;
  int64_t limit = 50;
  int64_t key = 0;
  uint64_t seq = 0;
  if (arg_text(k, "stage", 0, 32, &stage_s) || arg_text(k, "q", 0, 100, &q) ||
      arg_text(k, "after", 0, 64, &after) || arg_text(k, "sort", 0, 16, &sort_s) ||
      arg_int(k, "limit", 0, 1, 500, &limit))
    return -1;
  int stage = stage_s ? stage_from_name(stage_s) : -1;
  if (stage_s && stage < 0) return fail(&k->rc, "BAD_REQUEST", NULL, "field stage: unknown stage %s", stage_s);
  int sort = SORT_URGENCY;
  while (sort_s && strcmp(sort_s, sort_names[sort]) != 0)
    if (++sort > SORT_OLDEST)
      return fail(&k->rc, "BAD_REQUEST", NULL, "field sort must be urgency, newest or oldest");
  if (after && parse_list_cursor(after, sort, &key, &seq))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field after is not a cursor from a previous page of sort %s",
                sort_names[sort]);
  pd_shop *s = k->shop;
  /* One stage's index, or (no stage asked for) all of them walked as one (stage_walk.h). */
  const pd_index *ixs = sort == SORT_URGENCY ? s->by_stage : s->placed_by_stage;
  size_t offset = sort == SORT_URGENCY ? offsetof(order_slot, stage_node) : offsetof(order_slot, placed_stage_node);
  int back = sort == SORT_NEWEST; /* the index ascends: newest first walks it from its end */
  stage_walk all;
  const pd_index *ix = stage >= 0 ? &ixs[stage] : NULL;
  cJSON *rows = cJSON_CreateArray();
  k->result = cJSON_CreateObject();
  if (!k->result || j_add(k->result, "orders", rows)) return fail_oom(&k->rc);
  const order_slot *last = NULL;
  int64_t n = 0;
  index_node *node;
  if (ix) {
    node = after ? (back ? index_before(ix, key, seq) : index_after(ix, key, seq)) : (back ? index_last(ix) : index_first(ix));
  } else {
    stage_walk_start(&all, ixs, back, after != NULL, key, seq);
    node = stage_walk_next(&all);
  }
  for (; node; node = !ix ? stage_walk_next(&all) : back ? index_prev(ix, node) : index_next(ix, node)) {
    order_slot *sl = (order_slot *)(void *)((char *)node - offset);
    if (!q && n == limit) break; /* one more exists: the page has a next (read no body for it) */
    const order *o = shop_order(s, sl);
    if (!o) return fail_oom(&k->rc); /* unreadable: pd_exec says why */
    if (q && !matches(o, q)) continue;
    if (n == limit) break;
    if (j_push(rows, view_list_row(o))) return fail_oom(&k->rc);
    last = sl;
    n++;
  }
  char cursor[64];
  if (node && last && sort == SORT_URGENCY)
    snprintf(cursor, sizeof cursor, "%" PRId64 ":%" PRIu64, last->urgency, last->seq);
  else if (node && last)
    snprintf(cursor, sizeof cursor, "%s/%" PRId64 ":%" PRIu64, sort_names[sort], last->placed_at, last->seq);
  if (j_add_str(k->result, "next", node && last ? cursor : NULL) ||
      j_add_int(k->result, "total", (int64_t)(ix ? ix->count : stage_walk_count(ixs))))
    return fail_oom(&k->rc);
  return 0;
}

/* Every order in full (masked as everywhere: S1), page by page, in urgency order. */
int query_orders_export(cmd_ctx *k) {
  const char *after;
  int64_t limit = 100, key = 0;
  uint64_t seq = 0;
  if (arg_text(k, "after", 0, 64, &after) || arg_int(k, "limit", 0, 1, 1000, &limit)) return -1;
  if (after && parse_cursor(after, &key, &seq))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field after is not a cursor from a previous page");
  cJSON *rows = cJSON_CreateArray();
  k->result = cJSON_CreateObject();
  if (!k->result || j_add(k->result, "orders", rows)) return fail_oom(&k->rc);
  stage_walk all;
  stage_walk_start(&all, k->shop->by_stage, 0, after != NULL, key, seq);
  index_node *node = stage_walk_next(&all);
  const order_slot *last = NULL;
  for (int64_t n = 0; node && n < limit; node = stage_walk_next(&all), n++) {
    order_slot *sl = PD_CONTAINER(node, order_slot, stage_node);
    const order *o = shop_order(k->shop, sl);
    if (!o || j_push(rows, view_order(k->shop, o, k->at))) return fail_oom(&k->rc);
    last = sl;
  }
  char cursor[48];
  if (node && last) snprintf(cursor, sizeof cursor, "%" PRId64 ":%" PRIu64, last->urgency, last->seq);
  return j_add_str(k->result, "next", node && last ? cursor : NULL) ? fail_oom(&k->rc) : 0;
}

/* Stage counts as of `at`, like order.get: orders with something due before `at` are moved,
 * on scratch copies, to the stage time puts them in. Costs what is due, not the shop's size. */
static int counts_as_of(cmd_ctx *k, int64_t counts[STAGE_COUNT]) {
  for (int i = 0; i < STAGE_COUNT; i++) counts[i] = (int64_t)k->shop->by_stage[i].count;
  for (index_node *n = index_first(&k->shop->timed); n && index_key(&k->shop->timed, n) < k->at; n = index_next(&k->shop->timed, n)) {
    order_slot *sl = PD_CONTAINER(n, order_slot, tick_node);
    order *now = txn_take(k->shop, &k->txn, sl);
    if (!now) return fail_oom(&k->rc);
    if (rules_advance(&k->rc, now)) return -1;
    counts[sl->stage]--;
    counts[now->stage]++;
  }
  return 0;
}

/* The most urgent order of a stage as of `at`: the index's first that time has not moved,
 * or one of the scratch copies that time moved into this stage. */
static const order *stage_head(cmd_ctx *k, int stage) {
  const order *best = NULL;
  for (index_node *n = index_first(&k->shop->by_stage[stage]); n; n = index_next(&k->shop->by_stage[stage], n)) {
    order_slot *sl = PD_CONTAINER(n, order_slot, stage_node);
    if (sl->next_event >= k->at) {
      best = shop_order(k->shop, sl); /* NULL: unreadable, and pd_exec says so */
      break;
    }
  }
  for (size_t i = 0; i < k->txn.orders.len; i++) {
    const order *o = k->txn.orders.items[i].work;
    if ((int)o->stage == stage &&
        (!best || o->urgency < best->urgency || (o->urgency == best->urgency && o->seq < best->seq)))
      best = o;
  }
  return best;
}

/* D3: orders per stage, and the deadline that comes next, both as of `at`. */
int query_stats(cmd_ctx *k) {
  pd_shop *s = k->shop;
  int64_t counts[STAGE_COUNT];
  if (counts_as_of(k, counts)) return -1;
  for (size_t i = 0; i < k->txn.orders.len; i++) { /* scratch copies: their keys as of `at` */
    order *o = k->txn.orders.items[i].work;
    o->seq = k->txn.orders.items[i].orig->seq;
    shop_rekey(o);
  }
  cJSON *stages = cJSON_CreateObject();
  const order *next = NULL;
  k->result = cJSON_CreateObject();
  if (!k->result || j_add(k->result, "stages", stages)) return fail_oom(&k->rc);
  for (int i = 0; i < STAGE_COUNT; i++) {
    cJSON *st = cJSON_CreateObject();
    const order *o = stage_head(k, i);
    if (o && o->urgency != PD_NEVER &&
        (!next || o->urgency < next->urgency || (o->urgency == next->urgency && o->seq < next->seq)))
      next = o;
    if (j_add(stages, stage_name((order_stage)i), st) || j_add_int(st, "count", counts[i]) ||
        j_add(st, "next_deadline", o ? view_next_deadline(o) : cJSON_CreateNull()))
      return fail_oom(&k->rc);
  }
  cJSON *nd = next ? view_next_deadline(next) : cJSON_CreateNull();
  if (j_add(k->result, "next_deadline", nd) ||
      (next && cJSON_IsObject(nd) && j_add_str(nd, "order_id", next->id)) ||
      j_add_int(k->result, "orders", (int64_t)s->orders.len) ||
      j_add_int(k->result, "unread_notifications", (int64_t)s->unread_notes) ||
      j_add_int(k->result, "outbox", (int64_t)s->outbox.len))
    return fail_oom(&k->rc);
  return 0;
}

static int add_rate(cJSON *obj, const char *key, int64_t count, int64_t of) {
  cJSON *r = cJSON_CreateObject();
  if (j_add(obj, key, r) || j_add_int(r, "count", count) || j_add_int(r, "of", of)) return -1;
  /* In basis points, an integer: the same bytes from every build (no float formatting). */
  return of ? j_add_int(r, "rate_bp", count * 10000 / of) : j_add_null(r, "rate_bp");
}

int query_metrics(cmd_ctx *k) {
  const shop_metrics *m = &k->shop->metrics;
  k->result = cJSON_CreateObject();
  if (!k->result || add_rate(k->result, "late_dispatch", m->late_dispatch, m->dispatch_decided) ||
      add_rate(k->result, "seller_cancellation", m->seller_cancelled, m->paid) ||
      add_rate(k->result, "on_time_delivery", m->delivered_on_time, m->delivered))
    return fail_oom(&k->rc);
  return 0;
}

int query_notifications(cmd_ctx *k) {
  const pd_shop *s = k->shop;
  cJSON *items = cJSON_CreateArray();
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_int(k->result, "unread", (int64_t)s->unread_notes) ||
      j_add(k->result, "items", items))
    return fail_oom(&k->rc);
  for (size_t i = s->notes.len, n = 0; i-- > 0 && n < 100; n++) { /* newest first */
    const notification *no = &s->notes.items[i];
    cJSON *j = cJSON_CreateObject();
    if (j_push(items, j) || j_add_int(j, "id", (int64_t)no->id) ||
        j_add_str(j, "order_id", no->order_id) || j_add_str(j, "kind", no->kind) ||
        j_add_int(j, "at", no->at) || j_add_bool(j, "read", no->read))
      return fail_oom(&k->rc);
  }
  return 0;
}

/* The oldest 500 messages, or with order_id all of that order's (the console asks whether a
 * cancellation notice was queued, C7: in a busy shop it is far past the oldest 500). */
int query_outbox(cmd_ctx *k) {
  const pd_shop *s = k->shop;
  const char *order_id;
  if (arg_text(k, "order_id", 0, 128, &order_id)) return -1;
  cJSON *items = cJSON_CreateArray();
  k->result = cJSON_CreateObject();
  if (!k->result || j_add(k->result, "items", items)) return fail_oom(&k->rc);
  size_t listed = 0;
  for (size_t i = 0; i < s->outbox.len && (order_id || listed < 500); i++) {
    const outbox_msg *m = &s->outbox.items[i];
    if (order_id && (!m->order_id || strcmp(m->order_id, order_id) != 0)) continue;
    listed++;
    cJSON *j = cJSON_CreateObject();
    if (j_push(items, j) || j_add_int(j, "id", (int64_t)m->id) ||
        j_add_str(j, "order_id", m->order_id) || j_add_str(j, "channel", m->channel) ||
        j_add_str(j, "kind", m->kind) || j_add_str(j, "text", m->text) || j_add_int(j, "at", m->at))
      return fail_oom(&k->rc);
  }
  return 0;
}

int query_policy(cmd_ctx *k) {
  k->result = policy_to_json(&k->shop->policy);
  return k->result ? 0 : fail_oom(&k->rc);
}
