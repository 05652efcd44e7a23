/*
 * probe_scan.h - the probe's reading side: the reply stream of a
 * connection read by the shared reader (common/replies.h: RFC 5321 4.2
 * reply lines, 4.2.1 one code per reply, 4.5.3.1.5 512 octets) with the
 * probe's bounds, and waits for replies with deadlines.
 */
#ifndef SMTPP_TOOLS_PROBE_SCAN_H
#define SMTPP_TOOLS_PROBE_SCAN_H

#include "probe_conn.h"
#include "replies.h"

#include <stddef.h>

#define PSCAN_REPLY_MAX (64u * 1024) /* one reply, all its lines */

/* A reader with the probe's bounds (a reply or an unended line over
 * PSCAN_REPLY_MAX octets, too many replies: fatal, never a hung probe). */
void pscan_init(rs_reader *sc);
/* Reads the new octets of c (at its eof, the end of the stream). */
void pscan_scan(rs_reader *sc, const pconn *c);
/* The first line of reply i, escaped, at most cap-1 characters. */
void pscan_text(const rs_reader *sc, const pconn *c, size_t i, char *buf,
                size_t cap);
/* The line at offset off of the stream, escaped (a format finding). */
void pscan_line(const pconn *c, size_t off, char *buf, size_t cap);

/* Verdicts of a wait. */
enum { W_OK = 0, W_TIMEOUT, W_CLOSED, W_LINE_TOO_LONG, W_TOO_BIG };
extern const char *const pscan_wait_names[];

/* Waits until sc has want replies.  The per-reply timer restarts with
 * every complete reply; case_deadline bounds everything. */
int pscan_wait(pconn *c, rs_reader *sc, size_t want, int timeout_ms,
               long long case_deadline);
/* After our end of input: reads until the server closes (bounded). */
int pscan_drain(pconn *c, rs_reader *sc, int ms);

#endif
