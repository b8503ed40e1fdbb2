/*
 * test_import.c: money, the status mapping, and import_order() on the three accepted shapes:
 * the legacy fixture as the marketplace documents it, a hand-made 202309 order, packdesk's own
 * form; then a table of malformed variants (one or two patches to a good order, and the field
 * the error must name), each also checked for S1 (no buyer value in the message); then every
 * allocation failure. Leaks show up under ASan's leak checker at exit.
 * Run from the repository root: the fixtures are read from ../shared/fixtures.
 */
#include "alloc.h"
#include "import.h"
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "../shared/fixtures/tiktok-legacy/order/"

/* ---- helpers ---- */

static cJSON *parse_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  long n;
  cJSON *json = NULL;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (text = malloc((size_t)n + 1)) != NULL && fread(text, 1, (size_t)n, f) == (size_t)n) {
    text[n] = '\0';
    json = cJSON_Parse(text);
  }
  free(text);
  fclose(f);
  return json;
}

/* response.body.data.order_list of the fixture's first case. */
static const cJSON *fixture_orders(const cJSON *fixture) {
  const cJSON *c = cJSON_GetArrayItem(fixture, 0);
  const char *keys[] = {"response", "body", "data", "order_list"};
  for (size_t i = 0; c && i < sizeof keys / sizeof *keys; i++)
    c = cJSON_GetObjectItemCaseSensitive(c, keys[i]);
  return c;
}

static int64_t money(const char *json, const char *currency) {
  cJSON *v = cJSON_Parse(json);
  int64_t out = -7;
  if (!v || money_from_json(v, currency, &out)) out = -1;
  cJSON_Delete(v);
  return out;
}

static int64_t money_double(double d, const char *currency) {
  cJSON *v = cJSON_CreateNumber(0); /* not CreateNumber(d): it casts d to int, UB for NaN */
  int64_t out = -7;
  if (v) v->valuedouble = d;
  if (!v || money_from_json(v, currency, &out)) out = -1;
  cJSON_Delete(v);
  return out;
}

/* Buyer values of the three base orders: no error message may carry them (S1). */
static const char *const buyer_values[] = {"zay", "12345678980", "Bangka", "abcde",
                                           "Nguyen", "901234567", "Le Loi", "Tran B",
                                           "0901111222", "Hai Ba Trung", "call first"};

static int message_has_buyer_value(const char *message) {
  for (size_t i = 0; i < sizeof buyer_values / sizeof *buyer_values; i++)
    if (strstr(message, buyer_values[i])) return 1;
  return 0;
}

/* ---- money ---- */

static void test_money(void) {
  UNIT_TEST("money_from_json");
  UNIT_CHECK_INT(currency_exponent("IDR"), 0);
  UNIT_CHECK_INT(currency_exponent("VND"), 0);
  UNIT_CHECK_INT(currency_exponent("JPY"), 0);
  UNIT_CHECK_INT(currency_exponent("KRW"), 0);
  UNIT_CHECK_INT(currency_exponent("CLP"), 0);
  UNIT_CHECK_INT(currency_exponent("USD"), 2);
  UNIT_CHECK_INT(currency_exponent("TWD"), 2);
  UNIT_CHECK_INT(currency_exponent("KWD"), 3);
  UNIT_CHECK_INT(currency_exponent("usd"), -1);
  UNIT_CHECK_INT(currency_exponent("XXX"), -1);
  UNIT_CHECK_INT(currency_exponent("USDX"), -1);
  UNIT_CHECK_INT(currency_exponent(""), -1);
  UNIT_CHECK_INT(currency_exponent(NULL), -1);

  /* decimal strings, digit by digit */
  UNIT_CHECK_INT(money("\"12.34\"", "USD"), 1234);
  UNIT_CHECK_INT(money("\"12.3\"", "USD"), 1230);
  UNIT_CHECK_INT(money("\"12\"", "USD"), 1200);
  UNIT_CHECK_INT(money("\"12.340000\"", "USD"), 1234);
  UNIT_CHECK_INT(money("\"0\"", "USD"), 0);
  UNIT_CHECK_INT(money("\"0.01\"", "USD"), 1);
  UNIT_CHECK_INT(money("\"007\"", "IDR"), 7);
  UNIT_CHECK_INT(money("\"5000\"", "IDR"), 5000);
  UNIT_CHECK_INT(money("\"5000.00\"", "IDR"), 5000);
  UNIT_CHECK_INT(money("\"150000\"", "VND"), 150000);
  UNIT_CHECK_INT(money("\"1.234\"", "KWD"), 1234);
  UNIT_CHECK_INT(money("\"9223372036854775807\"", "IDR"), INT64_MAX);
  UNIT_CHECK_INT(money("\"92233720368547758.07\"", "USD"), INT64_MAX);
  UNIT_CHECK_INT(money("\"12.345\"", "USD"), -1);
  UNIT_CHECK_INT(money("\"1.234\"", "USD"), -1);
  UNIT_CHECK_INT(money("\"5000.5\"", "IDR"), -1);
  UNIT_CHECK_INT(money("\"9223372036854775808\"", "IDR"), -1);
  UNIT_CHECK_INT(money("\"99999999999999999999\"", "IDR"), -1);
  UNIT_CHECK_INT(money("\"92233720368547758.08\"", "USD"), -1);
  UNIT_CHECK_INT(money("\"92233720368547758\"", "USD"), 9223372036854775800);
  UNIT_CHECK_INT(money("\"92233720368547759\"", "USD"), -1); /* overflows once in cents */
  const char *garbage[] = {"\"\"",   "\"-1\"",  "\"-0\"", "\"+1\"",  "\"1e3\"", "\" 1\"",
                           "\"1 \"", "\"1.\"",  "\".5\"", "\"1.2.3\"", "\"abc\"", "\"1,5\"",
                           "\"0x10\"", "true",  "null",  "[]",     "{}"};
  for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
    int64_t r = money(garbage[i], "USD");
    if (r != -1) fprintf(stderr, "  accepted %s\n", garbage[i]);
    UNIT_CHECK_INT(r, -1);
  }
  UNIT_CHECK_INT(money("\"1\"", "XXX"), -1);
  UNIT_CHECK_INT(money("\"1\"", NULL), -1);

  /* JSON numbers: the double must be the nearest to an amount with the currency's decimals */
  UNIT_CHECK_INT(money("12.34", "USD"), 1234);
  UNIT_CHECK_INT(money("0.07", "USD"), 7);
  UNIT_CHECK_INT(money("19.99", "USD"), 1999);
  UNIT_CHECK_INT(money("5000", "IDR"), 5000);
  UNIT_CHECK_INT(money("175685", "IDR"), 175685);
  UNIT_CHECK_INT(money("5000.00", "IDR"), 5000);
  UNIT_CHECK_INT(money("12.5", "IDR"), -1);
  UNIT_CHECK_INT(money("12.345", "USD"), -1);
  UNIT_CHECK_INT(money("1.005", "USD"), -1);
  UNIT_CHECK_INT(money("-1", "USD"), -1);
  UNIT_CHECK_INT(money("-0", "USD"), -1);
  UNIT_CHECK_INT(money_double(0.1 + 0.2, "USD"), -1); /* 0.30000000000000004 */
  UNIT_CHECK_INT(money_double(9007199254740992.0, "IDR"), 9007199254740992);
  UNIT_CHECK_INT(money_double(9007199254740994.0, "IDR"), -1);
  UNIT_CHECK_INT(money_double(45035996273704.95, "USD"), -1); /* cents beyond 2^52 */
  UNIT_CHECK_INT(money_double(HUGE_VAL, "IDR"), -1);
  UNIT_CHECK_INT(money_double(-HUGE_VAL, "IDR"), -1);
  UNIT_CHECK_INT(money_double(nan(""), "IDR"), -1);
  UNIT_CHECK_INT(money("1e400", "IDR"), -1);
}

