/*
 * test_fingerprint.c: j_fingerprint (json_fingerprint.c) is the FNV-1a hash of exactly the text
 * cJSON_PrintUnformatted prints: stored operations keep such hashes, so a retry after this
 * session must still match. Checked on every marketplace fixture, on numbers at every edge of
 * the fast path (integers under 10^15) and past it, on strings with every character cJSON
 * escapes, and on trees built at random.
 * Run from the repository root: the fixtures are read from ../shared/fixtures.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cJSON.h"
#include "fileio.h"
#include "json.h"
#include "unit.h"

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Whether j_fingerprint(item) is the hash of cJSON's own text of it (what api.c hashed). */
static int agrees(const cJSON *item) {
  char *text = cJSON_PrintUnformatted(item);
  uint64_t h = 0;
  int ok = text && j_fingerprint(item, &h) == 0 && h == fnv1a(text);
  if (!ok && text) fprintf(stderr, "  fingerprint differs for %.200s\n", text);
  cJSON_free(text);
  return ok;
}

static int fixtures_in(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  char path[4096];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
      unsigned char *buf = NULL;
      size_t size = 0;
      cJSON *json = fio_read_file(path, &buf, &size) == 0 ? cJSON_ParseWithLength((char *)buf, size) : NULL;
      pd_free(buf);
      UNIT_CHECK(json != NULL);
      UNIT_CHECK(json && agrees(json));
      cJSON_Delete(json);
      n++;
    } else {
      n += fixtures_in(path);
    }
  }
  if (d) closedir(d);
  return n;
}

static void fingerprint_fixtures(void) {
  UNIT_TEST("fingerprint: every marketplace fixture hashes as cJSON's printed text does");
  UNIT_CHECK(fixtures_in("../shared/fixtures") >= 20);
}

static void fingerprint_numbers(void) {
  UNIT_TEST("fingerprint: numbers on both sides of the integer fast path hash as cJSON prints them");
  const double numbers[] = {0.0, -0.0, 1, -1, 7, 10, 99, 100, 1764230400000.0, -1764230400000.0,
                            999999999999999.0, -999999999999999.0, 1e15, -1e15, 1e15 + 2, 9007199254740992.0,
                            9007199254740993.0, 1e16, 1e21, 1e300, -1e300, 0.5, -0.5, 0.1, 1.5, 2.675,
                            123456789012345.6, 1e-7, 5e-324, DBL_MAX, -DBL_MAX, DBL_MIN, 150000.0, 4294967296.0,
                            2147483647.0, 2147483648.0, -2147483648.0, -2147483649.0, NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
    cJSON *n = cJSON_CreateNumber(numbers[i]);
    UNIT_CHECK(agrees(n));
    cJSON_Delete(n);
  }
  /* Every integer around powers of ten up to 10^15, and some fractions near them. */
  for (double p = 1; p <= 1e16; p *= 10)
    for (int k = -3; k <= 3; k++) {
      cJSON *n = cJSON_CreateNumber(p + k), *m = cJSON_CreateNumber(-(p + k)), *f = cJSON_CreateNumber(p + k / 8.0);
      UNIT_CHECK(agrees(n) && agrees(m) && agrees(f));
      cJSON_Delete(n);
      cJSON_Delete(m);
      cJSON_Delete(f);
    }
}

static void fingerprint_strings(void) {
  UNIT_TEST("fingerprint: strings and keys with every character cJSON escapes hash as printed");
  char s[160];
  size_t n = 0;
  for (int c = 1; c < 128; c++) s[n++] = (char)c;
  memcpy(s + n, "\xc3\xa9\xe1\xbb\x87\xf0\x9f\x93\xa6", 9); /* é, ệ, a parcel emoji */
  s[n + 9] = '\0';
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, s, cJSON_CreateString(s));
  cJSON_AddItemToObject(o, "", cJSON_CreateString(""));
  cJSON_AddItemToObject(o, "q\"\\", cJSON_CreateArray());
  cJSON_AddItemToObject(o, "o", cJSON_CreateObject());
  cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("{\"a\":1}"));
  cJSON_AddItemToObject(o, "t", cJSON_CreateTrue());
  cJSON_AddItemToObject(o, "f", cJSON_CreateFalse());
  cJSON_AddItemToObject(o, "z", cJSON_CreateNull());
  cJSON *nul = cJSON_CreateString("x");
  cJSON_free(nul->valuestring);
  nul->valuestring = NULL; /* cJSON prints "" for a string without text */
  cJSON_AddItemToObject(o, "nul", nul);
  UNIT_CHECK(agrees(o));
  cJSON_Delete(o);
  /* A tree cJSON cannot print is refused, not hashed. */
  cJSON *bad = cJSON_CreateObject();
  cJSON *raw = cJSON_CreateRaw("1");
  cJSON_free(raw->valuestring);
  raw->valuestring = NULL;
  cJSON_AddItemToObject(bad, "r", raw);
  uint64_t h;
  UNIT_CHECK(cJSON_PrintUnformatted(bad) == NULL && j_fingerprint(bad, &h) == -1);
  cJSON_Delete(bad);
}

static unsigned long long rnd_state = 88172645463325252ULL;
static unsigned rnd(unsigned n) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return (unsigned)(rnd_state % n);
}

static cJSON *random_tree(int depth) {
  switch (rnd(depth > 3 ? 5 : 7)) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateBool((int)rnd(2));
    case 2: {
      static const double scale[] = {1, 1000, 1e6, 1e12, 1e15, 1e17, 0.001};
      double d = (double)rnd(2000000) - 1000000.0;
      return cJSON_CreateNumber(rnd(3) ? d * scale[rnd(7)] : d / (1 + rnd(99)));
    }
    case 3:
    case 4: {
      char s[12];
      size_t n = rnd(sizeof s);
      for (size_t i = 0; i < n; i++) s[i] = (char)(1 + rnd(127));
      s[n] = '\0';
      return cJSON_CreateString(s);
    }
    case 5: {
      cJSON *a = cJSON_CreateArray();
      for (unsigned i = rnd(5); i > 0; i--) cJSON_AddItemToArray(a, random_tree(depth + 1));
      return a;
    }
    default: {
      cJSON *o = cJSON_CreateObject();
      for (unsigned i = rnd(5); i > 0; i--) {
        char key[4] = {(char)('a' + rnd(26)), rnd(4) ? '\0' : '\n', '\0', '\0'};
        cJSON_AddItemToObject(o, key, random_tree(depth + 1));
      }
      return o;
    }
  }
}

static void fingerprint_random(void) {
  UNIT_TEST("fingerprint: 2,000 random trees hash as cJSON prints them");
  int bad = 0;
  for (int i = 0; i < 2000; i++) {
    cJSON *t = random_tree(0);
    bad += !agrees(t);
    cJSON_Delete(t);
  }
  UNIT_CHECK_INT(bad, 0);
}

void suite_fingerprint(void);
void suite_fingerprint(void) {
  fingerprint_fixtures();
  fingerprint_numbers();
  fingerprint_strings();
  fingerprint_random();
}
