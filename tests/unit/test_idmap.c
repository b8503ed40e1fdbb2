/*
 * test_idmap.c: the id map's contract: put/get/replace/remove, tombstones, growth to 100k
 * keys, the promise of idmap_reserve() (checked with the allocator's fault hook), and a
 * failed growth leaving the map exactly as it was.
 */
#include "idmap.h"
#include "alloc.h"
#include "unit.h"

#include <stdint.h>
#include <stdio.h>

#define N_KEYS 100000

static char keys[N_KEYS][16];
static int values[N_KEYS]; /* values are &values[i], so each key has its own pointer */

static void make_keys(void) {
  for (int i = 0; i < N_KEYS; i++) {
    snprintf(keys[i], sizeof keys[i], "ord-%d", i);
    values[i] = i;
  }
}

/* The stored key pointer for key, to tell replacement from mere equality. */
static const char *stored_key(const idmap *m, const char *key) {
  for (size_t i = 0; i < m->cap; i++) {
    const char *k = m->slots[i].key;
    if (k && strcmp(k, key) == 0) return k; /* tombstones read as "", never asked for */
  }
  return NULL;
}

/* floor(0.7 * cap), written to match the map's own limit exactly. */
static size_t load_limit(size_t cap) { return cap / 10 * 7 + cap % 10 * 7 / 10; }

static int within_load(const idmap *m) {
  return m->used <= load_limit(m->cap) && m->len <= m->used &&
         (m->cap & (m->cap - 1)) == 0;
}

/* 1 when keys [from, to) map to their own values. */
static int all_found(const idmap *m, int from, int to) {
  for (int i = from; i < to; i++)
    if (idmap_get(m, keys[i]) != &values[i]) return 0;
  return 1;
}

static void test_basics(void) {
  UNIT_TEST("idmap basics");
  idmap m;
  idmap_init(&m);
  UNIT_CHECK(idmap_get(&m, "a") == NULL);
  UNIT_CHECK(idmap_remove(&m, "a") == NULL);
  UNIT_CHECK_INT(idmap_reserve(&m, 0), 0);
  UNIT_CHECK_INT(m.cap, 0);

  int one = 1, two = 2;
  char a1[] = "a", a2[] = "a";
  UNIT_CHECK_INT(idmap_put(&m, a1, &one), 0);
  UNIT_CHECK(idmap_get(&m, "a") == &one);
  UNIT_CHECK(idmap_get(&m, "b") == NULL);
  UNIT_CHECK(idmap_get(&m, "") == NULL);
  UNIT_CHECK_INT(m.len, 1);

  UNIT_TEST("idmap replace");
  UNIT_CHECK_INT(idmap_put(&m, a2, &two), 0);
  UNIT_CHECK(idmap_get(&m, "a") == &two);
  UNIT_CHECK(stored_key(&m, "a") == a2); /* the new key pointer took the old one's place */
  UNIT_CHECK_INT(m.len, 1);

  UNIT_TEST("idmap empty key");
  UNIT_CHECK_INT(idmap_put(&m, "", &one), 0);
  UNIT_CHECK(idmap_get(&m, "") == &one);
  UNIT_CHECK(idmap_remove(&m, "") == &one);

  UNIT_TEST("idmap remove");
  UNIT_CHECK(idmap_remove(&m, "a") == &two);
  UNIT_CHECK(idmap_get(&m, "a") == NULL);
  UNIT_CHECK(idmap_remove(&m, "a") == NULL);
  UNIT_CHECK_INT(m.len, 0);
  UNIT_CHECK(within_load(&m));
  idmap_free(&m);
  UNIT_CHECK(m.slots == NULL && m.cap == 0 && m.len == 0);
}

/*
 * Removing a key followed by a live slot leaves a tombstone; putting the key back must
 * reuse it (used unchanged), and every other key must still be reachable past it.
 */
