/* linereader.c: bounded, growing line reader over read(2). */
#define _POSIX_C_SOURCE 200809L
#include "linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void lr_init(line_reader *r, int fd, size_t max) {
  memset(r, 0, sizeof *r);
  r->fd = fd;
  r->max = max;
}

void lr_free(line_reader *r) {
  free(r->line);
  r->line = NULL;
  r->len = r->cap = 0;
}

/* Refills r->in; 1 with bytes, 0 at end of input, -1 on error. */
static int refill(line_reader *r) {
  if (r->at_eof) return 0;
  for (;;) {
    ssize_t n = read(r->fd, r->in, sizeof r->in);
    if (n > 0) {
      r->in_pos = 0;
      r->in_len = (size_t)n;
      return 1;
    }
    if (n == 0) {
      r->at_eof = 1;
      return 0;
    }
    if (errno != EINTR) return -1;
  }
}

/* Appends n bytes to the line; -1 when out of memory. The caller keeps len <= max. */
static int append(line_reader *r, const char *p, size_t n) {
  if (r->len + n + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + n + 1) cap *= 2;
    if (cap > r->max + 1) cap = r->max + 1;
    char *grown = realloc(r->line, cap);
    if (!grown) return -1;
    r->line = grown;
    r->cap = cap;
  }
  memcpy(r->line + r->len, p, n);
  r->len += n;
  r->line[r->len] = '\0';
  return 0;
}

lr_status lr_next(line_reader *r, const char **line, size_t *len) {
  int too_long = 0;
  r->len = 0;
  for (;;) {
    if (r->in_pos == r->in_len) {
      int got = refill(r);
      if (got < 0) return LR_ERROR;
      if (got == 0) {
        if (too_long) return LR_TOO_LONG;
        if (r->len == 0) return LR_EOF;
        r->ended_with_newline = 0;
        break;
      }
    }
    const char *start = r->in + r->in_pos;
    size_t avail = r->in_len - r->in_pos;
    const char *nl = memchr(start, '\n', avail);
    size_t take = nl ? (size_t)(nl - start) : avail;
    r->in_pos += take + (nl ? 1 : 0);
    if (!too_long) {
      if (r->len + take > r->max) {
        too_long = 1; /* drop what we have; keep the buffer for the next line */
        r->len = 0;
      } else if (append(r, start, take) != 0) {
        errno = ENOMEM;
        return LR_ERROR;
      }
    }
    if (nl) {
      if (too_long) return LR_TOO_LONG;
      r->ended_with_newline = 1;
      break;
    }
  }
  if (!r->line && append(r, "", 0) != 0) { /* an empty first line still needs a buffer */
    errno = ENOMEM;
    return LR_ERROR;
  }
  *line = r->line;
  *len = r->len;
  return LR_LINE;
}
