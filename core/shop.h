/*
 * shop.h: the shop behind a pd_shop handle (orders, indexes, outbox, notifications, applied
 * operations, catalog, policy, metrics) and the transaction through which every command
 * changes it: a command works on copies, and commit swaps them in without allocating, so a
 * command either happens whole or not at all.
 */
#ifndef PD_SHOP_H
#define PD_SHOP_H

#include <stdint.h>

#include "cJSON.h"
#include "idmap.h"
#include "index.h"
#include "order.h"
#include "packdesk.h"
#include "policy.h"

typedef struct {
  uint64_t id;
  char *order_id;
  const char *channel; /* "in_app" (to the buyer), "email" (to the seller), "marketplace" */
  const char *kind;    /* "cancellation_notice", "message", "new_order", "complaint", "refund_request" */
  char *text;
  pd_ms at;
} outbox_msg;

typedef struct {
  uint64_t id;
  char *order_id;
  const char *kind; /* "new_order", "buyer_request" */
  pd_ms at;
  int read;
} notification;

typedef struct {
  char *sku;
  unsigned classes;  /* CLASS_* (P5) */
  int authorized;    /* P4: 0 = the shop may not ship it */
} product;

typedef struct {
  char *op;
  uint64_t fingerprint; /* of the request as first applied, to tell a retry from a reuse */
  char *response;
  uint64_t seq;         /* order of application: the store pages operations by it */
} applied_op;

/* sync: an operation of this device kept for the server until it answers (docs/sync.md). */
typedef struct {
  uint64_t seq;     /* device sequence number: 1, 2, 3, ... */
  char *op;
  char *order_id;   /* the order the command touched; NULL for a shop-wide one */
  const char *cmd;  /* the command's name (the command table's own copy) */
  pd_ms at;
  char *request;    /* exactly as received */
} pending_op;

/* The store saves orders and operations in pages of these many, by seq: what a command
 * changes dirties one page, so a checkpoint writes what changed, not the whole shop. Big
 * pages because an open reads every page, and IndexedDB reads few big records far faster
 * than many small ones (100k orders in Chromium: 1,675 records of 14 KB 0.93 s, 105 of up to
 * 270 KB 0.25-0.30 s); a checkpoint rewrites a page whole, ~270 KB at 1024 small orders.
 * Stores of format 3 and older used 64 and 256 (STORE_OLD_*): they still load, and a
 * writable open rewrites them in these sizes (store.c). */
#define ORDER_PAGE 1024u
#define OP_PAGE 4096u
#define STORE_OLD_ORDER_PAGE 64u
#define STORE_OLD_OP_PAGE 256u

/* The largest seq a stored order or operation may carry (16M): what a file claims beyond it
 * is damage, not a reason to allocate gigabytes. */
#define SHOP_MAX_SEQ ((uint64_t)1 << 24)

/* Notifications kept: the newest NOTES_KEPT, at most twice that between trims. */
#define NOTES_KEPT 1000u
/* Outbox messages kept while nobody acknowledges them: the newest OUTBOX_KEPT, at most twice
 * that between trims. Each new order queues one (D2's email notice) and nothing sends or acks
 * them yet (no mail service; the sync server's marketplace calls have their own outbox in
 * SQLite), so without a bound they were a third of a 100k shop's snapshot (7.4 of 22 MB) and
 * read at every open. The newest cover every order a seller is working on. */
#define OUTBOX_KEPT 1000u
/* Applied operations kept for their stored answers: the newest OPS_KEPT (at most twice that
 * between trims; a checkpoint trims, so a snapshot holds OPS_KEPT: every open reads them all),
 * and on a device every one still pending for the server, however old. The
 * console sends an op with every command, and an answer is ~400 bytes: kept for ever they
 * outgrew the orders themselves (6-8 commands an order: ~3 KB against its 224 bytes) and every
 * open read them all. A retry comes soon or from the sync client, which only resends pending
 * operations; the server dedupes pushes in its own database. So 2,000 (days of a seller's
 * commands), not 10,000 as before: an open still reads them whole, and at 100k orders a store
 * with 10-20k answers opened in 193 ms in wasm (Node, fresh process) against 153 ms with 2-4k
 * (natively, make bench: ~220 against ~180 ms, RSS 43.5 against 34.8 MB). */
#define OPS_KEPT 2000u

/* Counters behind `metrics`, kept exact by adding each committed order's delta. */
typedef struct {
  int64_t paid;              /* orders that were ever paid */
  int64_t dispatch_decided;  /* shipped, or past the 72 h mark unshipped */
  int64_t late_dispatch;     /* H9 */
  int64_t seller_cancelled;  /* cancellations the seller caused */
  int64_t delivered;
  int64_t delivered_on_time; /* T4 */
  int64_t conflicts;         /* sync: conflicts on orders (sync.status) */
} shop_metrics;

