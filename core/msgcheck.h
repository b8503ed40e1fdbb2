/*
 * msgcheck.h: the message check of P3 and S2, applied to every text that reaches a buyer
 * (message.send, cancellation reasons) or leaves the shop (complaints). It refuses review
 * solicitation and marketing (P3), and contact details or links that take the buyer off the
 * marketplace (S2). Matching is case-insensitive, on whole words for the ASCII phrases, and
 * covers English and Vietnamese.
 */
#ifndef PD_MSGCHECK_H
#define PD_MSGCHECK_H

typedef struct {
  const char *rule;   /* "P3" or "S2" */
  const char *reason; /* a static phrase for the error message */
} msgcheck_refusal;

/* 0 when text may be sent; -1 with *why filled when it is refused. */
int msgcheck_text(const char *text, msgcheck_refusal *why);

#endif
