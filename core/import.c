/*
 * import.c: which shape an order payload has, the marketplace status mapping, and packdesk's
 * own order form. The two TikTok Shop shapes are read in import_tiktok.c, the fields in
 * import_fields.c.
 */
#include "import.h"

#include <stdio.h>
#include <string.h>

#include "import_fields.h"

/*
 * THE mapping between packdesk's stages and TikTok Shop's order statuses (RULES.md, last
 * section), both directions, here and nowhere else. Reading: a marketplace status (legacy
 * integer code or 202309 name) gives a stage. Writing: a stage gives the 202309 name. The core's
 * stages are finer, so the round trip is not the identity: confirmed and packed are still
 * AWAITING_SHIPMENT to the marketplace, and it has no status for lost (the package is, as far
 * as it knows, still in transit).
 */
static const struct {
  int code;         /* legacy API */
  const char *name; /* 202309 API */
  order_stage stage;
} status_to_stage[] = {
    {100, "UNPAID", STAGE_UNPAID},
    {105, "ON_HOLD", STAGE_AWAITING_CONFIRMATION}, /* paid, in the buyer's short cancel window */
    {111, "AWAITING_SHIPMENT", STAGE_AWAITING_CONFIRMATION}, /* D1: not yet confirmed here */
    {112, "AWAITING_COLLECTION", STAGE_AWAITING_COLLECTION},
    {114, "PARTIALLY_SHIPPING", STAGE_AWAITING_COLLECTION},
    {121, "IN_TRANSIT", STAGE_IN_TRANSIT},
    {122, "DELIVERED", STAGE_DELIVERED},
    {130, "COMPLETED", STAGE_COMPLETED},
    {140, "CANCELLED", STAGE_CANCELLED},
};

static const char *const stage_to_status[] = {
    [STAGE_UNPAID] = "UNPAID",
    [STAGE_AWAITING_CONFIRMATION] = "AWAITING_SHIPMENT",
    [STAGE_CONFIRMED] = "AWAITING_SHIPMENT",
    [STAGE_PACKED] = "AWAITING_SHIPMENT",
    [STAGE_AWAITING_COLLECTION] = "AWAITING_COLLECTION",
    [STAGE_IN_TRANSIT] = "IN_TRANSIT",
    [STAGE_DELIVERED] = "DELIVERED",
    [STAGE_COMPLETED] = "COMPLETED",
    [STAGE_CANCELLED] = "CANCELLED",
    [STAGE_LOST] = "IN_TRANSIT",
};
_Static_assert(sizeof stage_to_status / sizeof *stage_to_status == STAGE_COUNT,
               "every stage has a marketplace status");

const char *marketplace_status_of(order_stage stage) {
  return (unsigned)stage < STAGE_COUNT ? stage_to_status[stage] : NULL;
}

int import_status(import_error *err, const char *path, const cJSON *obj, const char *key,
                  order_stage *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  int64_t code = -1;
  if (!v || cJSON_IsNull(v)) return import_fail(err, path, key, "is required");
  if (cJSON_IsNumber(v)) {
    if (field_int(err, path, obj, key, 1, 0, INT32_MAX, &code)) return -1;
  } else if (!cJSON_IsString(v) || !v->valuestring) {
    return import_fail(err, path, key, "must be an order status: a name or a number");
  }
  for (size_t i = 0; i < sizeof status_to_stage / sizeof *status_to_stage; i++) {
    if (cJSON_IsNumber(v) ? status_to_stage[i].code == code
                          : strcmp(status_to_stage[i].name, v->valuestring) == 0) {
      *out = status_to_stage[i].stage;
      return 0;
    }
  }
  return import_fail(err, path, key, "is not a known order status");
}

/* ---- packdesk's own form ---- */

static int read_classes(import_error *err, const char *path, const cJSON *line, unsigned *out) {
  static const unsigned bits[] = {CLASS_SHARP, CLASS_LIQUID, CLASS_FRAGILE};
  const cJSON *classes, *c;
  char cpath[96];
  size_t i = 0;
  *out = 0;
  if (field_array(err, path, line, "classes", 0, 16, &classes)) return -1;
  cJSON_ArrayForEach(c, classes) {
    unsigned bit = 0;
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++)
      if (cJSON_IsString(c) && strcmp(c->valuestring, class_name(bits[b])) == 0) bit = bits[b];
    if (!bit) {
      snprintf(cpath, sizeof cpath, "%s.classes[%zu]", path, i);
      return import_fail(err, cpath, NULL, "must be sharp, liquid or fragile");
    }
    *out |= bit;
    i++;
  }
  return 0;
}

static int read_packdesk_line(order *o, const cJSON *item, const char *path, import_error *err) {
  order_line l;
  const char *id, *sku, *name;
  int64_t quantity = 0, price = 0;
  memset(&l, 0, sizeof l);
  if (!cJSON_IsObject(item)) return import_fail(err, path, NULL, "must be an object");
  if (field_id(err, path, item, "sku", 1, &sku) || field_id(err, path, item, "id", 0, &id) ||
      field_text(err, path, item, "name", 0, &name) ||
      field_int(err, path, item, "quantity", 1, 1, IMPORT_MAX_QUANTITY, &quantity) ||
      field_int(err, path, item, "unit_price", 0, 0, IMPORT_MAX_AMOUNT, &price) ||
      read_classes(err, path, item, &l.classes))
    return -1;
  /* order_add_line copies the strings; the casts only drop the payload's const. */
  l.id = (char *)(id ? id : sku);
  l.sku_id = l.seller_sku = (char *)sku;
  l.product_name = (char *)(name ? name : "");
  l.sku_name = (char *)"";
  l.quantity = (int32_t)quantity;
  l.unit_price = price;
  return import_add_line(o, &l, err, path);
}

