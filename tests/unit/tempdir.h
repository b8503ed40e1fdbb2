/* tempdir.h: the unit tests' store directories (flat: a store keeps no subdirectories). */
#ifndef PD_TEST_TEMPDIR_H
#define PD_TEST_TEMPDIR_H

/* A new directory /tmp/<prefix>-XXXXXX (free() it), or NULL. */
char *fresh_dir(const char *prefix);
/* Removes dir and the files in it (names starting with '.' are not the store's). */
void rm_rf(const char *dir);
/* How many files of dir have names starting with prefix. */
int count_files(const char *dir, const char *prefix);

#endif
