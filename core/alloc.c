/* alloc.c: routes every allocation of the core and of cJSON through one hook. */
#include "alloc.h"
#include "packdesk.h"
#include "cJSON.h"

#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

static pd_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud = NULL;
static long fail_countdown = 0; /* > 0: the allocation that brings it to 0 fails */
static long alloc_count = 0;
static long alloc_failures = 0; /* allocations that returned NULL, injected or real */

/* cJSON's hooks take no sizes; ours pass 0 as the old size, which the hook must tolerate. */
static void *cjson_malloc(size_t n) { return pd_malloc(n); }
static void cjson_free(void *p) { pd_free(p); }

static int hooks_installed = 0;

void pd_set_allocator(pd_alloc_fn fn, void *ud) {
  alloc_fn = fn ? fn : default_alloc;
  alloc_ud = fn ? ud : NULL;
  cJSON_Hooks hooks = {cjson_malloc, cjson_free};
  cJSON_InitHooks(&hooks);
  hooks_installed = 1;
}

void pd_alloc_init(void) {
  if (!hooks_installed) pd_set_allocator(NULL, NULL);
}

void pd_alloc_fail_after(long n) { fail_countdown = n > 0 ? n : 0; }
long pd_alloc_count(void) { return alloc_count; }
long pd_alloc_failures(void) { return alloc_failures; }

static int injected_failure(void) {
  alloc_count++;
  if (fail_countdown > 0 && --fail_countdown == 0) return 1;
  return 0;
}

/* With the default allocator, malloc/realloc/free are called directly, not through the hook's
 * indirect call: every answer is a cJSON tree built and freed node by node, and in wasm the
 * wrappers were 14% of pd_exec (issue 5). The fault hook counts and fails the same either way. */
void *pd_realloc(void *p, size_t osize, size_t nsize) {
  if (nsize == 0) nsize = 1; /* a zero-size request is still an allocation, never a free */
  void *q = injected_failure()               ? NULL
            : alloc_fn == default_alloc      ? realloc(p, nsize)
                                             : alloc_fn(alloc_ud, p, osize, nsize);
  if (!q) alloc_failures++;
  return q;
}

void *pd_malloc(size_t n) {
  if (alloc_fn != default_alloc) return pd_realloc(NULL, 0, n);
  void *q = injected_failure() ? NULL : malloc(n ? n : 1);
  if (!q) alloc_failures++;
  return q;
}

void pd_free(void *p) {
  if (!p) return;
  if (alloc_fn == default_alloc) free(p);
  else alloc_fn(alloc_ud, p, 0, 0);
}

void *pd_calloc(size_t count, size_t size) {
  if (size != 0 && count > (size_t)-1 / size) return NULL;
  void *p = pd_malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

char *pd_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  char *d = pd_malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *pd_strdup(const char *s) { return s ? pd_strndup(s, strlen(s)) : NULL; }