/* ---- the status mapping ---- */

static void test_status_mapping(void) {
  UNIT_TEST("marketplace_status_of");
  for (int s = 0; s < STAGE_COUNT; s++) UNIT_CHECK(marketplace_status_of((order_stage)s) != NULL);
  UNIT_CHECK_STR(marketplace_status_of(STAGE_UNPAID), "UNPAID");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_AWAITING_CONFIRMATION), "AWAITING_SHIPMENT");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_CONFIRMED), "AWAITING_SHIPMENT");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_PACKED), "AWAITING_SHIPMENT");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_AWAITING_COLLECTION), "AWAITING_COLLECTION");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_IN_TRANSIT), "IN_TRANSIT");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_DELIVERED), "DELIVERED");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_COMPLETED), "COMPLETED");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_CANCELLED), "CANCELLED");
  UNIT_CHECK_STR(marketplace_status_of(STAGE_LOST), "IN_TRANSIT");
  UNIT_CHECK(marketplace_status_of(STAGE_COUNT) == NULL);

  /* Reading: each legacy code and 202309 name gives its stage. */
  static const struct {
    const char *status; /* JSON */
    order_stage stage;
  } reads[] = {
      {"100", STAGE_UNPAID},
      {"105", STAGE_AWAITING_CONFIRMATION},
      {"111", STAGE_AWAITING_CONFIRMATION},
      {"112", STAGE_AWAITING_COLLECTION},
      {"114", STAGE_AWAITING_COLLECTION},
      {"121", STAGE_IN_TRANSIT},
      {"122", STAGE_DELIVERED},
      {"130", STAGE_COMPLETED},
      {"140", STAGE_CANCELLED},
      {"\"UNPAID\"", STAGE_UNPAID},
      {"\"ON_HOLD\"", STAGE_AWAITING_CONFIRMATION},
      {"\"AWAITING_SHIPMENT\"", STAGE_AWAITING_CONFIRMATION},
      {"\"PARTIALLY_SHIPPING\"", STAGE_AWAITING_COLLECTION},
      {"\"AWAITING_COLLECTION\"", STAGE_AWAITING_COLLECTION},
      {"\"IN_TRANSIT\"", STAGE_IN_TRANSIT},
      {"\"DELIVERED\"", STAGE_DELIVERED},
      {"\"COMPLETED\"", STAGE_COMPLETED},
      {"\"CANCELLED\"", STAGE_CANCELLED},
  };
  for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
    char text[400];
    import_error err;
    snprintf(text, sizeof text,
             "{\"id\":\"o1\",\"status\":%s,\"create_time\":1700000000,"
             "\"payment\":{\"currency\":\"USD\"},"
             "\"line_items\":[{\"id\":\"l1\",\"sku_id\":\"s1\",\"sale_price\":\"1.50\"}]}",
             reads[i].status);
    cJSON *p = cJSON_Parse(text);
    order *o = import_order(p, NULL, &err);
    UNIT_CHECK(o != NULL);
    if (o) {
      UNIT_CHECK_INT(o->stage, reads[i].stage);
      /* paid_time absent: a paid order counts as paid when placed; an unpaid one is not */
      UNIT_CHECK_INT(o->paid_at, reads[i].stage == STAGE_UNPAID || reads[i].stage == STAGE_CANCELLED
                                     ? 0
                                     : 1700000000000);
      UNIT_CHECK_INT(o->subtotal, 150);
      UNIT_CHECK_INT(o->total, 150);
    }
    order_free(o);
    cJSON_Delete(p);
  }
}

/* ---- the legacy fixture ---- */

