/*
 * import_fields.h: private to the importer (import.c, import_tiktok.c, import_fields.c).
 *
 * Each reader takes the object, the key, and the path of the object ("" at the top,
 * "payment", "line_items[3]") to name the field in the error. Every reader returns 0 when the
 * field is fine or absent-and-optional (a JSON null counts as absent), and -1 after filling
 * *err otherwise. Messages never quote a value: a buyer's data must not reach them (S1).
 * Strings handed back are borrowed from the payload.
 */
#ifndef PD_IMPORT_FIELDS_H
#define PD_IMPORT_FIELDS_H

#include "import.h"

#define IMPORT_MAX_ID 64       /* ids: 1..64 of [A-Za-z0-9_.:-] */
#define IMPORT_MAX_TEXT 1024   /* any other string, in bytes */
#define IMPORT_MAX_LINES 500
#define IMPORT_MAX_QUANTITY 10000
#define IMPORT_MAX_UNITS 10000 /* 202309 line_items[]: one entry per unit */
#define IMPORT_MAX_AMOUNT ((int64_t)1 << 53) /* integer amounts in minor units (packdesk form) */

typedef enum {
  TIME_SECONDS_OR_MS, /* marketplace: >= 1e12 is ms, else seconds; 0 means "not set" */
  TIME_MS             /* packdesk form: ms, 0 is a time like any other */
} time_unit;

/* Fills *err with "<path>.<key>" (or "<path>" when key is NULL) and the message; returns -1. */
int import_fail(import_error *err, const char *path, const char *key, const char *message);
int import_oom(import_error *err); /* out of memory: returns -1 */
/* Writes "<array>[<index>]" into buf (the path of an array element). */
void import_item_path(char *buf, size_t size, const char *array, size_t index);

/* A member that must be an object when present; *out is NULL when absent. */
int field_object(import_error *err, const char *path, const cJSON *obj, const char *key,
                 int required, const cJSON **out);
/* An array of at most `max` items when present; *out is NULL when absent. */
int field_array(import_error *err, const char *path, const cJSON *obj, const char *key,
                int required, int max, const cJSON **out);
/* A string of at most IMPORT_MAX_TEXT bytes; *out is NULL when absent. */
int field_text(import_error *err, const char *path, const cJSON *obj, const char *key,
               int required, const char **out);
/* An id: 1..IMPORT_MAX_ID of [A-Za-z0-9_.:-]; *out is NULL when absent. */
int field_id(import_error *err, const char *path, const cJSON *obj, const char *key,
             int required, const char **out);
/* A whole JSON number in [min, max]; *out is untouched when absent. */
int field_int(import_error *err, const char *path, const cJSON *obj, const char *key,
              int required, int64_t min, int64_t max, int64_t *out);
/* A time (JSON number or string of digits) up to year 9999, in ms; *out is 0 when absent. */
int field_time(import_error *err, const char *path, const cJSON *obj, const char *key,
               int required, time_unit unit, pd_ms *out);
/* A 3-letter currency code that currency_exponent() knows. */
int field_currency(import_error *err, const char *path, const cJSON *obj, const char *key,
                   char out[4]);
/* An amount (money_from_json); *present says whether it was there. */
int field_money(import_error *err, const char *path, const cJSON *obj, const char *key,
                const char *currency, int64_t *out, int *present);

int import_is_id(const char *s); /* 1 when s is a valid id */

/* Copies value (NULL: leaves the field alone) into a string field of o; -1 when out of memory. */
int import_set_string(import_error *err, order *o, char **field, const char *value);
/* Appends a line after checking the line count and that its id is new; `path` names it. */
int import_add_line(order *o, const order_line *line, import_error *err, const char *path);
/* The sum of unit_price * quantity over the lines not cancelled; -1 on overflow. */
int import_lines_total(const order *o, int64_t *out);
/* a + b, or -1 on overflow of int64 (both are non-negative). */
int import_add_amounts(int64_t a, int64_t b, int64_t *out);

/* Status by marketplace name or integer code (import.c owns the table). */
int import_status(import_error *err, const char *path, const cJSON *obj, const char *key,
                  order_stage *out);

/* The two TikTok Shop shapes (import_tiktok.c). */
order *import_tiktok_legacy(const cJSON *payload, import_sla *sla, import_error *err);
order *import_tiktok_202309(const cJSON *payload, import_sla *sla, import_error *err);

#endif
