/*
 * unit.h: the smallest test harness that does the job. A suite is a function
 * `void suite_NAME(void)` listed in run_unit.c; each CHECK counts one pass or one failure
 * and prints the failing expression with its place. run_unit prints `N passed, N failed`.
 */
#ifndef PD_UNIT_H
#define PD_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_passed, unit_failed;
extern const char *unit_test_name;

#define UNIT_TEST(name) (unit_test_name = (name))

#define UNIT_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (cond) {                                                                            \
      unit_passed++;                                                                       \
    } else {                                                                               \
      unit_failed++;                                                                       \
      fprintf(stderr, "FAIL %s:%d [%s] %s\n", __FILE__, __LINE__, unit_test_name, #cond);  \
    }                                                                                      \
  } while (0)

#define UNIT_CHECK_INT(a, b)                                                               \
  do {                                                                                     \
    long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);                          \
    if (unit_a_ == unit_b_) {                                                              \
      unit_passed++;                                                                       \
    } else {                                                                               \
      unit_failed++;                                                                       \
      fprintf(stderr, "FAIL %s:%d [%s] %s == %s (%lld != %lld)\n", __FILE__, __LINE__,     \
              unit_test_name, #a, #b, unit_a_, unit_b_);                                   \
    }                                                                                      \
  } while (0)

#define UNIT_CHECK_STR(a, b)                                                               \
  do {                                                                                     \
    const char *unit_a_ = (a), *unit_b_ = (b);                                             \
    if (unit_a_ && unit_b_ && strcmp(unit_a_, unit_b_) == 0) {                             \
      unit_passed++;                                                                       \
    } else {                                                                               \
      unit_failed++;                                                                       \
      fprintf(stderr, "FAIL %s:%d [%s] %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__, \
              unit_test_name, #a, #b, unit_a_ ? unit_a_ : "(null)",                        \
              unit_b_ ? unit_b_ : "(null)");                                               \
    }                                                                                      \
  } while (0)

#endif