static void test_legacy_fixture(void) {
  UNIT_TEST("import legacy order_detail.json");
  cJSON *fixture = parse_file(FIXTURES "order_detail.json");
  const cJSON *payload = cJSON_GetArrayItem(fixture_orders(fixture), 0);
  import_sla sla;
  import_error err;
  UNIT_CHECK(payload != NULL);
  order *o = import_order(payload, &sla, &err);
  UNIT_CHECK(o != NULL);
  if (!o) {
    fprintf(stderr, "  %s: %s\n", err.field, err.message);
    cJSON_Delete(fixture);
    return;
  }
  UNIT_CHECK_STR(o->id, "576461413038785752");
  UNIT_CHECK_STR(o->source, "tiktok");
  UNIT_CHECK_INT(o->stage, STAGE_UNPAID);
  UNIT_CHECK_STR(marketplace_status_of(o->stage), "UNPAID");
  UNIT_CHECK_INT(o->placed_at, 1619611561674);         /* a string of ms */
  UNIT_CHECK_INT(o->paid_at, 0);                       /* unpaid, whatever paid_time says */
  UNIT_CHECK_INT(o->marketplace_updated_at, 1619621355000); /* seconds */
  UNIT_CHECK_INT(sla.ship_by, 1619611688000);
  UNIT_CHECK_INT(sla.handover_by, 1619611761000);
  UNIT_CHECK_INT(sla.payment_by, 1619621355000);
  UNIT_CHECK_INT(sla.delivery_by, 0);
  UNIT_CHECK_INT(sla.payment_window_h, 0);
  UNIT_CHECK_STR(o->currency, "IDR");
  UNIT_CHECK_INT(o->subtotal, 5000); /* as the marketplace states it, not the lines' sum */
  UNIT_CHECK_INT(o->shipping_fee, 170685);
  UNIT_CHECK_INT(o->total, 175685);
  UNIT_CHECK_INT(o->lines.len, 3);
  if (o->lines.len == 3) {
    const order_line *l = o->lines.items;
    UNIT_CHECK_STR(l[0].id, "576465323303339224");
    UNIT_CHECK_STR(l[0].sku_id, "1729389661993665752");
    UNIT_CHECK_STR(l[0].seller_sku, "");
    UNIT_CHECK_STR(l[0].product_name, "iphone max 11111");
    UNIT_CHECK_STR(l[0].sku_name, "-");
    UNIT_CHECK_INT(l[0].unit_price, 20000);
    UNIT_CHECK_INT(l[0].quantity, 1);
    UNIT_CHECK_INT(l[0].cancelled, 0);
    UNIT_CHECK_STR(l[1].id, "576465323303404760");
    UNIT_CHECK_STR(l[1].seller_sku, "test_seller_sku");
    UNIT_CHECK_INT(l[1].unit_price, 501);
    UNIT_CHECK_INT(l[1].cancelled, 0);
    UNIT_CHECK_STR(l[2].id, "576465323303470296");
    UNIT_CHECK_STR(l[2].product_name, "test product");
    UNIT_CHECK_INT(l[2].cancelled, 1);
  }
  /* S1: stored whole here; masking is the output's job */
  UNIT_CHECK_STR(o->buyer_name, "zay");
  UNIT_CHECK_STR(o->buyer_phone, "(+86)12345678980");
  UNIT_CHECK_STR(o->address_full, "Indonesia, Bangka Belitung Province, Central Bangka Regency, "
                                  "Koba, Arung Dalam, babba");
  UNIT_CHECK_STR(o->address_region, "Indonesia, Bangka Belitung Province, Central Bangka Regency");
  UNIT_CHECK_STR(o->buyer_message, "abcde");
  UNIT_CHECK_STR(o->carrier, "TT Virtual express");
  UNIT_CHECK_STR(o->tracking_number, "Jx12345");
  UNIT_CHECK_INT(o->cancelled_by, CANCEL_BY_NONE);
  UNIT_CHECK(o->cancel_reason == NULL);
  UNIT_CHECK_INT(o->shipped_at, 0); /* the legacy rts_time is not a shipment */
  order_free(o);
  cJSON_Delete(fixture);
}

/* order_list.json's items are summaries (order_id, order_status, update_time): not orders. */
static void test_legacy_order_list(void) {
  UNIT_TEST("import legacy order_list.json");
  cJSON *fixture = parse_file(FIXTURES "order_list.json");
  const cJSON *item;
  int n = 0;
  cJSON_ArrayForEach(item, fixture_orders(fixture)) {
    import_error err;
    import_sla sla;
    order *o = import_order(item, &sla, &err);
    UNIT_CHECK(o == NULL);
    UNIT_CHECK_STR(err.field, "create_time");
    UNIT_CHECK_STR(err.message, "is required");
    UNIT_CHECK_INT(err.out_of_memory, 0);
    UNIT_CHECK_INT(sla.ship_by, 0);
    order_free(o);
    n++;
  }
  UNIT_CHECK_INT(n, 2);
  cJSON_Delete(fixture);
}

/* ---- 202309 and packdesk bases ---- */

static const char base_202309[] =
    "{\"id\":\"579000000000000001\",\"status\":\"AWAITING_SHIPMENT\",\"create_time\":1700000000,"
    "\"paid_time\":1700000100,\"update_time\":\"1700000200\",\"rts_sla_time\":1700259200,"
    "\"tts_sla_time\":1700345600,\"cancel_order_sla_time\":0,\"delivery_due_time\":1700900000,"
    "\"payment\":{\"currency\":\"VND\",\"sub_total\":\"150000\",\"shipping_fee\":\"20000\","
    "\"total_amount\":\"170000\"},"
    "\"recipient_address\":{\"name\":\"Nguyen Van A\",\"phone_number\":\"(+84)901234567\","
    "\"full_address\":\"12 Le Loi, Quan 1, Ho Chi Minh\",\"region_code\":\"VN\","
    "\"district_info\":[{\"address_level\":\"L1\",\"address_name\":\"Ho Chi Minh\"},"
    "{\"address_level\":\"L0\",\"address_name\":\"Viet Nam\"},"
    "{\"address_level\":\"L3\",\"address_name\":\"Ben Nghe\"},"
    "{\"address_level\":\"L2\",\"address_name\":\"Quan 1\"}]},"
    "\"shipping_provider\":\"GHN\",\"tracking_number\":\"GHN123\",\"buyer_message\":null,"
    "\"line_items\":["
    "{\"id\":\"li-1\",\"sku_id\":\"sku-A\",\"seller_sku\":\"A-1\",\"product_name\":\"Mug\","
    "\"sku_name\":\"blue\",\"sale_price\":\"50000\",\"display_status\":\"AWAITING_SHIPMENT\"},"
    "{\"id\":\"li-2\",\"sku_id\":\"sku-B\",\"seller_sku\":\"B-1\",\"product_name\":\"Plate\","
    "\"sale_price\":\"50000\",\"cancel_reason\":\"\"},"
    "{\"id\":\"li-3\",\"sku_id\":\"sku-A\",\"seller_sku\":\"A-1\",\"product_name\":\"Mug\","
    "\"sku_name\":\"blue\",\"sale_price\":\"50000\"}]}";

static const char base_packdesk[] =
    "{\"id\":\"PD-1\",\"placed_at\":1764230400000,\"paid_at\":1764230460000,"
    "\"currency\":\"VND\",\"shipping_fee\":15000,"
    "\"lines\":[{\"sku\":\"KNIFE-1\",\"name\":\"Chef knife\",\"quantity\":2,"
    "\"unit_price\":250000,\"classes\":[\"sharp\",\"fragile\"]},"
    "{\"id\":\"L2\",\"sku\":\"OIL-1\",\"quantity\":1,\"unit_price\":90000,"
    "\"classes\":[\"liquid\"]}],"
    "\"buyer\":{\"name\":\"Tran B\",\"phone\":\"0901111222\",\"address\":\"1 Hai Ba Trung\","
    "\"region\":\"Ha Noi\"},\"carrier\":\"GHTK\",\"promised_at\":1764835200000,"
    "\"payment_window_h\":48,\"buyer_message\":\"call first\"}";

