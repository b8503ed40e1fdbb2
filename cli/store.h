/*
 * store.h: the CLI's on-disk state, DIR/commands.jsonl, until the durable journal lands.
 *
 * Every accepted command is appended as one line (the request exactly as received) and fsynced
 * before the core applies it; on start the file is replayed, in order, from an empty shop.
 */
#ifndef PD_STORE_H
#define PD_STORE_H

#include "packdesk.h"

#include <stddef.h>

#define STORE_FILE "commands.jsonl"

typedef struct {
  int fd;            /* commands.jsonl, opened for appending; -1 when closed */
  char *path;        /* DIR/commands.jsonl; owned */
  size_t max_line;   /* longest line replay accepts */
} store;

/*
 * Opens DIR (creating it when missing), replays commands.jsonl into shop without journaling,
 * then registers the journal hook on shop. Returns 0; or, having written a message naming the
 * file and line to stderr, 1 for an I/O error and 2 for a damaged file (a line the core refuses).
 * commands.jsonl may be a character device (/dev/null, /dev/full): nothing is replayed from it.
 */
int store_open(store *st, const char *dir, pd_shop *shop, size_t max_line);
void store_close(store *st);

#endif
