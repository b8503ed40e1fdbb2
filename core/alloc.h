/* alloc.h: the core's one allocator, shared with cJSON, with a fault hook for tests. */
#ifndef PD_ALLOC_H
#define PD_ALLOC_H

#include <stddef.h>

void *pd_malloc(size_t n);
void *pd_realloc(void *p, size_t osize, size_t nsize);
void pd_free(void *p);
void *pd_calloc(size_t count, size_t size); /* NULL on overflow of count*size, too */
char *pd_strdup(const char *s);             /* NULL in, NULL out */
char *pd_strndup(const char *s, size_t n);

/* Routes cJSON through the hook too, once; every entry point calls it. */
void pd_alloc_init(void);

/* Between begin and end (a command: pd_exec), cJSON allocates from an arena, freed at the
 * outermost end (alloc.c). pd_json_keep returns a string cJSON printed as one that outlives
 * the arena (a copy, or the string itself when it is not the arena's): free it with pd_free. */
void pd_json_begin(void);
void pd_json_end(void);
char *pd_json_keep(char *printed);

/*
 * Test hook: the Nth allocation from now fails (1 = the next one); 0 disables. Counts every
 * allocation made through pd_malloc/pd_realloc/pd_calloc, cJSON's included (in a command,
 * each of cJSON's from the arena, and the arena's chunks).
 */
void pd_alloc_fail_after(long n);
long pd_alloc_count(void);    /* allocations made so far (for fault-injection loops) */
long pd_alloc_failures(void); /* allocations refused so far: tells out-of-memory from bad input */

#endif
