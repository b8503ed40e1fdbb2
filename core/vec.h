/* vec.h: growth of the PD_VEC arrays declared in order.h. */
#ifndef PD_VEC_H
#define PD_VEC_H

#include <stddef.h>

/* Makes room for `extra` more items: 0, or -1 when out of memory (the vector unchanged). */
int vec_reserve(void **items, size_t *cap, size_t len, size_t extra, size_t elem);

#define VEC_RESERVE(v, extra) \
  vec_reserve((void **)&(v).items, &(v).cap, (v).len, (extra), sizeof(*(v).items))
#define VEC_GROW(v) VEC_RESERVE(v, 1)

#endif