static void test_202309(void) {
  UNIT_TEST("import 202309");
  cJSON *p = cJSON_Parse(base_202309);
  import_sla sla;
  import_error err;
  order *o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL);
  if (o) {
    UNIT_CHECK_STR(o->id, "579000000000000001");
    UNIT_CHECK_STR(o->source, "tiktok");
    UNIT_CHECK_INT(o->stage, STAGE_AWAITING_CONFIRMATION);
    UNIT_CHECK_INT(o->placed_at, 1700000000000);
    UNIT_CHECK_INT(o->paid_at, 1700000100000);
    UNIT_CHECK_INT(o->marketplace_updated_at, 1700000200000);
    UNIT_CHECK_INT(sla.ship_by, 1700259200000);
    UNIT_CHECK_INT(sla.handover_by, 1700345600000);
    UNIT_CHECK_INT(sla.payment_by, 0);
    UNIT_CHECK_INT(sla.delivery_by, 1700900000000);
    UNIT_CHECK_INT(o->promised_at, 1700900000000);
    UNIT_CHECK_STR(o->currency, "VND");
    UNIT_CHECK_INT(o->subtotal, 150000);
    UNIT_CHECK_INT(o->shipping_fee, 20000);
    UNIT_CHECK_INT(o->total, 170000);
    UNIT_CHECK_INT(o->lines.len, 2); /* one entry per unit: two of sku-A make one line */
    if (o->lines.len == 2) {
      UNIT_CHECK_STR(o->lines.items[0].id, "li-1");
      UNIT_CHECK_STR(o->lines.items[0].sku_id, "sku-A");
      UNIT_CHECK_STR(o->lines.items[0].seller_sku, "A-1");
      UNIT_CHECK_INT(o->lines.items[0].quantity, 2);
      UNIT_CHECK_INT(o->lines.items[0].unit_price, 50000);
      UNIT_CHECK_STR(o->lines.items[1].id, "li-2");
      UNIT_CHECK_INT(o->lines.items[1].quantity, 1);
      UNIT_CHECK_STR(o->lines.items[1].sku_name, "");
      UNIT_CHECK_INT(o->lines.items[1].cancelled, 0); /* an empty cancel_reason is none */
    }
    UNIT_CHECK_STR(o->buyer_name, "Nguyen Van A");
    UNIT_CHECK_STR(o->buyer_phone, "(+84)901234567");
    UNIT_CHECK_STR(o->address_region, "Viet Nam, Ho Chi Minh, Quan 1");
    UNIT_CHECK(o->buyer_message == NULL);
    UNIT_CHECK_STR(o->carrier, "GHN");
    UNIT_CHECK_STR(o->tracking_number, "GHN123");
  }
  order_free(o);
  cJSON_Delete(p);
}

/* Applies one patch to a parsed order: path like "a.b[2].c"; value is JSON text, or NULL to
 * remove. 0 on success. */
static int patch(cJSON *root, const char *path, const char *value) {
  char names[8][64];
  int index[8];
  int n = 0;
  for (const char *s = path; *s && n < 8;) {
    if (*s == '.') {
      s++;
    } else if (*s == '[') {
      index[n] = (int)strtol(s + 1, (char **)&s, 10);
      names[n++][0] = '\0';
      s++; /* ']' */
    } else {
      size_t len = strcspn(s, ".[");
      if (len >= sizeof names[0]) return -1;
      memcpy(names[n], s, len);
      names[n][len] = '\0';
      index[n++] = -1;
      s += len;
    }
  }
  cJSON *cur = root;
  for (int i = 0; cur && i < n - 1; i++)
    cur = index[i] < 0 ? cJSON_GetObjectItemCaseSensitive(cur, names[i])
                       : cJSON_GetArrayItem(cur, index[i]);
  if (!cur || n == 0) return -1;
  const char *last = names[n - 1];
  if (!value) {
    if (index[n - 1] < 0)
      cJSON_DeleteItemFromObjectCaseSensitive(cur, last);
    else
      cJSON_DeleteItemFromArray(cur, index[n - 1]);
    return 0;
  }
  cJSON *v = cJSON_Parse(value);
  if (!v) return -1;
  if (index[n - 1] >= 0) return cJSON_ReplaceItemInArray(cur, index[n - 1], v) ? 0 : -1;
  if (cJSON_GetObjectItemCaseSensitive(cur, last))
    return cJSON_ReplaceItemInObjectCaseSensitive(cur, last, v) ? 0 : -1;
  return cJSON_AddItemToObject(cur, last, v) ? 0 : -1;
}

static void test_packdesk_form(void) {
  UNIT_TEST("import packdesk form");
  cJSON *p = cJSON_Parse(base_packdesk);
  import_sla sla;
  import_error err;
  order *o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL);
  if (o) {
    UNIT_CHECK_STR(o->id, "PD-1");
    UNIT_CHECK_STR(o->source, "packdesk");
    UNIT_CHECK_INT(o->stage, STAGE_AWAITING_CONFIRMATION);
    UNIT_CHECK_INT(o->placed_at, 1764230400000);
    UNIT_CHECK_INT(o->paid_at, 1764230460000);
    UNIT_CHECK_INT(o->subtotal, 590000);
    UNIT_CHECK_INT(o->shipping_fee, 15000);
    UNIT_CHECK_INT(o->total, 605000);
    UNIT_CHECK_INT(sla.delivery_by, 1764835200000);
    UNIT_CHECK_INT(o->promised_at, 1764835200000);
    UNIT_CHECK_INT(sla.payment_window_h, 48);
    UNIT_CHECK_INT(o->lines.len, 2);
    if (o->lines.len == 2) {
      UNIT_CHECK_STR(o->lines.items[0].id, "KNIFE-1");
      UNIT_CHECK_STR(o->lines.items[0].sku_id, "KNIFE-1");
      UNIT_CHECK_STR(o->lines.items[0].seller_sku, "KNIFE-1");
      UNIT_CHECK_STR(o->lines.items[0].product_name, "Chef knife");
      UNIT_CHECK_INT(o->lines.items[0].classes, CLASS_SHARP | CLASS_FRAGILE);
      UNIT_CHECK_INT(o->lines.items[0].quantity, 2);
      UNIT_CHECK_STR(o->lines.items[1].id, "L2");
      UNIT_CHECK_INT(o->lines.items[1].classes, CLASS_LIQUID);
    }
    UNIT_CHECK_STR(o->buyer_name, "Tran B");
    UNIT_CHECK_STR(o->address_full, "1 Hai Ba Trung");
    UNIT_CHECK_STR(o->address_region, "Ha Noi");
    UNIT_CHECK_STR(o->carrier, "GHTK");
    UNIT_CHECK_STR(o->buyer_message, "call first");
  }
  order_free(o);

  /* paid_at null or absent: unpaid */
  UNIT_CHECK(patch(p, "paid_at", "null") == 0);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o && o->stage == STAGE_UNPAID && o->paid_at == 0);
  order_free(o);
  UNIT_CHECK(patch(p, "paid_at", NULL) == 0);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o && o->stage == STAGE_UNPAID);
  order_free(o);
  cJSON_Delete(p);
}

