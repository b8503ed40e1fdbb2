/* msgcheck.c: P3/S2 refusal of review solicitation, marketing and off-platform contact. */
#include "msgcheck.h"

#include <stddef.h>
#include <string.h>


typedef struct {
  const char *phrase; /* lowercase; UTF-8 for Vietnamese */
  const char *rule;
  const char *reason;
} banned_phrase;

static const banned_phrase banned[] = {
    {"review", "P3", "asks the buyer for a review"},
    {"reviews", "P3", "asks the buyer for a review"},
    {"rating", "P3", "asks the buyer for a rating"},
    {"rate us", "P3", "asks the buyer for a rating"},
    {"5 star", "P3", "asks the buyer for a rating"},
    {"5 stars", "P3", "asks the buyer for a rating"},
    {"5-star", "P3", "asks the buyer for a rating"},
    {"five star", "P3", "asks the buyer for a rating"},
    {"five stars", "P3", "asks the buyer for a rating"},
    {"feedback", "P3", "asks the buyer for feedback"},
    {"đánh giá", "P3", "asks the buyer for a review"},
    {"5 sao", "P3", "asks the buyer for a rating"},
    {"năm sao", "P3", "asks the buyer for a rating"},
    {"discount", "P3", "markets to the buyer"},
    {"coupon", "P3", "markets to the buyer"},
    {"voucher", "P3", "markets to the buyer"},
    {"promo", "P3", "markets to the buyer"},
    {"promotion", "P3", "markets to the buyer"},
    {"sale", "P3", "markets to the buyer"},
    {"% off", "P3", "markets to the buyer"},
    {"buy now", "P3", "markets to the buyer"},
    {"follow us", "P3", "markets to the buyer"},
    {"new arrivals", "P3", "markets to the buyer"},
    {"giảm giá", "P3", "markets to the buyer"},
    {"khuyến mãi", "P3", "markets to the buyer"},
    {"ưu đãi", "P3", "markets to the buyer"},
    {"mã giảm", "P3", "markets to the buyer"},
    {"http", "S2", "links the buyer off the marketplace"},
    {"www.", "S2", "links the buyer off the marketplace"},
    {"zalo", "S2", "moves the buyer off the marketplace"},
    {"whatsapp", "S2", "moves the buyer off the marketplace"},
    {"facebook", "S2", "moves the buyer off the marketplace"},
    {"telegram", "S2", "moves the buyer off the marketplace"},
};

static int is_word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Does text start with phrase, ignoring ASCII case? (phrase is lowercase already) */
static int starts_with(const char *text, const char *phrase) {
  for (; *phrase; text++, phrase++)
    if (lower_ascii(*text) != *phrase) return 0;
  return 1;
}

/* Whole-word match: the phrase is not glued to letters on either side ("sale" ≠ "wholesale").
 * Compares in place, so the check never allocates and cannot fail. */
static int contains_word(const char *text, const char *phrase) {
  size_t n = strlen(phrase);
  for (const char *p = text; *p; p++) {
    if (!starts_with(p, phrase)) continue;
    int starts = p == text || !is_word_char((unsigned char)lower_ascii(p[-1])) ||
                 !is_word_char((unsigned char)phrase[0]);
    int ends = !is_word_char((unsigned char)lower_ascii(p[n])) ||
               !is_word_char((unsigned char)phrase[n - 1]);
    if (starts && ends) return 1;
  }
  return 0;
}

/* A run of 7+ digits (spaces, dots and dashes between them allowed) is a phone number. */
static int contains_phone(const char *text) {
  int digits = 0;
  for (const char *p = text; *p; p++) {
    if (*p >= '0' && *p <= '9') digits++;
    else if (*p != ' ' && *p != '-' && *p != '.' && *p != '(' && *p != ')' && *p != '+')
      digits = 0;
    if (digits >= 7) return 1;
  }
  return 0;
}

/* An '@' between word characters: an e-mail address. */
static int contains_email(const char *text) {
  for (const char *p = strchr(text, '@'); p; p = strchr(p + 1, '@'))
    if (p > text && is_word_char((unsigned char)p[-1]) && is_word_char((unsigned char)p[1]))
      return 1;
  return 0;
}

int msgcheck_text(const char *text, msgcheck_refusal *why) {
  for (size_t i = 0; i < sizeof banned / sizeof *banned; i++) {
    if (contains_word(text, banned[i].phrase)) {
      *why = (msgcheck_refusal){banned[i].rule, banned[i].reason};
      return -1;
    }
  }
  if (contains_phone(text) || contains_email(text)) {
    *why = (msgcheck_refusal){"S2", "carries contact details"};
    return -1;
  }
  return 0;
}
