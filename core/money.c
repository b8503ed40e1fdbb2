/*
 * money.c: amounts from marketplace payloads into integer minor units, exactly.
 *
 * A decimal string is parsed digit by digit, never through a double. A JSON number has already
 * been through a double (cJSON keeps no text), so it is accepted only when that double is the
 * one nearest to an amount with at most the currency's decimals, and small enough that every
 * such amount has its own double.
 */
#include "import.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ISO 4217 codes and their minor-unit exponent as the marketplaces use them (IDR and VND
 * without decimals, as TikTok Shop sends them). */
static const struct {
  char code[4];
  int exponent;
} currencies[] = {
    {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2}, {"CLP", 0},
    {"CNY", 2}, {"EUR", 2}, {"GBP", 2}, {"HKD", 2}, {"IDR", 0}, {"INR", 2}, {"JPY", 0},
    {"KRW", 0}, {"KWD", 3}, {"MXN", 2}, {"MYR", 2}, {"OMR", 3}, {"PHP", 2}, {"SAR", 2},
    {"SGD", 2}, {"THB", 2}, {"TWD", 2}, {"USD", 2}, {"VND", 0},
};

#define MAX_EXPONENT 3
static const double pow10_d[MAX_EXPONENT + 1] = {1.0, 10.0, 100.0, 1000.0};

#define TWO_POW_52 4503599627370496.0
#define TWO_POW_53 9007199254740992.0

int currency_exponent(const char *currency) {
  if (!currency) return -1;
  for (size_t i = 0; i < sizeof currencies / sizeof *currencies; i++)
    if (strcmp(currencies[i].code, currency) == 0) return currencies[i].exponent;
  return -1;
}

/* *v = *v * 10 + digit; -1 (and *v unchanged) when that would pass INT64_MAX. */
static int push_digit(int64_t *v, int digit) {
  if (*v > (INT64_MAX - digit) / 10) return -1;
  *v = *v * 10 + digit;
  return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* "123", "123.4", "123.40": digits, then optionally '.' and at least one digit. Decimals past
 * the exponent must be zeros. No sign, no spaces, no exponent notation. */
static int money_from_string(const char *s, int exponent, int64_t *out) {
  int64_t v = 0;
  int decimals = 0;
  if (!is_digit(*s)) return -1;
  for (; is_digit(*s); s++)
    if (push_digit(&v, *s - '0')) return -1;
  if (*s == '.') {
    s++;
    if (!is_digit(*s)) return -1;
    for (; is_digit(*s); s++) {
      if (decimals < exponent) {
        if (push_digit(&v, *s - '0')) return -1;
        decimals++;
      } else if (*s != '0') {
        return -1;
      }
    }
  }
  if (*s != '\0') return -1;
  for (; decimals < exponent; decimals++)
    if (push_digit(&v, 0)) return -1;
  *out = v;
  return 0;
}

static int money_from_double(double d, int exponent, int64_t *out) {
  if (!isfinite(d) || signbit(d) || d > TWO_POW_53) return -1;
  double scaled = d * pow10_d[exponent];
  /* Above 2^52 minor units two neighbouring amounts (12.34 and 12.35) can share a double. */
  if (exponent > 0 && scaled >= TWO_POW_52) return -1;
  int64_t units = (int64_t)(scaled + 0.5);
  /* Exact: the division of two exactly representable values rounds to the nearest double,
   * which is what the JSON parser produced for the decimal text of `units` minor units. */
  if ((double)units / pow10_d[exponent] != d) return -1;
  *out = units;
  return 0;
}

int money_from_json(const cJSON *amount, const char *currency, int64_t *out) {
  int exponent = currency_exponent(currency);
  if (exponent < 0 || exponent > MAX_EXPONENT || !amount || !out) return -1;
  if (cJSON_IsString(amount) && amount->valuestring)
    return money_from_string(amount->valuestring, exponent, out);
  if (cJSON_IsNumber(amount)) return money_from_double(amount->valuedouble, exponent, out);
  return -1;
}
