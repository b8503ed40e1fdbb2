/*
 * snapshot.h: the shop's state as bytes, for the store's snapshot files: orders one by one
 * (grouped into pages by the store), applied operations, and the rest of the shop (policy,
 * catalog, outbox, notifications, counters). Readers trust nothing: a damaged or foreign
 * file fails the read cleanly. Indexes and metrics are not stored: they are rebuilt.
 */
#ifndef PD_SNAPSHOT_H
#define PD_SNAPSHOT_H

#include "bytes.h"
#include "order.h"
#include "shop.h"

/* The format of snapshot files and order states. 2 added the sync fields (an order's version
 * and conflicts; the shop's version counter, pairing and pending operations) at the end of
 * what 1 wrote, so files of format 1 still load (their orders have version 0). 3 is compact
 * (bytes.h; an order's times as differences, snapshot.c) and the manifest counts the orders
 * and operations; files of 1 and 2 still load, and a snapshot may mix them (a checkpoint
 * rewrites only the pages that changed). 4 names the page sizes in the manifest (shop.h):
 * its pages hold 1024 orders or 4096 operations, where older ones held 64 or 256. Written:
 * always the newest. */
#define SNAPSHOT_VERSION 4u
#define SNAPSHOT_VERSION_MIN 1u

void snapshot_write_order(bytes_writer *w, const order *o);
/* A new order, or NULL with r->failed set. Its strings are in one block (order.h). */
order *snapshot_read_order(bytes_reader *r);

/* An order state for sync (docs/sync.md): the format, then the order's encoding above. The
 * order read back is not in any shop (no seq of its own there); NULL with r->failed set. */
void snapshot_write_state(bytes_writer *w, const order *o);
order *snapshot_read_state(bytes_reader *r);

void snapshot_write_op(bytes_writer *w, const applied_op *op);
applied_op *snapshot_read_op(bytes_reader *r);

/* Policy, catalog, outbox, notifications and the id counters. */
void snapshot_write_shop(bytes_writer *w, const pd_shop *s);
/* Into an empty shop: 0, or -1 (the shop may hold part of it: free it). */
int snapshot_read_shop(bytes_reader *r, pd_shop *s);

#endif
