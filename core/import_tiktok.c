/*
 * import_tiktok.c: the TikTok Shop Open API's order, in its legacy (`order_list[]` of
 * /api/orders/detail/query) and 202309 (`orders[]` of /order/202309/orders) shapes.
 *
 * The two share most of their field names; what differs is named in a tiktok_api table, and
 * the lines, which differ in kind (a quantity per sku, or one entry per unit), have a reader
 * each.
 */
#include <string.h>

#include "import_fields.h"

typedef struct tiktok_api tiktok_api;
struct tiktok_api {
  const char *id, *status, *payment, *phone, *cancel_by, *lines;
  int max_line_entries;
  const char *sla[4]; /* ship_by, handover_by, payment_by, delivery_by; NULL: not in this API */
  const char *shipped_at, *collected_at, *delivered_at; /* NULL: not read */
  /* Appends the lines of `entries` (the non-empty `lines` array) to o, whose currency is set. */
  int (*read_lines)(order *o, const cJSON *payload, const cJSON *entries, import_error *err);
  /* Writes the coarse region of `address` into buf ("" when none). */
  int (*read_region)(const cJSON *address, char *buf, size_t size, import_error *err);
};

/* ---- lines ---- */

static order_line *find_line_by_id(order *o, const char *id) {
  for (size_t i = 0; i < o->lines.len; i++)
    if (strcmp(o->lines.items[i].id, id) == 0) return &o->lines.items[i];
  return NULL;
}

/* Legacy line id: the first order_line_list[] entry of this sku not yet taken by an earlier
 * line (so a sku listed twice gets two ids), else the sku id. */
static int legacy_line_id(order *o, const cJSON *payload, const char *sku, const char **out,
                          import_error *err) {
  const cJSON *list, *entry;
  char path[40];
  size_t i = 0;
  *out = sku;
  if (field_array(err, "", payload, "order_line_list", 0, IMPORT_MAX_UNITS, &list)) return -1;
  cJSON_ArrayForEach(entry, list) {
    const char *entry_sku, *id;
    import_item_path(path, sizeof path, "order_line_list", i++);
    if (!cJSON_IsObject(entry)) return import_fail(err, path, NULL, "must be an object");
    if (field_id(err, path, entry, "sku_id", 0, &entry_sku) ||
        field_id(err, path, entry, "order_line_id", 0, &id))
      return -1;
    if (entry_sku && id && strcmp(entry_sku, sku) == 0 && !find_line_by_id(o, id)) {
      *out = id;
      return 0;
    }
  }
  return 0;
}

static int legacy_line(order *o, const cJSON *payload, const cJSON *item, const char *path,
                       import_error *err) {
  order_line l;
  const char *id, *sku, *seller_sku, *product, *variant, *cancel_reason;
  int64_t quantity = 0, display_status = 0, ext_status = 0;
  int has_price;
  memset(&l, 0, sizeof l);
  if (!cJSON_IsObject(item)) return import_fail(err, path, NULL, "must be an object");
  if (field_id(err, path, item, "sku_id", 1, &sku) ||
      field_text(err, path, item, "seller_sku", 0, &seller_sku) ||
      field_text(err, path, item, "product_name", 0, &product) ||
      field_text(err, path, item, "sku_name", 0, &variant) ||
      field_int(err, path, item, "quantity", 1, 1, IMPORT_MAX_QUANTITY, &quantity) ||
      field_money(err, path, item, "sku_sale_price", o->currency, &l.unit_price, &has_price) ||
      field_int(err, path, item, "sku_display_status", 0, 0, INT32_MAX, &display_status) ||
      field_int(err, path, item, "sku_ext_status", 0, 0, INT32_MAX, &ext_status) ||
      field_text(err, path, item, "sku_cancel_reason", 0, &cancel_reason) ||
      legacy_line_id(o, payload, sku, &id, err))
    return -1;
  l.id = (char *)id; /* order_add_line copies; the casts only drop the payload's const */
  l.sku_id = (char *)sku;
  l.seller_sku = (char *)(seller_sku ? seller_sku : "");
  l.product_name = (char *)(product ? product : "");
  l.sku_name = (char *)(variant ? variant : "");
  l.quantity = (int32_t)quantity;
  l.cancelled = display_status == 140 || ext_status == 203 || ext_status == 204 ||
                (cancel_reason && *cancel_reason);
  return import_add_line(o, &l, err, path);
}

