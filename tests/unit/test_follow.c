/*
 * test_follow.c: pd_store_follow, a read-only store taking on what a writer journaled since it
 * opened (a browser tab following another). After each follow it holds exactly what a fresh
 * read-only open of the same directory holds; a checkpoint, damage or a writable store is left
 * to a full open (2), changing nothing; a failed allocation leaves it refusing commands.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fileio.h"
#include "packdesk.h"
#include "scenario.h"
#include "tempdir.h"
#include "unit.h"

static int run(pd_store *st, int from, int to) {
  int ok = 1;
  for (int i = from; i < to; i++) {
    char *r = pd_store_exec(st, scenario_commands[i], strlen(scenario_commands[i]));
    ok &= r && strncmp(r, "{\"ok\":true", 10) == 0;
    pd_string_free(r);
  }
  return ok;
}

/* What a fresh read-only open of dir holds. */
static char *fresh_view(const char *dir) {
  pd_store *st = pd_store_open(dir, PD_STORE_READ_ONLY, NULL);
  char *snap = st ? scenario_snapshot(pd_store_shop(st)) : NULL;
  pd_store_close(st);
  return snap;
}

/* 1 when the follower holds what a fresh read-only open holds. */
static int same_as_fresh(pd_store *follower, const char *dir) {
  char *want = fresh_view(dir), *got = scenario_snapshot(pd_store_shop(follower));
  int same = want && got && strcmp(want, got) == 0;
  free(want);
  free(got);
  return same;
}

/* A command that would change the shop is refused by a read-only store, and journals nothing. */
static int refuses_commands(pd_store *st, const char *dir) {
  char *before = fresh_view(dir);
  char *r = pd_store_exec(st, scenario_commands[0], strlen(scenario_commands[0]));
  int refused = r && strncmp(r, "{\"ok\":false", 11) == 0;
  pd_string_free(r);
  char *after = fresh_view(dir);
  int unchanged = before && after && strcmp(before, after) == 0;
  free(before);
  free(after);
  return refused && unchanged;
}

/* The journal's segments, read (to be put back: a checkpoint whose removal of the old ones
 * failed leaves them, and the journal then still reads as a continuation). */
typedef struct {
  char name[64][256];
  unsigned char *data[64];
  size_t len[64];
  int n;
} segments;

static void read_segments(const char *dir, segments *sg) {
  char path[4096];
  DIR *d = opendir(dir);
  struct dirent *e;
  sg->n = 0;
  while (d && (e = readdir(d)) && sg->n < 64) {
    if (strncmp(e->d_name, "journal-", 8) != 0) continue;
    snprintf(sg->name[sg->n], sizeof sg->name[0], "%s", e->d_name);
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (fio_read_file(path, &sg->data[sg->n], &sg->len[sg->n]) == 0) sg->n++;
  }
  if (d) closedir(d);
}

static void put_back_segments(const char *dir, segments *sg) {
  char path[4096];
  for (int i = 0; i < sg->n; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, sg->name[i]);
    if (access(path, F_OK) != 0) (void)fio_write_file(path, sg->data[i], sg->len[i]);
    pd_free(sg->data[i]);
  }
  sg->n = 0;
}

static void follow_steps(void) {
  UNIT_TEST("follow: a read-only store takes on each run of the writer's new records, as a fresh open would");
  char *dir = fresh_dir("pdfollow");
  pd_store *w = pd_store_open(dir, 0, NULL), *f = NULL;
  pd_store_report rep;
  int third = scenario_count / 3;
  UNIT_CHECK(w && run(w, 0, third) && pd_store_checkpoint(w) == 0 && run(w, third, third + 2));
  f = pd_store_open(dir, PD_STORE_READ_ONLY, &rep);
  UNIT_CHECK(f && rep.replayed == 2);
  UNIT_CHECK_INT(pd_store_follow(f, &rep), 0); /* nothing new: nothing to do */
  UNIT_CHECK(f && same_as_fresh(f, dir));
  unsigned long long replayed = rep.replayed;
  for (int i = third + 2; w && f && i < 2 * third; i += 3) {
    int to = i + 3 < 2 * third ? i + 3 : 2 * third;
    UNIT_CHECK(run(w, i, to));
    UNIT_CHECK_INT(pd_store_follow(f, &rep), 0);
    UNIT_CHECK(same_as_fresh(f, dir));
    UNIT_CHECK(rep.replayed == replayed + (unsigned long long)(to - i) && rep.damaged == 0 && rep.pending == 0);
    replayed = rep.replayed;
  }
  UNIT_CHECK(f && refuses_commands(f, dir));

  UNIT_TEST("follow: after the writer checkpoints, a follow changes nothing and says open again (2)");
  char *before = f ? scenario_snapshot(pd_store_shop(f)) : NULL;
  segments old;
  UNIT_CHECK(w && run(w, 2 * third, 2 * third + 2));
  read_segments(dir, &old);
  UNIT_CHECK(old.n > 0 && pd_store_checkpoint(w) == 0);
  UNIT_CHECK_INT(pd_store_follow(f, &rep), 2);
  /* Even when the old segments stayed (their removal failed): the pages the follower would
   * read bodies from are of the snapshot it opened, which the checkpoint replaced. */
  put_back_segments(dir, &old);
  UNIT_CHECK_INT(pd_store_follow(f, &rep), 2);
  char *after = f ? scenario_snapshot(pd_store_shop(f)) : NULL;
  UNIT_CHECK(before && after && strcmp(before, after) == 0);
  free(before);
  free(after);
  pd_store_close(f);
  f = pd_store_open(dir, PD_STORE_READ_ONLY, NULL);
  UNIT_CHECK(w && run(w, 2 * third + 2, scenario_count));
  UNIT_CHECK_INT(pd_store_follow(f, &rep), 0);
  UNIT_CHECK(f && same_as_fresh(f, dir));

  UNIT_TEST("follow: a writable store is not followed (2)");
  UNIT_CHECK_INT(pd_store_follow(w, &rep), 2);
  pd_store_close(f);
  pd_store_close(w);
  rm_rf(dir);
  free(dir);
}

