/* mask.c: S1 masking of buyer data for every output. */
#include "mask.h"

#include <string.h>

#include "alloc.h"

char *mask_phone(const char *phone) {
  if (!phone) return NULL;
  size_t n = strlen(phone), digits = 0;
  for (size_t i = 0; i < n; i++) digits += (phone[i] >= '0' && phone[i] <= '9');
  char *out = pd_strndup(phone, n);
  if (!out) return NULL;
  size_t seen = 0;
  for (size_t i = 0; i < n; i++) {
    if (out[i] < '0' || out[i] > '9') continue;
    if (++seen + 2 <= digits) out[i] = '*';
  }
  return out;
}

char *mask_address(const char *region) {
  size_t n = region ? strlen(region) : 0;
  char *out = pd_malloc(n + 6);
  if (!out) return NULL;
  if (n) {
    memcpy(out, region, n);
    memcpy(out + n, ", ***", 6);
  } else {
    memcpy(out, "***", 4);
  }
  return out;
}

char *mask_name(const char *name) {
  if (!name || !*name) return pd_strdup("***");
  size_t first = 1;
  unsigned char c = (unsigned char)name[0];
  if (c >= 0xF0) first = 4;
  else if (c >= 0xE0) first = 3;
  else if (c >= 0xC0) first = 2;
  for (size_t i = 1; i < first; i++)
    if (name[i] == '\0') first = 1; /* a cut sequence: keep one byte, still masked */
  char *out = pd_malloc(first + 4);
  if (!out) return NULL;
  memcpy(out, name, first);
  memcpy(out + first, "***", 4);
  return out;
}