static int legacy_lines(order *o, const cJSON *payload, const cJSON *entries, import_error *err) {
  const cJSON *item;
  char path[32];
  size_t i = 0;
  cJSON_ArrayForEach(item, entries) {
    import_item_path(path, sizeof path, "item_list", i++);
    if (legacy_line(o, payload, item, path, err)) return -1;
  }
  return 0;
}

/* The line that an entry joins: same sku, same cancel state, same price (a unit sold at
 * another price is another line, so that no amount is lost). */
static order_line *find_unit_group(order *o, const order_line *unit) {
  for (size_t i = 0; i < o->lines.len; i++) {
    order_line *l = &o->lines.items[i];
    if (strcmp(l->sku_id, unit->sku_id) == 0 && l->cancelled == unit->cancelled &&
        l->unit_price == unit->unit_price)
      return l;
  }
  return NULL;
}

/* One line_items[] entry: one unit, added to its group or starting one. */
static int unit_line(order *o, const cJSON *item, const char *path, import_error *err) {
  order_line l;
  order_line *group;
  const char *id, *sku, *seller_sku, *product, *variant, *status, *cancel_reason;
  int has_price;
  memset(&l, 0, sizeof l);
  if (!cJSON_IsObject(item)) return import_fail(err, path, NULL, "must be an object");
  if (field_id(err, path, item, "id", 1, &id) || field_id(err, path, item, "sku_id", 1, &sku) ||
      field_text(err, path, item, "seller_sku", 0, &seller_sku) ||
      field_text(err, path, item, "product_name", 0, &product) ||
      field_text(err, path, item, "sku_name", 0, &variant) ||
      field_money(err, path, item, "sale_price", o->currency, &l.unit_price, &has_price) ||
      field_text(err, path, item, "display_status", 0, &status) ||
      field_text(err, path, item, "cancel_reason", 0, &cancel_reason))
    return -1;
  l.id = (char *)id; /* order_add_line copies; the casts only drop the payload's const */
  l.sku_id = (char *)sku;
  l.seller_sku = (char *)(seller_sku ? seller_sku : "");
  l.product_name = (char *)(product ? product : "");
  l.sku_name = (char *)(variant ? variant : "");
  l.quantity = 1;
  l.cancelled = (status && strcmp(status, "CANCELLED") == 0) || (cancel_reason && *cancel_reason);
  if ((group = find_unit_group(o, &l)) != NULL) {
    if (group->quantity >= IMPORT_MAX_QUANTITY)
      return import_fail(err, path, NULL, "is one unit too many of its sku: at most 10000");
    group->quantity++;
    return 0;
  }
  return import_add_line(o, &l, err, path);
}

static int unit_lines(order *o, const cJSON *payload, const cJSON *entries, import_error *err) {
  const cJSON *item;
  char path[32];
  size_t i = 0;
  (void)payload;
  cJSON_ArrayForEach(item, entries) {
    import_item_path(path, sizeof path, "line_items", i++);
    if (unit_line(o, item, path, err)) return -1;
  }
  return 0;
}

/* ---- buyer ---- */

/* Appends ", part" (or "part" first) to buf, staying within IMPORT_MAX_TEXT; -1 if it won't. */
static int join_region(char *buf, size_t size, const char *part) {
  size_t len = strlen(buf), add = part ? strlen(part) : 0;
  if (add == 0) return 0;
  if (len + (len ? 2 : 0) + add > IMPORT_MAX_TEXT || len + 2 + add >= size) return -1;
  if (len) {
    memcpy(buf + len, ", ", 2);
    len += 2;
  }
  memcpy(buf + len, part, add + 1);
  return 0;
}

static int legacy_region(const cJSON *address, char *buf, size_t size, import_error *err) {
  static const char *const keys[] = {"region", "state", "city"};
  const char *part;
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    if (field_text(err, "recipient_address", address, keys[i], 0, &part)) return -1;
    if (join_region(buf, size, part))
      return import_fail(err, "recipient_address", NULL,
                         "has a region, state and city longer than 1024 bytes together");
  }
  return 0;
}

