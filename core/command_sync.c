/* command_sync.c: the small sync commands of docs/sync.md (sync.base is sync_base.c):
 * pairing, the changes a server hands out, a device's pending operations and its status, and
 * dismissing a conflict. */
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "command.h"
#include "json.h"
#include "snapshot.h"
#include "sync.h"

#define CHANGES_DEFAULT 500
#define CHANGES_MAX 2000
#define PENDING_DEFAULT 200
#define PENDING_MAX 1000

/* sync.pair {device_id, again?}. Pairing again as the same device changes nothing. As another
 * device it is refused (two devices' sequences in one shop), unless `again` is true: the server
 * lost this device (its data folder was reset, the token is gone) and paired it anew. Then the
 * pending operations are kept and numbered 1, 2, ... for the new device (the server expects its
 * seqs from 1; their op ids are unchanged, so one the server applied before answers as applied),
 * and the cursor goes back to 0: the new device pulls everything, since the versions it knew
 * may be another server's. Conflicts stay on their orders. */
int cmd_sync_pair(cmd_ctx *k) {
  const char *device_id;
  pd_shop *s = k->shop;
  const cJSON *again = j_get(k->req, "again");
  if (arg_text(k, "device_id", 1, ID_MAX, &device_id)) return -1;
  if (again && !cJSON_IsBool(again))
    return fail(&k->rc, "BAD_REQUEST", NULL, "field again must be true or false");
  int other = s->device_id && strcmp(s->device_id, device_id) != 0;
  if (other && !cJSON_IsTrue(again))
    return fail(&k->rc, "CONFLICT", NULL, "this shop is already paired as device %s", s->device_id);
  if ((!s->device_id || other) && !(k->txn.sync.device_id = pd_strdup(device_id))) return fail_oom(&k->rc);
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_str(k->result, "device_id", device_id) ||
      j_add_int(k->result, "pending", (int64_t)s->pending.len) ||
      j_add_int(k->result, "cursor", other ? 0 : (int64_t)s->cursor))
    return fail_oom(&k->rc);
  return 0;
}

/* One change: the order's state as base64 of its snapshot encoding (snapshot_write_state). */
static cJSON *change_json(const order *o) {
  bytes_writer w = {0};
  snapshot_write_state(&w, o);
  char *state = w.failed ? NULL : base64_encode(w.data, w.len);
  bw_free(&w);
  cJSON *j = state ? cJSON_CreateObject() : NULL;
  if (j && (j_add_str(j, "order_id", o->id) || j_add_int(j, "version", (int64_t)o->version) ||
            j_add_str(j, "state", state))) {
    cJSON_Delete(j);
    j = NULL;
  }
  pd_free(state);
  return j;
}

/* The orders whose version is above `since`, ascending, through the version index: a page
 * costs what changed, not the shop's size. `since` 0 means everything (orders of a store of
 * format 1 have version 0). `version` is where the next call resumes: the last change's
 * version when there is more, the shop's version otherwise. */
int query_sync_changes(cmd_ctx *k) {
  int64_t since = 0, limit = CHANGES_DEFAULT;
  pd_shop *s = k->shop;
  if (arg_int(k, "since", 1, 0, (int64_t)SYNC_VERSION_MAX, &since) ||
      arg_int(k, "limit", 0, 1, CHANGES_MAX, &limit))
    return -1;
  k->result = cJSON_CreateObject();
  cJSON *rows = cJSON_CreateArray();
  if (j_add(k->result, "changes", rows)) return fail_oom(&k->rc); /* frees rows when it fails */
  index_node *n = since == 0 ? index_first(&s->by_version) : index_after(&s->by_version, since, UINT64_MAX);
  uint64_t last = 0;
  for (int64_t count = 0; n && count < limit; n = index_next(&s->by_version, n), count++) {
    order_slot *sl = PD_CONTAINER(n, order_slot, version_node);
    const order *o = shop_order(s, sl);
    if (!o || j_push(rows, change_json(o))) return fail_oom(&k->rc); /* unreadable: pd_exec says so */
    last = sl->version;
  }
  if (j_add_int(k->result, "version", (int64_t)(n ? last : s->version)) || j_add_bool(k->result, "more", n != NULL))
    return fail_oom(&k->rc);
  return 0;
}

int query_sync_pending(cmd_ctx *k) {
  int64_t after = 0, limit = PENDING_DEFAULT;
  const pd_shop *s = k->shop;
  if (arg_int(k, "after", 0, 0, (int64_t)SYNC_VERSION_MAX, &after) ||
      arg_int(k, "limit", 0, 1, PENDING_MAX, &limit))
    return -1;
  k->result = cJSON_CreateObject();
  cJSON *ops = cJSON_CreateArray();
  if (j_add(k->result, "ops", ops) || j_add_str(k->result, "device_id", s->device_id) ||
      j_add_int(k->result, "cursor", (int64_t)s->cursor))
    return fail_oom(&k->rc);
  size_t lo = 0, hi = s->pending.len; /* the first seq above `after` */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->pending.items[mid].seq <= (uint64_t)after) lo = mid + 1;
    else hi = mid;
  }
  for (size_t i = lo; i < s->pending.len && (int64_t)(i - lo) < limit; i++) {
    const pending_op *p = &s->pending.items[i];
    cJSON *j = cJSON_CreateObject();
    if (j_push(ops, j) || j_add_int(j, "seq", (int64_t)p->seq) || j_add_str(j, "op", p->op) ||
        j_add_str(j, "order_id", p->order_id) || j_add_str(j, "request", p->request))
      return fail_oom(&k->rc);
  }
  return 0;
}

int query_sync_status(cmd_ctx *k) {
  const pd_shop *s = k->shop;
  k->result = cJSON_CreateObject();
  if (!k->result || j_add_str(k->result, "device_id", s->device_id) ||
      j_add_int(k->result, "pending", (int64_t)s->pending.len) ||
      j_add_int(k->result, "cursor", (int64_t)s->cursor) ||
      j_add_int(k->result, "conflicts", s->metrics.conflicts))
    return fail_oom(&k->rc);
  return 0;
}

/* conflict.dismiss {order_id, op}: `op` names the conflict (api.c does not take it as this
 * command's own op id). */
int cmd_conflict_dismiss(cmd_ctx *k) {
  const char *op;
  order *o = arg_order(k);
  if (!o || arg_text(k, "op", 1, 128, &op)) return -1;
  if (order_remove_conflict(o, op))
    return fail(&k->rc, "NOT_FOUND", NULL, "order %s has no conflict for operation %.128s", o->id, op);
  if (result_order(k, o) || j_add_int(k->result, "conflicts", (int64_t)o->conflicts.len))
    return fail_oom(&k->rc);
  return 0;
}
