/*
 * store.c: a shop kept in a directory (pd_store_*).
 *
 * Layout:
 *   manifest.pds               the commit point: which snapshot files make the shop, and the
 *                              journal seq they cover (written whole: temporary + rename)
 *   shop-<gen>.pds             policy, catalog, outbox, notifications, counters
 *   orders-<page>-<gen>.pds    ORDER_PAGE orders by seq: their summaries, then their bodies
 *                              (format 5, order_page.h): an open reads the summaries, and a
 *                              body when a command first needs it, from the file it keeps open;
 *                              ops-<page>-<gen>.pds likewise, whole (a store of format 3 or
 *                              older: smaller pages, rewritten in these at its first writable
 *                              open)
 *   journal-<seq>.pdj          the commands applied after the snapshot (journal.c)
 *   tail-pages                 the order page files whose bodies the journal's tail needs, a
 *                              hint for the shell (see note_tail_pages)
 * A checkpoint writes only the pages changed since the last one, under a new generation, then
 * the manifest; files of older generations are removed only once the new manifest is safe, so
 * a crash at any point leaves one whole snapshot and the journal that continues it. A save
 * costs one journal append: what a shop has stored does not make it dearer.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "command.h"
#include "crc32c.h"
#include "fileio.h"
#include "journal.h"
#include "json.h"
#include "order_page.h"
#include "packdesk.h"
#include "shop.h"
#include "snapshot.h"
#include "vec.h"

#define MAGIC_MANIFEST 0x4D534450u /* "PDSM" */
#define MAGIC_SHOP 0x53534450u     /* "PDSS" */
#define MAGIC_ORDERS 0x4F534450u   /* "PDSO" */
#define MAGIC_OPS 0x50534450u      /* "PDSP" */
#define SEGMENT_MAX (256u * 1024u) /* IDBFS rewrites a changed file whole: keep them small */
/* A checkpoint also comes once the journal's tail holds PD_STORE_TAIL_RECORDS_MAX records,
 * however small they are: an open replays the tail, and 256 KiB of the smallest commands (a
 * line checked, ~130 bytes a record) held ~2,080, which a 100k store's open in Chromium
 * replayed in ~150 ms (391 ms against 241 after a checkpoint, session 8). At 512 the longest
 * tail still cost its open ~30 ms more than an idle one, nearly all of it the replay (session
 * 9, with tail-pages sparing the waits for bodies); at 256 that halves, for more checkpoints:
 * natively at 100k orders, bytes per command 926 → 1,612 and the save 17-20 → 27 us (the 1k
 * to 100k ratio still under 1.5). */
#define TAIL_RECORDS_MAX PD_STORE_TAIL_RECORDS_MAX
#define KEPT_FILES_MAX 256u
/* pd_store_idle checkpoints once the next open would replay this many journal records. A
 * replayed record cost ~30 us of a cold open in Chromium (a full segment, 769 records, ~22 ms
 * of 100k orders' open), while a checkpoint writes every page the tail changed whole (~227 KB
 * each): below this the writes cost more than the replay they spare. */
#define IDLE_CHECKPOINT_RECORDS 64u

typedef struct {
  uint32_t page;
  uint64_t gen;
} page_gen;

struct pd_store {
  pd_shop *shop;
  journal *jr;
  char *dir;
  int flags;
  uint64_t gen;                    /* generation of the current snapshot */
  uint64_t covered;                /* journal seq the snapshot covers */
  uint64_t replayed;               /* journal records applied by the last open */
  uint64_t shop_gen;               /* generation of the shop file the manifest names */
  uint32_t order_page, op_page;    /* page sizes of the snapshot on disk (shop.h) */
  PD_VEC(uint64_t) order_gens;     /* per order page: generation of its file, 0 = none */
  PD_VEC(uint64_t) op_gens;
  PD_VEC(int) order_fds;           /* per order page of format 5: its file, open (-1: none) */
  PD_VEC(uint8_t) tail_pages;      /* per order page: the journal's tail changed an order of its file */
  size_t kept_files;               /* how many of order_fds are open */
  /* The journal's tail, while its replay waits for order bodies not loaded yet (pd_store_resume):
   * records replay_next..replay_last are still to apply, and the store takes no command. */
  int pending;
  uint64_t replay_next, replay_last;
  journal_report jrep;             /* what the open found of the journal, for the report */
  char snapshot_damage[320];       /* read-only: what of the snapshot could not be loaded */
  char err[320];
};

static void path_of(const pd_store *st, char *out, size_t n, const char *kind, long page, uint64_t gen) {
  if (page < 0) snprintf(out, n, "%s/%s-%llu.pds", st->dir, kind, (unsigned long long)gen);
  else snprintf(out, n, "%s/%s-%ld-%llu.pds", st->dir, kind, page, (unsigned long long)gen);
}

static void set_err(pd_store *st, pd_store_report *rep, const char *fmt, const char *what) {
  snprintf(st->err, sizeof st->err, fmt, what);
  if (rep) snprintf(rep->message, sizeof rep->message, "%s", st->err);
}

/* --- file framing: magic, version, body, CRC-32C of all before it --- */

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void frame_begin(bytes_writer *w, uint32_t magic) {
  bw_fixed32(w, magic);
  bw_fixed32(w, SNAPSHOT_VERSION);
}

static int frame_end_write(bytes_writer *w, const char *path) {
  bw_fixed32(w, w->failed ? 0 : crc32c(0, w->data, w->len));
  int rc = w->failed ? -1 : fio_write_file_atomic(path, w->data, w->len);
  bw_free(w);
  return rc;
}

