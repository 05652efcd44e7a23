/*
 * probe_conn.h - one connection to the server under test, over TCP or to
 * a child command's stdin/stdout, with non-blocking I/O, deadlines and a
 * bounded input buffer.  Nothing here can block past a deadline.
 */
#ifndef SMTPP_TOOLS_PROBE_CONN_H
#define SMTPP_TOOLS_PROBE_CONN_H

#include <stddef.h>
#include <sys/types.h>

#define PCONN_BUF_MAX (1u << 20) /* all reply octets of one connection */

typedef struct pconn {
  int rfd, wfd;       /* equal for TCP */
  pid_t pid;          /* --cmd: the child (its own process group), else 0 */
  int wclosed;        /* we shut our sending side */
  int eof;            /* the server closed its side */
  int werr;           /* a write failed (EPIPE, ECONNRESET) */
  int rerr;           /* a read failed */
  int full;           /* PCONN_BUF_MAX reached: reading stopped */
  unsigned char *buf; /* everything the server sent */
  size_t len, cap;
} pconn;

/* Return values of the waiting functions. */
#define PC_OK       0
#define PC_TIMEOUT  (-1)
#define PC_CLOSED   (-2) /* eof or I/O error */
#define PC_FULL     (-3)

long long pconn_now_ms(void);

/* target "HOST:PORT" or "[V6]:PORT". Returns 0 or -1 with err set. */
int pconn_open_tcp(pconn *c, const char *target, int timeout_ms, char *err,
                   size_t errlen);
/* Runs /bin/sh -c cmd with pipes on stdin/stdout (stderr to /dev/null). */
int pconn_open_cmd(pconn *c, const char *cmd, char *err, size_t errlen);

/* Writes n octets (one write() per octet when bytewise), reading what
 * arrives meanwhile.  Gives up at deadline (ms, pconn_now_ms clock). */
int pconn_write(pconn *c, const void *p, size_t n, int bytewise,
                long long deadline);
/* Waits until deadline for more input; PC_OK when some arrived. */
int pconn_read_some(pconn *c, long long deadline);
/* Reads whatever is ready without waiting. */
void pconn_poll_read(pconn *c);
void pconn_shut_write(pconn *c);
/* Closes everything; a child gets its stdin closed, then SIGTERM and
 * SIGKILL (its process group, by id) if it does not exit in time. */
void pconn_close(pconn *c);

#endif
