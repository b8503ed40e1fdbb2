/*
 * order_page.h: a page of orders in format 5, the store's orders-<page>-<gen>.pds, laid out so
 * that an open reads only the orders' summaries and a command reads one order's body when it
 * first needs it (shop.h's order_slot):
 *
 *   magic, format                        (store.c's frame)
 *   page, count, id_bytes                varints; id_bytes: the size of the ids' block at load
 *   summaries_len                        fixed32
 *   summaries                            snapshot_write_summary, one an order, by seq
 *   crc                                  fixed32: CRC-32C of the file up to here
 *   bodies                               each order's encoding, then its own CRC-32C (fixed32)
 *   crc                                  fixed32: CRC-32C of the whole file before it (frame)
 *
 * A lazy open reads up to the first CRC and checks it; a body is checked by its own CRC when
 * it is read; an eager open (verify, export) reads the file whole, checks the last CRC, and
 * decodes every body. At 100k orders a lazy open reads ~4 MB of ~25.
 */
#ifndef PD_ORDER_PAGE_H
#define PD_ORDER_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "shop.h"

/* The first format whose order pages are laid out so. */
#define ORDER_PAGE_LAZY_FORMAT 5u

typedef struct {
  uint32_t page, count, id_bytes;
  size_t summaries_at;  /* where the summaries start in the file */
  size_t summaries_len;
  size_t bodies_at;     /* where the first body starts (past the head's CRC) */
} order_page_head;

/* What follows the frame's magic and format for page `page` of s: its orders are all read
 * first (they are all rewritten). -1 when one cannot be read (s->unreadable is cleared). */
int order_page_write(bytes_writer *w, pd_shop *s, uint32_t page);

/* The head, from the file's first n bytes (past none: data is the file's start): 0, or -1 when
 * they are not a head of a page of this format. n may be less than the whole head. */
int order_page_head_parse(const unsigned char *data, size_t n, uint32_t format, order_page_head *h);

/* Loads the page's orders into s: `data` holds the file from its start to at least bodies_at
 * (the head's CRC is checked here), file_size is the file's size, which the bodies must fill.
 * With `whole` (the whole file, its own CRC checked), every body is decoded and checked against
 * its summary now; without, the slots wait for order_page_read_body. Slots and ids go into
 * s->blocks. 0, or -1 at the first thing not right (the orders before it stay loaded). */
int order_page_load(pd_shop *s, const unsigned char *data, const order_page_head *h, uint32_t format,
                    const unsigned char *whole, size_t file_size);

/* Reads and decodes the body of sl from fd, a file of its page: NULL with *oom set for out of
 * memory, else for a body that is missing, fails its CRC or does not decode. */
order *order_page_read_body(int fd, const order_slot *sl, int *kind);

#endif