/* Reads a framed file; on success r covers the body. The caller frees *buf. */
static int frame_read(const char *path, uint32_t magic, unsigned char **buf, bytes_reader *r) {
  size_t n;
  if (fio_read_file(path, buf, &n)) return -1;
  if (n < 12) return -1;
  bytes_reader tail = {*buf + n - 4, 4, 0, 0, 0};
  if (crc32c(0, *buf, n - 4) != br_fixed32(&tail)) return -1;
  *r = (bytes_reader){*buf, n - 4, 0, 0, 0};
  if (br_fixed32(r) != magic) return -1;
  /* Older formats still load: each file says which it is (a checkpoint rewrites only the
   * pages that changed, so files of both may make one snapshot). */
  r->format = br_fixed32(r);
  if (r->format < SNAPSHOT_VERSION_MIN || r->format > SNAPSHOT_VERSION) return -1;
  return 0;
}

/* --- loading --- */

/* Keeps page's file open for the bodies read later: a file of the page's next generation
 * replaces it by rename and the old one is unlinked once superseded, but an open file keeps
 * the bytes it had (natively and in MEMFS alike). Without a descriptor (none left), a body is
 * read by path; the file stays until every body of its page has been read (write_page). */
static void keep_open(pd_store *st, uint32_t page, int fd) {
  /* Descriptors are few (1,024 natively, 4,096 in Emscripten's FS): past KEPT_FILES_MAX pages
   * (262k orders), or with PD_STORE_FEW_FILES, bodies are read by name. */
  if ((st->flags & PD_STORE_FEW_FILES) || st->kept_files >= KEPT_FILES_MAX) {
    close(fd);
    return;
  }
  while (st->order_fds.len <= page) {
    if (VEC_GROW(st->order_fds)) {
      close(fd);
      return;
    }
    st->order_fds.items[st->order_fds.len++] = -1;
  }
  if (st->order_fds.items[page] >= 0) close(st->order_fds.items[page]);
  else st->kept_files++;
  st->order_fds.items[page] = fd;
}

static void close_page_file(pd_store *st, size_t page) {
  if (page >= st->order_fds.len || st->order_fds.items[page] < 0) return;
  close(st->order_fds.items[page]);
  st->order_fds.items[page] = -1;
  st->kept_files--;
}

/* A page of orders of format 5, lazily: its head (up to the summaries' CRC) read and loaded,
 * its file kept open for the bodies. 1 when the file is of an older format (read it whole),
 * 0 when loaded, -1 when not right. */
static int load_orders_lazy(pd_store *st, uint32_t page, const char *path) {
  int fd = open(path, O_RDONLY), rc = -1;
  unsigned char first[64], *head = NULL;
  order_page_head h;
  if (fd < 0) return -1;
  /* The size by seeking, not fstat: Emscripten's fstat looks the path up again (its FS's path
   * handling was ~25 ms of a 100k open in Chromium). */
  off_t size = lseek(fd, 0, SEEK_END);
  ssize_t n = size >= 0 ? pread(fd, first, sizeof first, 0) : -1;
  if (n < 12 || le32(first) != MAGIC_ORDERS) goto done;
  uint32_t format = le32(first + 4);
  if (format < ORDER_PAGE_LAZY_FORMAT) {
    rc = 1;
    goto done;
  }
  if (format > SNAPSHOT_VERSION || order_page_head_parse(first, (size_t)n, format, &h) || h.page != page ||
      h.bodies_at > (size_t)size || !(head = pd_malloc(h.bodies_at)) ||
      pread(fd, head, h.bodies_at, 0) != (ssize_t)h.bodies_at)
    goto done;
  rc = order_page_load(st->shop, head, &h, format, NULL, (size_t)size);
done:
  pd_free(head);
  if (rc == 0) keep_open(st, page, fd);
  else close(fd);
  return rc;
}

/* Reads a body not read yet (the shop's read_body), from its page's file. */
static order *read_body(void *ud, const order_slot *sl, int *kind, char *why, size_t why_n) {
  pd_store *st = ud;
  size_t page = (size_t)(sl->seq / ORDER_PAGE);
  char path[4096];
  *kind = SHOP_UNREADABLE_DAMAGED;
  if (page >= st->order_gens.len || !st->order_gens.items[page]) {
    snprintf(why, why_n, "its page is not in the snapshot");
    return NULL;
  }
  path_of(st, path, sizeof path, "orders", (long)page, st->order_gens.items[page]);
  int fd = page < st->order_fds.len ? st->order_fds.items[page] : -1, own = fd < 0;
  if (own && (fd = open(path, O_RDONLY)) < 0) {
    snprintf(why, why_n, "%.200s cannot be opened", strrchr(path, '/') + 1);
    return NULL;
  }
  order *o = order_page_read_body(fd, sl, kind);
  if (own) close(fd);
  if (!o && *kind == SHOP_UNREADABLE_DAMAGED) snprintf(why, why_n, "%.200s is damaged", strrchr(path, '/') + 1);
  if (!o && *kind == SHOP_UNREADABLE_NOT_LOADED) snprintf(why, why_n, "%.200s is not loaded yet", strrchr(path, '/') + 1);
  return o;
}

