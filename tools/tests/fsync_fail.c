/*
 * fsync_fail.c - preloaded into `smtpp serve` by sink_test's fsync_fail
 * scenario: fsync() fails with EIO on directories when SINK_FSYNC_FAIL=dir,
 * on regular files when SINK_FSYNC_FAIL=file, and works otherwise.  The
 * sink must answer 451, never 250, when the fsync of a message or of new/
 * fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int fsync(int fd) {
  const char *which = getenv("SINK_FSYNC_FAIL");
  struct stat st;
  if (which && fstat(fd, &st) == 0 &&
      ((strcmp(which, "dir") == 0 && S_ISDIR(st.st_mode)) ||
       (strcmp(which, "file") == 0 && S_ISREG(st.st_mode)))) {
    errno = EIO;
    return -1;
  }
  return (int)syscall(SYS_fsync, fd);
}
