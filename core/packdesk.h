/*
 * packdesk.h: the whole public contract of the fulfillment core.
 *
 * The core is driven by JSON commands (../shared/PROTOCOL.md): one request in, one response
 * out. It reads no clock and does no I/O of its own; time arrives in each command's `at`, and
 * persistence is the caller's, through the journal hook below.
 *
 * Ownership: every string the core returns was allocated with the core's allocator and must
 * be released with pd_string_free(). Strings passed in are borrowed for the call only.
 */
#ifndef PACKDESK_H
#define PACKDESK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_VERSION "0.1.0"

typedef struct pd_shop pd_shop; /* one shop's orders, policy, outbox and indexes */

/*
 * The allocator hook, in the shape of lua_Alloc: nsize == 0 frees ptr and returns NULL;
 * otherwise it (re)allocates ptr from osize to nsize bytes and returns NULL on failure,
 * leaving ptr untouched. Used by the core and by cJSON alike. Set it before the first shop
 * is created; NULL restores the default (malloc/realloc/free).
 */
typedef void *(*pd_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);
void pd_set_allocator(pd_alloc_fn fn, void *ud);

/* A new, empty shop with the default policy of RULES.md. NULL when out of memory. */
pd_shop *pd_shop_new(void);
void pd_shop_free(pd_shop *shop);

/*
 * The journal hook. Called once for every command that is about to change the shop, after
 * every check has passed and before anything is changed, with the request exactly as it was
 * received. Returning non-zero (the write failed) aborts the command: it answers STORAGE and
 * changes nothing. Queries and refused commands are never journaled.
 */
typedef int (*pd_journal_fn)(void *ud, const char *request, size_t len);
void pd_set_journal(pd_shop *shop, pd_journal_fn fn, void *ud);

/*
 * Executes one JSON request (need not be NUL-terminated) and returns the JSON response,
 * `{"ok":true,"result":...}` or `{"ok":false,"error":{"code","message","rule"?}}`.
 * Returns NULL only when even the error response could not be allocated; the shop is then
 * unchanged, as after any failed command.
 */
char *pd_exec(pd_shop *shop, const char *request, size_t len);

/* Releases a string returned by pd_exec (NULL is fine). */
void pd_string_free(char *s);

/*
 * The durable store: a shop kept in a directory, as snapshot pages plus a journal of the
 * commands applied since (see store.c for the layout). Every command that changes the shop is
 * journaled before it is applied; a command answered ok is on disk (fsynced with
 * PD_STORE_FSYNC). Opening replays the journal's tail; a torn tail is cut off and reported,
 * damage elsewhere refuses the open unless PD_STORE_READ_ONLY, which loads what is readable.
 * Every file an open reads is checked whole (CRC-32C), but an order's body is decoded only
 * when a command first needs it; PD_STORE_EAGER decodes every one at open (verify, export).
 */
typedef struct pd_store pd_store;

/* PD_STORE_FEW_FILES: keep no page file open between body reads (each read opens its page's
 * file by name); a store keeps at most 256 open anyway, and reads the pages past those so. */
enum { PD_STORE_FSYNC = 1, PD_STORE_READ_ONLY = 2, PD_STORE_EAGER = 4, PD_STORE_FEW_FILES = 8 };

/* A command that leaves the journal's tail this many records long (or a segment past 256 KiB)
 * checkpoints: an open replays at most PD_STORE_TAIL_RECORDS_MAX - 1 records (store.c says
 * why this many). */
#define PD_STORE_TAIL_RECORDS_MAX 256u

typedef struct {
  unsigned long long orders;        /* orders in the shop once open */
  unsigned long long snapshot_seq;  /* the journal seq the snapshot covers */
  unsigned long long replayed;      /* journal records applied on top of it */
  unsigned long long torn_bytes;    /* cut from the journal's tail (a write the crash tore) */
  unsigned long long torn_seq;      /* the seq that torn record would have had */
  int damaged;                      /* damage found (the open failed, or is read-only) */
  char message[320];                /* what was found, for a person */
  int pending;                      /* the journal's replay waits for bodies: pd_store_resume */
} pd_store_report;

/* NULL on failure, with rep->message saying why (rep may be NULL). An open whose journal replay
 * needs an order body that is not loaded (a browser store with lazy bodies: the command answers
 * NOT_LOADED) stops before that record with rep->pending set: until pd_store_resume has replayed
 * the rest, every command answers NOT_LOADED and changes nothing. */
pd_store *pd_store_open(const char *dir, int flags, pd_store_report *rep);
/* Goes on with a pending open's replay, once the bodies it waited for are loaded: 0 done (rep
 * filled in as by the open), 1 pending still (it needs more), -1 a record no longer applies (rep
 * says so, as an open's damage: close the store). 0 at once when nothing is pending. */
int pd_store_resume(pd_store *st, pd_store_report *rep);
int pd_store_pending(const pd_store *st);
/* A read-only store (a browser tab following another that writes) takes on what the writer
 * journaled since: the new records are applied, as the open would have, at the cost of the new
 * records rather than of a whole open. 0 done (rep filled in as by an open; `replayed` counts
 * since the open), 1 stopped before a record that needs order bodies not loaded yet (asked for,
 * as an open's replay asks): the store holds the records before it and answers from them (it is
 * not pending); call again once they are loaded. -1 a record does not apply (rep says why; the
 * store holds the records before it: open it again). 2 nothing done: the writer checkpointed
 * since (a new snapshot), or the journal is not a continuation of the one read (damage, a tail
 * cut), or the store is not a whole read-only one: open it again. Commands stay refused. */
int pd_store_follow(pd_store *st, pd_store_report *rep);
/* pd_exec on the store's shop, journaled; checkpoints when the journal segment is full. */
char *pd_store_exec(pd_store *st, const char *request, size_t len);
/* Writes the changed snapshot pages and starts a new journal segment: 0, or -1. */
int pd_store_checkpoint(pd_store *st);
/* The caller has nothing to do (a console after a pause): checkpoints when the journal's tail is
 * long enough that the next open would spend more replaying it than the checkpoint writes, so
 * an open after a pause replays nothing. 1: checkpointed, 0: nothing worth doing (or read-only),
 * -1: the checkpoint failed (pd_store_errmsg; the journal still holds every change). */
int pd_store_idle(pd_store *st);
pd_shop *pd_store_shop(pd_store *st);
const char *pd_store_errmsg(const pd_store *st);
void pd_store_close(pd_store *st);

#ifdef __cplusplus
}
#endif
#endif
