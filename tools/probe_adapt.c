/*
 * probe_adapt.c - see probe_adapt.h.
 */
#include "probe_adapt.h"

#include <smtpp/smtpp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EDITS_MAX 64

typedef struct edit {
  size_t at, del;   /* replace in[at, at + del) ... */
  char ins[200];    /* ... with this */
  size_t nins;
} edit;

/* A header block that makes any body an RFC 5322 message (3.6: the
 * origination date and the originator fields are required). */
static const char header[] =
    "From: <probe@example.org>\r\n"
    "To: <probe@example.net>\r\n"
    "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
    "Message-ID: <probe@example.org>\r\n"
    "Subject: smtpp probe\r\n"
    "\r\n";

static int has_bdat(const dialog *c) {
  for (size_t i = 0; i + 5 <= c->input.len; i++)
    if ((i == 0 || c->input.p[i - 1] == '\n') &&
        !strncasecmp((const char *)c->input.p + i, "BDAT ", 5))
      return 1;
  return 0;
}

int probe_adapt(const dialog *c, const pserver *s, dialog *out) {
  edit *e = calloc(EDITS_MAX, sizeof *e);
  size_t ne = 0, n354 = 0;
  uint64_t D = (c->set & DLG_SET_SIZE) ? c->cfg.max_message_size : PROBE_DIALOG_SIZE;
  int rescale;

  if (!e)
    return -1;
  for (size_t j = 0; j < c->nexpect; j++)
    n354 += c->expect[j].code == 354;
  /* bodies: where the dialog's S: 354 follows a DATA line directly; not
   * when the body starts with '.' (the dialog is about its first line) or
   * when the dialog's size limit matters */
  for (size_t j = 0; j < c->nexpect && ne < EDITS_MAX && !(c->set & DLG_SET_SIZE); j++) {
    size_t p = c->expect[j].pos;
    if (c->expect[j].code != 354 || p < 6 ||
        strncasecmp((const char *)c->input.p + p - 6, "DATA\r\n", 6) ||
        p >= c->input.len || c->input.p[p] == '.')
      continue;
    e[ne].at = p;
    e[ne].del = 0;
    e[ne].nins = sizeof header - 1;
    memcpy(e[ne].ins, header, sizeof header - 1);
    ne++;
  }
  /* SIZE=V on MAIL lines, only when no message body depends on the limit */
  rescale = s->has_size && s->size && D != s->size && n354 == 0 &&
            !has_bdat(c);
  for (size_t i = 0; rescale && i + 5 < c->input.len && ne < EDITS_MAX; i++) {
    uint64_t v = 0, nv;
    size_t j = i + 5, digits = 0;
    if (strncasecmp((const char *)c->input.p + i, "SIZE=", 5))
      continue;
    while (j < c->input.len && c->input.p[j] >= '0' && c->input.p[j] <= '9' && digits < 19) {
      v = v * 10 + (uint64_t)(c->input.p[j++] - '0');
      digits++;
    }
    if (!digits || (j < c->input.len && c->input.p[j] >= '0' && c->input.p[j] <= '9'))
      continue; /* an overflow test: keep it */
    if (v + 16 < D || v > D + 1000000)
      continue; /* far from the limit: the same on both sides */
    nv = s->size + (v - D);
    if (v < D)
      nv = s->size - (D - v);
    e[ne].at = i + 5;
    e[ne].del = digits;
    e[ne].nins = (size_t)snprintf(e[ne].ins, sizeof e[ne].ins, "%llu",
                                  (unsigned long long)nv);
    ne++;
  }
  if (!ne) {
    free(e);
    return 0;
  }
  /* edits are in increasing order within each pass; merge-sort them */
  for (size_t a = 1; a < ne; a++)
    for (size_t b = a; b > 0 && e[b - 1].at > e[b].at; b--) {
      edit t = e[b];
      e[b] = e[b - 1];
      e[b - 1] = t;
    }
  /* a shallow copy: only input and expect are its own (probe_adapt_free);
   * name and the rest still point into c */
  *out = *c;
  {
    size_t grow = 0, o = 0, p = 0;
    for (size_t k = 0; k < ne; k++)
      grow += e[k].nins;
    out->input.p = malloc(c->input.len + grow + 1);
    out->expect = malloc((c->nexpect + 1) * sizeof *out->expect);
    if (!out->input.p || !out->expect) {
      free(out->input.p);
      free(out->expect);
      free(e);
      return -1;
    }
    for (size_t k = 0; k < ne; k++) {
      memcpy(out->input.p + o, c->input.p + p, e[k].at - p);
      o += e[k].at - p;
      memcpy(out->input.p + o, e[k].ins, e[k].nins);
      o += e[k].nins;
      p = e[k].at + e[k].del;
    }
    memcpy(out->input.p + o, c->input.p + p, c->input.len - p);
    o += c->input.len - p;
    out->input.len = o;
    out->input.cap = c->input.len + grow + 1;
    /* an S: line at an edit's offset came before it (the 354 before the
     * body), so only positions past an edit move */
    for (size_t j = 0; j < c->nexpect; j++) {
      long long d = 0;
      out->expect[j] = c->expect[j];
      for (size_t k = 0; k < ne; k++)
        if (e[k].at < c->expect[j].pos)
          d += (long long)e[k].nins - (long long)e[k].del;
      out->expect[j].pos = (size_t)((long long)c->expect[j].pos + d);
    }
  }
  if (rescale) {
    out->set |= DLG_SET_SIZE;
    out->cfg.max_message_size = s->size;
  }
  free(e);
  return 1;
}

void probe_adapt_free(dialog *out) {
  free(out->input.p);
  free(out->expect);
  memset(out, 0, sizeof *out);
}