/*
 * What the shop keeps of every order, whether its body is read yet or not: the indexes' nodes
 * and keys, what the metrics count, and the order itself once read. A store of format 5 loads
 * only these at open (the page's summaries: 96-byte slots in wasm instead of ~1 KB an order read whole)
 * and the body of an order on first use (shop_order), because on this VM an open pays ~3 ms
 * for every MB it touches: building every order of 100k took 0.5 s, most of it first touch.
 * The keys are copies of the order's (shop_rekey), set whenever the order changes.
 */
typedef struct order_slot {
  index_node stage_node;        /* in its stage, by urgency */
  index_node tick_node;         /* by next_event, for tick */
  index_node version_node;      /* by version, for sync.changes */
  index_node placed_stage_node; /* in its stage, by placed_at: orders.list sort newest/oldest */
  pd_ms urgency, next_event, placed_at;
  uint64_t version, seq;
  const char *id;     /* the order's id: its own once read, else in its page's id block */
  order *o;           /* the order; NULL until its body is read */
  uint32_t body_at;   /* where its body lies in its page file (store.c), while o is NULL */
  uint32_t body_len;
  uint8_t stage;      /* order_stage */
  uint8_t metric_bits; /* METRIC_* (shop.c): what the metrics count of it */
  uint8_t in_block;   /* allocated in a page's block of slots, not alone */
  uint32_t conflicts; /* its conflicts (metrics) */
} order_slot;

/* Reads the body of a slot whose order is not read yet (the store's; shop_order calls it).
 * The order, or NULL with *kind saying why (SHOP_UNREADABLE_*; why[] says what is damaged). */
typedef order *(*shop_body_fn)(void *ud, const order_slot *sl, int *kind, char *why, size_t why_n);

typedef struct {
  order *orig; /* NULL for a new order */
  order *work; /* the copy the command changes */
  order_slot *slot; /* orig's slot; for a new order, the one shop_prepare allocated */
  int keep_version; /* sync.base: work keeps the version its state carries (not stamped) */
} txn_order;

/* An applied operation's stored answer, replaced when sync.base applies it again. */
typedef struct {
  applied_op *rec;
  char *response; /* owned until the commit swaps it in */
} op_answer;

/* What a command changes of the shop's sync state (sync.c). */
typedef struct {
  pending_op *add;               /* the command's operation, kept as pending (owned) */
  PD_VEC(uint64_t) acked;        /* pending seqs the server answered */
  PD_VEC(op_answer) answers;
  char *device_id;               /* sync.pair (owned) */
  int cursor_set;
  uint64_t cursor;
} sync_change;

/* What one command is about to do; nothing of it is visible until shop_commit(). */
typedef struct shop_txn {
  PD_VEC(txn_order) orders;
  PD_VEC(outbox_msg) outbox;
  PD_VEC(notification) notes;
  PD_VEC(product *) products;  /* catalog entries to add or replace (owned) */
  PD_VEC(uint64_t) acked;      /* outbox ids to remove */
  PD_VEC(uint64_t) read_notes; /* notification ids to mark read */
  int policy_changed;
  shop_policy policy;
  sync_change sync;
  /* A command run inside another's transaction (sync.base re-applies operations): orders are
   * found in parent's working copies before the shop's. */
  struct shop_txn *parent;
} shop_txn;

struct pd_shop {
  shop_policy policy;
  idmap orders;                  /* order id → order_slot */
  pd_index by_stage[STAGE_COUNT];
  pd_index timed;                /* by next_event, for tick */
  pd_index placed_by_stage[STAGE_COUNT]; /* by placed_at: orders.list {sort: newest|oldest} */
  uint64_t next_seq;
  PD_VEC(outbox_msg) outbox;
  uint64_t next_outbox_id;
  PD_VEC(notification) notes;
  uint64_t next_note_id;
  size_t unread_notes;
  idmap ops;                     /* op id → applied_op */
  uint64_t next_op_seq;
  uint64_t ops_floor;            /* no live operation below this seq (OPS_KEPT); not stored */
  PD_VEC(order_slot *) by_seq;   /* seq → slot (NULL at 0): the store's pages */
  PD_VEC(void *) blocks;         /* the pages' blocks of slots and of ids (freed with the shop) */
  PD_VEC(applied_op *) op_list;  /* op seq → applied_op */
  PD_VEC(uint8_t) dirty_orders;  /* one flag per order page changed since the last checkpoint */
  PD_VEC(uint8_t) dirty_ops;     /* one flag per operation page */
  idmap products;                /* sku → product */
  shop_metrics metrics;
  /* sync (sync.c, docs/sync.md) */
  uint64_t version;              /* the last version stamped on an order */
  pd_index by_version;           /* orders by (version, seq): sync.changes costs what changed */
  char *device_id;               /* NULL until sync.pair makes the shop a device copy */
  uint64_t next_pending;         /* the next device seq */
  uint64_t cursor;               /* the server version the last sync.base reflected */
  PD_VEC(pending_op) pending;    /* by seq, ascending */
  pd_journal_fn journal;
  void *journal_ud;
  /* The command being journaled, while the journal hook runs: the store notes which pages'
   * orders it changed (store.c's tail-pages). */
  const struct shop_txn *journaling;
  int index_later;               /* loading: slots are indexed at the end (shop_index_all) */
  shop_body_fn read_body;        /* the store's reader of bodies not read yet */
  void *read_body_ud;
  /* Set while the store replays its journal (store.c): a command without an op, whose answer
   * nobody keeps (a tick, sync.*, a command sent without one), answers {"ok":true} unprinted. */
  int replaying;
  /* Set when a body could not be read during the command running: pd_exec then fails it
   * (SHOP_UNREADABLE_OOM: out of memory; _DAMAGED: what unreadable_why says; _NOT_LOADED: not
   * in memory yet, try again once loaded), whatever the
   * command made of the missing order, so nothing is decided on an order it could not see. */
  int unreadable;
  char unreadable_why[256];
  uint64_t not_loaded; /* commands answered NOT_LOADED so far */
};

