/*
 * msgcheck.h: the message check of P3 and S2, applied to every text that reaches a buyer
 * (message.send, cancellation reasons) or leaves the shop (complaints). It refuses review
 * solicitation and marketing (P3), and contact details or links that take the buyer off the
 * marketplace (S2). Matching is on whole words after folding case and Vietnamese diacritics
 * (so "ĐÁNH GIÁ", "đánh giá" and "danh gia" are one phrase), in English and Vietnamese.
 */
#ifndef PD_MSGCHECK_H
#define PD_MSGCHECK_H

/* Longest text checked, in characters; commands cap their texts well below it. */
#define MSGCHECK_MAX 4096

typedef struct {
  const char *rule;   /* "P3" or "S2" */
  const char *reason; /* a static phrase for the error message */
} msgcheck_refusal;

/* 0 when text may be sent; -1 with *why filled when it is refused. `own` lists strings of
 * the order itself (its id, its tracking number; NULL-terminated, or NULL) that the text may
 * quote: long numbers, but not the buyer's contact details. */
int msgcheck_text(const char *text, const char *const *own, msgcheck_refusal *why);

#endif
