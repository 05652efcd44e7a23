/*
 * writer.c - see writer.h.
 */
#define _GNU_SOURCE
#include "writer.h"

#include "sinklog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct ring {
  deliver_msg **item;
  uint32_t head, len;
} ring;

static struct {
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started, quit;
  int efd;
  uint32_t cap;
  ring todo, done;
  deliver_msg **batch; /* the thread's own copy of one batch */
} W = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .cv = PTHREAD_COND_INITIALIZER,
       .efd = -1};

static void ring_push(ring *r, deliver_msg *m) {
  r->item[(r->head + r->len) % W.cap] = m;
  r->len++;
}

static deliver_msg *ring_pop(ring *r) {
  deliver_msg *m = r->item[r->head];
  r->head = (r->head + 1) % W.cap;
  r->len--;
  return m;
}

/* Called by deliver.c on the loop when files wait to be made or
 * removed. */
static void wake(void) {
  pthread_mutex_lock(&W.mu);
  pthread_cond_signal(&W.cv);
  pthread_mutex_unlock(&W.mu);
}

static void *writer_main(void *arg) {
  (void)arg;
  for (;;) {
    uint32_t n = 0;
    pthread_mutex_lock(&W.mu);
    while (W.todo.len == 0 && !W.quit && !deliver_writer_has_work() &&
           !sinklog_pending())
      pthread_cond_wait(&W.cv, &W.mu);
    if (W.todo.len == 0) {
      int quit = W.quit;
      pthread_mutex_unlock(&W.mu);
      sinklog_drain();
      if (quit)
        return NULL;
      deliver_writer_work(); /* make ready files, remove dropped ones */
      continue;
    }
    while (W.todo.len > 0)
      W.batch[n++] = ring_pop(&W.todo);
    pthread_mutex_unlock(&W.mu);

    int any = 0;
    for (uint32_t i = 0; i < n; i++) {
      W.batch[i]->result = (int8_t)(deliver_commit(W.batch[i]) == 0 ? 0 : -1);
      any |= W.batch[i]->result == 0;
    }
    if (any && deliver_sync_dir() < 0) {
      for (uint32_t i = 0; i < n; i++) {
        if (W.batch[i]->result == 0) {
          deliver_unpublish(W.batch[i]);
          W.batch[i]->result = -1;
        }
      }
    }
    pthread_mutex_lock(&W.mu);
    for (uint32_t i = 0; i < n; i++)
      ring_push(&W.done, W.batch[i]);
    pthread_mutex_unlock(&W.mu);
    uint64_t one = 1;
    while (write(W.efd, &one, sizeof one) < 0 && errno == EINTR)
      ;
    sinklog_drain();
    deliver_writer_work();
  }
}

int writer_start(uint32_t max_conn) {
  W.cap = max_conn;
  W.todo.item = calloc(max_conn, sizeof *W.todo.item);
  W.done.item = calloc(max_conn, sizeof *W.done.item);
  W.batch = calloc(max_conn, sizeof *W.batch);
  if (!W.todo.item || !W.done.item || !W.batch) {
    fprintf(stderr, "smtpp serve: out of memory for the writer queue\n");
    return -1;
  }
  W.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (W.efd < 0) {
    fprintf(stderr, "smtpp serve: eventfd: %s\n", strerror(errno));
    return -1;
  }
  deliver_set_wake(wake);
  if (sinklog_enabled() && sinklog_async(wake) < 0)
    fprintf(stderr, "smtpp serve: no memory for the log queue: the log is "
                    "written by the event loop\n");
  int r = pthread_create(&W.th, NULL, writer_main, NULL);
  if (r != 0) {
    fprintf(stderr, "smtpp serve: cannot start the writer thread: %s\n",
            strerror(r));
    return -1;
  }
  W.started = 1;
  return W.efd;
}

void writer_submit(deliver_msg *m) {
  m->inflight = 1;
  pthread_mutex_lock(&W.mu);
  ring_push(&W.todo, m);
  pthread_cond_signal(&W.cv);
  pthread_mutex_unlock(&W.mu);
}

size_t writer_take(deliver_msg **out, size_t cap) {
  uint64_t v;
  size_t n = 0;
  while (read(W.efd, &v, sizeof v) < 0 && errno == EINTR)
    ;
  pthread_mutex_lock(&W.mu);
  while (n < cap && W.done.len > 0) {
    out[n] = ring_pop(&W.done);
    out[n]->inflight = 0;
    n++;
  }
  /* More than cap waiting: make the eventfd readable again. */
  if (W.done.len > 0) {
    uint64_t one = 1;
    (void)write(W.efd, &one, sizeof one);
  }
  pthread_mutex_unlock(&W.mu);
  return n;
}

void writer_stop(void) {
  if (W.started) {
    pthread_mutex_lock(&W.mu);
    W.quit = 1;
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.th, NULL);
    W.started = 0;
  }
  sinklog_sync(); /* whatever the thread left, and synchronous from now */
  if (W.efd >= 0)
    close(W.efd);
  W.efd = -1;
  free(W.todo.item);
  free(W.done.item);
  free(W.batch);
  W.todo.item = W.done.item = W.batch = NULL;
}