/* Variants that still import, checked for what they change. */
static void test_variants(void) {
  UNIT_TEST("import variants");
  import_sla sla;
  import_error err;
  order *o;

  /* USD decimal strings; a cancelled 202309 order; a cancelled unit apart from its sku */
  cJSON *p = cJSON_Parse(base_202309);
  UNIT_CHECK(patch(p, "payment.currency", "\"USD\"") == 0);
  UNIT_CHECK(patch(p, "payment.sub_total", "\"12.34\"") == 0);
  UNIT_CHECK(patch(p, "payment.total_amount", NULL) == 0);
  UNIT_CHECK(patch(p, "payment.shipping_fee", "\"0.66\"") == 0);
  UNIT_CHECK(patch(p, "status", "\"CANCELLED\"") == 0);
  UNIT_CHECK(patch(p, "cancel_reason", "\"Out of stock\"") == 0);
  UNIT_CHECK(patch(p, "cancellation_initiator", "\"SELLER\"") == 0);
  UNIT_CHECK(patch(p, "line_items[2].display_status", "\"CANCELLED\"") == 0);
  UNIT_CHECK(patch(p, "recipient_address.district_info", NULL) == 0);
  UNIT_CHECK(patch(p, "paid_time", NULL) == 0);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL);
  if (o) {
    UNIT_CHECK_INT(o->subtotal, 1234);
    UNIT_CHECK_INT(o->shipping_fee, 66);
    UNIT_CHECK_INT(o->total, 1300); /* computed when absent */
    UNIT_CHECK_INT(o->stage, STAGE_CANCELLED);
    UNIT_CHECK_INT(o->paid_at, 0);
    UNIT_CHECK_INT(o->cancelled_by, CANCEL_BY_SELLER);
    UNIT_CHECK_STR(o->cancel_reason, "Out of stock");
    UNIT_CHECK_INT(o->lines.len, 3);
    if (o->lines.len == 3) {
      UNIT_CHECK_INT(o->lines.items[0].quantity, 1);
      UNIT_CHECK_STR(o->lines.items[2].id, "li-3");
      UNIT_CHECK_INT(o->lines.items[2].cancelled, 1);
      UNIT_CHECK_INT(o->lines.items[2].unit_price, 5000000);
    }
    UNIT_CHECK_STR(o->address_region, "VN"); /* region_code when no district_info */
  }
  order_free(o);
  cJSON_Delete(p);

  /* 202309 without amounts but the currency: computed from the lines not cancelled */
  p = cJSON_Parse(base_202309);
  UNIT_CHECK(patch(p, "payment", "{\"currency\":\"VND\"}") == 0);
  UNIT_CHECK(patch(p, "line_items[1].cancel_reason", "\"Buyer changed mind\"") == 0);
  UNIT_CHECK(patch(p, "status", "130") == 0); /* an integer status in the 202309 shape */
  UNIT_CHECK(patch(p, "cancellation_initiator", "\"BUYER\"") == 0);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL);
  if (o) {
    UNIT_CHECK_INT(o->stage, STAGE_COMPLETED);
    UNIT_CHECK_INT(o->cancelled_by, CANCEL_BY_NONE); /* read only for cancelled orders */
    UNIT_CHECK_INT(o->subtotal, 100000);
    UNIT_CHECK_INT(o->total, 100000);
  }
  order_free(o);
  cJSON_Delete(p);

  /* legacy: a cancelled order, cancel_user unknown -> the marketplace; ms create_time number */
  cJSON *fixture = parse_file(FIXTURES "order_detail.json");
  p = cJSON_Duplicate(cJSON_GetArrayItem(fixture_orders(fixture), 0), 1);
  UNIT_CHECK(patch(p, "order_status", "140") == 0);
  UNIT_CHECK(patch(p, "cancel_user", "\"OPERATOR\"") == 0);
  UNIT_CHECK(patch(p, "create_time", "1619611561674") == 0);
  UNIT_CHECK(patch(p, "order_line_list", NULL) == 0);
  UNIT_CHECK(patch(p, "recipient_address.state", NULL) == 0);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL);
  if (o) {
    UNIT_CHECK_INT(o->stage, STAGE_CANCELLED);
    UNIT_CHECK_INT(o->cancelled_by, CANCEL_BY_MARKETPLACE);
    UNIT_CHECK_INT(o->placed_at, 1619611561674);
    UNIT_CHECK_STR(o->lines.items[0].id, "1729389661993665752"); /* no order_line_list: sku */
    UNIT_CHECK_STR(o->address_region, "Indonesia, Central Bangka Regency");
  }
  order_free(o);
  /* legacy: paid (AWAITING_SHIPMENT) keeps paid_time */
  UNIT_CHECK(patch(p, "order_status", "111") == 0);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o && o->stage == STAGE_AWAITING_CONFIRMATION && o->paid_at == 1619611563000);
  order_free(o);
  cJSON_Delete(p);
  cJSON_Delete(fixture);
}

/* ---- malformed variants ---- */

typedef enum { BASE_LEGACY, BASE_202309, BASE_PACKDESK } base_kind;

#define LONG_VALUE "@LONG" /* replaced by a 2000-character string starting with a buyer value */

