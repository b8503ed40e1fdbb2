/*
 * fuzz_exec.c: any bytes as protocol requests. The input is split at newlines into a sequence
 * of commands run on one shop (seeded with orders in several stages, so that deep rule paths
 * are reachable); after each, the shop's invariants must hold (shop_check) and a refused
 * command must have changed nothing. Crashes, leaks and UB are the sanitizers' to find.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packdesk.h"
#include "shop_check.h"

static const char *const seed[] = {
    "{\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"A1\",\"placed_at\":1764230400000,"
    "\"paid_at\":1764230400000,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"S1\",\"quantity\":2,"
    "\"classes\":[\"fragile\"]}],\"buyer\":{\"name\":\"An\",\"phone\":\"0912345678\",\"address\":\"1 Le Loi\"}}}",
    "{\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"B2\",\"placed_at\":1764230400000,"
    "\"currency\":\"USD\",\"lines\":[{\"id\":\"L1\",\"sku\":\"S2\",\"quantity\":1,\"unit_price\":1234}]}}",
    "{\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"C3\",\"placed_at\":1764230400000,"
    "\"paid_at\":1764230400000,\"currency\":\"IDR\",\"lines\":[{\"id\":\"L1\",\"sku\":\"S3\",\"quantity\":1}]}}",
    "{\"cmd\":\"line.check\",\"at\":1764230400001,\"order_id\":\"C3\",\"line_id\":\"L1\",\"result\":\"ok\"}",
    "{\"cmd\":\"order.confirm\",\"at\":1764230400002,\"order_id\":\"C3\"}",
};

/* Everything a client can observe, to tell whether a refused command changed anything. */
static char *observe(pd_shop *s) {
  static const char *const q[] = {
      "{\"cmd\":\"orders.export\",\"at\":1764230500000,\"limit\":1000}",
      "{\"cmd\":\"outbox.list\",\"at\":1764230500000}",
      "{\"cmd\":\"sync.pending\",\"at\":1764230500000,\"limit\":1000}"};
  size_t len = 0;
  char *all = NULL;
  for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
    char *r = pd_exec(s, q[i], strlen(q[i]));
    size_t n = r ? strlen(r) : 0;
    all = realloc(all, len + n + 1);
    memcpy(all + len, r ? r : "", n);
    len += n;
    all[len] = '\0';
    pd_string_free(r);
  }
  return all;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pd_shop *s = pd_shop_new();
  for (size_t i = 0; i < sizeof seed / sizeof *seed; i++) pd_string_free(pd_exec(s, seed[i], strlen(seed[i])));
  const char *p = (const char *)data, *end = p + size;
  /* The shop as observed now: taken again only after a command that changed it, so a run of
   * refused commands (most of what the fuzzer sends) costs one observation each, not two. */
  char *before = observe(s);
  for (int n = 0; p < end && n < 8; n++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char *r = pd_exec(s, p, len);
    if (!r) abort();
    if (strncmp(r, "{\"ok\":false", 11) == 0) {
      char *after = observe(s);
      if (strcmp(before, after) != 0) {
        fprintf(stderr, "a refused command changed the shop: %s\n", r);
        abort();
      }
      free(after);
    } else {
      free(before);
      before = observe(s);
    }
    const char *why = shop_check(s);
    if (why) {
      fprintf(stderr, "invariant broken after %.*s: %s\n", (int)(len > 300 ? 300 : len), p, why);
      abort();
    }
    pd_string_free(r);
    p += len + (nl ? 1 : 0);
  }
  free(before);
  pd_shop_free(s);
  return 0;
}
