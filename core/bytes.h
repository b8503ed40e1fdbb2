/*
 * bytes.h: a binary writer and a bounds-checked reader, for snapshot files.
 * The writer records out-of-memory and the reader records any overrun or bad value in a
 * sticky flag, so that a whole structure is written or read with straight-line code and
 * checked once at the end: a damaged file can make a read fail, never read out of bounds.
 *
 * Two encodings of the same calls. The compact one (what the writer writes; a reader whose
 * format is 0 or at least BYTES_COMPACT_FORMAT): integers as LEB128 varints (7 bits a byte,
 * low first; signed ones zigzagged, so -1 is 1 byte), strings as varint(length + 1) and the
 * bytes, 0 standing for NULL. The fixed one (snapshot formats 1 and 2, still read): integers
 * little-endian in 4 or 8 bytes, strings as u32 length (0xFFFFFFFF for NULL) and the bytes.
 * bw_fixed32/br_fixed32 and the 64-bit pair are fixed in both (magic numbers, format, CRCs,
 * hashes: things read before the format is known, or that a varint would make longer).
 */
#ifndef PD_BYTES_H
#define PD_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* The first snapshot format (snapshot.h) written in the compact encoding. */
#define BYTES_COMPACT_FORMAT 3u

typedef struct {
  unsigned char *data;
  size_t len, cap;
  int failed; /* out of memory at some point: the content is incomplete */
} bytes_writer;

void bw_u8(bytes_writer *w, uint8_t v);
void bw_u32(bytes_writer *w, uint32_t v);
void bw_u64(bytes_writer *w, uint64_t v);
void bw_i64(bytes_writer *w, int64_t v);
void bw_str(bytes_writer *w, const char *s); /* NULL is kept apart from "" */
void bw_fixed32(bytes_writer *w, uint32_t v);
void bw_fixed64(bytes_writer *w, uint64_t v);
void bw_raw(bytes_writer *w, const void *p, size_t n);
void bw_free(bytes_writer *w);

typedef struct {
  const unsigned char *data;
  size_t len, pos;
  int failed; /* overrun, bad value or out of memory: everything read since is 0 / NULL */
  uint32_t format; /* the snapshot format being read (snapshot.h); 0 = the current one */
} bytes_reader;

uint8_t br_u8(bytes_reader *r);
uint32_t br_u32(bytes_reader *r);
uint64_t br_u64(bytes_reader *r);
int64_t br_i64(bytes_reader *r);
uint32_t br_fixed32(bytes_reader *r);
uint64_t br_fixed64(bytes_reader *r);
/* A string from pd_malloc (NULL for a stored NULL, or on failure). max bounds its length. */
char *br_str(bytes_reader *r, size_t max);
/* A string where it lies in the data, not copied and not NUL-terminated: 1 with *p and *n
 * set, 0 for a stored NULL or a failure (r->failed tells which). max bounds its length; a
 * string holding a NUL byte fails the reader (no C string could hold it). */
int br_view(bytes_reader *r, size_t max, const unsigned char **p, size_t *n);
/* An enum or count within [0, limit): anything else fails the reader. */
uint32_t br_below(bytes_reader *r, uint32_t limit);

#endif
