/*
 * journal.h: an append-only journal of applied commands, kept as segment files in a directory.
 *
 * Layout. Segments are named `journal-<first seq, 20 digits zero-padded>.pdj`; other files in the
 * directory are ignored. A segment is a run of records, each a 20-byte little-endian header
 * {u32 magic 0x5044524A "PDRJ", u32 payload length, u64 seq, u32 CRC-32C over (length, seq,
 * payload)} followed by the payload. Seqs are consecutive, within and across segments, and a
 * segment's first record has the seq in its name. Seqs start at 1.
 *
 * Damage. Recovery reads every record up to the last valid one, as Redis's aof.c does with
 * valid_up_to. A bad record at the end of the last segment with nothing valid after it is a
 * torn tail (a write cut short by a crash): it is cut off and reported. Anything else is damage:
 * a bad record followed by a valid one, a bad record at the end of an earlier segment, a seq
 * out of order, a missing segment. Damage refuses the open, unless read-only. Note that a byte
 * flipped inside the very last record cannot be told from a torn write: it is cut like one.
 *
 * Errors live on the handle (journal_errmsg); journal_open, which may have none, says why in
 * the report. No fsync is made unless written below: the caller chooses when (journal_sync).
 */
#ifndef PD_JOURNAL_H
#define PD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_MAX_PAYLOAD ((size_t)8 << 20) /* 8 MiB; a header claiming more is a bad record */

typedef struct journal journal;

typedef struct {
  uint64_t records;             /* valid records read (those skipped by from_seq included) */
  uint64_t first_seq, last_seq; /* of the valid records (0,0 when none) */
  uint64_t torn_bytes;          /* bytes cut from the tail of the last segment (a torn write) */
  uint64_t torn_seq;            /* seq the torn record would have had (0 when none) */
  int damaged;                  /* damage before the tail (see above) */
  char damage[256];             /* where and what: segment file name, byte offset, seq; also
                                   what a torn tail was, or why a failed open failed */
  uint64_t segments;            /* segment files read */
} journal_report;

/* Called for each valid record with seq >= from_seq, in order; non-zero stops the open with an
 * error. payload is borrowed for the call only. */
typedef int (*journal_replay_fn)(void *ud, uint64_t seq, const char *payload, size_t len);

/*
 * Opens the journal in dir (which must exist), creating its first segment, at seq from_seq, if
 * it has none, and replays it through fn (may be NULL). from_seq is the first seq the caller
 * needs (a snapshot's seq + 1; 0 counts as 1): records before it are checked, not replayed, and
 * a missing segment before it is not damage. If the journal ends before from_seq - 1 (a
 * snapshot outran an unsynced tail), appends continue at from_seq in a new segment.
 *
 * A torn tail (an incomplete or bad LAST record of the LAST segment with nothing valid after it,
 * at most one maximal record long) is truncated away (ftruncate + fsync) and reported; damage
 * anywhere else makes the open fail (return -1) unless read_only is set, in which case it
 * replays every valid record up to the damage, reports it, and returns a handle that refuses
 * appends. A read-only open never writes: a torn tail is reported, not cut.
 * Never crashes, never reads out of bounds, whatever the bytes.
 *
 * 0 with *out a new handle (journal_close it), or -1 with *out NULL and rep->damage saying why
 * (damage, I/O error, out of memory, fn stopped it). After -1, fn may already have seen
 * records: discard what it built. rep may be NULL; it is filled in either way.
 */
int journal_open(const char *dir, uint64_t from_seq, int read_only, journal_replay_fn fn,
                 void *ud, journal **out, journal_report *rep);

/*
 * Replays records from..last (a range journal_open checked: its report's last_seq) through fn,
 * which returns 0 to go on, 1 to stop before this record (a later call starts with it: the
 * store's replay waits for order bodies not loaded yet) or -1 for an error. 0 with all
 * replayed, 1 stopped by fn, -1 an error (fn's, a segment unreadable or changed: journal_errmsg).
 * *next is the first seq not replayed.
 */
int journal_replay(journal *j, uint64_t from, uint64_t last, journal_replay_fn fn, void *ud, uint64_t *next);

/*
 * Appends one record (seq = last_seq + 1) to the current segment with one write(); no fsync.
 * payload may be NULL when len is 0; len over JOURNAL_MAX_PAYLOAD is refused. 0 with *seq set
 * (seq may be NULL), or -1 — then the segment is cut back to its previous length so no partial
 * record remains (if even that fails the handle becomes failed and refuses appends).
 */
int journal_append(journal *j, const char *payload, size_t len, uint64_t *seq);

/*
 * Takes back the record appended last (since the open or the last roll; once): the segment is
 * cut back to before it and its seq is given again. For a record whose fsync failed, which must
 * not come back at the next open. No fsync. 0, or -1 (nothing to undo; if the cut itself fails
 * the handle becomes failed and refuses appends, and the record may come back).
 */
int journal_undo_last(journal *j);

/* fsync of the current segment: 0, or -1 (also on a read-only handle). */
int journal_sync(journal *j);

/*
 * Closes the current segment (fsynced first, so only the last segment can ever be torn) and
 * starts a new one at the next seq, its name made durable (fsync of the directory). A no-op on
 * an empty segment. 0, or -1 with the current segment unchanged and still in use.
 */
int journal_roll(journal *j);

size_t journal_segment_bytes(const journal *j); /* size of the current segment */
uint64_t journal_last_seq(const journal *j);    /* seq of the last record; the next is +1 */

/*
 * Deletes, oldest first, the segments whose records are all < seq (safe once a snapshot covers
 * them); never the current segment. 0, or -1 (refused when read-only; a failed unlink leaves
 * that segment and the later ones in place).
 */
int journal_drop_before(journal *j, uint64_t seq);

const char *journal_errmsg(const journal *j); /* the last error on j ("" if none) */
void journal_close(journal *j);               /* no fsync; NULL is fine */

#endif
