/*
 * snapshot.h: the shop's state as bytes, for the store's snapshot files: orders one by one
 * (grouped into pages by the store), applied operations, and the rest of the shop (policy,
 * catalog, outbox, notifications, counters). Readers trust nothing: a damaged or foreign
 * file fails the read cleanly. Indexes and metrics are rebuilt at open (from the summaries of
 * format 5: each order's index keys and what the metrics count of it).
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
 * its pages hold 1024 orders or 4096 operations, where older ones held 64 or 256. 5 writes
 * order pages as summaries and bodies (snapshot_write_summary), so that an open reads the
 * summaries only; pages of 1-4 are read whole, as before. Written: always the newest. */
#define SNAPSHOT_VERSION 5u
#define SNAPSHOT_VERSION_MIN 1u

void snapshot_write_order(bytes_writer *w, const order *o);
/* A new order, or NULL with r->failed set. Its strings are in one block (order.h). */
order *snapshot_read_order(bytes_reader *r);

/* An order state for sync (docs/sync.md): the format, then the order's encoding above. The
 * order read back is not in any shop (no seq of its own there); NULL with r->failed set. */
void snapshot_write_state(bytes_writer *w, const order *o);
order *snapshot_read_state(bytes_reader *r);

/* Format 5 order pages (order_page.h) hold each order's summary, and apart from the summaries
 * its body (the encoding above) of body_len bytes: an open reads the summaries only, and an
 * order's body on first use. The summary is what the order's slot holds (shop.h). */
void snapshot_write_summary(bytes_writer *w, const order_slot *sl, uint32_t body_len);
/* Fills sl's keys, metrics and seq, and *id, *id_n with where its id lies in the data (not
 * copied, not NUL-terminated); returns the body's length (the caller checks the file holds
 * it). Fails r on anything a summary cannot hold. */
uint32_t snapshot_read_summary(bytes_reader *r, order_slot *sl, const unsigned char **id, size_t *id_n);

void snapshot_write_op(bytes_writer *w, const applied_op *op);
applied_op *snapshot_read_op(bytes_reader *r);

/* Policy, catalog, outbox, notifications and the id counters. */
void snapshot_write_shop(bytes_writer *w, const pd_shop *s);
/* Into an empty shop: 0, or -1 (the shop may hold part of it: free it). */
int snapshot_read_shop(bytes_reader *r, pd_shop *s);

#endif
