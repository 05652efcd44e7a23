/*
 * io.h - blocking read/write on file descriptors that survive EINTR,
 * partial writes and descriptors left non-blocking by the parent.
 */
#ifndef SMTPP_TOOLS_IO_H
#define SMTPP_TOOLS_IO_H

#include <stddef.h>

/* Reads what is available, up to cap octets (waits for at least one).
 * Returns the octets read, 0 at end of input, -1 on error (errno set). */
long io_read(int fd, void *buf, size_t cap);

/* Writes all n octets.  Returns 0, or -1 on error (errno set). */
int io_write_all(int fd, const void *buf, size_t n);

/* A failed write to a closed pipe must be an error, not a signal. */
void io_ignore_sigpipe(void);

#endif
