/*
 * mask.h: S1. The buyer's phone, address and name as every output shows them. The full
 * values stay inside the order; only label.print, at the seller's request, returns the
 * address the carrier needs.
 */
#ifndef PD_MASK_H
#define PD_MASK_H

#include <stddef.h>

/* Every digit but the last two becomes '*': "(+86)12345678980" → "(+**)*********80". */
char *mask_phone(const char *phone);
/* The coarse region only, then "***": never the street, house or postcode. */
char *mask_address(const char *region);
/* The first character (whole UTF-8 sequence), then "***". */
char *mask_name(const char *name);

#endif
