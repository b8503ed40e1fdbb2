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

/*
 * Test hook: the Nth allocation from now fails (1 = the next one); 0 disables. Counts every
 * allocation made through pd_malloc/pd_realloc/pd_calloc, cJSON's included.
 */
void pd_alloc_fail_after(long n);
long pd_alloc_count(void);    /* allocations made so far (for fault-injection loops) */
long pd_alloc_failures(void); /* allocations refused so far: tells out-of-memory from bad input */

#endif