static const struct {
  base_kind base;
  const char *path, *value;   /* first patch (value NULL: remove) */
  const char *path2, *value2; /* optional second patch */
  const char *field;          /* the field the error must name */
} bad[] = {
    /* legacy: the fixture order */
    {BASE_LEGACY, "order_id", "123", NULL, NULL, "order_id"},
    {BASE_LEGACY, "order_id", "\"\"", NULL, NULL, "order_id"},
    {BASE_LEGACY, "order_id", "\"57 64\"", NULL, NULL, "order_id"},
    {BASE_LEGACY, "order_id", LONG_VALUE, NULL, NULL, "order_id"},
    {BASE_LEGACY, "order_status", "999", NULL, NULL, "order_status"},
    {BASE_LEGACY, "order_status", "100.5", NULL, NULL, "order_status"},
    {BASE_LEGACY, "order_status", "\"SHIPPED\"", NULL, NULL, "order_status"},
    {BASE_LEGACY, "create_time", NULL, NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "\"-5\"", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "-5", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "1.5", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "\"16196115616.74\"", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "\"\"", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "\"99999999999999999999\"", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "253402300800000", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "true", NULL, NULL, "create_time"},
    {BASE_LEGACY, "create_time", "0", NULL, NULL, "create_time"},
    {BASE_LEGACY, "paid_time", "\"x\"", NULL, NULL, "paid_time"},
    {BASE_LEGACY, "update_time", "1e300", NULL, NULL, "update_time"},
    {BASE_LEGACY, "rts_sla", "-1", NULL, NULL, "rts_sla"},
    {BASE_LEGACY, "tts_sla", "{}", NULL, NULL, "tts_sla"},
    {BASE_LEGACY, "cancel_order_sla", "[]", NULL, NULL, "cancel_order_sla"},
    {BASE_LEGACY, "payment_info", NULL, NULL, NULL, "payment_info"},
    {BASE_LEGACY, "payment_info", "\"x\"", NULL, NULL, "payment_info"},
    {BASE_LEGACY, "payment_info.currency", NULL, NULL, NULL, "payment_info.currency"},
    {BASE_LEGACY, "payment_info.currency", "\"idr\"", NULL, NULL, "payment_info.currency"},
    {BASE_LEGACY, "payment_info.currency", "\"XYZ\"", NULL, NULL, "payment_info.currency"},
    {BASE_LEGACY, "payment_info.currency", "5", NULL, NULL, "payment_info.currency"},
    {BASE_LEGACY, "payment_info.total_amount", "12.5", NULL, NULL, "payment_info.total_amount"},
    {BASE_LEGACY, "payment_info.total_amount", "-1", NULL, NULL, "payment_info.total_amount"},
    {BASE_LEGACY, "payment_info.sub_total", "\"99999999999999999999\"", NULL, NULL,
     "payment_info.sub_total"},
    {BASE_LEGACY, "payment_info.shipping_fee", "\"abc\"", NULL, NULL,
     "payment_info.shipping_fee"},
    {BASE_LEGACY, "item_list", "[]", NULL, NULL, "item_list"},
    {BASE_LEGACY, "item_list", "{}", NULL, NULL, "item_list"},
    {BASE_LEGACY, "item_list", NULL, "order_status", "\"UNPAID\"", "order"},
    {BASE_LEGACY, "item_list[2].sku_id", NULL, NULL, NULL, "item_list[2].sku_id"},
    {BASE_LEGACY, "item_list[0].quantity", "0", NULL, NULL, "item_list[0].quantity"},
    {BASE_LEGACY, "item_list[0].quantity", "1.5", NULL, NULL, "item_list[0].quantity"},
    {BASE_LEGACY, "item_list[0].quantity", "\"1\"", NULL, NULL, "item_list[0].quantity"},
    {BASE_LEGACY, "item_list[0].quantity", "10001", NULL, NULL, "item_list[0].quantity"},
    {BASE_LEGACY, "item_list[0].quantity", NULL, NULL, NULL, "item_list[0].quantity"},
    {BASE_LEGACY, "item_list[1].sku_sale_price", "-3", NULL, NULL,
     "item_list[1].sku_sale_price"},
    {BASE_LEGACY, "item_list[1].sku_display_status", "\"140\"", NULL, NULL,
     "item_list[1].sku_display_status"},
    {BASE_LEGACY, "item_list[1].product_name", LONG_VALUE, NULL, NULL,
     "item_list[1].product_name"},
    {BASE_LEGACY, "item_list[1]", "\"x\"", NULL, NULL, "item_list[1]"},
    {BASE_LEGACY, "item_list[1].sku_id", "\"1729389661993665752\"", "order_line_list", NULL,
     "item_list[1]"}, /* two lines with one id */
    {BASE_LEGACY, "order_line_list[0].order_line_id", "\"bad id!\"", NULL, NULL,
     "order_line_list[0].order_line_id"},
    {BASE_LEGACY, "order_line_list[1]", "7", NULL, NULL, "order_line_list[1]"},
    {BASE_LEGACY, "recipient_address", "[]", NULL, NULL, "recipient_address"},
    {BASE_LEGACY, "recipient_address.phone", "12345678980", NULL, NULL,
     "recipient_address.phone"},
    {BASE_LEGACY, "recipient_address.name", LONG_VALUE, NULL, NULL, "recipient_address.name"},
    {BASE_LEGACY, "recipient_address.full_address", LONG_VALUE, NULL, NULL,
     "recipient_address.full_address"},
    {BASE_LEGACY, "recipient_address.city", "false", NULL, NULL, "recipient_address.city"},
    {BASE_LEGACY, "buyer_message", "7", NULL, NULL, "buyer_message"},
    {BASE_LEGACY, "buyer_message", LONG_VALUE, NULL, NULL, "buyer_message"},
    {BASE_LEGACY, "shipping_provider", "{}", NULL, NULL, "shipping_provider"},
    {BASE_LEGACY, "tracking_number", "1", NULL, NULL, "tracking_number"},
    {BASE_LEGACY, "order_status", "140", "cancel_reason", "3", "cancel_reason"},
    {BASE_LEGACY, "order_status", "140", "cancel_user", "[]", "cancel_user"},

    /* 202309 */
    {BASE_202309, "id", "\"has space\"", NULL, NULL, "id"},
    {BASE_202309, "status", "\"SHIPPED\"", NULL, NULL, "status"},
    {BASE_202309, "status", "999", NULL, NULL, "status"},
    {BASE_202309, "status", "true", NULL, NULL, "status"},
    {BASE_202309, "status", "null", NULL, NULL, "status"},
    {BASE_202309, "create_time", "\"1700000000x\"", NULL, NULL, "create_time"},
    {BASE_202309, "delivery_due_time", "\"12x\"", NULL, NULL, "delivery_due_time"},
    {BASE_202309, "rts_time", "-1", NULL, NULL, "rts_time"},
    {BASE_202309, "collection_time", "0.5", NULL, NULL, "collection_time"},
    {BASE_202309, "delivery_time", "\"999999999999999999\"", NULL, NULL, "delivery_time"},
    {BASE_202309, "payment.currency", NULL, NULL, NULL, "payment.currency"},
    {BASE_202309, "payment", NULL, NULL, NULL, "payment"},
    {BASE_202309, "payment.total_amount", "\"-1\"", NULL, NULL, "payment.total_amount"},
    {BASE_202309, "payment.total_amount", "\"99999999999999999999\"", NULL, NULL,
     "payment.total_amount"},
    {BASE_202309, "payment.total_amount", "\"1.5\"", NULL, NULL, "payment.total_amount"},
    {BASE_202309, "payment.total_amount", "\"\"", NULL, NULL, "payment.total_amount"},
    {BASE_202309, "payment.currency", "\"USD\"", "payment.total_amount", "\"1.234\"",
     "payment.total_amount"},
    {BASE_202309, "payment.currency", "\"USD\"", "line_items[1].sale_price", "\"1.234\"",
     "line_items[1].sale_price"},
    {BASE_202309, "line_items[1].sale_price", "50000", "line_items[1].sale_price", "50000.5",
     "line_items[1].sale_price"},
    {BASE_202309, "line_items", "[]", NULL, NULL, "line_items"},
    {BASE_202309, "line_items", "\"x\"", NULL, NULL, "line_items"},
    {BASE_202309, "line_items[0].id", NULL, NULL, NULL, "line_items[0].id"},
    {BASE_202309, "line_items[2].sku_id", NULL, NULL, NULL, "line_items[2].sku_id"},
    {BASE_202309, "line_items[2].sku_id", LONG_VALUE, NULL, NULL, "line_items[2].sku_id"},
    {BASE_202309, "line_items[2].display_status", "1", NULL, NULL,
     "line_items[2].display_status"},
    {BASE_202309, "line_items[2].id", "\"li-1\"", "line_items[2].sale_price", "\"1\"",
     "line_items[2]"}, /* another price: another line, with an id already taken */
    {BASE_202309, "recipient_address.phone_number", "[]", NULL, NULL,
     "recipient_address.phone_number"},
    {BASE_202309, "recipient_address.district_info", "\"x\"", NULL, NULL,
     "recipient_address.district_info"},
    {BASE_202309, "recipient_address.district_info[0]", "5", NULL, NULL,
     "recipient_address.district_info[0]"},
    {BASE_202309, "recipient_address.district_info[1].address_name", "5", NULL, NULL,
     "recipient_address.district_info[1].address_name"},
    {BASE_202309, "recipient_address.region_code", "5", NULL, NULL,
     "recipient_address.region_code"},
    {BASE_202309, "status", "\"CANCELLED\"", "cancellation_initiator", "1",
     "cancellation_initiator"},

    /* packdesk form */
    {BASE_PACKDESK, "id", "7", NULL, NULL, "id"},
    {BASE_PACKDESK, "id", LONG_VALUE, NULL, NULL, "id"},
    {BASE_PACKDESK, "placed_at", NULL, NULL, NULL, "placed_at"},
    {BASE_PACKDESK, "placed_at", "-1", NULL, NULL, "placed_at"},
    {BASE_PACKDESK, "placed_at", "253402300800000", NULL, NULL, "placed_at"},
    {BASE_PACKDESK, "paid_at", "1", NULL, NULL, "paid_at"}, /* before placed_at */
    {BASE_PACKDESK, "paid_at", "\"soon\"", NULL, NULL, "paid_at"},
    {BASE_PACKDESK, "promised_at", "1.5", NULL, NULL, "promised_at"},
    {BASE_PACKDESK, "payment_window_h", "0", NULL, NULL, "payment_window_h"},
    {BASE_PACKDESK, "payment_window_h", "721", NULL, NULL, "payment_window_h"},
    {BASE_PACKDESK, "currency", "\"VN\"", NULL, NULL, "currency"},
    {BASE_PACKDESK, "currency", NULL, NULL, NULL, "currency"},
    {BASE_PACKDESK, "shipping_fee", "-1", NULL, NULL, "shipping_fee"},
    {BASE_PACKDESK, "shipping_fee", "9007199254740994", NULL, NULL, "shipping_fee"},
    {BASE_PACKDESK, "shipping_fee", "\"15000\"", NULL, NULL, "shipping_fee"},
    {BASE_PACKDESK, "lines", NULL, NULL, NULL, "order"},
    {BASE_PACKDESK, "lines", "[]", NULL, NULL, "lines"},
    {BASE_PACKDESK, "lines", "null", NULL, NULL, "lines"},
    {BASE_PACKDESK, "lines[0]", "[]", NULL, NULL, "lines[0]"},
    {BASE_PACKDESK, "lines[0].quantity", "0", NULL, NULL, "lines[0].quantity"},
    {BASE_PACKDESK, "lines[0].quantity", "10001", NULL, NULL, "lines[0].quantity"},
    {BASE_PACKDESK, "lines[0].quantity", "\"2\"", NULL, NULL, "lines[0].quantity"},
    {BASE_PACKDESK, "lines[0].quantity", NULL, NULL, NULL, "lines[0].quantity"},
    {BASE_PACKDESK, "lines[0].sku", NULL, NULL, NULL, "lines[0].sku"},
    {BASE_PACKDESK, "lines[0].sku", "\"a/b\"", NULL, NULL, "lines[0].sku"},
    {BASE_PACKDESK, "lines[0].name", LONG_VALUE, NULL, NULL, "lines[0].name"},
    {BASE_PACKDESK, "lines[0].classes[1]", "\"explosive\"", NULL, NULL, "lines[0].classes[1]"},
    {BASE_PACKDESK, "lines[0].classes[1]", "2", NULL, NULL, "lines[0].classes[1]"},
    {BASE_PACKDESK, "lines[0].classes", "\"sharp\"", NULL, NULL, "lines[0].classes"},
    {BASE_PACKDESK, "lines[1].unit_price", "-1", NULL, NULL, "lines[1].unit_price"},
    {BASE_PACKDESK, "lines[1].unit_price", "1.5", NULL, NULL, "lines[1].unit_price"},
    {BASE_PACKDESK, "lines[1].id", "\"KNIFE-1\"", NULL, NULL, "lines[1]"},
    {BASE_PACKDESK, "lines[0].unit_price", "9007199254740992", "lines[0].quantity", "10000",
     "lines"},
    {BASE_PACKDESK, "lines[1].unit_price", "922337203685427", "lines[1].quantity", "10000",
     "shipping_fee"}, /* the lines just fit, the fee does not */
    {BASE_PACKDESK, "buyer", "\"x\"", NULL, NULL, "buyer"},
    {BASE_PACKDESK, "buyer.phone", "901111222", NULL, NULL, "buyer.phone"},
    {BASE_PACKDESK, "buyer.address", LONG_VALUE, NULL, NULL, "buyer.address"},
    {BASE_PACKDESK, "buyer_message", "[\"call first\"]", NULL, NULL, "buyer_message"},
    {BASE_PACKDESK, "carrier", "1", NULL, NULL, "carrier"},
};

