/* scenario.c: a command log through all four steps, and a snapshot of everything a client
 * can observe, to compare shops byte for byte. */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#define T0 "1764230400"

const char *const scenario_commands[] = {
    "{\"cmd\":\"policy.set\",\"at\":" T0 "000,\"carriers\":{\"GHN\":{\"refuses\":[\"liquid\"]}}}",
    "{\"cmd\":\"product.set\",\"at\":" T0 "000,\"sku\":\"KNIFE-1\",\"classes\":[\"sharp\"]}",
    "{\"cmd\":\"order.import\",\"at\":" T0 "000,\"op\":\"d1-1\",\"order\":{\"id\":\"A1\",\"placed_at\":" T0
    "000,\"paid_at\":" T0 "000,\"currency\":\"VND\",\"lines\":[{\"id\":\"L1\",\"sku\":\"SKU-1\","
    "\"name\":\"Ao\",\"quantity\":2,\"unit_price\":150000},{\"id\":\"L2\",\"sku\":\"KNIFE-1\","
    "\"quantity\":1,\"unit_price\":90000}],\"buyer\":{\"name\":\"Nguyen Van A\",\"phone\":"
    "\"+84 912 345 678\",\"address\":\"12 Le Loi\",\"region\":\"Ho Chi Minh\"},\"carrier\":\"GHN\"}}",
    "{\"cmd\":\"order.import\",\"at\":" T0 "001,\"order\":{\"id\":\"B2\",\"placed_at\":" T0
    "000,\"currency\":\"USD\",\"lines\":[{\"sku\":\"CUP\",\"quantity\":1,\"unit_price\":1234,"
    "\"classes\":[\"fragile\"]}]}}",
    "{\"cmd\":\"order.import\",\"at\":" T0 "002,\"order\":{\"id\":\"C3\",\"placed_at\":" T0
    "000,\"paid_at\":" T0 "000,\"currency\":\"IDR\",\"lines\":[{\"sku\":\"SOAP\",\"quantity\":1}]}}",
    "{\"cmd\":\"order.pay\",\"at\":" T0 "100,\"order_id\":\"B2\"}",
    "{\"cmd\":\"line.check\",\"at\":" T0 "200,\"order_id\":\"A1\",\"line_id\":\"L1\",\"result\":\"ok\"}",
    "{\"cmd\":\"line.check\",\"at\":" T0 "201,\"order_id\":\"A1\",\"line_id\":\"L2\",\"result\":\"ok\"}",
    "{\"cmd\":\"order.confirm\",\"at\":" T0 "300,\"order_id\":\"A1\",\"op\":\"d1-2\"}",
    "{\"cmd\":\"pack.scan\",\"at\":" T0 "400,\"order_id\":\"A1\",\"sku\":\"SKU-1\"}",
    "{\"cmd\":\"pack.scan\",\"at\":" T0 "401,\"order_id\":\"A1\",\"sku\":\"SKU-1\"}",
    "{\"cmd\":\"pack.scan\",\"at\":" T0 "402,\"order_id\":\"A1\",\"sku\":\"KNIFE-1\"}",
    "{\"cmd\":\"pack.unscan\",\"at\":" T0 "403,\"order_id\":\"A1\",\"sku\":\"KNIFE-1\"}",
    "{\"cmd\":\"pack.scan\",\"at\":" T0 "404,\"order_id\":\"A1\",\"sku\":\"KNIFE-1\"}",
    "{\"cmd\":\"pack.confirm\",\"at\":" T0 "405,\"order_id\":\"A1\",\"item\":\"no_promo_inserts\"}",
    "{\"cmd\":\"pack.confirm\",\"at\":" T0 "406,\"order_id\":\"A1\",\"item\":\"protective_packaging\"}",
    "{\"cmd\":\"pack.confirm\",\"at\":" T0 "407,\"order_id\":\"A1\",\"item\":\"sharp\"}",
    "{\"cmd\":\"pack.complete\",\"at\":" T0 "408,\"order_id\":\"A1\"}",
    "{\"cmd\":\"handover.set\",\"at\":" T0 "409,\"order_id\":\"A1\",\"method\":\"pickup\","
    "\"note\":\"sharp: blade wrapped\"}",
    "{\"cmd\":\"label.print\",\"at\":" T0 "410,\"order_id\":\"A1\"}",
    "{\"cmd\":\"order.ship\",\"at\":" T0 "500,\"order_id\":\"A1\"}",
    "{\"cmd\":\"request.open\",\"at\":" T0 "600,\"order_id\":\"C3\",\"kind\":\"cancel\","
    "\"reason\":\"changed my mind\"}",
    "{\"cmd\":\"request.extend\",\"at\":" T0 "601,\"request_id\":\"C3/r1\",\"hours\":24}",
    "{\"cmd\":\"message.send\",\"at\":" T0 "700,\"order_id\":\"A1\",\"text\":\"Your parcel is on its way.\"}",
    "{\"cmd\":\"tick\",\"at\":1764403300000}",
    "{\"cmd\":\"complaint.file\",\"at\":1764403300001,\"order_id\":\"A1\",\"text\":\"No pickup yet\"}",
    "{\"cmd\":\"carrier.event\",\"at\":1764403300002,\"order_id\":\"A1\",\"event\":\"picked_up\","
    "\"tracking_number\":\"GHN123\"}",
    "{\"cmd\":\"carrier.event\",\"at\":1764403300003,\"order_id\":\"A1\",\"event\":\"delivery_failed\"}",
    "{\"cmd\":\"carrier.event\",\"at\":1764403300004,\"order_id\":\"A1\",\"event\":\"delivered\"}",
    "{\"cmd\":\"issue.resolve\",\"at\":1764403300005,\"order_id\":\"A1\",\"kind\":\"pickup_overdue\"}",
    "{\"cmd\":\"request.approve\",\"at\":1764403300006,\"request_id\":\"C3/r1\"}",
    "{\"cmd\":\"order.cancel\",\"at\":1764403300007,\"order_id\":\"B2\",\"reason\":\"out of stock\"}",
    "{\"cmd\":\"notifications.read\",\"at\":1764403300008,\"ids\":[1]}",
    "{\"cmd\":\"outbox.ack\",\"at\":1764403300009,\"ids\":[1,2]}",
    "{\"cmd\":\"tick\",\"at\":1766000000000}",
    /* sync (docs/sync.md): the shop becomes a device; its ops are kept pending until acked,
     * and a refused one leaves a conflict on its order. Keep these last: the store of format 1
     * in tests/unit/fixtures was written by the commands above. */
    "{\"cmd\":\"sync.pair\",\"at\":1766000000000,\"device_id\":\"d1\"}",
    "{\"cmd\":\"order.import\",\"at\":1766000000000,\"op\":\"d1-3\",\"order\":{\"id\":\"D4\","
    "\"placed_at\":1766000000000,\"paid_at\":1766000000000,\"currency\":\"VND\",\"lines\":[{\"id\":"
    "\"L1\",\"sku\":\"SKU-9\",\"quantity\":1}]}}",
    "{\"cmd\":\"line.check\",\"at\":1766000000000,\"op\":\"d1-4\",\"order_id\":\"D4\",\"line_id\":"
    "\"L1\",\"result\":\"ok\"}",
    "{\"cmd\":\"message.send\",\"at\":1766000000000,\"op\":\"d1-5\",\"order_id\":\"D4\",\"text\":"
    "\"Thank you!\"}",
    "{\"cmd\":\"sync.base\",\"at\":1766000000000,\"acks\":[{\"seq\":1,\"ok\":true},{\"seq\":2,"
    "\"ok\":false,\"error\":{\"code\":\"ILLEGAL_TRANSITION\",\"message\":\"already checked\","
    "\"rule\":\"C1\"}}],\"cursor\":7}",
};
/* How many of the commands above wrote tests/unit/fixtures/store-v1 (format 1, before sync). */
const int scenario_count_v1 = 35;
const int scenario_count = (int)(sizeof scenario_commands / sizeof *scenario_commands);

