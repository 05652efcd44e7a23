/*
 * fuzz_fake_server.c - a deliberately wrong SMTP server on stdin/stdout for
 * the `smtpp probe --fuzz` tests: it greets with 220, answers QUIT with 221
 * and exits, and answers every other line (ended by LF, bare or not) with
 * "250 ok" - also DATA, a bad sequence, garbage and message text.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

int main(void) {
  char line[4096];
  size_t n = 0;
  int c;

  setvbuf(stdout, NULL, _IONBF, 0);
  fputs("220 fake.example ESMTP fake\r\n", stdout);
  while ((c = getchar()) != EOF) {
    if (n + 1 < sizeof line)
      line[n++] = (char)c;
    if (c != '\n')
      continue;
    line[n] = '\0';
    if (!strncasecmp(line, "QUIT", 4)) {
      fputs("221 bye\r\n", stdout);
      return 0;
    }
    fputs("250 ok\r\n", stdout);
    n = 0;
  }
  return 0;
}