static int read_packdesk_lines(order *o, const cJSON *payload, import_error *err) {
  const cJSON *lines, *item;
  char path[32];
  size_t i = 0;
  if (field_array(err, "", payload, "lines", 1, IMPORT_MAX_LINES, &lines)) return -1;
  if (cJSON_GetArraySize(lines) == 0) return import_fail(err, "", "lines", "has no lines");
  cJSON_ArrayForEach(item, lines) {
    import_item_path(path, sizeof path, "lines", i++);
    if (read_packdesk_line(o, item, path, err)) return -1;
  }
  return 0;
}

static int read_packdesk_buyer(order *o, const cJSON *payload, import_error *err) {
  const cJSON *buyer;
  const char *name, *phone, *address, *region, *message;
  if (field_object(err, "", payload, "buyer", 0, &buyer) ||
      field_text(err, "", payload, "buyer_message", 0, &message))
    return -1;
  if (buyer && (field_text(err, "buyer", buyer, "name", 0, &name) ||
                field_text(err, "buyer", buyer, "phone", 0, &phone) ||
                field_text(err, "buyer", buyer, "address", 0, &address) ||
                field_text(err, "buyer", buyer, "region", 0, &region) ||
                import_set_string(err, o, &o->buyer_name, name) ||
                import_set_string(err, o, &o->buyer_phone, phone) ||
                import_set_string(err, o, &o->address_full, address) ||
                import_set_string(err, o, &o->address_region, region)))
    return -1;
  return import_set_string(err, o, &o->buyer_message, message);
}

/* Stage and times: paid when paid_at is given (not before placed_at), unpaid otherwise. */
static int read_packdesk_times(order *o, const cJSON *payload, import_sla *sla, import_error *err) {
  const cJSON *paid = cJSON_GetObjectItemCaseSensitive(payload, "paid_at");
  int64_t window = 0;
  if (field_time(err, "", payload, "placed_at", 1, TIME_MS, &o->placed_at) ||
      field_time(err, "", payload, "paid_at", 0, TIME_MS, &o->paid_at) ||
      field_time(err, "", payload, "promised_at", 0, TIME_MS, &sla->delivery_by) ||
      field_int(err, "", payload, "payment_window_h", 0, 1, 720, &window))
    return -1;
  if (paid && !cJSON_IsNull(paid) && o->paid_at < o->placed_at)
    return import_fail(err, "", "paid_at", "is before placed_at");
  o->stage = paid && !cJSON_IsNull(paid) ? STAGE_AWAITING_CONFIRMATION : STAGE_UNPAID;
  o->promised_at = sla->delivery_by;
  sla->payment_window_h = (int)window;
  return 0;
}

static int read_packdesk_money(order *o, const cJSON *payload, import_error *err) {
  if (field_currency(err, "", payload, "currency", o->currency) ||
      field_int(err, "", payload, "shipping_fee", 0, 0, IMPORT_MAX_AMOUNT, &o->shipping_fee))
    return -1;
  if (import_lines_total(o, &o->subtotal))
    return import_fail(err, "", "lines", "add up past the largest amount");
  if (import_add_amounts(o->subtotal, o->shipping_fee, &o->total))
    return import_fail(err, "", "shipping_fee", "brings the total past the largest amount");
  return 0;
}

static order *import_packdesk(const cJSON *payload, import_sla *sla, import_error *err) {
  const char *id, *carrier;
  order *o = NULL;
  if (field_id(err, "", payload, "id", 1, &id)) return NULL;
  if (!(o = order_new(id))) {
    import_oom(err);
    return NULL;
  }
  if (import_set_string(err, o, &o->source, "packdesk") || read_packdesk_times(o, payload, sla, err) ||
      read_packdesk_lines(o, payload, err) || read_packdesk_money(o, payload, err) ||
      read_packdesk_buyer(o, payload, err) ||
      field_text(err, "", payload, "carrier", 0, &carrier) ||
      import_set_string(err, o, &o->carrier, carrier))
    goto fail;
  return o;

fail:
  order_free(o);
  return NULL;
}

/* ---- the entry point ---- */

static int has(const cJSON *obj, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}

order *import_order(const cJSON *payload, import_sla *sla, import_error *err) {
  import_sla sla_ignored;
  import_error err_ignored;
  order *o = NULL;
  if (!sla) sla = &sla_ignored;
  if (!err) err = &err_ignored;
  memset(sla, 0, sizeof *sla);
  memset(err, 0, sizeof *err);
  if (!cJSON_IsObject(payload)) {
    import_fail(err, "order", NULL, "must be an object");
  } else if (has(payload, "order_id") &&
             (has(payload, "item_list") ||
              cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(payload, "order_status")))) {
    o = import_tiktok_legacy(payload, sla, err);
  } else if (has(payload, "id") && has(payload, "line_items")) {
    o = import_tiktok_202309(payload, sla, err);
  } else if (has(payload, "id") && has(payload, "lines")) {
    o = import_packdesk(payload, sla, err);
  } else if (has(payload, "id") &&
             cJSON_IsString(cJSON_GetObjectItemCaseSensitive(payload, "status"))) {
    o = import_tiktok_202309(payload, sla, err);
  } else {
    import_fail(err, "order", NULL,
                "has no known shape: TikTok legacy (order_id, item_list), TikTok 202309 "
                "(id, line_items) or packdesk (id, lines)");
  }
  if (!o) memset(sla, 0, sizeof *sla);
  return o;
}
