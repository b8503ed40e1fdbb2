/*
 * sync.h: the shop's side of sync (docs/sync.md) as part of the transaction: the operations a
 * device keeps for the server (pending), its pairing and cursor, and the answers sync.base
 * replaces. Like the rest of a transaction, sync_prepare() does every allocation and
 * sync_commit() only moves pointers.
 */
#ifndef PD_SYNC_H
#define PD_SYNC_H

#include <stddef.h>

#include "shop.h"

/* Versions are JSON integers (sync.changes): at most 2^53 - 1, so every client reads them exactly. */
#define SYNC_VERSION_MAX 9007199254740991ULL

void pending_op_free(pending_op *p); /* its strings (not p itself) */

/* Keeps the command being committed as pending (a paired shop, a command with an op): its
 * order is the first order the transaction touched. 0, or -1 when out of memory. */
int sync_capture(shop_txn *t, const char *cmd, const char *op, pd_ms at, const char *request,
                 size_t len);

int sync_change_is_empty(const sync_change *c);
void sync_change_free(sync_change *c);
/* Reserves what sync_commit() needs: 0, or -1 when out of memory. */
int sync_prepare(pd_shop *s, const shop_txn *t);
void sync_commit(pd_shop *s, shop_txn *t);

/* The pending operation of seq, or NULL. Binary search: pending is sorted by seq. */
const pending_op *sync_pending_find(const pd_shop *s, uint64_t seq);

#endif