static void test_tombstones(void) {
  UNIT_TEST("idmap tombstones");
  idmap m;
  idmap_init(&m);
  for (int i = 0; i < 1000; i++) idmap_put(&m, keys[i], &values[i]);
  size_t cap = m.cap;
  int tombstones = 0, ok = 1;
  for (int i = 0; i < 1000; i++) {
    size_t used = m.used;
    ok &= idmap_remove(&m, keys[i]) == &values[i];
    ok &= idmap_get(&m, keys[i]) == NULL;
    if (m.used == used) {
      tombstones++;
      ok &= all_found(&m, i + 1, 1000);
      ok &= idmap_put(&m, keys[i], &values[i]) == 0;
      ok &= m.used == used; /* reused, not a fresh slot */
    } else {
      ok &= idmap_put(&m, keys[i], &values[i]) == 0;
    }
  }
  UNIT_CHECK(ok);
  UNIT_CHECK(tombstones > 0);
  UNIT_CHECK(all_found(&m, 0, 1000));
  UNIT_CHECK_INT(m.cap, cap);

  /* idmap_add: refuses a key that is there (nothing changed), reuses a tombstone like put. */
  UNIT_TEST("idmap add");
  ok = 1;
  for (int i = 0; i < 1000; i++) {
    size_t len = m.len, used = m.used;
    ok &= idmap_add(&m, keys[i], &values[(i + 1) % 1000]) == -1;
    ok &= idmap_get(&m, keys[i]) == &values[i] && m.len == len && m.used == used;
    ok &= idmap_remove(&m, keys[i]) == &values[i];
    int tombstone = m.used == used; /* removing left a tombstone: adding takes it back */
    used = m.used;
    ok &= idmap_add(&m, keys[i], &values[i]) == 0 && idmap_get(&m, keys[i]) == &values[i];
    ok &= m.len == len && m.used == used + !tombstone;
  }
  UNIT_CHECK(ok);
  UNIT_CHECK(all_found(&m, 0, 1000));

  /* Churn: 200 live keys, many distinct keys through; the table must not keep growing. */
  UNIT_TEST("idmap churn");
  idmap_free(&m);
  ok = 1;
  long allocs = pd_alloc_count();
  for (int i = 0; i < N_KEYS; i++) {
    ok &= idmap_put(&m, keys[i], &values[i]) == 0;
    if (i >= 200) ok &= idmap_remove(&m, keys[i - 200]) == &values[i - 200];
    ok &= within_load(&m);
  }
  UNIT_CHECK(ok);
  UNIT_CHECK_INT(m.len, 200);
  UNIT_CHECK(m.cap <= 1024);
  UNIT_CHECK(all_found(&m, N_KEYS - 200, N_KEYS));
  UNIT_CHECK(pd_alloc_count() - allocs < 1000); /* rehashes are amortized, not one per put */
  /* Removal turns trailing tombstones back into empty slots, so an empty map uses none. */
  for (int i = N_KEYS - 200; i < N_KEYS; i++) ok &= idmap_remove(&m, keys[i]) == &values[i];
  UNIT_CHECK(ok);
  UNIT_CHECK(m.len == 0 && m.used == 0);
  idmap_free(&m);
}

static void test_growth(void) {
  UNIT_TEST("idmap growth");
  idmap m;
  idmap_init(&m);
  int ok = 1;
  for (int i = 0; i < N_KEYS; i++) {
    ok &= idmap_put(&m, keys[i], &values[i]) == 0;
    ok &= within_load(&m);
  }
  UNIT_CHECK(ok);
  UNIT_CHECK_INT(m.len, N_KEYS);
  UNIT_CHECK(all_found(&m, 0, N_KEYS));
  UNIT_CHECK(idmap_get(&m, "ord-100000") == NULL);

  for (int i = 0; i < N_KEYS; i += 2) ok &= idmap_remove(&m, keys[i]) == &values[i];
  UNIT_CHECK(ok);
  UNIT_CHECK_INT(m.len, N_KEYS / 2);
  for (int i = 0; i < N_KEYS; i++) ok &= idmap_get(&m, keys[i]) == (i % 2 ? &values[i] : NULL);
  UNIT_CHECK(ok);
  idmap_free(&m);
}