/* district_info[]'s names of levels L0 (country) to L2 (city), else region_code. */
static int district_region(const cJSON *address, char *buf, size_t size, import_error *err) {
  static const char *const levels[] = {"L0", "L1", "L2"};
  const cJSON *districts, *d;
  const char *code;
  char path[48];
  if (field_array(err, "recipient_address", address, "district_info", 0, 64, &districts))
    return -1;
  for (size_t k = 0; k < sizeof levels / sizeof *levels; k++) {
    size_t i = 0;
    cJSON_ArrayForEach(d, districts) {
      const char *level, *name;
      import_item_path(path, sizeof path, "recipient_address.district_info", i++);
      if (!cJSON_IsObject(d)) return import_fail(err, path, NULL, "must be an object");
      if (field_text(err, path, d, "address_level", 0, &level) ||
          field_text(err, path, d, "address_name", 0, &name))
        return -1;
      if (level && strcmp(level, levels[k]) == 0 && join_region(buf, size, name))
        return import_fail(err, "recipient_address.district_info", NULL,
                           "has names longer than 1024 bytes together");
    }
  }
  if (field_text(err, "recipient_address", address, "region_code", 0, &code)) return -1;
  if (!*buf && code) join_region(buf, size, code); /* fits: field_text checked its length */
  return 0;
}

/* S1: stored whole; masking is the output's job. */
static int read_buyer(order *o, const cJSON *payload, const tiktok_api *api, import_error *err) {
  const cJSON *address;
  const char *name, *phone, *full, *message;
  char region[IMPORT_MAX_TEXT + 1] = "";
  if (field_object(err, "", payload, "recipient_address", 0, &address) ||
      field_text(err, "", payload, "buyer_message", 0, &message) ||
      import_set_string(err, o, &o->buyer_message, message))
    return -1;
  if (!address) return 0;
  if (field_text(err, "recipient_address", address, "name", 0, &name) ||
      field_text(err, "recipient_address", address, api->phone, 0, &phone) ||
      field_text(err, "recipient_address", address, "full_address", 0, &full) ||
      api->read_region(address, region, sizeof region, err) ||
      import_set_string(err, o, &o->buyer_name, name) ||
      import_set_string(err, o, &o->buyer_phone, phone) ||
      import_set_string(err, o, &o->address_full, full) ||
      import_set_string(err, o, &o->address_region, *region ? region : NULL))
    return -1;
  return 0;
}

/* ---- the order ---- */

static int read_times(order *o, const cJSON *payload, const tiktok_api *api, import_sla *sla,
                      import_error *err) {
  pd_ms *sla_slot[4] = {&sla->ship_by, &sla->handover_by, &sla->payment_by, &sla->delivery_by};
  pd_ms paid;
  if (field_time(err, "", payload, "create_time", 1, TIME_SECONDS_OR_MS, &o->placed_at) ||
      field_time(err, "", payload, "paid_time", 0, TIME_SECONDS_OR_MS, &paid) ||
      field_time(err, "", payload, "update_time", 0, TIME_SECONDS_OR_MS,
                 &o->marketplace_updated_at))
    return -1;
  for (size_t i = 0; i < 4; i++)
    if (api->sla[i] &&
        field_time(err, "", payload, api->sla[i], 0, TIME_SECONDS_OR_MS, sla_slot[i]))
      return -1;
  if ((api->shipped_at &&
       field_time(err, "", payload, api->shipped_at, 0, TIME_SECONDS_OR_MS, &o->shipped_at)) ||
      (api->collected_at &&
       field_time(err, "", payload, api->collected_at, 0, TIME_SECONDS_OR_MS, &o->collected_at)) ||
      (api->delivered_at &&
       field_time(err, "", payload, api->delivered_at, 0, TIME_SECONDS_OR_MS, &o->delivered_at)))
    return -1;
  o->promised_at = sla->delivery_by;
  /* An unpaid order is unpaid whatever paid_time says (the legacy example carries one); a
   * paid order without paid_time was paid by the time it was placed, as far as we know. */
  if (o->stage == STAGE_UNPAID)
    paid = 0;
  else if (paid == 0 && o->stage != STAGE_CANCELLED)
    paid = o->placed_at;
  o->paid_at = paid;
  return 0;
}

/* Currency, lines, then amounts: sub_total and total_amount as the marketplace states them
 * (after its discounts); computed from the lines only when absent. */