static cJSON *base_order(base_kind kind, const cJSON *legacy) {
  if (kind == BASE_LEGACY) return cJSON_Duplicate(legacy, 1);
  return cJSON_Parse(kind == BASE_202309 ? base_202309 : base_packdesk);
}

static void test_malformed(void) {
  UNIT_TEST("import malformed");
  cJSON *fixture = parse_file(FIXTURES "order_detail.json");
  const cJSON *legacy = cJSON_GetArrayItem(fixture_orders(fixture), 0);
  static char long_value[2004];
  long_value[0] = '"';
  for (size_t i = 1; i <= 2000; i++) long_value[i] = "zay"[(i - 1) % 3];
  memcpy(long_value + 2001, "\"", 2);

  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cJSON *p = base_order(bad[i].base, legacy);
    import_sla sla;
    import_error err;
    const char *v1 = bad[i].value && strcmp(bad[i].value, LONG_VALUE) == 0 ? long_value
                                                                             : bad[i].value;
    int patched = patch(p, bad[i].path, v1) == 0 &&
                  (!bad[i].path2 || patch(p, bad[i].path2, bad[i].value2) == 0);
    UNIT_CHECK(patched);
    order *o = import_order(p, &sla, &err);
    UNIT_CHECK(o == NULL);
    UNIT_CHECK_STR(err.field, bad[i].field);
    UNIT_CHECK(err.message[0] != '\0');
    UNIT_CHECK_INT(err.out_of_memory, 0);
    UNIT_CHECK(!message_has_buyer_value(err.message)); /* S1 */
    if (!patched || o || strcmp(err.field, bad[i].field) != 0)
      fprintf(stderr, "  case %zu (%s = %s): got %s: %s\n", i, bad[i].path,
              bad[i].value ? bad[i].value : "(removed)", err.field, err.message);
    order_free(o);
    cJSON_Delete(p);
  }
  cJSON_Delete(fixture);
}

