/*
 * base64.h: standard base64 (RFC 4648, section 4: A-Z a-z 0-9 + /, padded with '='), for the
 * order states of sync. The decoder is strict: no whitespace, no missing or stray padding,
 * no bits set past the data, so each byte string has exactly one text.
 */
#ifndef PD_BASE64_H
#define PD_BASE64_H

#include <stddef.h>

/* A NUL-terminated text from pd_malloc, or NULL when out of memory (or n absurdly large). */
char *base64_encode(const unsigned char *data, size_t n);

/* Decodes text[0..len): 0 with *out (from pd_malloc; the caller frees it) and *out_len, or
 * -1 when the text is not canonical base64, or -2 when out of memory. */
int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

#endif
