/*
 * linereader.h: reads '\n'-terminated lines of any length from a file descriptor, up to a cap.
 *
 * A line longer than the cap is not kept: the reader skips to its end and reports LR_TOO_LONG,
 * so one oversized request costs one error line, not the process.
 */
#ifndef PD_LINEREADER_H
#define PD_LINEREADER_H

#include <stddef.h>

typedef enum {
  LR_LINE,     /* a line (without its '\n') is in *line, *len */
  LR_TOO_LONG, /* a line over the cap was skipped */
  LR_EOF,      /* no more input */
  LR_ERROR     /* read() failed or out of memory; errno tells which */
} lr_status;

typedef struct {
  int fd;
  size_t max;             /* longest line accepted, in bytes */
  char *line;             /* the line being assembled; owned */
  size_t len, cap;
  char in[64 * 1024];     /* bytes read but not yet consumed */
  size_t in_pos, in_len;
  int at_eof;
  int ended_with_newline; /* after LR_LINE: 0 when the line was cut by end of input */
} line_reader;

void lr_init(line_reader *r, int fd, size_t max);
void lr_free(line_reader *r);
/* The next line; *line stays valid until the next call. */
lr_status lr_next(line_reader *r, const char **line, size_t *len);

#endif
