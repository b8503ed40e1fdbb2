/*
 * order.h: one order as the core keeps it, and the vocabulary of its life (stages, flags,
 * deadlines, requests, timeline). Every string is owned by the order; order_clone() makes a
 * deep copy so that a command can work on a copy and commit it whole, or drop it whole.
 *
 * An order read from a snapshot keeps all its strings in one allocation (`strings`: one
 * malloc instead of one a string, at 100k orders the difference between a slow open and a
 * quick one). A string field may therefore point into that block: change one only through
 * order_set_string(), order_remove_conflict() and order_free(), which know not to free those.
 */
#ifndef PD_ORDER_H
#define PD_ORDER_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t pd_ms; /* milliseconds since the epoch, UTC */

#define PD_HOUR ((pd_ms)3600 * 1000)
#define PD_DAY (24 * PD_HOUR)

typedef enum {
  STAGE_UNPAID,
  STAGE_AWAITING_CONFIRMATION, /* D1: paid, not yet confirmed by the seller */
  STAGE_CONFIRMED,             /* to pack */
  STAGE_PACKED,
  STAGE_AWAITING_COLLECTION,   /* marked shipped: waiting for pickup or drop-off */
  STAGE_IN_TRANSIT,
  STAGE_DELIVERED,
  STAGE_COMPLETED,
  STAGE_CANCELLED,
  STAGE_LOST,
  STAGE_COUNT
} order_stage;

enum {
  FLAG_LATE_DISPATCH = 1u << 0,   /* H9 */
  FLAG_PICKUP_OVERDUE = 1u << 1,  /* H4 */
  FLAG_LATE_DELIVERY = 1u << 2,   /* T4 */
  FLAG_REQUEST_PENDING = 1u << 3, /* C4 */
  FLAG_DROPOFF_OVERDUE = 1u << 4, /* H7 */
  FLAG_DAMAGED = 1u << 5          /* T6: the carrier reported the package damaged */
};

enum { /* special product classes (P5), a bit each */
  CLASS_SHARP = 1u << 0,
  CLASS_LIQUID = 1u << 1,
  CLASS_FRAGILE = 1u << 2,
  CLASS_ALL = CLASS_SHARP | CLASS_LIQUID | CLASS_FRAGILE
};

typedef enum { CHECK_NONE, CHECK_OK, CHECK_OUT_OF_STOCK, CHECK_DAMAGED, CHECK_EXPIRED } line_check;

typedef struct {
  char *id;           /* line id (order_line_id, or the sku id when the payload has none) */
  char *sku_id;       /* the marketplace's sku id */
  char *seller_sku;   /* the seller's own code, what a scanner reads; may be "" */
  char *product_name;
  char *sku_name;
  int64_t unit_price; /* minor units of the order's currency */
  int32_t quantity;
  int32_t packed;     /* units scanned into the package (P1) */
  unsigned classes;   /* CLASS_* bits (P5) */
  int cancelled;      /* a line the marketplace cancelled: not to be packed or charged */
  line_check check;   /* C1 */
} order_line;

typedef enum {
  DL_PAYMENT,          /* C3: unpaid order auto-cancelled */
  DL_SHIP_BY,          /* H2/H6: marked shipped within 72 h of placement */
  DL_PICKUP,           /* H3: carrier collects within 48 h of shipped */
  DL_DROPOFF,          /* H7: seller drops off within 48 h of shipped */
  DL_LOST,             /* T3: delivered within 14 days of shipment */
  DL_DELIVERY_PROMISE, /* T4: the promised delivery date */
  DL_COMPLETION,       /* policy: completed some days after delivery */
  DL_FIXED_COUNT
} deadline_kind;

typedef enum { DL_INACTIVE, DL_OPEN, DL_MET, DL_MISSED } deadline_state;

typedef struct {
  pd_ms due;
  deadline_state state;
} deadline;

typedef enum { REQ_CANCEL, REQ_RETURN, REQ_REFUND } request_kind;
typedef enum { REQ_PENDING, REQ_APPROVED, REQ_REJECTED, REQ_AUTO_APPROVED } request_state;

typedef struct {
  char *id;
  char *reason;
  char *answer_reason; /* the seller's reason when rejected */
  request_kind kind;
  request_state state;
  pd_ms submitted_at;
  pd_ms due;        /* C4: 48 h after submission, moved by an extension (C5) */
  pd_ms answered_at;
  int extensions;   /* how many times the seller extended (policy caps it) */
} order_request;

typedef struct {
  pd_ms at;
  const char *event; /* a stable code from order.c's vocabulary: "placed", "paid", ... */
  char *detail; /* for a person; never buyer PII (S1) */
} timeline_entry;

typedef enum { ISSUE_PICKUP_OVERDUE, ISSUE_DROPOFF_OVERDUE, ISSUE_DELIVERY_FAILED, ISSUE_LATE_DELIVERY,
               ISSUE_LOST, ISSUE_DAMAGED, ISSUE_KIND_COUNT } issue_kind;

typedef struct {
  issue_kind kind;
  pd_ms opened_at;
  pd_ms resolved_at; /* 0 while open (T2) */
} order_issue;

typedef struct {
  const char *item; /* from order.c's vocabulary: "no_promo_inserts", "fragile", ... */
  int confirmed;
} checklist_item;

