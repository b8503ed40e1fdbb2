/* order_page.c: pages of orders in format 5 (see order_page.h). */
#define _POSIX_C_SOURCE 200809L
#include "order_page.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "crc32c.h"
#include "snapshot.h"
#include "vec.h"

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int order_page_write(bytes_writer *w, pd_shop *s, uint32_t page) {
  size_t first = (size_t)page * ORDER_PAGE, end = first + ORDER_PAGE;
  uint32_t count = 0;
  size_t id_bytes = 0;
  for (size_t i = first; i < end && i < s->by_seq.len; i++) {
    order_slot *sl = s->by_seq.items[i];
    if (!sl) continue;
    if (!shop_order(s, sl)) { /* this page's file is about to be replaced: read it all first */
      s->unreadable = 0;
      return -1;
    }
    count++;
    id_bytes += strlen(sl->id) + 1;
  }
  bytes_writer sums = {0}, bodies = {0};
  for (size_t i = first; i < end && i < s->by_seq.len; i++) {
    order_slot *sl = s->by_seq.items[i];
    if (!sl) continue;
    size_t at = bodies.len;
    snapshot_write_order(&bodies, sl->o);
    size_t len = bodies.len - at;
    bw_fixed32(&bodies, bodies.failed ? 0 : crc32c(0, bodies.data + at, len));
    snapshot_write_summary(&sums, sl, (uint32_t)len);
  }
  bw_u32(w, page);
  bw_u32(w, count);
  bw_u32(w, (uint32_t)id_bytes);
  bw_fixed32(w, (uint32_t)sums.len);
  bw_raw(w, sums.data, sums.len);
  w->failed |= sums.failed | bodies.failed;
  bw_fixed32(w, w->failed ? 0 : crc32c(0, w->data, w->len));
  bw_raw(w, bodies.data, bodies.len);
  bw_free(&sums);
  bw_free(&bodies);
  return 0;
}

int order_page_head_parse(const unsigned char *data, size_t n, uint32_t format, order_page_head *h) {
  bytes_reader r = {data, n, 8, 0, format}; /* past the frame's magic and format */
  h->page = br_u32(&r);
  h->count = br_below(&r, ORDER_PAGE + 1);
  h->id_bytes = br_u32(&r);
  h->summaries_len = br_fixed32(&r);
  h->summaries_at = r.pos;
  /* Sizes from the file are added in 64 bits: in wasm a size_t is 32, and a length near 4 GiB
   * would wrap to a small offset that passes every later check. */
  uint64_t bodies_at = (uint64_t)r.pos + h->summaries_len + 4;
  h->bodies_at = (size_t)bodies_at;
  return r.failed || n < 8 || bodies_at > SIZE_MAX ? -1 : 0;
}

/* Decodes a body and checks its CRC (the 4 bytes after it): NULL when either fails. */
static order *decode_body(const unsigned char *at, uint32_t len, uint32_t format) {
  if (crc32c(0, at, len) != le32(at + len)) return NULL;
  bytes_reader r = {at, len, 0, 0, format};
  order *o = snapshot_read_order(&r);
  if (o && r.pos != r.len) {
    order_free(o);
    o = NULL;
  }
  return o;
}

int order_page_load(pd_shop *s, const unsigned char *data, const order_page_head *h, uint32_t format,
                    const unsigned char *whole, size_t file_size) {
  if (h->bodies_at > file_size || crc32c(0, data, h->bodies_at - 4) != le32(data + h->bodies_at - 4)) return -1;
  if (h->id_bytes > h->summaries_len || VEC_RESERVE(s->blocks, 2)) return -1;
  order_slot *slots = h->count ? pd_calloc(h->count, sizeof *slots) : NULL;
  char *ids = h->id_bytes ? pd_malloc(h->id_bytes) : NULL;
  if (slots) s->blocks.items[s->blocks.len++] = slots;
  if (ids) s->blocks.items[s->blocks.len++] = ids;
  if ((h->count && !slots) || (h->id_bytes && !ids)) return -1;
  bytes_reader r = {data, h->summaries_at + h->summaries_len, h->summaries_at, 0, format};
  size_t used = 0, body_at = h->bodies_at;
  for (uint32_t i = 0; i < h->count; i++) {
    order_slot *sl = &slots[i];
    const unsigned char *id;
    size_t id_n;
    uint32_t len = snapshot_read_summary(&r, sl, &id, &id_n);
    /* The body, its CRC and the file's CRC after it (body_at never passes file_size - 4). */
    if (r.failed || id_n + 1 > h->id_bytes - used || (uint64_t)len + 8 > (uint64_t)(file_size - body_at)) return -1;
    if (body_at > UINT32_MAX || sl->seq / ORDER_PAGE != h->page) return -1;
    memcpy(ids + used, id, id_n);
    ids[used + id_n] = '\0';
    sl->id = ids + used;
    used += id_n + 1;
    sl->in_block = 1;
    sl->body_at = (uint32_t)body_at;
    sl->body_len = len;
    body_at += (size_t)len + 4;
    if (whole && !(sl->o = decode_body(whole + sl->body_at, len, format))) return -1;
    if ((sl->o && !shop_slot_agrees(sl, sl->o)) || shop_load_slot(s, sl)) {
      order_free(sl->o);
      sl->o = NULL;
      return -1;
    }
  }
  /* Nothing between the summaries and the bodies, nothing after the last but the file's CRC. */
  return r.pos == r.len && body_at + 4 == file_size ? 0 : -1;
}

order *order_page_read_body(int fd, const order_slot *sl, int *kind) {
  size_t n = (size_t)sl->body_len + 4, got = 0;
  unsigned char *buf = pd_malloc(n);
  int not_loaded = 0;
  while (buf && got < n) {
    ssize_t r = pread(fd, buf + got, n - got, (off_t)sl->body_at + (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    not_loaded = r < 0 && errno == EAGAIN; /* the browser's lazy file: its bytes are not here yet */
    if (r <= 0) break;
    got += (size_t)r;
  }
  long failures = pd_alloc_failures();
  order *o = buf && got == n ? decode_body(buf, sl->body_len, ORDER_PAGE_LAZY_FORMAT) : NULL;
  if (!o)
    *kind = !buf || pd_alloc_failures() != failures ? SHOP_UNREADABLE_OOM
            : not_loaded                           ? SHOP_UNREADABLE_NOT_LOADED
                                                   : SHOP_UNREADABLE_DAMAGED;
  pd_free(buf);
  return o;
}
