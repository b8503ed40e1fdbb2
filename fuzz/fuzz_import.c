/*
 * fuzz_import.c: any bytes as a marketplace order payload, straight into the importer (the
 * part that reads other people's JSON). A payload either becomes an order or an error naming a
 * field; nothing else may happen.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cJSON.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pd_alloc_init();
  cJSON *json = cJSON_ParseWithLength((const char *)data, size);
  if (!json) return 0;
  import_sla sla;
  import_error err;
  order *o = import_order(json, &sla, &err);
  if (!o && err.field[0] == '\0' && !err.out_of_memory) abort(); /* an error names its field */
  order_free(o);
  cJSON_Delete(json);
  return 0;
}
