/*
 * writer.h - the durable half of a delivery, off the event loop.
 *
 * fsync() can take tens of milliseconds; done on the event loop it stalls
 * every other session (a bystander's NOOP waited 226 ms at p99 under a
 * delivery flood).  So the loop hands a finished message to one writer
 * thread and parks its session (no reading, no replies) until the thread
 * reports back through an eventfd; only then does the client get 250, or
 * 451 if the message could not be made durable.
 *
 * The thread takes every message queued so far as one batch: it commits
 * each (deliver_commit: fsync of the file, rename into new/ or the mbox
 * append), then fsyncs DIR/new once for the whole batch (group commit), so
 * under load one directory fsync covers many messages.  A failed directory
 * fsync fails (and unpublishes) every message of its batch.
 *
 * Between batches it makes empty temporary files ahead of need and
 * removes dropped ones (deliver_writer_work()), and writes out the log
 * lines the loop queued (sinklog.h), so the loop does not wait for the
 * journal on a file creation, removal or log append either.  It runs
 * whenever there is delivery or a log, also with discard.
 *
 * The queue holds at most one message per connection (a parked session
 * sends nothing more), so it is a fixed ring of max_conn entries, allocated
 * once.
 */
#ifndef SMTPP_TOOLS_WRITER_H
#define SMTPP_TOOLS_WRITER_H

#include "deliver.h"

#include <stddef.h>
#include <stdint.h>

/* Starts the thread.  Returns the eventfd to watch (readable when results
 * wait), or -1 after printing why. */
int writer_start(uint32_t max_conn);
/* Queues m (m->tag names the connection); sets m->inflight. */
void writer_submit(deliver_msg *m);
/* Moves up to cap finished messages into out (m->result is 0 stored, -1
 * not; m->inflight is cleared).  Returns how many. */
size_t writer_take(deliver_msg **out, size_t cap);
/* Finishes every queued message, then stops and joins the thread. */
void writer_stop(void);

#endif
