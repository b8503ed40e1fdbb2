/* store.c: replay and append for DIR/commands.jsonl (see store.h). */
#define _POSIX_C_SOURCE 200809L
#include "store.h"

#include "cJSON.h"
#include "linereader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/*
 * The pd_journal_fn: appends request + '\n' and fsyncs. On failure the file is cut back to its
 * old length (where it can be), so a failed command leaves no torn line behind; returns -1.
 */
static int store_append(void *ud, const char *request, size_t len) {
  store *st = ud;
  struct stat before;
  int have_size = fstat(st->fd, &before) == 0 && S_ISREG(before.st_mode);
  if (write_all(st->fd, request, len) == 0 && write_all(st->fd, "\n", 1) == 0 &&
      fsync(st->fd) == 0)
    return 0;
  int saved = errno;
  if (have_size && ftruncate(st->fd, before.st_size) != 0) {
    /* nothing more to do: the next replay reports the torn line */
  }
  fprintf(stderr, "packdesk: cannot write %s: %s\n", st->path, strerror(saved));
  return -1;
}

/* 1 when the response says "ok": true. */
static int response_ok(const char *response) {
  cJSON *r = response ? cJSON_Parse(response) : NULL;
  int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
  cJSON_Delete(r);
  return ok;
}

/* Replays every line of st->path into shop; 0, or the exit status store_open documents. */
static int replay(store *st, pd_shop *shop, int *ends_with_newline) {
  struct stat sb;
  if (stat(st->path, &sb) != 0) {
    if (errno == ENOENT) return 0;
    fprintf(stderr, "packdesk: cannot read %s: %s\n", st->path, strerror(errno));
    return 1;
  }
  /* A device (say /dev/null, or /dev/full in the tests) keeps no history: nothing to replay. */
  if (S_ISCHR(sb.st_mode)) return 0;
  if (!S_ISREG(sb.st_mode)) {
    fprintf(stderr, "packdesk: %s is not a regular file\n", st->path);
    return 1;
  }
  int fd = open(st->path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "packdesk: cannot read %s: %s\n", st->path, strerror(errno));
    return 1;
  }
  line_reader lr;
  lr_init(&lr, fd, st->max_line);
  const char *line;
  size_t len;
  unsigned long lineno = 0;
  int status = 0;
  lr_status got;
  while ((got = lr_next(&lr, &line, &len)) != LR_EOF) {
    lineno++;
    if (got == LR_ERROR) {
      fprintf(stderr, "packdesk: cannot read %s: %s\n", st->path, strerror(errno));
      status = 1;
      break;
    }
    if (got == LR_TOO_LONG) {
      fprintf(stderr, "packdesk: %s:%lu: damaged store: line longer than %zu bytes\n", st->path,
              lineno, st->max_line);
      status = 2;
      break;
    }
    *ends_with_newline = lr.ended_with_newline;
    if (len == 0) continue;
    char *response = pd_exec(shop, line, len);
    int ok = response_ok(response);
    if (!ok) {
      fprintf(stderr, "packdesk: %s:%lu: damaged store: the core refused a recorded command%s\n"
              "  response: %s\n  The file was left as it is; repair or move it, then start again.\n",
              st->path, lineno, lr.ended_with_newline ? "" : " (the last line, cut short)",
              response ? response : "(out of memory)");
      status = 2;
    }
    pd_string_free(response);
    if (!ok) break;
  }
  lr_free(&lr);
  close(fd);
  return status;
}

int store_open(store *st, const char *dir, pd_shop *shop, size_t max_line) {
  st->fd = -1;
  st->max_line = max_line;
  st->path = malloc(strlen(dir) + sizeof "/" STORE_FILE);
  if (!st->path) {
    fprintf(stderr, "packdesk: out of memory\n");
    return 1;
  }
  sprintf(st->path, "%s/%s", dir, STORE_FILE);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "packdesk: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  int ends_with_newline = 1;
  int status = replay(st, shop, &ends_with_newline);
  if (status != 0) return status;
  st->fd = open(st->path, O_WRONLY | O_APPEND | O_CREAT, 0666);
  if (st->fd < 0) {
    fprintf(stderr, "packdesk: cannot open %s: %s\n", st->path, strerror(errno));
    return 1;
  }
  /* A last line without its '\n' (a valid command, but cut before the newline) is completed
   * here, or the next command would be glued onto it. */
  if (!ends_with_newline && write_all(st->fd, "\n", 1) != 0) {
    fprintf(stderr, "packdesk: cannot write %s: %s\n", st->path, strerror(errno));
    return 1;
  }
  pd_set_journal(shop, store_append, st);
  return 0;
}

void store_close(store *st) {
  if (st->fd >= 0) close(st->fd);
  st->fd = -1;
  free(st->path);
  st->path = NULL;
}