static int load_page(pd_store *st, const char *kind, uint32_t magic, uint32_t page, uint64_t gen) {
  char path[4096];
  unsigned char *buf = NULL;
  bytes_reader r;
  int ops = magic == MAGIC_OPS, rc = -1;
  uint32_t size = ops ? st->op_page : st->order_page;
  path_of(st, path, sizeof path, kind, (long)page, gen);
  if (!ops && !(st->flags & PD_STORE_EAGER) && (rc = load_orders_lazy(st, page, path)) <= 0) goto done;
  rc = -1;
  if (frame_read(path, magic, &buf, &r)) goto done;
  if (!ops && r.format >= ORDER_PAGE_LAZY_FORMAT) { /* eager: the whole file, its CRC checked */
    order_page_head h;
    rc = order_page_head_parse(buf, r.len + 4, r.format, &h) || h.page != page ||
                 order_page_load(st->shop, buf, &h, r.format, buf, r.len + 4)
             ? -1
             : 0;
    goto done;
  }
  if (br_u32(&r) != page) goto done;
  uint32_t count = br_below(&r, size + 1);
  for (uint32_t i = 0; i < count && !r.failed; i++) {
    if (ops) {
      applied_op *op = snapshot_read_op(&r);
      if (op) op->seq = br_u64(&r);
      if (!op || r.failed || op->seq / size != page || shop_load_op(st->shop, op)) {
        applied_op_free(op);
        goto done;
      }
    } else {
      order *o = snapshot_read_order(&r);
      if (!o || o->seq / size != page || shop_load_order(st->shop, o)) {
        order_free(o);
        goto done;
      }
    }
  }
  rc = r.failed || r.pos != r.len ? -1 : 0;
done:
  pd_free(buf);
  if (rc) snprintf(st->err, sizeof st->err, "snapshot file %.200s is damaged or unreadable", strrchr(path, '/') + 1);
  return rc;
}

static int load_gens(bytes_reader *r, void *vec_items, size_t *len, size_t *cap) {
  uint32_t n = br_below(r, 1u << 26);
  uint64_t **items = vec_items;
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    uint32_t page = br_below(r, 1u << 26);
    uint64_t gen = br_u64(r);
    if (r->failed) break;
    if (*len <= page) {
      if (vec_reserve((void **)items, cap, *len, page + 1 - *len, sizeof **items)) return -1;
      while (*len <= page) (*items)[(*len)++] = 0;
    }
    (*items)[page] = gen;
  }
  return r->failed ? -1 : 0;
}

/* Loads the snapshot the manifest names (none yet: an empty shop). */
static int load_snapshot(pd_store *st, pd_store_report *rep, int read_only) {
  char path[4096];
  unsigned char *buf = NULL;
  bytes_reader r;
  snprintf(path, sizeof path, "%s/manifest.pds", st->dir);
  if (access(path, F_OK) != 0) return 0;
  if (frame_read(path, MAGIC_MANIFEST, &buf, &r)) {
    pd_free(buf);
    set_err(st, rep, "%s is damaged: the snapshot cannot be found", "manifest.pds");
    return -1;
  }
  st->gen = br_u64(&r);
  st->covered = br_u64(&r);
  uint64_t shop_gen = st->shop_gen = br_u64(&r);
  int bad = load_gens(&r, &st->order_gens.items, &st->order_gens.len, &st->order_gens.cap) ||
            load_gens(&r, &st->op_gens.items, &st->op_gens.len, &st->op_gens.cap);
  /* Format 3 says how many orders and operations the pages hold (older ones: unknown). */
  uint64_t orders = r.format >= 3 ? br_u64(&r) : 0, ops = r.format >= 3 ? br_u64(&r) : 0;
  /* Format 4 names its page sizes; older ones used the old sizes. A size that is not ours is
   * damage: it would make pages of unbounded count or size. */
  st->order_page = r.format >= 4 ? br_u32(&r) : STORE_OLD_ORDER_PAGE;
  st->op_page = r.format >= 4 ? br_u32(&r) : STORE_OLD_OP_PAGE;
  bad = bad || (st->order_page != ORDER_PAGE && st->order_page != STORE_OLD_ORDER_PAGE) ||
        (st->op_page != OP_PAGE && st->op_page != STORE_OLD_OP_PAGE);
  bad = bad || r.failed || r.pos != r.len;
  pd_free(buf);
  if (bad) {
    set_err(st, rep, "%s is damaged: the snapshot cannot be found", "manifest.pds");
    return -1;
  }
  path_of(st, path, sizeof path, "shop", -1, shop_gen);
  if (frame_read(path, MAGIC_SHOP, &buf, &r) || snapshot_read_shop(&r, st->shop) || r.pos != r.len) {
    pd_free(buf);
    set_err(st, rep, "snapshot file %.200s is damaged or unreadable", strrchr(path, '/') + 1);
    return -1;
  }
  pd_free(buf);
  /* The id maps sized once for what the pages hold, instead of doubling (and rehashing
   * everything) a dozen times on the way to 100k. No more than the seqs allow: a count is a
   * hint, never a reason to allocate more; if this fails, loading reserves as it goes. */
  pd_shop *s = st->shop;
  (void)idmap_reserve(&s->orders, (size_t)(orders < s->next_seq ? orders : s->next_seq - 1));
  (void)idmap_reserve(&s->ops, (size_t)(ops < s->next_op_seq ? ops : s->next_op_seq - 1));
  int damaged = 0;
  s->index_later = 1; /* the indexes are built once every page is in */
  for (size_t p = 0; p < st->order_gens.len; p++)
    if (st->order_gens.items[p] && load_page(st, "orders", MAGIC_ORDERS, (uint32_t)p, st->order_gens.items[p])) {
      if (!read_only) return -1;
      damaged = 1; /* read-only: keep what is readable, say what is not */
    }
  s->index_later = 0;
  shop_index_all(s);
  for (size_t p = 0; p < st->op_gens.len; p++)
    if (st->op_gens.items[p] && load_page(st, "ops", MAGIC_OPS, (uint32_t)p, st->op_gens.items[p])) {
      if (!read_only) return -1;
      damaged = 1;
    }
  if (damaged) snprintf(st->snapshot_damage, sizeof st->snapshot_damage, "%s", st->err);
  return 0;
}

