/*
 * run_unit.c: runs every unit suite and prints one line, `N passed, N failed`, on stdout.
 * Failures are printed on stderr by the checks themselves. Exit status 0 only if none failed.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

int unit_passed, unit_failed;
const char *unit_test_name = "";

/* Every suite, in one place: declare it here and list it in `suites` below. */
void suite_index(void);
void suite_stage_walk(void);
void suite_idmap(void);
void suite_arena(void);
void suite_import(void);
void suite_faults(void);
void suite_determinism(void);
void suite_journal(void);
void suite_store(void);
void suite_store_regressions(void);
void suite_base64(void);
void suite_sync(void);
void suite_snapshot(void);
void suite_retention(void);
void suite_lazy(void);
void suite_fingerprint(void);
void suite_follow(void);

static const struct {
  const char *name;
  void (*run)(void);
} suites[] = {
    {"index", suite_index},
    {"stage walk", suite_stage_walk},
    {"idmap", suite_idmap},
    {"arena", suite_arena},
    {"import", suite_import},
    {"determinism", suite_determinism},
    {"faults", suite_faults},
    {"journal", suite_journal},
    {"store", suite_store},
    {"store regressions", suite_store_regressions},
    {"base64", suite_base64},
    {"sync", suite_sync},
    {"snapshot", suite_snapshot},
    {"retention", suite_retention},
    {"lazy", suite_lazy},
    {"fingerprint", suite_fingerprint},
    {"follow", suite_follow},
};

/* With arguments, only the suites named (`run_unit lazy store`): for working on one. */
static int chosen(int argc, char **argv, const char *name) {
  if (argc < 2) return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0) return 1;
  return 0;
}

int main(int argc, char **argv) {
  for (int a = 1; a < argc; a++) { /* a name that is no suite would run nothing, and pass */
    size_t i = 0;
    while (i < sizeof suites / sizeof suites[0] && strcmp(argv[a], suites[i].name) != 0) i++;
    if (i == sizeof suites / sizeof suites[0]) {
      fprintf(stderr, "run_unit: no suite named \"%s\"; the suites:", argv[a]);
      for (i = 0; i < sizeof suites / sizeof suites[0]; i++) fprintf(stderr, " \"%s\"", suites[i].name);
      fprintf(stderr, "\n");
      return 2;
    }
  }
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
    if (!chosen(argc, argv, suites[i].name)) continue;
    unit_test_name = suites[i].name;
    int failed_before = unit_failed;
    suites[i].run();
    if (unit_failed != failed_before)
      fprintf(stderr, "suite %s: %d failed\n", suites[i].name, unit_failed - failed_before);
  }
  printf("%d passed, %d failed\n", unit_passed, unit_failed);
  fflush(stdout); /* LeakSanitizer ends the process without flushing stdio */
  return unit_failed == 0 ? 0 : 1;
}
