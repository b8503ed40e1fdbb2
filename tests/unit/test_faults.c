/*
 * test_faults.c: a failed command changes nothing, even when it fails half-way. Every
 * command of the scenario is run with its 1st, 2nd, 3rd, ... allocation failing (SQLite's
 * do_faultsim_test) and with its journal write failing: each failure must answer an error
 * and leave every observable of the shop byte-identical; then the command succeeds. Leaks
 * are LeakSanitizer's to report (this suite runs in the ASan build).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "packdesk.h"
#include "scenario.h"
#include "unit.h"

static int failing_journal(void *ud, const char *req, size_t len) {
  (void)ud;
  (void)req;
  (void)len;
  return -1;
}

static int is_failure(const char *r) {
  return r == NULL || strstr(r, "\"code\":\"OUT_OF_MEMORY\"") || strstr(r, "\"code\":\"STORAGE\"");
}

/* Fails allocation n of command cmd until the command gets through; returns the count. */
static int fault_one(pd_shop *shop, const char *cmd, char **answer) {
  for (long n = 1; n < 100000; n++) {
    char *before = scenario_snapshot(shop);
    pd_alloc_fail_after(n);
    char *r = pd_exec(shop, cmd, strlen(cmd));
    pd_alloc_fail_after(0);
    if (!is_failure(r)) {
      free(before);
      *answer = r;
      return (int)n;
    }
    char *after = scenario_snapshot(shop);
    UNIT_CHECK(before && after && strcmp(before, after) == 0);
    if (!before || !after || strcmp(before, after) != 0) {
      fprintf(stderr, "  allocation %ld of %.80s changed the shop\n", n, cmd);
      free(before);
      free(after);
      pd_string_free(r);
      *answer = NULL;
      return -1;
    }
    free(before);
    free(after);
    pd_string_free(r);
  }
  *answer = NULL;
  return -1;
}

static void faults_per_command(void) {
  UNIT_TEST("faults: every allocation of every command");
  pd_shop *shop = pd_shop_new(), *reference = pd_shop_new();
  long injected = 0;
  for (int i = 0; i < scenario_count; i++) {
    const char *cmd = scenario_commands[i];
    char *got = NULL, *want = pd_exec(reference, cmd, strlen(cmd));
    int n = fault_one(shop, cmd, &got);
    UNIT_CHECK(n > 0);
    /* Once through, it answers exactly as a shop that never saw a failure. */
    UNIT_CHECK(got && want && strcmp(got, want) == 0);
    if (got && want && strcmp(got, want) != 0)
      fprintf(stderr, "  after %d failures, %.60s\n  answered %.160s\n  not      %.160s\n", n - 1,
              cmd, got, want);
    injected += n - 1;
    pd_string_free(got);
    pd_string_free(want);
  }
  char *a = scenario_snapshot(shop), *b = scenario_snapshot(reference);
  UNIT_CHECK(a && b && strcmp(a, b) == 0);
  UNIT_CHECK(injected > 1000); /* the scenario really was failed at many points */
  free(a);
  free(b);
  pd_shop_free(shop);
  pd_shop_free(reference);
}

static void faults_journal(void) {
  UNIT_TEST("faults: a journal write that fails");
  pd_shop *shop = pd_shop_new();
  for (int i = 0; i < scenario_count; i++) {
    const char *cmd = scenario_commands[i];
    char *before = scenario_snapshot(shop);
    pd_set_journal(shop, failing_journal, NULL);
    char *r = pd_exec(shop, cmd, strlen(cmd));
    pd_set_journal(shop, NULL, NULL);
    char *after = scenario_snapshot(shop);
    /* Every scenario command changes something, so each one must hit the journal. */
    UNIT_CHECK(r && strstr(r, "\"code\":\"STORAGE\""));
    UNIT_CHECK(before && after && strcmp(before, after) == 0);
    pd_string_free(r);
    free(before);
    free(after);
    r = pd_exec(shop, cmd, strlen(cmd));
    UNIT_CHECK(r && strstr(r, "\"ok\":true"));
    pd_string_free(r);
  }
  pd_shop_free(shop);
}

/* Regression: an import refused by the journal grew the page tables without adding an order;
 * the next command computed a negative shortfall and answered OUT_OF_MEMORY. */
static void faults_refused_import_then_command(void) {
  UNIT_TEST("faults: a refused import leaves later commands working");
  pd_shop *shop = pd_shop_new();
  const char *a1 = scenario_commands[2], *c3 = scenario_commands[4];
  char *r = pd_exec(shop, a1, strlen(a1));
  pd_string_free(r);
  pd_set_journal(shop, failing_journal, NULL);
  r = pd_exec(shop, c3, strlen(c3));
  UNIT_CHECK(r && strstr(r, "\"code\":\"STORAGE\""));
  pd_string_free(r);
  const char *check = "{\"cmd\":\"line.check\",\"at\":1764230400200,\"order_id\":\"A1\",\"line_id\":\"L1\",\"result\":\"ok\"}";
  r = pd_exec(shop, check, strlen(check));
  UNIT_CHECK(r && strstr(r, "\"code\":\"STORAGE\"")); /* the journal still fails: not OUT_OF_MEMORY */
  pd_string_free(r);
  pd_set_journal(shop, NULL, NULL);
  r = pd_exec(shop, check, strlen(check));
  UNIT_CHECK(r && strstr(r, "\"ok\":true"));
  pd_string_free(r);
  pd_shop_free(shop);
}

void suite_faults(void) {
  faults_per_command();
  faults_journal();
  faults_refused_import_then_command();
}