static const char *const observers[] = {
    "{\"cmd\":\"orders.export\",\"at\":1766000000001,\"limit\":1000}",
    "{\"cmd\":\"stats\",\"at\":1766000000001}",
    "{\"cmd\":\"metrics\",\"at\":1766000000001}",
    "{\"cmd\":\"outbox.list\",\"at\":1766000000001}",
    "{\"cmd\":\"notifications.list\",\"at\":1766000000001}",
    "{\"cmd\":\"policy.get\",\"at\":1766000000001}",
    "{\"cmd\":\"orders.list\",\"at\":1766000000001,\"limit\":500}",
    "{\"cmd\":\"sync.status\",\"at\":1766000000001}",
    "{\"cmd\":\"sync.pending\",\"at\":1766000000001}",
    "{\"cmd\":\"sync.changes\",\"at\":1766000000001,\"since\":0,\"limit\":2000}",
};

char *scenario_snapshot(pd_shop *shop) {
  size_t len = 0, cap = 1;
  char *all = calloc(1, 1);
  for (size_t i = 0; all && i < sizeof observers / sizeof *observers; i++) {
    char *r = pd_exec(shop, observers[i], strlen(observers[i]));
    if (!r) {
      free(all);
      return NULL;
    }
    size_t n = strlen(r);
    char *grown = realloc(all, cap + n + 1);
    if (grown) {
      all = grown;
      cap += n + 1;
      memcpy(all + len, r, n);
      all[len + n] = '\n';
      all[len + n + 1] = '\0';
      len += n + 1;
    } else {
      free(all);
      all = NULL;
    }
    pd_string_free(r);
  }
  return all;
}
