/*
 * test_arena.c: cJSON's per-command arena (alloc.c). A command's trees may grow past the first
 * chunk and are gone when the outermost command ends; a printed answer kept with pd_json_keep
 * outlives it and is freed like any other string; nested commands (sync.base) keep their
 * trees until the outer one ends; outside a command cJSON allocates as before; and the fault
 * hook still fails each of cJSON's allocations. Under ASan the arena's free bytes are
 * poisoned, so this suite (and every other one) would report a tree used after its command.
 */
#include "alloc.h"
#include "cJSON.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

/* An array of n strings of 100 bytes each, "s<i>...": ~n * 150 bytes of arena. */
static cJSON *big_array(int n) {
  cJSON *a = cJSON_CreateArray();
  char text[101];
  for (int i = 0; a && i < n; i++) {
    snprintf(text, sizeof text, "s%d", i);
    memset(text + strlen(text), 'x', sizeof text - 1 - strlen(text));
    text[100] = '\0';
    if (!cJSON_AddItemToArray(a, cJSON_CreateString(text))) break;
  }
  return a;
}

void suite_arena(void) {
  pd_alloc_init();

  UNIT_TEST("arena: a command's trees grow past the first chunk; its printed answer, kept, outlives it");
  pd_json_begin();
  cJSON *a = big_array(2000); /* ~300 KB: several chunks */
  UNIT_CHECK(a && cJSON_GetArraySize(a) == 2000);
  char *kept = pd_json_keep(cJSON_PrintUnformatted(a));
  cJSON_Delete(a);
  pd_json_end();
  UNIT_CHECK(kept && strncmp(kept, "[\"s0xxx", 7) == 0 && strstr(kept, "\"s1999x") != NULL);
  UNIT_CHECK_INT(strlen(kept), 2000 * 103 + 1); /* 2000 quoted strings, 1999 commas, brackets */
  pd_free(kept);                                /* an allocation of its own (ASan checks) */

  UNIT_TEST("arena: a command inside another keeps its trees until the outer one ends");
  pd_json_begin();
  cJSON *outer = cJSON_CreateString("outer");
  pd_json_begin();
  cJSON *inner = big_array(1000);
  pd_json_end();
  const char *last = inner ? cJSON_GetArrayItem(inner, 999)->valuestring : NULL;
  UNIT_CHECK(last && strncmp(last, "s999x", 5) == 0 && strlen(last) == 100);
  UNIT_CHECK(strcmp(outer->valuestring, "outer") == 0);
  cJSON_Delete(inner);
  cJSON_Delete(outer);
  pd_json_end();

  UNIT_TEST("arena: outside a command cJSON allocates as before, and pd_json_keep gives its string back");
  cJSON *plain = cJSON_CreateString("plain");
  char *printed = cJSON_PrintUnformatted(plain);
  UNIT_CHECK(printed && pd_json_keep(printed) == printed && strcmp(printed, "\"plain\"") == 0);
  cJSON_free(printed);
  cJSON_Delete(plain);

  UNIT_TEST("arena: the fault hook still fails each of cJSON's allocations in a command");
  /* An object, then two strings (a node and a copy of the text each): five allocations, the
   * nth failed each time, and with it the item it was for. */
  for (long n = 1; n <= 5; n++) {
    long failures = pd_alloc_failures();
    pd_json_begin();
    pd_alloc_fail_after(n);
    cJSON *o = cJSON_CreateObject();
    cJSON *s1 = cJSON_CreateString("one");
    cJSON *s2 = cJSON_CreateString("two");
    pd_alloc_fail_after(0);
    UNIT_CHECK((o == NULL) == (n == 1) && (s1 == NULL) == (n == 2 || n == 3) && (s2 == NULL) == (n >= 4));
    UNIT_CHECK_INT(pd_alloc_failures() - failures, 1);
    cJSON_Delete(o);
    cJSON_Delete(s1);
    cJSON_Delete(s2);
    pd_json_end();
  }
}