/* NOT_LOADED: the body's bytes are not in memory yet (a browser store opened with lazy bodies
 * reads a page's bodies from IndexedDB only when asked: wasm/lazy-file.mjs), so the command
 * fails, changing nothing, and the shell loads them and sends it again. */
enum { SHOP_UNREADABLE_OOM = 1, SHOP_UNREADABLE_DAMAGED = 2, SHOP_UNREADABLE_NOT_LOADED = 3 };

/* The slot of an order id, or NULL. */
order_slot *shop_slot(pd_shop *s, const char *order_id);
/* The slot's order, read from the store on first use: NULL when it cannot be read
 * (s->unreadable says why). */
order *shop_order(pd_shop *s, order_slot *sl);
/* shop_order(shop_slot()): NULL when not found, or unreadable (s->unreadable set). */
order *shop_find(pd_shop *s, const char *order_id);
void applied_op_free(applied_op *op); /* NULL is fine */

/* The order as this transaction sees it: its working copy when it has one. */
order *txn_find(pd_shop *s, shop_txn *t, const char *order_id);
/* A working copy of order_id for this transaction (made once). NULL: not found or no memory;
 * *oom tells which. */
order *txn_edit(pd_shop *s, shop_txn *t, const char *order_id, int *oom);
/* A working copy of the slot's order, which the caller knows is not in t yet (tick: no
 * search). NULL: no memory, or unreadable (s->unreadable set). */
order *txn_take(pd_shop *s, shop_txn *t, order_slot *sl);
int txn_add_order(shop_txn *t, order *o);         /* takes o; -1 = no memory (o freed) */
int txn_outbox(shop_txn *t, const char *order_id, const char *channel, const char *kind,
               const char *text, pd_ms at);
int txn_notify(shop_txn *t, const char *order_id, const char *kind, pd_ms at);
int txn_product(shop_txn *t, const char *sku, unsigned classes, int authorized);
int txn_is_empty(const shop_txn *t);
/* Moves inner's orders into outer (inner's parent), replacing the working copies they were
 * made from; inner's messages and notifications are dropped. 0, or -1 when out of memory
 * (nothing moved). */
int txn_merge_orders(shop_txn *outer, shop_txn *inner);
void txn_free(shop_txn *t);

/* Reserves every allocation the commit needs: 0, or -1 when out of memory (nothing changed). */
int shop_prepare(pd_shop *s, shop_txn *t, const char *op);
/* Applies t to the shop. Cannot fail: shop_prepare() did every allocation. Consumes t. */
void shop_commit(pd_shop *s, shop_txn *t, applied_op *op_record);
/* Forgets the operations older than the newest OPS_KEPT (never a pending one), marking their
 * pages dirty. Commits call it past twice OPS_KEPT; a checkpoint before it writes the pages. */
void shop_forget_old_ops(pd_shop *s);

/* Adds a loaded order or operation (store.c): indexes, metrics, pages; not dirty. 0 or -1. */
int shop_load_order(pd_shop *s, order *o);
/* Adds the slot of an order whose body is read later (store.c): the caller filled its keys,
 * id, metrics and body place, and owns its memory (in_block) through s->blocks. 0 or -1 (a
 * seq out of range or taken, an id taken, no memory): nothing added. */
int shop_load_slot(pd_shop *s, order_slot *sl);
/* Inserts a slot into the indexes under its keys (set by shop_slot_keys, or read from a
 * summary). Never allocates. */
void shop_index_slot(pd_shop *s, order_slot *sl);
/* Indexes every slot loaded while index_later was set, all at once (shop_index_all.c). */
void shop_index_all(pd_shop *s);
/* The slot's keys, metrics and id as the order o says (for a store's summary, and to check a
 * body read against its summary). */
void shop_slot_keys(order_slot *sl, order *o);
/* 1 when o (a body just read) says what its summary sl said; anything else is damage, not an
 * order to use. */
int shop_slot_agrees(const order_slot *sl, order *o);
/* Adds (sign +1) or takes away (-1) what the metrics count of an order, from its slot. */
void shop_metrics_apply(shop_metrics *m, const order_slot *sl, int64_t sign);
int shop_load_op(pd_shop *s, applied_op *op);

/* Recomputes o's index keys (urgency, next_event) from its deadlines and requests. */
void shop_rekey(order *o);

const product *shop_product(pd_shop *s, shop_txn *t, const char *sku);

#endif
