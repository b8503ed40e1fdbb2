/* tempdir.c: see tempdir.h. */
#define _POSIX_C_SOURCE 200809L
#include "tempdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fresh_dir(const char *prefix) {
  char tmpl[256];
  snprintf(tmpl, sizeof tmpl, "/tmp/%s-XXXXXX", prefix);
  return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

void rm_rf(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

int count_files(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d))) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  if (d) closedir(d);
  return n;
}
