/* fileio.c: POSIX file operations for the store, with a fault hook (see fileio.h). */
#define _POSIX_C_SOURCE 200809L
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

static long fail_countdown = 0;
static long op_count = 0;
static unsigned long long bytes_written = 0; /* for the benchmarks: bytes per command */

void fio_fail_after(long n) { fail_countdown = n > 0 ? n : 0; }
long fio_op_count(void) { return op_count; }
unsigned long long fio_bytes_written(void) { return bytes_written; }

static int injected_failure(void) {
  op_count++;
  if (fail_countdown > 0 && --fail_countdown == 0) {
    errno = EIO;
    return 1;
  }
  return 0;
}

int fio_write_all(int fd, const void *buf, size_t n) {
  const unsigned char *p = buf;
  if (injected_failure()) {
    /* A failing disk often writes part of what it was given: so do we, half of it. */
    if (n > 1 && write(fd, p, n / 2) < 0) return -1;
    errno = EIO;
    return -1;
  }
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
    bytes_written += (unsigned long long)w;
  }
  return 0;
}

int fio_fsync(int fd) {
  if (injected_failure()) return -1;
  return fsync(fd);
}

int fio_fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY);
  if (fd < 0) return -1;
  int rc = fio_fsync(fd);
  close(fd);
  return rc;
}

int fio_write_file_atomic(const char *path, const void *buf, size_t n) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  if (fio_write_all(fd, buf, n) || fio_fsync(fd)) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  if (close(fd) || rename(tmp, path)) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

int fio_write_file(const char *path, const void *buf, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  int rc = fio_write_all(fd, buf, n);
  return close(fd) || rc ? -1 : 0;
}

int fio_read_file(const char *path, unsigned char **buf, size_t *n) {
  struct stat st;
  int fd = open(path, O_RDONLY);
  *buf = NULL;
  *n = 0;
  if (fd < 0) return -1;
  if (fstat(fd, &st) || st.st_size < 0) goto fail;
  size_t size = (size_t)st.st_size;
  unsigned char *b = pd_malloc(size ? size : 1);
  if (!b) goto fail;
  size_t got = 0;
  while (got < size) {
    ssize_t r = read(fd, b + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      pd_free(b);
      goto fail;
    }
    got += (size_t)r;
  }
  close(fd);
  *buf = b;
  *n = size;
  return 0;
fail:
  close(fd);
  return -1;
}
