/* test_base64.c: the base64 of sync's order states: RFC 4648's vectors, a round trip of every
 * length, and the strict decoder refusing what is not canonical. */
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "unit.h"

static int decodes_to(const char *text, const char *want) {
  unsigned char *out;
  size_t n;
  int rc = base64_decode(text, strlen(text), &out, &n);
  int same = rc == 0 && n == strlen(want) && memcmp(out, want, n) == 0;
  pd_free(out);
  return same;
}

static int refused(const char *text) {
  unsigned char *out;
  size_t n;
  int rc = base64_decode(text, strlen(text), &out, &n);
  pd_free(out);
  return rc == -1 && out == NULL;
}

void suite_base64(void);
void suite_base64(void) {
  UNIT_TEST("base64: the vectors of RFC 4648");
  static const char *const vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                           {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                           {"foobar", "Zm9vYmFy"}};
  for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
    char *enc = base64_encode((const unsigned char *)vectors[i][0], strlen(vectors[i][0]));
    UNIT_CHECK_STR(enc, vectors[i][1]);
    UNIT_CHECK(decodes_to(vectors[i][1], vectors[i][0]));
    pd_free(enc);
  }

  UNIT_TEST("base64: every byte, every length from 0 to 300, round trips");
  unsigned char data[300];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 167u + 13u);
  int all = 1;
  for (size_t len = 0; len <= sizeof data; len++) {
    char *enc = base64_encode(data, len);
    unsigned char *dec = NULL;
    size_t n = 0;
    all &= enc && strlen(enc) == (len + 2) / 3 * 4 && base64_decode(enc, strlen(enc), &dec, &n) == 0 &&
           n == len && memcmp(dec, data, len) == 0;
    pd_free(enc);
    pd_free(dec);
  }
  UNIT_CHECK(all);

  UNIT_TEST("base64: what is not canonical base64 is refused");
  UNIT_CHECK(refused("Zg"));        /* unpadded */
  UNIT_CHECK(refused("Zg="));       /* short padding */
  UNIT_CHECK(refused("Zh=="));      /* bits set past the data: "Zg==" is the one text of "f" */
  UNIT_CHECK(refused("Zm9="));      /* likewise for two bytes */
  UNIT_CHECK(refused("Z==="));      /* three pads */
  UNIT_CHECK(refused("===="));
  UNIT_CHECK(refused("Zg==Zg=="));  /* padding before the end */
  UNIT_CHECK(refused("Z=g="));
  UNIT_CHECK(refused("Zm9v Zm9v")); /* whitespace */
  UNIT_CHECK(refused("Zm9v\nZm9v"));
  UNIT_CHECK(refused("Zm9-"));      /* the URL alphabet is another one */
  UNIT_CHECK(refused("Zm9_"));

  UNIT_TEST("base64: out of memory is told apart from bad input");
  unsigned char *out;
  size_t n;
  pd_alloc_fail_after(1);
  int rc = base64_decode("Zm9v", 4, &out, &n);
  pd_alloc_fail_after(0);
  UNIT_CHECK(rc == -2 && out == NULL);
  pd_alloc_fail_after(1);
  char *enc = base64_encode((const unsigned char *)"foo", 3);
  pd_alloc_fail_after(0);
  UNIT_CHECK(enc == NULL);
}
