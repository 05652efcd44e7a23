/*
 * driver.c - one main() for every target, in two builds (c-ares style):
 *  - replay_<target>: file and folder arguments (folders are walked, every
 *    regular file is an input: no skip list), or stdin with no argument;
 *  - afl_<target> (CC=afl-clang-fast): AFL++ persistent mode with
 *    shared-memory test cases (__AFL_FUZZ_TESTCASE_BUF / __AFL_LOOP); with
 *    arguments it replays like the above.
 * Every input is copied into a malloc'd buffer of exactly its size, so
 * ASan catches a read one octet past the end.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_exact(const uint8_t *p, size_t n) {
  uint8_t *copy = malloc(n ? n : 1);
  if (copy == NULL)
    abort();
  if (n)
    memcpy(copy, p, n);
  LLVMFuzzerTestOneInput(copy, n);
  free(copy);
}

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return -1;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, r;
  do {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *q = realloc(buf, cap);
      if (q == NULL)
        abort();
      buf = q;
    }
    r = fread(buf + len, 1, cap - len, f);
    len += r;
  } while (r > 0);
  fclose(f);
  run_exact(buf, len);
  free(buf);
  return 1;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs replayed, -1 on an error. */
static int replay_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode))
    return replay_file(path);
  DIR *d = opendir(path);
  if (d == NULL) {
    perror(path);
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      names = realloc(names, cap * sizeof *names);
      if (names == NULL)
        abort();
    }
    size_t l = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(l);
    if (names[n] == NULL)
      abort();
    snprintf(names[n++], l, "%s/%s", path, e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names); /* same order every run */
  int total = 0;
  for (size_t i = 0; i < n; i++) {
    int r = replay_path(names[i]);
    free(names[i]);
    if (r < 0)
      total = -1;
    else if (total >= 0)
      total += r;
  }
  free(names);
  return total;
}

static int replay_args(int argc, char **argv) {
  int total = 0, bad = 0;
  for (int i = 1; i < argc; i++) {
    int r = replay_path(argv[i]);
    if (r < 0)
      bad = 1;
    else
      total += r;
  }
  fprintf(stderr, "replayed %d inputs\n", total);
  return bad;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-") != 0)
    return replay_args(argc, argv);
  __AFL_INIT();
  const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(100000))
    run_exact(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
  return 0;
}
#else
int main(int argc, char **argv) {
  if (argc > 1)
    return replay_args(argc, argv);
  /* no argument: one input from stdin */
  char *argv2[] = {argv[0], "/dev/stdin", NULL};
  return replay_args(2, argv2);
}
#endif
