/* alloc.c: routes every allocation of the core and of cJSON through one hook. */
#include "alloc.h"
#include "packdesk.h"
#include "cJSON.h"

#include <stdint.h>
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

/* Under AddressSanitizer (the unit tests, the fuzzers) the arena's free bytes are poisoned:
 * a read past what cJSON asked for, or of a tree after its command ended, is reported as it
 * would be with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#define PD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PD_ASAN 1
#endif
#endif
#ifdef PD_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/*
 * cJSON's allocations during a command come from an arena: a request parsed, an answer built
 * and printed, each a tree of nodes and strings allocated one by one and freed one by one. In
 * a 100k-order bench, malloc and free were a third of a command's native time, most of it
 * cJSON's. Chunks come from pd_malloc and double in size as a command needs more; all but the
 * first go when the outermost command ends. Nothing of the arena may outlive its command:
 * what a command keeps of cJSON's is a printed string, which pd_json_keep copies out.
 */
typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
} arena_chunk;

enum { ARENA_FIRST = 64 * 1024, ARENA_ALIGN = 16 };
static arena_chunk *arena; /* the newest chunk first */
static int arena_depth;    /* commands in progress (sync.base runs some inside another) */

static int in_arena(const void *p) {
  for (const arena_chunk *c = arena; c; c = c->next)
    if ((const unsigned char *)p >= c->data && (const unsigned char *)p < c->data + c->size) return 1;
  return 0;
}

static int injected_failure(void);

static void *arena_alloc(size_t n) {
  /* Each of cJSON's allocations is still one the fault hook counts and can fail, as before the
   * arena: the core's every out-of-memory path in building an answer stays tested. */
  if (injected_failure()) {
    alloc_failures++;
    return NULL;
  }
  size_t asked = n;
  if (n > SIZE_MAX / 4) { /* no JSON of ours comes near: the doubling below stays exact */
    alloc_failures++;
    return NULL;
  }
  n = (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
  if (!arena || arena->size - arena->used < n) {
    size_t size = arena ? arena->size * 2 : ARENA_FIRST;
    while (size < n) size *= 2;
    arena_chunk *c = pd_malloc(sizeof *c + size);
    if (!c) return NULL;
    c->next = arena;
    c->size = size;
    c->used = 0;
    POISON(c->data, size);
    arena = c;
  }
  void *p = arena->data + arena->used;
  UNPOISON(p, asked);
  arena->used += n;
  return p;
}

void pd_json_begin(void) { arena_depth++; }

void pd_json_end(void) {
  if (--arena_depth > 0) return;
  /* The first chunk stays for the next command (its memory is touched already). */
  while (arena && arena->next) {
    arena_chunk *c = arena;
    arena = c->next;
    pd_free(c);
  }
  if (arena) {
    arena->used = 0;
    POISON(arena->data, arena->size);
  }
}

char *pd_json_keep(char *printed) {
  if (!printed || !in_arena(printed)) return printed;
  return pd_strdup(printed);
}

/* cJSON's hooks take no sizes; ours pass 0 as the old size, which the hook must tolerate. */
static void *cjson_malloc(size_t n) { return arena_depth ? arena_alloc(n) : pd_malloc(n); }
static void cjson_free(void *p) {
  if (p && !in_arena(p)) pd_free(p);
}

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
