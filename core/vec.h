/* vec.h: growth of the PD_VEC arrays declared in order.h. */
#ifndef PD_VEC_H
#define PD_VEC_H

#include <stddef.h>

/* Makes room for `extra` more items: 0, or -1 when out of memory (the vector unchanged). */
int vec_reserve(void **items, size_t *cap, size_t len, size_t extra, size_t elem);

#define VEC_RESERVE(v, extra) \
  vec_reserve((void **)&(v).items, &(v).cap, (v).len, (extra), sizeof(*(v).items))
#define VEC_GROW(v) VEC_RESERVE(v, 1)

/* Room for exactly `extra` more, no spare: for what is read whole (an order loaded from a
 * snapshot: at 100k orders the spare of doubling was a third of the memory an open touches,
 * and in wasm memory first touched costs ~3 ms a MB). A later VEC_RESERVE doubles from there. */
int vec_reserve_exact(void **items, size_t *cap, size_t len, size_t extra, size_t elem);
#define VEC_RESERVE_EXACT(v, extra) \
  vec_reserve_exact((void **)&(v).items, &(v).cap, (v).len, (extra), sizeof(*(v).items))

#endif