/* sync: an operation of this device that the server refused (docs/sync.md). The device's own
 * record, kept until the seller dismisses it; a server never has any. */
typedef struct {
  char *op;           /* the operation's op id */
  char *cmd;          /* its command */
  pd_ms at;           /* its `at` */
  char *code;         /* the server's error */
  char *rule;         /* NULL when no rule refused */
  char *message;
  const char *because_event; /* the newest event of the server's timeline (vocabulary); NULL: none */
  pd_ms because_at;
} order_conflict;

typedef enum { HANDOVER_NONE, HANDOVER_PICKUP, HANDOVER_DROPOFF } handover_method;
typedef enum { CANCEL_BY_NONE, CANCEL_BY_SELLER, CANCEL_BY_BUYER, CANCEL_BY_SYSTEM, CANCEL_BY_MARKETPLACE } cancel_by;

/* A growable array of T, as three fields; see VEC_* in order.c. */
#define PD_VEC(T) struct { T *items; size_t len, cap; }

typedef struct order {
  char *id;
  char *source;        /* "tiktok" (imported) or "packdesk" (entered here) */
  order_stage stage;
  unsigned flags;      /* FLAG_* */
  char currency[4];    /* ISO 4217; amounts below are in its minor unit */
  int64_t subtotal, shipping_fee, total;

  char *buyer_name;    /* stored whole, output masked (S1) */
  char *buyer_phone;
  char *address_full;
  char *address_region; /* the coarse part (region, state, city) that is safe to show */
  char *buyer_message;

  char *carrier;       /* shipping provider's name, as the marketplace says it */
  char *tracking_number;
  char *shipping_point;  /* H5 */
  char *handover_note;   /* P6 */
  handover_method handover;

  pd_ms placed_at, paid_at, confirmed_at, packed_at, shipped_at, collected_at, delivered_at,
      closed_at;         /* closed: cancelled, completed or lost */
  pd_ms promised_at;     /* T4: the promised delivery time, 0 if none known */
  pd_ms marketplace_updated_at; /* import ordering: an older payload never rolls state back */
  int failed_attempts;   /* T5 */
  cancel_by cancelled_by;
  char *cancel_reason;
  int seller_fault_cancel; /* metrics: a cancellation the seller caused (C6, seller cancel) */
  int complaint_filed;     /* H4 */
  int refund_submitted;    /* T6 */
  int label_printed;       /* S1: the one time the full address left the core */

  deadline deadlines[DL_FIXED_COUNT];
  PD_VEC(order_line) lines;
  PD_VEC(checklist_item) checklist;
  PD_VEC(order_request) requests;
  PD_VEC(timeline_entry) timeline;
  PD_VEC(order_issue) issues;
  PD_VEC(order_conflict) conflicts;
  uint64_t version;    /* sync: the shop's version counter when this order last changed */
  char *strings;       /* read from a snapshot: the block its strings were loaded into; else NULL */
  size_t strings_size; /* the block's size in bytes */

  /* The shop's index keys (its order_slot holds the copies the indexes read: shop.h). */
  pd_ms urgency;       /* sort key in its stage: the most pressing unsettled due time */
  pd_ms next_event;    /* when tick must next look at it; PD_NEVER when nothing is timed */
  uint64_t seq;        /* arrival order: the tie-breaker of every index */
} order;

#define PD_NEVER INT64_MAX

order *order_new(const char *id);
void order_free(order *o);
/* A deep copy, without index membership. NULL when out of memory (nothing leaks). */
order *order_clone(const order *o);

/* Appenders: 0 on success, -1 when out of memory (the order is then unchanged). */
int order_add_line(order *o, const order_line *src);              /* copies the strings */
/* event must be in the timeline vocabulary (order_timeline_event), item in the checklist's. */
int order_add_timeline(order *o, pd_ms at, const char *event, const char *detail);
int order_add_checklist(order *o, const char *item);
int order_add_issue(order *o, issue_kind kind, pd_ms at);
order_request *order_add_request(order *o, request_kind kind, const char *reason, pd_ms at);
/* Takes a copy of c's strings; c->because_event must be in the timeline vocabulary or NULL. */
int order_add_conflict(order *o, const order_conflict *c);
/* Removes the conflict of operation op: 0, or -1 when the order has none. Never allocates. */
int order_remove_conflict(order *o, const char *op);

order_line *order_find_line(order *o, const char *line_id);
order_request *order_find_request(order *o, const char *request_id);
checklist_item *order_find_checklist(order *o, const char *item);
/* Opens, closes or replaces a string field of o (one of its own, or of its lines, requests,
 * ...): 0, or -1 when out of memory (field unchanged). The old string is freed unless it lies
 * in o's block of loaded strings. */
int order_set_string(order *o, char **field, const char *value);

/* The vocabulary's own (static) copy of a timeline event or checklist item; NULL if unknown.
 * Orders point at these instead of owning copies: fewer allocations per order, per clone. */
const char *order_timeline_event(const char *event);
const char *order_checklist_item(const char *item);

const char *stage_name(order_stage s);
int stage_from_name(const char *name); /* -1 when unknown */
const char *deadline_kind_name(deadline_kind k);
const char *deadline_rule(deadline_kind k);
const char *request_kind_name(request_kind k);
const char *request_state_name(request_state s);
const char *issue_kind_name(issue_kind k);
const char *line_check_name(line_check c);
const char *class_name(unsigned class_bit);

#endif
