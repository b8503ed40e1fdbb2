/*
 * policy.h: the shop's policy, the one place for every value the seller's guide leaves to
 * the shop or the platform (RULES.md "policy"), with the defaults of RULES.md. The hard
 * rules (72 h to ship, 48 h to answer, 14 days to lost) are constants of rules.c, not here.
 */
#ifndef PD_POLICY_H
#define PD_POLICY_H

#include "cJSON.h"

#define POLICY_MAX_CARRIERS 16

typedef struct {
  char name[64];
  unsigned refuses; /* CLASS_* bits this carrier will not carry (P4) */
} carrier_rule;

typedef struct {
  int payment_window_h;      /* C3: unpaid orders cancel after this; default 24 */
  int extension_max_h;       /* C5: an extension adds at most this; default 48 */
  int extensions_max;        /* C5: how many extensions per request; default 1 */
  int completion_days;       /* delivered orders complete after this; default 7 */
  int delivery_promise_days; /* T4: promised delivery after shipping when the marketplace
                                names no date; default 7 */
  int carrier_count;
  carrier_rule carriers[POLICY_MAX_CARRIERS];
} shop_policy;

void policy_defaults(shop_policy *p);

/*
 * Applies the fields present in `args` to a copy of *p and, only when all are valid, to *p.
 * Returns 0, or -1 with `field` naming the bad field (and *p unchanged).
 */
int policy_update(shop_policy *p, const cJSON *args, const char **field);

/* The policy as JSON (caller owns it), or NULL when out of memory. */
cJSON *policy_to_json(const shop_policy *p);

/* The classes `carrier` refuses (0 for a carrier the policy does not know). */
unsigned policy_carrier_refuses(const shop_policy *p, const char *carrier);

/* Parses ["sharp","liquid","fragile"] into CLASS_* bits; -1 on anything else. */
int classes_from_json(const cJSON *arr, unsigned *out);
cJSON *classes_to_json(unsigned classes);

#endif