/* The journal's one segment, damaged at byte `at` (a record the follower already read). */
static void damage_segment(const char *dir, long at) {
  char path[4096];
  snprintf(path, sizeof path, "%s/journal-%020llu.pdj", dir, 1ULL);
  FILE *fp = fopen(path, "r+b");
  if (!fp) return;
  fseek(fp, at, SEEK_SET);
  int c = fgetc(fp);
  fseek(fp, at, SEEK_SET);
  fputc(c ^ 0x5A, fp);
  fclose(fp);
}

static void follow_damage(void) {
  UNIT_TEST("follow: a journal damaged since the open is left to a full open (2), the follower unchanged");
  char *dir = fresh_dir("pdfollow");
  pd_store *w = pd_store_open(dir, 0, NULL), *f = NULL;
  pd_store_report rep;
  UNIT_CHECK(w && run(w, 0, 6));
  f = pd_store_open(dir, PD_STORE_READ_ONLY, &rep);
  UNIT_CHECK(f && rep.replayed == 6);
  char *before = f ? scenario_snapshot(pd_store_shop(f)) : NULL;
  UNIT_CHECK(run(w, 6, 9));
  damage_segment(dir, 30); /* inside the first record's payload */
  UNIT_CHECK_INT(pd_store_follow(f, &rep), 2);
  char *after = f ? scenario_snapshot(pd_store_shop(f)) : NULL;
  UNIT_CHECK(before && after && strcmp(before, after) == 0);
  UNIT_CHECK(f && refuses_commands(f, dir));
  free(before);
  free(after);
  pd_store_close(f);
  pd_store_close(w);
  rm_rf(dir);
  free(dir);
}

/* Imports orders F<from>..F<to - 1> through the writer: new records, whatever came before. */
static int import_new(pd_store *w, long from, long to) {
  char req[512];
  int ok = 1;
  for (long i = from; i < to; i++) {
    snprintf(req, sizeof req,
             "{\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"F%ld\",\"placed_at\":1764230400000,"
             "\"paid_at\":1764230400000,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-1\",\"name\":\"Ao\","
             "\"quantity\":1,\"unit_price\":150000}]}}", i);
    char *r = pd_store_exec(w, req, strlen(req));
    ok &= r && strncmp(r, "{\"ok\":true", 10) == 0;
    pd_string_free(r);
  }
  return ok;
}

static void follow_failed_allocations(void) {
  UNIT_TEST("follow: the Nth allocation fails: no crash, nothing leaks, commands still refused; a follow no failure reached is right");
  char *dir = fresh_dir("pdfollow");
  pd_store *w = pd_store_open(dir, 0, NULL);
  int followed = 0;
  UNIT_CHECK(w && run(w, 0, scenario_count / 2));
  for (long n = 1; w && n < 100000 && !followed; n++) {
    UNIT_CHECK(pd_store_checkpoint(w) == 0); /* else the writer's own would fall inside some run */
    pd_store *f = pd_store_open(dir, PD_STORE_READ_ONLY, NULL);
    UNIT_CHECK(f != NULL);
    if (!f) break;
    UNIT_CHECK(import_new(w, 3 * n, 3 * n + 3)); /* three records the follower has not read */
    pd_store_report rep;
    long failures = pd_alloc_failures();
    pd_alloc_fail_after(n);
    int rc = pd_store_follow(f, &rep);
    pd_alloc_fail_after(0);
    int failed = pd_alloc_failures() != failures;
    followed = !failed;
    UNIT_CHECK(rc == 0 || rc == -1 || rc == 2);
    if (!failed) UNIT_CHECK(rc == 0 && same_as_fresh(f, dir));
    if (rc != 0) UNIT_CHECK(refuses_commands(f, dir));
    pd_store_close(f);
  }
  UNIT_CHECK(followed);
  pd_store_close(w);
  rm_rf(dir);
  free(dir);
}

void suite_follow(void) {
  follow_steps();
  follow_damage();
  follow_failed_allocations();
}