static void test_reserve(void) {
  UNIT_TEST("idmap reserve");
  idmap m;
  idmap_init(&m);
  for (int i = 0; i < 100; i++) idmap_put(&m, keys[i], &values[i]);
  UNIT_CHECK_INT(idmap_reserve(&m, 5000), 0);
  UNIT_CHECK(all_found(&m, 0, 100));

  long before = pd_alloc_count();
  pd_alloc_fail_after(1); /* any allocation from here on fails */
  UNIT_CHECK_INT(idmap_reserve(&m, 5000), 0); /* already satisfied */
  int ok = 1;
  for (int i = 100; i < 5100; i++) {
    ok &= idmap_put(&m, keys[i], &values[i]) == 0;
    if (i % 7 == 0) ok &= idmap_remove(&m, keys[i - 50]) == &values[i - 50]; /* no harm */
    if (i % 7 == 0) ok &= idmap_put(&m, keys[i - 50], &values[i - 50]) == 0;
  }
  UNIT_CHECK(ok);
  UNIT_CHECK_INT(pd_alloc_count(), before);
  pd_alloc_fail_after(0);
  UNIT_CHECK(all_found(&m, 0, 5100));
  UNIT_CHECK(within_load(&m));

  UNIT_TEST("idmap reserve overflow");
  idmap_slot *slots = m.slots;
  size_t cap = m.cap, len = m.len;
  UNIT_CHECK_INT(idmap_reserve(&m, SIZE_MAX), -1);
  UNIT_CHECK_INT(idmap_reserve(&m, SIZE_MAX / 4), -1);
  UNIT_CHECK(m.slots == slots && m.cap == cap && m.len == len);
  idmap_free(&m);
}

static void test_alloc_failure(void) {
  UNIT_TEST("idmap first put fails");
  idmap m;
  idmap_init(&m);
  pd_alloc_fail_after(1);
  UNIT_CHECK_INT(idmap_put(&m, keys[0], &values[0]), -1);
  UNIT_CHECK(m.slots == NULL && m.cap == 0 && m.len == 0 && m.used == 0);
  pd_alloc_fail_after(0);

  UNIT_TEST("idmap growth fails");
  /* A mid-size table filled to its load limit, so that the next new key must grow it. */
  int n = 0;
  while (n < 1000 || m.used < load_limit(m.cap)) {
    idmap_put(&m, keys[n], &values[n]);
    n++;
  }
  idmap_slot *slots = m.slots;
  size_t cap = m.cap, len = m.len, used = m.used;
  pd_alloc_fail_after(1);
  UNIT_CHECK_INT(idmap_put(&m, keys[n], &values[n]), -1);
  pd_alloc_fail_after(1); /* the failure above used up the countdown */
  UNIT_CHECK_INT(idmap_reserve(&m, 10), -1);
  pd_alloc_fail_after(0);
  UNIT_CHECK(m.slots == slots && m.cap == cap && m.len == len && m.used == used);
  UNIT_CHECK(all_found(&m, 0, n));
  UNIT_CHECK(idmap_get(&m, keys[n]) == NULL);
  /* Replacing an existing key needs no slot, so it works even with allocation failing. */
  pd_alloc_fail_after(1);
  UNIT_CHECK_INT(idmap_put(&m, keys[0], &values[0]), 0);
  pd_alloc_fail_after(0);

  UNIT_TEST("idmap growth after failure");
  UNIT_CHECK_INT(idmap_put(&m, keys[n], &values[n]), 0);
  UNIT_CHECK(m.cap > cap);
  UNIT_CHECK(all_found(&m, 0, n + 1));
  idmap_free(&m);
}

void suite_idmap(void) {
  make_keys();
  test_basics();
  test_tombstones();
  test_growth();
  test_reserve();
  test_alloc_failure();
}