/* Shapes that are no order at all, and the limits on counts. */
static void test_shapes_and_limits(void) {
  UNIT_TEST("import shapes and limits");
  const char *not_orders[] = {"[]", "\"order\"", "{}", "{\"foo\":1}", "{\"id\":\"x\"}",
                              "{\"order_id\":\"x\"}", "null", "{\"id\":\"x\",\"status\":5}"};
  import_error err;
  import_sla sla;
  for (size_t i = 0; i < sizeof not_orders / sizeof *not_orders; i++) {
    cJSON *p = cJSON_Parse(not_orders[i]);
    order *o = import_order(p, &sla, &err);
    UNIT_CHECK(o == NULL);
    UNIT_CHECK_STR(err.field, "order");
    order_free(o);
    cJSON_Delete(p);
  }
  UNIT_CHECK(import_order(NULL, NULL, NULL) == NULL);

  /* ids: 64 characters pass, 65 do not */
  char text[256];
  const char *id64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:";
  for (int extra = 0; extra <= 1; extra++) {
    snprintf(text, sizeof text,
             "{\"id\":\"%s%s\",\"placed_at\":0,\"currency\":\"JPY\","
             "\"lines\":[{\"sku\":\"s\",\"quantity\":1}]}",
             id64, extra ? "-" : "");
    cJSON *p = cJSON_Parse(text);
    order *o = import_order(p, &sla, &err);
    UNIT_CHECK(extra ? o == NULL : o != NULL);
    if (o) UNIT_CHECK_INT(strlen(o->id), 64);
    if (!o) UNIT_CHECK_STR(err.field, "id");
    order_free(o);
    cJSON_Delete(p);
  }

  /* 500 lines pass, 501 do not */
  cJSON *p = cJSON_Parse(base_packdesk);
  cJSON *lines = cJSON_CreateArray();
  for (int i = 0; i < 501; i++) {
    char sku[16];
    snprintf(sku, sizeof sku, "S%d", i);
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "sku", sku);
    cJSON_AddNumberToObject(line, "quantity", 1);
    cJSON_AddItemToArray(lines, line);
  }
  cJSON_ReplaceItemInObjectCaseSensitive(p, "lines", lines);
  order *o = import_order(p, &sla, &err);
  UNIT_CHECK(o == NULL);
  UNIT_CHECK_STR(err.field, "lines");
  cJSON_DeleteItemFromArray(lines, 500);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL && o->lines.len == 500);
  order_free(o);
  cJSON_Delete(p);

  /* 202309: 10000 units of one sku make one line of 10000; one more is refused */
  p = cJSON_Parse(base_202309);
  lines = cJSON_CreateArray();
  for (int i = 0; i < 10001; i++) {
    char id[16];
    snprintf(id, sizeof id, "u%d", i);
    cJSON *unit = cJSON_CreateObject();
    cJSON_AddStringToObject(unit, "id", id);
    cJSON_AddStringToObject(unit, "sku_id", "sku-A");
    cJSON_AddItemToArray(lines, unit);
  }
  cJSON_ReplaceItemInObjectCaseSensitive(p, "line_items", lines);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o == NULL);
  UNIT_CHECK_STR(err.field, "line_items");
  cJSON_DeleteItemFromArray(lines, 10000);
  o = import_order(p, &sla, &err);
  UNIT_CHECK(o != NULL && o->lines.len == 1 && o->lines.items[0].quantity == 10000);
  order_free(o);
  cJSON_Delete(p);
}

/* Every allocation of an import fails in turn: NULL, out_of_memory, nothing leaks. */
static void test_out_of_memory(void) {
  UNIT_TEST("import out of memory");
  cJSON *fixture = parse_file(FIXTURES "order_detail.json");
  cJSON *bases[3] = {cJSON_Duplicate(cJSON_GetArrayItem(fixture_orders(fixture), 0), 1),
                     cJSON_Parse(base_202309), cJSON_Parse(base_packdesk)};
  for (size_t b = 0; b < 3; b++) {
    long n;
    int failures = 0, oom_flagged = 0;
    order *o = NULL;
    for (n = 1; n < 1000 && !o; n++) {
      import_error err;
      import_sla sla;
      pd_alloc_fail_after(n);
      o = import_order(bases[b], &sla, &err);
      pd_alloc_fail_after(0);
      if (!o) {
        failures++;
        oom_flagged += err.out_of_memory == 1 && err.field[0] == '\0';
      }
    }
    UNIT_CHECK(o != NULL);
    UNIT_CHECK(failures > 5);
    UNIT_CHECK_INT(oom_flagged, failures);
    order_free(o);
  }
  for (size_t b = 0; b < 3; b++) cJSON_Delete(bases[b]);
  cJSON_Delete(fixture);
}

void suite_import(void) {
  test_money();
  test_status_mapping();
  test_legacy_fixture();
  test_legacy_order_list();
  test_202309();
  test_packdesk_form();
  test_variants();
  test_malformed();
  test_shapes_and_limits();
  test_out_of_memory();
}
