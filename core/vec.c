/* vec.c: doubling growth for PD_VEC arrays, overflow-checked. */
#include "vec.h"

#include "alloc.h"

int vec_reserve_exact(void **items, size_t *cap, size_t len, size_t extra, size_t elem) {
  if (extra > (size_t)-1 / 2 - len) return -1;
  size_t need = len + extra;
  if (need <= *cap) return 0;
  if (need > (size_t)-1 / elem) return -1;
  void *p = pd_realloc(*items, *cap * elem, need * elem);
  if (!p) return -1;
  *items = p;
  *cap = need;
  return 0;
}

int vec_reserve(void **items, size_t *cap, size_t len, size_t extra, size_t elem) {
  if (extra > (size_t)-1 / 2 - len) return -1;
  size_t need = len + extra;
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 4;
  while (ncap < need) ncap *= 2;
  if (ncap > (size_t)-1 / elem) return -1;
  void *p = pd_realloc(*items, *cap * elem, ncap * elem);
  if (!p) return -1;
  *items = p;
  *cap = ncap;
  return 0;
}
