/*
 * fileio.h: the store's few file operations, in one place, with a fault hook for tests
 * ("fail the Nth write"), as alloc.h has for memory. POSIX calls only: they work the same on
 * glibc, musl and Emscripten's file systems (MEMFS, IDBFS).
 */
#ifndef PD_FILEIO_H
#define PD_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Writes all n bytes at the file's offset: 0, or -1 (errno set; part may have been written). */
int fio_write_all(int fd, const void *buf, size_t n);
int fio_fsync(int fd);                             /* 0 or -1 */
int fio_fsync_dir(const char *dir);                /* makes a rename durable; 0 or -1 */
/* Writes a whole file through `<path>.tmp` + fsync + rename, so a crash mid-write leaves the
 * old file whole. 0, or -1 (the old file, if any, untouched). */
int fio_write_file_atomic(const char *path, const void *buf, size_t n);
/* Writes a whole file in place, no temporary, no fsync: a crash may leave it cut short. For a
 * hint whose readers check it (store.c's tail-pages): in IDBFS a temporary would also cost a
 * delete of it in the save. 0, or -1. */
int fio_write_file(const char *path, const void *buf, size_t n);
/* Reads a whole file into a buffer from pd_malloc: 0, or -1 (missing or unreadable). */
int fio_read_file(const char *path, unsigned char **buf, size_t *n);

/* Test hook: the Nth write or fsync from now fails (1 = the next); 0 disables. */
void fio_fail_after(long n);
long fio_op_count(void); /* writes and fsyncs made so far (for fault-injection loops) */
unsigned long long fio_bytes_written(void); /* bytes written so far (for the benchmarks) */

#endif