/* Reads the decimal digits at *p into *v, *p moved past them: 1, or 0 when there are none or
 * they overflow. */
static int digits(const char **p, unsigned long long *v) {
  const char *s = *p;
  unsigned long long x = 0;
  if (*s < '0' || *s > '9') return 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (x > (ULLONG_MAX - 9) / 10) return 0;
    x = x * 10 + (unsigned)(*s - '0');
  }
  *p = s;
  *v = x;
  return 1;
}

/* Whether name is a snapshot file "<kind>-<page>-<gen>.pd..." (without page: "<kind>-<gen>.pd..."),
 * with its numbers. As sscanf("orders-%lu-%llu.pd%c") read them, less its leniency (spaces,
 * signs) and its cost: an open sweeps ~100 names, and sscanf took ~5 ms of it in Chromium. */
static int snapshot_name(const char *name, const char *kind, unsigned long long *page, unsigned long long *gen) {
  size_t k = strlen(kind);
  if (strncmp(name, kind, k) != 0 || name[k] != '-') return 0;
  const char *p = name + k + 1;
  if (page && (!digits(&p, page) || *p++ != '-')) return 0;
  return digits(&p, gen) && strncmp(p, ".pd", 3) == 0 && p[3] != '\0';
}

/* Removes what a crash left behind: temporary files, and snapshot files of generations the
 * manifest does not name (written by a checkpoint that never committed, or replaced by one
 * that committed but was cut off before it could clean up). */
static void sweep(pd_store *st) {
  DIR *d = opendir(st->dir);
  struct dirent *e;
  char path[4096];
  while (d && (e = readdir(d))) {
    unsigned long long page, gen;
    const char *name = e->d_name;
    size_t n = strlen(name);
    int stale = n > 4 && strcmp(name + n - 4, ".tmp") == 0;
    if (snapshot_name(name, "orders", &page, &gen))
      stale = page >= st->order_gens.len || st->order_gens.items[page] != gen;
    else if (snapshot_name(name, "ops", &page, &gen))
      stale = page >= st->op_gens.len || st->op_gens.items[page] != gen;
    else if (snapshot_name(name, "shop", NULL, &gen))
      stale = gen != st->shop_gen;
    if (!stale) continue;
    snprintf(path, sizeof path, "%s/%.255s", st->dir, name);
    unlink(path);
  }
  if (d) closedir(d);
}

/* --- the journal, as the shop's journal hook --- */

static int replay_record(void *ud, uint64_t seq, const char *payload, size_t len) {
  pd_store *st = ud;
  uint64_t not_loaded = st->shop->not_loaded;
  st->shop->replaying = 1;
  char *r = pd_exec(st->shop, payload, len);
  st->shop->replaying = 0;
  if (st->shop->not_loaded != not_loaded) { /* changed nothing: again once its bodies are loaded */
    pd_string_free(r);
    return 1;
  }
  int ok = r && strncmp(r, "{\"ok\":true", 10) == 0;
  st->replayed += ok ? 1u : 0u;
  if (!ok)
    snprintf(st->err, sizeof st->err, "journal record %llu no longer applies: %.200s",
             (unsigned long long)seq, r ? r : "out of memory");
  pd_string_free(r);
  return ok ? 0 : -1;
}

/*
 * Reading ahead, once a replay waits for a body not loaded: the bodies of the orders the rest
 * of the tail names are asked for now, so that the shell loads every page they lie on in one go
 * (one IndexedDB transaction) instead of one page each time the replay stops again. A body that
 * is here is read (the replay is about to need it); one that is not leaves its page asked for,
 * and the page is asked once: in the browser each read that finds it missing is an exception
 * thrown through the file system (~0.2 ms; 200 of them made an open ~40 ms slower). Nothing is
 * applied and nothing else changes.
 */
typedef struct {
  pd_store *st;
  size_t missing[64]; /* pages found not loaded (the first 64) */
  size_t n;
} read_ahead;

static int page_missing(const read_ahead *ra, size_t page) {
  for (size_t i = 0; i < ra->n; i++)
    if (ra->missing[i] == page) return 1;
  return 0;
}

static int ask_ahead(void *ud, uint64_t seq, const char *payload, size_t len) {
  read_ahead *ra = ud;
  pd_shop *s = ra->st->shop;
  (void)seq;
  pd_json_begin();
  cJSON *req = cJSON_ParseWithLength(payload, len);
  const char *id = j_get_str(req, "order_id");
  order_slot *sl = id ? shop_slot(s, id) : NULL;
  if (sl && !sl->o && !page_missing(ra, (size_t)(sl->seq / ORDER_PAGE)) && !shop_order(s, sl)) {
    if (s->unreadable == SHOP_UNREADABLE_NOT_LOADED && ra->n < sizeof ra->missing / sizeof *ra->missing)
      ra->missing[ra->n++] = (size_t)(sl->seq / ORDER_PAGE);
    s->unreadable = 0;
  }
  cJSON_Delete(req);
  pd_json_end();
  return 0;
}

/* Grows a page table (generations, or dirty flags) of *len items of `size` bytes to `want`
 * items, the new ones zero: 0, or -1 when out of memory (the table unchanged). */
