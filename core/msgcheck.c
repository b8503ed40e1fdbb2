/* msgcheck.c: P3/S2 refusal of review solicitation, marketing and off-platform contact. */
#include "msgcheck.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  const char *phrase; /* folded: lowercase ASCII, Vietnamese without its diacritics */
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
    {"danh gia", "P3", "asks the buyer for a review"},      /* đánh giá */
    {"5 sao", "P3", "asks the buyer for a rating"},
    {"nam sao", "P3", "asks the buyer for a rating"},       /* năm sao */
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
    {"giam gia", "P3", "markets to the buyer"},             /* giảm giá */
    {"khuyen mai", "P3", "markets to the buyer"},           /* khuyến mãi */
    {"uu dai", "P3", "markets to the buyer"},               /* ưu đãi */
    {"ma giam", "P3", "markets to the buyer"},              /* mã giảm */
    {"http", "S2", "links the buyer off the marketplace"},
    {"https", "S2", "links the buyer off the marketplace"},
    {"://", "S2", "links the buyer off the marketplace"},
    {"www.", "S2", "links the buyer off the marketplace"},
    /* A bare domain ("myshop.vn/sale") is a link too: the common endings, as whole words. */
    {".com", "S2", "links the buyer off the marketplace"},
    {".net", "S2", "links the buyer off the marketplace"},
    {".org", "S2", "links the buyer off the marketplace"},
    {".vn", "S2", "links the buyer off the marketplace"},
    {".id", "S2", "links the buyer off the marketplace"},
    {".io", "S2", "links the buyer off the marketplace"},
    {".shop", "S2", "links the buyer off the marketplace"},
    {".store", "S2", "links the buyer off the marketplace"},
    {".me", "S2", "links the buyer off the marketplace"},
    {".ly", "S2", "links the buyer off the marketplace"},
    {"zalo", "S2", "moves the buyer off the marketplace"},
    {"whatsapp", "S2", "moves the buyer off the marketplace"},
    {"facebook", "S2", "moves the buyer off the marketplace"},
    {"telegram", "S2", "moves the buyer off the marketplace"},
};

/* Decodes one UTF-8 sequence at s (valid UTF-8: pd_exec checked the request). */
static uint32_t utf8_next(const unsigned char **s) {
  const unsigned char *p = *s;
  uint32_t cp;
  int extra;
  if (p[0] < 0x80) { cp = p[0]; extra = 0; }
  else if (p[0] < 0xE0) { cp = p[0] & 0x1Fu; extra = 1; }
  else if (p[0] < 0xF0) { cp = p[0] & 0x0Fu; extra = 2; }
  else { cp = p[0] & 0x07u; extra = 3; }
  p++;
  for (int i = 0; i < extra && (*p & 0xC0) == 0x80; i++) cp = (cp << 6) | (*p++ & 0x3Fu);
  *s = p;
  return cp;
}

/* The base letter of a Latin letter with diacritics (Vietnamese first), lowercase; 0 if none. */
static char fold_letter(uint32_t cp) {
  static const char latin1[] = "aaaaaa?ceeeeiiiidnooooo?ouuuuy?s"; /* U+00C0..U+00DF */
  if (cp >= 'A' && cp <= 'Z') return (char)(cp - 'A' + 'a');
  if (cp < 0x80) return (char)cp;
  if (cp >= 0xC0 && cp <= 0xFF) {
    char c = latin1[(cp & ~0x20u) - 0xC0];
    return c == '?' ? 0 : c;
  }
  switch (cp) {
    case 0x102: case 0x103: return 'a';               /* Ă ă */
    case 0x110: case 0x111: return 'd';               /* Đ đ */
    case 0x128: case 0x129: return 'i';               /* Ĩ ĩ */
    case 0x168: case 0x169: return 'u';               /* Ũ ũ */
    case 0x1A0: case 0x1A1: return 'o';               /* Ơ ơ */
    case 0x1AF: case 0x1B0: return 'u';               /* Ư ư */
    default: break;
  }
  if (cp >= 0x1EA0 && cp <= 0x1EB7) return 'a';       /* Ạ … ặ */
  if (cp >= 0x1EB8 && cp <= 0x1EC7) return 'e';
  if (cp >= 0x1EC8 && cp <= 0x1ECB) return 'i';
  if (cp >= 0x1ECC && cp <= 0x1EE3) return 'o';
  if (cp >= 0x1EE4 && cp <= 0x1EF1) return 'u';
  if (cp >= 0x1EF2 && cp <= 0x1EF9) return 'y';
  return 0;
}

/*
 * Folds text for matching: ASCII lowercased, Vietnamese letters to their base letter, any
 * case, precomposed or decomposed (combining marks U+0300..U+036F dropped); other characters
 * become '#', a word character that matches no phrase. Returns -1 if out does not fit.
 */
static int fold(const char *text, char *out, size_t cap) {
  const unsigned char *s = (const unsigned char *)text;
  size_t n = 0;
  while (*s) {
    uint32_t cp = utf8_next(&s);
    if (cp >= 0x300 && cp <= 0x36F) continue;
    char c = fold_letter(cp);
    if (n + 1 >= cap) return -1;
    out[n++] = c ? c : '#';
  }
  out[n] = '\0';
  return 0;
}

static int is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '#';
}

/* Whole-word match: the phrase is not glued to letters on either side ("sale" ≠ "wholesale"). */
static int contains_word(const char *text, const char *phrase) {
  size_t n = strlen(phrase);
  for (const char *p = strstr(text, phrase); p; p = strstr(p + 1, phrase)) {
    int starts = p == text || !is_word_char(p[-1]) || !is_word_char(phrase[0]);
    int ends = !is_word_char(p[n]) || !is_word_char(phrase[n - 1]);
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
    if (p > text && is_word_char(p[-1]) && is_word_char(p[1])) return 1;
  return 0;
}

/* Blanks every occurrence of the order's own strings, so they are not taken for phones. */
static void blank_own(char *folded, const char *const *own) {
  char token[MSGCHECK_MAX + 1];
  for (; own && *own; own++) {
    if (fold(*own, token, sizeof token)) continue;
    size_t n = strlen(token);
    if (n < 8) continue; /* a short id could cut a real phone number in two and hide it */
    for (char *p = strstr(folded, token); p; p = strstr(p + n, token)) memset(p, '#', n);
  }
}

int msgcheck_text(const char *text, const char *const *own, msgcheck_refusal *why) {
  char folded[MSGCHECK_MAX + 1]; /* on the stack: the check never allocates, never fails */
  if (fold(text, folded, sizeof folded)) {
    *why = (msgcheck_refusal){"P3", "is too long to be checked"};
    return -1;
  }
  blank_own(folded, own);
  for (size_t i = 0; i < sizeof banned / sizeof *banned; i++) {
    if (contains_word(folded, banned[i].phrase)) {
      *why = (msgcheck_refusal){banned[i].rule, banned[i].reason};
      return -1;
    }
  }
  if (contains_phone(folded) || contains_email(folded)) {
    *why = (msgcheck_refusal){"S2", "carries contact details"};
    return -1;
  }
  return 0;
}
