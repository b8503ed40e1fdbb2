/* rules_actions.c: order.get's `actions`, asked of the same guards the commands run, so the
 * shell offers exactly what the core would accept. */
#include "json.h"
#include "rules.h"

static int push(cJSON *arr, const char *name) { return j_push(arr, cJSON_CreateString(name)); }

static int any_pending(const order *o, int need_extension_left, int max_ext) {
  for (size_t i = 0; i < o->requests.len; i++) {
    const order_request *r = &o->requests.items[i];
    if (r->state == REQ_PENDING && (!need_extension_left || r->extensions < max_ext)) return 1;
  }
  return 0;
}

static int any_open_issue(const order *o) {
  for (size_t i = 0; i < o->issues.len; i++)
    if (o->issues.items[i].resolved_at == 0) return 1;
  return 0;
}

static int any_unpacked(const order *o) {
  for (size_t i = 0; i < o->lines.len; i++)
    if (!o->lines.items[i].cancelled && o->lines.items[i].packed < o->lines.items[i].quantity)
      return 1;
  return 0;
}

static int any_packed(const order *o) {
  for (size_t i = 0; i < o->lines.len; i++)
    if (o->lines.items[i].packed > 0) return 1;
  return 0;
}

cJSON *rules_actions(pd_shop *s, const order *o, pd_ms at) {
  pd_err err;
  rule_ctx c = {s, NULL, at, &err};
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  int pending = any_pending(o, 0, 0);
  int carrier = o->stage == STAGE_AWAITING_COLLECTION || o->stage == STAGE_IN_TRANSIT;
  const struct {
    const char *name;
    int allowed;
  } all[] = {
      {"order.pay", !can_pay(&c, o)},
      {"line.check", !can_check_line(&c, o)},
      {"order.confirm", !can_confirm(&c, o)},
      {"order.cancel", !can_cancel(&c, o)},
      {"request.approve", pending},
      {"request.reject", pending},
      {"request.extend", any_pending(o, 1, s->policy.extensions_max)},
      {"pack.scan", !can_pack(&c, o) && any_unpacked(o)},
      {"pack.unscan", !can_pack(&c, o) && any_packed(o)},
      {"pack.confirm", !can_pack(&c, o)},
      {"pack.complete", !can_pack_complete(&c, o)},
      {"handover.set", !can_handover(&c, o)},
      {"label.print", !can_label(&c, o)},
      {"order.ship", !can_ship(&c, o)},
      {"complaint.file", !can_complain(&c, o)},
      {"carrier.event", carrier},
      {"refund.submit", !can_refund(&c, o)},
      {"issue.resolve", any_open_issue(o)},
      {"message.send", 1},
      {"conflict.dismiss", o->conflicts.len > 0},
  };
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    if (all[i].allowed && push(arr, all[i].name)) {
      cJSON_Delete(arr);
      return NULL;
    }
  return arr;
}

/* Which carrier events fit now, asked of carrier.event's own guard: the carrier simulator
 * offers only these (a pickup order is never "dropped off", nothing is delivered before it
 * is in transit). */
cJSON *rules_carrier_events(pd_shop *s, const order *o, pd_ms at) {
  pd_err err;
  rule_ctx c = {s, NULL, at, &err};
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (size_t i = 0; i < CARRIER_EVENT_COUNT; i++)
    if (!can_carrier_event(&c, o, CARRIER_EVENTS[i]) && push(arr, CARRIER_EVENTS[i])) {
      cJSON_Delete(arr);
      return NULL;
    }
  return arr;
}
