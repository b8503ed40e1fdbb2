/*
 * stage_walk.h: the per-stage indexes of one key (by urgency, or by placement) walked as one
 * index, in (key, seq) order: what orders.list and orders.export show when no stage is asked
 * for. Each order is in exactly one stage, so together the stage indexes hold every order once,
 * and merging them gives the order an index across stages would keep. The shop keeps no such
 * index: its two (by urgency, by placement) took 32 of the 160 bytes of each order's slot,
 * which a store's open touches for every order (~3 ms a MB on this VM), and every change of
 * an order updated two more trees.
 */
#ifndef PD_STAGE_WALK_H
#define PD_STAGE_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "order.h"

typedef struct {
  const pd_index *ixs;         /* STAGE_COUNT indexes with the same key_at and seq_at */
  index_node *at[STAGE_COUNT]; /* each stage's next node; NULL once the stage is done */
  int back;                    /* descending: from the end */
} stage_walk;

/* Starts w over ixs: from their first node (the last when back), or, with `from`, from the
 * first strictly after (key, seq) (strictly before when back). */
void stage_walk_start(stage_walk *w, const pd_index *ixs, int back, int from, int64_t key, uint64_t seq);
/* The next node of the walk, or NULL once every stage is done. */
index_node *stage_walk_next(stage_walk *w);
/* How many nodes the STAGE_COUNT indexes hold together. */
size_t stage_walk_count(const pd_index *ixs);

#endif
