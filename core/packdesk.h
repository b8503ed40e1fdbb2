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

#ifdef __cplusplus
}
#endif
#endif