static int zero_fit(void *items, size_t *len, size_t *cap, size_t want, size_t size) {
  void **p = items;
  if (*len >= want) return 0;
  if (vec_reserve(p, cap, *len, want - *len, size)) return -1;
  memset((char *)*p + *len * size, 0, (want - *len) * size);
  *len = want;
  return 0;
}
#define PAGES_FIT(v, want) zero_fit(&(v).items, &(v).len, &(v).cap, (want), sizeof *(v).items)

/*
 * tail-pages names, one a line, the order page files holding an order that a command of the
 * journal's tail changed: the pages whose bodies the next open's replay reads. A shell that
 * reads bodies lazily (wasm/idbfs-sync.mjs) fetches those with the rest of the open's read, so
 * the replay does not stop for them: each stop is an IndexedDB round trip with the main thread
 * idle (a 100k-order store's C open with its longest tail: 187 against 166 ms, paired, session
 * 9). A hint, never needed: missing, stale or wrong, the replay asks for what it lacks, as
 * before. Written when a command changes an order of a page not named yet; a checkpoint, which
 * empties the tail, removes it.
 */
#define TAIL_PAGES "tail-pages"

/* Notes the pages of the orders the command being journaled changed: 1 when one is new. */
static int note_tail_pages(pd_store *st) {
  const shop_txn *t = st->shop->journaling;
  int added = 0;
  if (!t || st->order_page != ORDER_PAGE || PAGES_FIT(st->tail_pages, st->order_gens.len)) return 0;
  for (size_t i = 0; i < t->orders.len; i++) {
    const txn_order *to = &t->orders.items[i];
    size_t page = to->orig && to->slot ? (size_t)(to->slot->seq / ORDER_PAGE) : SIZE_MAX;
    if (page >= st->order_gens.len || !st->order_gens.items[page]) continue; /* not in a file */
    added |= !st->tail_pages.items[page];
    st->tail_pages.items[page] = 1;
  }
  return added;
}

/* Makes tail-pages name the pages noted (none: no file), unless it does already. A failure
 * changes nothing anyone sees: the next open's replay asks for the bodies as it goes. */
static void save_tail_pages(pd_store *st) {
  char path[4096], name[4096];
  bytes_writer w = {0};
  for (size_t p = 0; p < st->tail_pages.len && p < st->order_gens.len; p++) {
    if (!st->tail_pages.items[p] || !st->order_gens.items[p]) continue;
    path_of(st, name, sizeof name, "orders", (long)p, st->order_gens.items[p]);
    bw_raw(&w, strrchr(name, '/') + 1, strlen(strrchr(name, '/') + 1));
    bw_raw(&w, "\n", 1);
  }
  snprintf(path, sizeof path, "%s/" TAIL_PAGES, st->dir);
  unsigned char *old = NULL;
  size_t n = 0;
  int same = fio_read_file(path, &old, &n) == 0 ? n == w.len && (n == 0 || memcmp(old, w.data, n) == 0) : w.len == 0;
  pd_free(old);
  if (!same && !w.failed) {
    if (w.len) (void)fio_write_file(path, w.data, w.len);
    else unlink(path);
  }
  bw_free(&w);
}

static int journal_hook(void *ud, const char *request, size_t len) {
  pd_store *st = ud;
  uint64_t seq;
  if (journal_append(st->jr, request, len, &seq)) return -1;
  if ((st->flags & PD_STORE_FSYNC) && journal_sync(st->jr)) {
    /* Not durable, so not applied: the record must not come back at the next open. */
    journal_undo_last(st->jr);
    return -1;
  }
  if (note_tail_pages(st)) save_tail_pages(st);
  return 0;
}

/* The hook while a writable open replays its tail: the records are in the journal already;
 * what they touch is noted, for tail-pages to name (saved once the replay is over). */
static int replay_hook(void *ud, const char *request, size_t len) {
  (void)request;
  (void)len;
  note_tail_pages(ud);
  return 0;
}

/* A dirty page is PAGE_WRITE, or PAGE_DROP when nothing is left in it: such a page gets no
 * file (its old one goes with the snapshot it belonged to), so an open reads only pages that
 * hold something. Operations are forgotten oldest first (OPS_KEPT), so without this every
 * 4,096 operations a shop ever applied left an empty page that every open read: 23 files at
 * 100k commands, each a record in IndexedDB and a file in memory. */
enum { PAGE_WRITE = 1, PAGE_DROP = 2 };

static int page_empty(const pd_shop *s, int ops, size_t page) {
  size_t size = ops ? OP_PAGE : ORDER_PAGE, first = page * size, len = ops ? s->op_list.len : s->by_seq.len;
  for (size_t i = first; i < first + size && i < len; i++)
    if (ops ? s->op_list.items[i] != NULL : s->by_seq.items[i] != NULL) return 0;
  return 1;
}

/* Pages a checkpoint left empty before PAGE_DROP: marked dirty, so the next one drops them. */
static void mark_empty_pages(pd_store *st) {
  pd_shop *s = st->shop;
  if (PAGES_FIT(s->dirty_orders, st->order_gens.len) || PAGES_FIT(s->dirty_ops, st->op_gens.len)) return;
  for (size_t p = 0; p < st->order_gens.len; p++)
    if (st->order_gens.items[p] && page_empty(s, 0, p)) s->dirty_orders.items[p] = 1;
  for (size_t p = 0; p < st->op_gens.len; p++)
    if (st->op_gens.items[p] && page_empty(s, 1, p)) s->dirty_ops.items[p] = 1;
}

/* A snapshot in pages of an older size (format 3 and before): every page is rewritten in
 * the current sizes by the next checkpoint, and the old generations are forgotten, so the new
 * manifest names new pages only; the old files stay until that manifest is safe (sweep). */
