/*
 * shop_check.h: the shop's invariants, checked from scratch (for the fuzzers and tests):
 * every order is in the map, in the index of its stage, in the timed index when it has a
 * timed event, at its seq in the pages; counts agree; the metrics equal a recount.
 */
#ifndef PD_SHOP_CHECK_H
#define PD_SHOP_CHECK_H

#include "packdesk.h"

/* NULL when every invariant holds, else a static description of the first that does not. */
const char *shop_check(const pd_shop *s);

#endif
