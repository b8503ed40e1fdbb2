/* stage_walk.c: the stage indexes merged into one walk (see stage_walk.h). */
#include "stage_walk.h"

void stage_walk_start(stage_walk *w, const pd_index *ixs, int back, int from, int64_t key, uint64_t seq) {
  w->ixs = ixs;
  w->back = back;
  for (int st = 0; st < STAGE_COUNT; st++) {
    const pd_index *ix = &ixs[st];
    w->at[st] = from ? (back ? index_before(ix, key, seq) : index_after(ix, key, seq))
                     : (back ? index_last(ix) : index_first(ix));
  }
}

/* 1 when a comes before b in (key, seq) order: seqs are unique, so no two nodes tie. */
static int before(const pd_index *ix, const index_node *a, const index_node *b) {
  int64_t ka = index_key(ix, a), kb = index_key(ix, b);
  return ka < kb || (ka == kb && index_seq(ix, a) < index_seq(ix, b));
}

index_node *stage_walk_next(stage_walk *w) {
  int pick = -1;
  for (int st = 0; st < STAGE_COUNT; st++) {
    if (!w->at[st]) continue;
    if (pick < 0 || (w->back ? before(w->ixs, w->at[pick], w->at[st]) : before(w->ixs, w->at[st], w->at[pick])))
      pick = st;
  }
  if (pick < 0) return NULL;
  index_node *n = w->at[pick];
  w->at[pick] = w->back ? index_prev(&w->ixs[pick], n) : index_next(&w->ixs[pick], n);
  return n;
}

size_t stage_walk_count(const pd_index *ixs) {
  size_t n = 0;
  for (int st = 0; st < STAGE_COUNT; st++) n += ixs[st].count;
  return n;
}