static void repage(pd_store *st) {
  pd_shop *s = st->shop;
  for (size_t seq = 0; seq < s->by_seq.len; seq++)
    if (s->by_seq.items[seq]) s->dirty_orders.items[seq / ORDER_PAGE] = 1;
  for (size_t seq = 0; seq < s->op_list.len; seq++)
    if (s->op_list.items[seq]) s->dirty_ops.items[seq / OP_PAGE] = 1;
  st->order_gens.len = 0;
  st->op_gens.len = 0;
  st->order_page = ORDER_PAGE;
  st->op_page = OP_PAGE;
}

/* A read-only store takes no change: every command that would change it answers STORAGE. */
static int refuse_writes(void *ud, const char *request, size_t len) {
  (void)ud;
  (void)request;
  (void)len;
  return -1;
}

static int replay_tail(pd_store *st, pd_store_report *rep);

pd_store *pd_store_open(const char *dir, int flags, pd_store_report *rep) {
  pd_store *st = pd_calloc(1, sizeof *st);
  int read_only = (flags & PD_STORE_READ_ONLY) != 0;
  if (rep) memset(rep, 0, sizeof *rep);
  if (!st || !(st->dir = pd_strdup(dir)) || !(st->shop = pd_shop_new())) {
    if (rep) snprintf(rep->message, sizeof rep->message, "out of memory");
    goto fail;
  }
  st->flags = flags;
  st->shop->read_body = read_body;
  st->shop->read_body_ud = st;
  st->order_page = ORDER_PAGE;
  st->op_page = OP_PAGE;
  if (!read_only && mkdir(dir, 0755) != 0 && errno != EEXIST) {
    set_err(st, rep, "cannot create the store directory %.200s", dir);
    goto fail;
  }
  if (load_snapshot(st, rep, read_only)) goto fail;
  if (!read_only) {
    sweep(st);
    mark_empty_pages(st);
  }
  /* The journal is checked whole first, then its tail replayed: a replay that waits for
   * bodies (pd_store_resume) starts again where it stopped, the journal already known good. */
  if (journal_open(dir, st->covered + 1, read_only, NULL, NULL, &st->jr, &st->jrep)) {
    if (rep) {
      rep->damaged = 1;
      snprintf(rep->message, sizeof rep->message, "%s",
               st->jrep.damage[0] ? st->jrep.damage : "the journal cannot be opened");
    }
    goto fail;
  }
  st->replay_next = st->covered + 1;
  st->replay_last = st->jrep.last_seq;
  if (!read_only) pd_set_journal(st->shop, replay_hook, st);
  if (replay_tail(st, rep) < 0) goto fail;
  return st;
fail:
  pd_store_close(st);
  return NULL;
}

/* What the open found, once its replay is over (or waiting: pending). */
static void report_open(pd_store *st, pd_store_report *rep) {
  if (!rep) return;
  const journal_report *jrep = &st->jrep;
  memset(rep, 0, sizeof *rep);
  rep->orders = st->shop->orders.len;
  rep->snapshot_seq = st->covered;
  rep->replayed = st->replayed;
  rep->torn_bytes = jrep->torn_bytes;
  rep->torn_seq = jrep->torn_seq;
  rep->pending = st->pending;
  if (st->snapshot_damage[0]) {
    rep->damaged = 1;
    snprintf(rep->message, sizeof rep->message, "%s", st->snapshot_damage);
  }
  if (jrep->damaged) {
    rep->damaged = 1;
    snprintf(rep->message, sizeof rep->message, "%s", jrep->damage);
  } else if (jrep->torn_bytes && !rep->damaged) {
    snprintf(rep->message, sizeof rep->message,
             "cut %llu bytes of a torn write at the journal's end (record %llu was never saved)",
             (unsigned long long)jrep->torn_bytes, (unsigned long long)jrep->torn_seq);
  }
}

/* Replays what is left of the journal's tail: 0 done (the store takes commands), 1 waiting for
 * bodies not loaded yet (pending), -1 a record no longer applies (rep says so: damage). */
static int replay_tail(pd_store *st, pd_store_report *rep) {
  int read_only = (st->flags & PD_STORE_READ_ONLY) != 0;
  st->err[0] = '\0'; /* set by replay_record when a record fails; else the journal says why */
  int rc = journal_replay(st->jr, st->replay_next, st->replay_last, replay_record, st, &st->replay_next);
  st->pending = rc == 1;
  if (rc == 1) {
    read_ahead ra = {st, {0}, 0};
    uint64_t ahead;
    (void)journal_replay(st->jr, st->replay_next, st->replay_last, ask_ahead, &ra, &ahead);
  }
  if (rc < 0) {
    if (rep) {
      memset(rep, 0, sizeof *rep);
      rep->damaged = 1;
      snprintf(rep->message, sizeof rep->message, "%s", st->err[0] ? st->err : journal_errmsg(st->jr));
    }
    return -1;
  }
  report_open(st, rep);
  if (rc == 1) return 1;
  if (!read_only) save_tail_pages(st); /* a store saved before there was such a file gets one */
  /* An old store is rewritten in today's page sizes now, once: an open of it would otherwise
   * keep reading many small pages. If this checkpoint fails, the old snapshot and the journal
   * still hold everything, and the next checkpoint writes every page. */
  if (!read_only && (st->order_page != ORDER_PAGE || st->op_page != OP_PAGE)) {
    repage(st);
    if (pd_store_checkpoint(st) == 0) sweep(st);
  }
  pd_set_journal(st->shop, read_only ? refuse_writes : journal_hook, st);
  return 0;
}