static int read_money_and_lines(order *o, const cJSON *payload, const tiktok_api *api,
                                import_error *err) {
  const cJSON *payment, *entries;
  int has_subtotal, has_fee, has_total;
  if (field_object(err, "", payload, api->payment, 1, &payment) ||
      field_currency(err, api->payment, payment, "currency", o->currency) ||
      field_money(err, api->payment, payment, "sub_total", o->currency, &o->subtotal,
                  &has_subtotal) ||
      field_money(err, api->payment, payment, "shipping_fee", o->currency, &o->shipping_fee,
                  &has_fee) ||
      field_money(err, api->payment, payment, "total_amount", o->currency, &o->total,
                  &has_total) ||
      field_array(err, "", payload, api->lines, 1, api->max_line_entries, &entries))
    return -1;
  if (cJSON_GetArraySize(entries) == 0) return import_fail(err, "", api->lines, "has no lines");
  if (api->read_lines(o, payload, entries, err)) return -1;
  if (!has_subtotal && import_lines_total(o, &o->subtotal))
    return import_fail(err, api->lines, NULL, "add up past the largest amount");
  if (!has_total && import_add_amounts(o->subtotal, o->shipping_fee, &o->total))
    return import_fail(err, api->payment, "shipping_fee",
                       "brings the total past the largest amount");
  return 0;
}

static int read_shipping_and_cancel(order *o, const cJSON *payload, const tiktok_api *api,
                                    import_error *err) {
  const char *carrier, *tracking, *reason = NULL, *by = NULL;
  if (field_text(err, "", payload, "shipping_provider", 0, &carrier) ||
      field_text(err, "", payload, "tracking_number", 0, &tracking) ||
      import_set_string(err, o, &o->carrier, carrier) ||
      import_set_string(err, o, &o->tracking_number, tracking))
    return -1;
  if (o->stage != STAGE_CANCELLED) return 0;
  if (field_text(err, "", payload, "cancel_reason", 0, &reason) ||
      field_text(err, "", payload, api->cancel_by, 0, &by) ||
      import_set_string(err, o, &o->cancel_reason, reason))
    return -1;
  o->cancelled_by = !by                        ? CANCEL_BY_MARKETPLACE
                    : strcmp(by, "BUYER") == 0  ? CANCEL_BY_BUYER
                    : strcmp(by, "SELLER") == 0 ? CANCEL_BY_SELLER
                    : strcmp(by, "SYSTEM") == 0 ? CANCEL_BY_SYSTEM
                                                : CANCEL_BY_MARKETPLACE;
  return 0;
}

static order *import_tiktok(const cJSON *payload, const tiktok_api *api, import_sla *sla,
                            import_error *err) {
  const char *id;
  order_stage stage;
  order *o = NULL;
  if (field_id(err, "", payload, api->id, 1, &id) ||
      import_status(err, "", payload, api->status, &stage))
    return NULL;
  if (!(o = order_new(id))) {
    import_oom(err);
    return NULL;
  }
  o->stage = stage;
  if (import_set_string(err, o, &o->source, "tiktok") || read_times(o, payload, api, sla, err) ||
      read_money_and_lines(o, payload, api, err) || read_buyer(o, payload, api, err) ||
      read_shipping_and_cancel(o, payload, api, err))
    goto fail;
  return o;

fail:
  order_free(o);
  return NULL;
}

static const tiktok_api legacy_api = {
    "order_id", "order_status", "payment_info", "phone", "cancel_user", "item_list",
    IMPORT_MAX_LINES,
    {"rts_sla", "tts_sla", "cancel_order_sla", NULL},
    NULL, NULL, NULL, /* its rts_time is set even on unpaid orders: not a shipment time */
    legacy_lines, legacy_region,
};

static const tiktok_api api_202309 = {
    "id", "status", "payment", "phone_number", "cancellation_initiator", "line_items",
    IMPORT_MAX_UNITS,
    {"rts_sla_time", "tts_sla_time", "cancel_order_sla_time", "delivery_due_time"},
    "rts_time", "collection_time", "delivery_time",
    unit_lines, district_region,
};

order *import_tiktok_legacy(const cJSON *payload, import_sla *sla, import_error *err) {
  return import_tiktok(payload, &legacy_api, sla, err);
}

order *import_tiktok_202309(const cJSON *payload, import_sla *sla, import_error *err) {
  return import_tiktok(payload, &api_202309, sla, err);
}
