/* sync.c: pending operations, pairing and cursor through the transaction (see sync.h). */
#include "sync.h"

#include <string.h>

#include "alloc.h"
#include "vec.h"

void pending_op_free(pending_op *p) {
  if (!p) return;
  pd_free(p->op);
  pd_free(p->order_id);
  pd_free(p->request);
}

int sync_capture(shop_txn *t, const char *cmd, const char *op, pd_ms at, const char *request,
                 size_t len) {
  pending_op *p = pd_calloc(1, sizeof *p);
  if (!p) return -1;
  p->cmd = cmd;
  p->at = at;
  /* request.* commands name a request, not an order: the order they touched says which. */
  const char *order_id = t->orders.len ? t->orders.items[0].work->id : NULL;
  if (!(p->op = pd_strdup(op)) || !(p->request = pd_strndup(request, len)) ||
      (order_id && !(p->order_id = pd_strdup(order_id)))) {
    pending_op_free(p);
    pd_free(p);
    return -1;
  }
  t->sync.add = p;
  return 0;
}

int sync_change_is_empty(const sync_change *c) {
  return !c->add && !c->acked.len && !c->answers.len && !c->device_id && !c->cursor_set;
}

void sync_change_free(sync_change *c) {
  pending_op_free(c->add);
  pd_free(c->add);
  for (size_t i = 0; i < c->answers.len; i++) pd_free(c->answers.items[i].response);
  pd_free(c->answers.items);
  pd_free(c->acked.items);
  pd_free(c->device_id);
  memset(c, 0, sizeof *c);
}

int sync_prepare(pd_shop *s, const shop_txn *t) {
  return t->sync.add && VEC_RESERVE(s->pending, 1) ? -1 : 0;
}

static int acked(const sync_change *c, uint64_t seq) {
  for (size_t i = 0; i < c->acked.len; i++)
    if (c->acked.items[i] == seq) return 1;
  return 0;
}

void sync_commit(pd_shop *s, shop_txn *t) {
  sync_change *c = &t->sync;
  if (c->device_id) {
    /* Paired again as a new device (sync.pair's `again`): its seqs start at 1, its cursor at 0. */
    if (s->device_id) {
      pd_free(s->device_id);
      for (size_t i = 0; i < s->pending.len; i++) s->pending.items[i].seq = i + 1;
      s->next_pending = s->pending.len + 1;
      s->cursor = 0;
    }
    s->device_id = c->device_id;
    c->device_id = NULL;
  }
  if (c->acked.len) {
    size_t keep = 0;
    for (size_t i = 0; i < s->pending.len; i++) {
      if (acked(c, s->pending.items[i].seq)) pending_op_free(&s->pending.items[i]);
      else s->pending.items[keep++] = s->pending.items[i];
    }
    s->pending.len = keep;
  }
  if (c->add) {
    c->add->seq = s->next_pending++;
    s->pending.items[s->pending.len++] = *c->add; /* reserved by sync_prepare */
    pd_free(c->add);
    c->add = NULL;
  }
  for (size_t i = 0; i < c->answers.len; i++) {
    applied_op *rec = c->answers.items[i].rec;
    pd_free(rec->response);
    rec->response = c->answers.items[i].response;
    c->answers.items[i].response = NULL;
    s->dirty_ops.items[rec->seq / OP_PAGE] = 1;
  }
  if (c->cursor_set) s->cursor = c->cursor;
  sync_change_free(c);
}

const pending_op *sync_pending_find(const pd_shop *s, uint64_t seq) {
  size_t lo = 0, hi = s->pending.len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->pending.items[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo < s->pending.len && s->pending.items[lo].seq == seq ? &s->pending.items[lo] : NULL;
}