int pd_store_resume(pd_store *st, pd_store_report *rep) {
  if (!st->pending) {
    report_open(st, rep);
    return 0;
  }
  return replay_tail(st, rep);
}

int pd_store_pending(const pd_store *st) { return st->pending; }

/* The generation of the snapshot the manifest in dir names now: 0 with none (nothing was ever
 * checkpointed), -1 when the manifest cannot be read. */
static int manifest_gen(const pd_store *st, uint64_t *gen) {
  char path[4096];
  unsigned char *buf = NULL;
  bytes_reader r;
  snprintf(path, sizeof path, "%s/manifest.pds", st->dir);
  *gen = 0;
  if (access(path, F_OK) != 0) return 0;
  int rc = frame_read(path, MAGIC_MANIFEST, &buf, &r) ? -1 : 0;
  if (rc == 0) *gen = br_u64(&r);
  pd_free(buf);
  return rc == 0 && !r.failed ? 0 : -1;
}

int pd_store_follow(pd_store *st, pd_store_report *rep) {
  uint64_t gen;
  journal *jr = NULL;
  journal_report jrep;
  if (rep) memset(rep, 0, sizeof *rep);
  /* Only a follower's open, whole and undamaged, on the snapshot it loaded is carried on. */
  if (!(st->flags & PD_STORE_READ_ONLY) || st->pending || st->jrep.damaged || st->snapshot_damage[0] ||
      manifest_gen(st, &gen) || gen != st->gen)
    return 2;
  /* The journal read again from the snapshot's seq on: every record checked as an open checks
   * it, the new ones (past replay_last) then applied. Anything but more of the same journal
   * (damage, fewer records: a writer that truncated a torn tail) is left to a full open. */
  if (journal_open(st->dir, st->covered + 1, 1, NULL, NULL, &jr, &jrep) || jrep.damaged ||
      jrep.last_seq < st->replay_last) {
    journal_close(jr);
    return 2;
  }
  journal_close(st->jr);
  st->jr = jr;
  st->jrep = jrep;
  st->replay_last = jrep.last_seq;
  pd_set_journal(st->shop, NULL, NULL); /* as a read-only open replays */
  int rc = replay_tail(st, rep);
  if (rc == 1) {
    /* Stopped before a record whose bodies are not loaded (asked for, as an open's replay asks
     * for them): unlike an open, the store is not left pending. It holds the records before that
     * one, a state the writer had, and answers from it until a follow gets further. */
    st->pending = 0;
    if (rep) rep->pending = 0;
  }
  if (rc != 0) pd_set_journal(st->shop, refuse_writes, st); /* it stays read-only, whatever it holds */
  return rc;
}

/* --- checkpoints --- */

static int write_page(pd_store *st, const char *kind, uint32_t magic, uint32_t page, uint64_t gen) {
  char path[4096];
  bytes_writer w = {0};
  pd_shop *s = st->shop;
  int ops = magic == MAGIC_OPS;
  size_t first = (size_t)page * (ops ? OP_PAGE : ORDER_PAGE), end = first + (ops ? OP_PAGE : ORDER_PAGE);
  frame_begin(&w, magic);
  path_of(st, path, sizeof path, kind, (long)page, gen);
  if (!ops) {
    if (order_page_write(&w, s, page)) {
      bw_free(&w);
      return -1;
    }
    return frame_end_write(&w, path);
  }
  bw_u32(&w, page);
  uint32_t count = 0;
  for (size_t i = first; i < end; i++) count += i < s->op_list.len && s->op_list.items[i];
  bw_u32(&w, count);
  for (size_t i = first; i < end && i < s->op_list.len; i++) {
    if (!s->op_list.items[i]) continue;
    snapshot_write_op(&w, s->op_list.items[i]);
    bw_u64(&w, s->op_list.items[i]->seq);
  }
  return frame_end_write(&w, path);
}

/* Marks each dirty page PAGE_WRITE or PAGE_DROP (shop.h's dirty flags are 0 or 1 elsewhere). */
static void sort_dirty(const pd_shop *s, int ops, uint8_t *dirty, size_t pages) {
  for (size_t p = 0; p < pages; p++)
    if (dirty[p]) dirty[p] = page_empty(s, ops, p) ? PAGE_DROP : PAGE_WRITE;
}

/* The manifest's list of pages: each with its file's generation, the ones this checkpoint
 * writes at `gen`, none for a page dropped. */
#define PAGE_LISTED(p) (dirty[p] ? dirty[p] == PAGE_WRITE : gens[p] != 0)
static void write_gens(bytes_writer *w, const uint64_t *gens, size_t len, const uint8_t *dirty, uint64_t gen) {
  uint32_t n = 0;
  for (size_t p = 0; p < len; p++) n += PAGE_LISTED(p);
  bw_u32(w, n);
  for (size_t p = 0; p < len; p++)
    if (PAGE_LISTED(p)) {
      bw_u32(w, (uint32_t)p);
      bw_u64(w, dirty[p] ? gen : gens[p]);
    }
}
#undef PAGE_LISTED

/* For each page rewritten at `gen`, or dropped: removes the file an older generation held,
 * records the new generation (none for a page dropped), and clears the page's dirty flag. */
static void supersede(pd_store *st, const char *kind, uint8_t *dirty, size_t pages, uint64_t *gens,
                      uint64_t gen) {
  char path[4096];
  for (size_t p = 0; p < pages; p++) {
    if (!dirty[p]) continue;
    if (gens[p]) {
      path_of(st, path, sizeof path, kind, (long)p, gens[p]);
      unlink(path);
    }
    gens[p] = dirty[p] == PAGE_WRITE ? gen : 0;
    dirty[p] = 0;
  }
}

