/* rules_pack.c: step 2 of the guide, packing: exactly what was ordered (P1), the checklist
 * (P2, P5) and completeness (P7). */
#include <stdio.h>
#include <string.h>

#include "rules.h"

int can_pack(rule_ctx *c, const order *o) {
  if (o->stage != STAGE_CONFIRMED)
    return fail(c, "ILLEGAL_TRANSITION", "P7", "order %s is %s: packing happens after confirmation",
                o->id, stage_name(o->stage));
  return 0;
}

static int line_has_sku(const order_line *l, const char *sku) {
  return (l->seller_sku && *l->seller_sku && strcmp(l->seller_sku, sku) == 0) ||
         strcmp(l->sku_id, sku) == 0;
}

int rules_pack_scan(rule_ctx *c, order *o, const char *sku, int undo, order_line **out) {
  if (can_pack(c, o)) return -1;
  order_line *match = NULL;
  for (size_t i = 0; i < o->lines.len; i++) {
    order_line *l = &o->lines.items[i];
    if (l->cancelled || !line_has_sku(l, sku)) continue;
    match = l;
    if (undo ? l->packed > 0 : l->packed < l->quantity) break;
  }
  if (!match) {
    fail(c, "NOT_ORDERED", "P1", "%s is not in order %s: it must not go in the package", sku, o->id);
    c->err->reason = "not_in_order";
    return -1;
  }
  if (undo && match->packed == 0)
    return fail(c, "ILLEGAL_TRANSITION", "P1", "no unit of %s has been packed", sku);
  if (!undo && match->packed >= match->quantity) {
    fail(c, "NOT_ORDERED", "P1", "one too many: %s is already packed %d/%d", sku, match->packed,
         match->quantity);
    c->err->reason = "one_too_many";
    return -1;
  }
  char detail[160];
  snprintf(detail, sizeof detail, "%s %d/%d", sku, match->packed + (undo ? -1 : 1), match->quantity);
  if (order_add_timeline(o, c->at, undo ? "unpacked" : "packed_unit", detail)) return fail_oom(c);
  match->packed += undo ? -1 : 1;
  *out = match;
  return 0;
}

int rules_pack_confirm(rule_ctx *c, order *o, const char *item) {
  if (can_pack(c, o)) return -1;
  checklist_item *ci = order_find_checklist(o, item);
  if (!ci) return fail(c, "NOT_FOUND", "P5", "%s is not on the checklist of order %s", item, o->id);
  if (ci->confirmed) return 0;
  if (order_add_timeline(o, c->at, "checklist_confirmed", item)) return fail_oom(c);
  ci->confirmed = 1;
  return 0;
}

/* P7: every line packed, every checklist item confirmed. */
int can_pack_complete(rule_ctx *c, const order *o) {
  if (can_pack(c, o)) return -1;
  for (size_t i = 0; i < o->lines.len; i++) {
    const order_line *l = &o->lines.items[i];
    if (!l->cancelled && l->packed < l->quantity)
      return fail(c, "POLICY_VIOLATION", "P7", "line %s is packed %d/%d", l->id, l->packed,
                  l->quantity);
  }
  for (size_t i = 0; i < o->checklist.len; i++) {
    const checklist_item *ci = &o->checklist.items[i];
    if (ci->confirmed) continue;
    const char *rule = strcmp(ci->item, "no_promo_inserts") == 0 ? "P2"
                       : strcmp(ci->item, "protective_packaging") == 0 ? "P7" : "P5";
    return fail(c, "POLICY_VIOLATION", rule, "checklist item %s is not confirmed", ci->item);
  }
  return 0;
}

int rules_pack_complete(rule_ctx *c, order *o) {
  if (can_pack_complete(c, o)) return -1;
  o->stage = STAGE_PACKED;
  o->packed_at = c->at;
  return order_add_timeline(o, c->at, "packed", NULL) ? fail_oom(c) : 0;
}
