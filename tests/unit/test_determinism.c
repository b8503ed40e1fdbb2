/*
 * test_determinism.c: the core reads no clock and no randomness, so replaying the journal of
 * applied commands on an empty shop rebuilds the same shop, byte for byte, and answers every
 * command the same way. This is what the CLI's --store and the sync server rely on.
 */
#include <stdlib.h>
#include <string.h>

#include "packdesk.h"
#include "scenario.h"
#include "unit.h"

typedef struct {
  char *lines[256];
  int count;
} journal;

static int record(void *ud, const char *req, size_t len) {
  journal *j = ud;
  if (j->count == 256) return -1;
  j->lines[j->count] = malloc(len + 1);
  if (!j->lines[j->count]) return -1;
  memcpy(j->lines[j->count], req, len);
  j->lines[j->count][len] = '\0';
  j->count++;
  return 0;
}

void suite_determinism(void) {
  UNIT_TEST("determinism: replaying the journal rebuilds the same shop");
  journal j = {{0}, 0};
  pd_shop *live = pd_shop_new(), *replayed = pd_shop_new();
  char *answers[256] = {0};
  pd_set_journal(live, record, &j);
  for (int i = 0; i < scenario_count; i++)
    answers[i] = pd_exec(live, scenario_commands[i], strlen(scenario_commands[i]));
  UNIT_CHECK_INT(j.count, scenario_count); /* every scenario command changed the shop */
  for (int i = 0; i < j.count; i++) {
    char *r = pd_exec(replayed, j.lines[i], strlen(j.lines[i]));
    UNIT_CHECK(r && answers[i] && strcmp(r, answers[i]) == 0);
    pd_string_free(r);
  }
  char *a = scenario_snapshot(live), *b = scenario_snapshot(replayed);
  UNIT_CHECK(a && b && strcmp(a, b) == 0);
  UNIT_CHECK(a && strstr(a, "\"stage\":\"completed\"")); /* the scenario ran to its end */

  UNIT_TEST("determinism: an applied op is answered again, not applied again");
  char *again = pd_exec(live, scenario_commands[2], strlen(scenario_commands[2]));
  UNIT_CHECK(again && answers[2] && strcmp(again, answers[2]) == 0);
  char *c = scenario_snapshot(live);
  UNIT_CHECK(a && c && strcmp(a, c) == 0);
  pd_string_free(again);
  free(c);

  free(a);
  free(b);
  for (int i = 0; i < scenario_count; i++) pd_string_free(answers[i]);
  for (int i = 0; i < j.count; i++) free(j.lines[i]);
  pd_shop_free(live);
  pd_shop_free(replayed);
}