static void remove_superseded(pd_store *st, uint64_t gen, uint64_t old_shop_gen) {
  char path[4096];
  pd_shop *s = st->shop;
  for (size_t p = 0; p < s->dirty_orders.len; p++)
    if (s->dirty_orders.items[p]) close_page_file(st, p); /* its orders are all read (order_page_write) */
  supersede(st, "orders", s->dirty_orders.items, s->dirty_orders.len, st->order_gens.items, gen);
  supersede(st, "ops", s->dirty_ops.items, s->dirty_ops.len, st->op_gens.items, gen);
  if (old_shop_gen) {
    path_of(st, path, sizeof path, "shop", -1, old_shop_gen);
    unlink(path);
  }
}

int pd_store_checkpoint(pd_store *st) {
  pd_shop *s = st->shop;
  uint64_t gen = st->gen + 1, covered = journal_last_seq(st->jr);
  char path[4096];
  bytes_writer w = {0};
  if ((st->flags & PD_STORE_READ_ONLY) || st->pending) return -1;
  /* A snapshot holds the newest OPS_KEPT operations, not up to twice that: every open reads
   * them, answers and all (~440 bytes each). */
  shop_forget_old_ops(s);
  sort_dirty(s, 0, s->dirty_orders.items, s->dirty_orders.len);
  sort_dirty(s, 1, s->dirty_ops.items, s->dirty_ops.len);
  /* One entry a page in both tables, so that each is read only within bounds below. */
  if (PAGES_FIT(st->order_gens, s->dirty_orders.len) || PAGES_FIT(st->op_gens, s->dirty_ops.len) ||
      PAGES_FIT(s->dirty_orders, st->order_gens.len) || PAGES_FIT(s->dirty_ops, st->op_gens.len))
    goto fail;
  for (size_t p = 0; p < s->dirty_orders.len; p++)
    if (s->dirty_orders.items[p] == PAGE_WRITE && write_page(st, "orders", MAGIC_ORDERS, (uint32_t)p, gen)) goto fail;
  for (size_t p = 0; p < s->dirty_ops.len; p++)
    if (s->dirty_ops.items[p] == PAGE_WRITE && write_page(st, "ops", MAGIC_OPS, (uint32_t)p, gen)) goto fail;
  frame_begin(&w, MAGIC_SHOP);
  snapshot_write_shop(&w, s);
  path_of(st, path, sizeof path, "shop", -1, gen);
  if (frame_end_write(&w, path)) goto fail;

  frame_begin(&w, MAGIC_MANIFEST);
  bw_u64(&w, gen);
  bw_u64(&w, covered);
  bw_u64(&w, gen); /* the shop file is written at every checkpoint */
  write_gens(&w, st->order_gens.items, st->order_gens.len, s->dirty_orders.items, gen);
  write_gens(&w, st->op_gens.items, st->op_gens.len, s->dirty_ops.items, gen);
  bw_u64(&w, s->orders.len); /* format 3: what the pages hold, for the next open to size by */
  bw_u64(&w, s->ops.len);
  bw_u32(&w, ORDER_PAGE); /* format 4 */
  bw_u32(&w, OP_PAGE);
  snprintf(path, sizeof path, "%s/manifest.pds", st->dir);
  if (frame_end_write(&w, path)) goto fail;
  fio_fsync_dir(st->dir);

  /* The new snapshot is safe: only now may what it replaces go. */
  remove_superseded(st, gen, st->gen);
  st->gen = gen;
  st->shop_gen = gen;
  st->covered = covered;
  if (journal_roll(st->jr) == 0) journal_drop_before(st->jr, covered + 1);
  if (st->tail_pages.len) memset(st->tail_pages.items, 0, st->tail_pages.len);
  save_tail_pages(st); /* the tail is empty: no file */
  return 0;
fail:
  /* Files of the failed generation are orphans the next checkpoint overwrites; the old
   * manifest, pages and journal still hold everything. */
  snprintf(st->err, sizeof st->err, "checkpoint failed; the journal still holds every change");
  return -1;
}

char *pd_store_exec(pd_store *st, const char *request, size_t len) {
  if (st->pending) { /* its journal's tail is not all applied: nothing may be read or changed yet */
    pd_err err = {"NOT_LOADED", NULL, NULL,
                  "the store is still opening: its journal needs order bodies not loaded yet; nothing was changed"};
    return api_respond(NULL, &err);
  }
  char *r = pd_exec(st->shop, request, len);
  if (st->jr && (journal_segment_bytes(st->jr) > SEGMENT_MAX || journal_last_seq(st->jr) - st->covered >= TAIL_RECORDS_MAX))
    pd_store_checkpoint(st);
  return r;
}

int pd_store_idle(pd_store *st) {
  if ((st->flags & PD_STORE_READ_ONLY) || !st->jr || st->pending) return 0;
  if (journal_last_seq(st->jr) - st->covered < IDLE_CHECKPOINT_RECORDS) return 0;
  return pd_store_checkpoint(st) ? -1 : 1;
}

pd_shop *pd_store_shop(pd_store *st) { return st->shop; }
const char *pd_store_errmsg(const pd_store *st) { return st->err; }

void pd_store_close(pd_store *st) {
  if (!st) return;
  if (st->jr) journal_close(st->jr);
  for (size_t p = 0; p < st->order_fds.len; p++) close_page_file(st, p);
  pd_free(st->order_fds.items);
  pd_free(st->tail_pages.items);
  pd_shop_free(st->shop);
  pd_free(st->order_gens.items);
  pd_free(st->op_gens.items);
  pd_free(st->dir);
  pd_free(st);
}
