/*
 * json.h: small helpers over cJSON for building output and reading arguments, each one
 * total: on out-of-memory they free what they were handed and report -1 or NULL, so that
 * callers can chain them and `goto fail` once.
 */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"

/* Adds item under key, taking ownership even on failure (the item is then freed). The key is
 * borrowed, not copied: it must outlive the object (a literal, or a static name such as
 * stage_name()'s). Every j_add_* below works the same way. */
int j_add(cJSON *obj, const char *key, cJSON *item);
/* Appends item to an array, taking ownership even on failure. */
int j_push(cJSON *arr, cJSON *item);
int j_add_str(cJSON *obj, const char *key, const char *s); /* NULL s → JSON null */
int j_add_int(cJSON *obj, const char *key, int64_t v);
int j_add_bool(cJSON *obj, const char *key, int v);
int j_add_null(cJSON *obj, const char *key);

/* Argument readers: return the member, or NULL when absent or of another type. */
const cJSON *j_get(const cJSON *obj, const char *key);
const char *j_get_str(const cJSON *obj, const char *key);
/* An integer in [lo, hi] exactly (no fraction, no precision lost): 0, or -1. */
int j_get_int(const cJSON *obj, const char *key, int64_t lo, int64_t hi, int64_t *out);

/* The FNV-1a hash (64 bits) of the text cJSON_PrintUnformatted(item) prints, computed without
 * printing it (json_fingerprint.c): 0, or -1 where cJSON would print nothing. */
int j_fingerprint(const cJSON *item, uint64_t *out);

/* Strict UTF-8 (RFC 3629): 1, or 0 for overlongs, surrogates, or anything past U+10FFFF. */
int j_valid_utf8(const unsigned char *s, size_t n);

#endif
