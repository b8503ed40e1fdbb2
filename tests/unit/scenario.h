/* scenario.h: one command log that walks every command of the protocol, shared by the
 * fault-injection and determinism suites. */
#ifndef PD_TEST_SCENARIO_H
#define PD_TEST_SCENARIO_H

#include "packdesk.h"

extern const char *const scenario_commands[];
extern const int scenario_count;
extern const int scenario_count_v1;

/* Every observable of the shop as one string (caller frees with pd_string_free's free()). */
char *scenario_snapshot(pd_shop *shop);

#endif
