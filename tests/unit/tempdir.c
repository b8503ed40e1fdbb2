/* tempdir.c: see tempdir.h. */
#include "tempdir.h"

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

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
