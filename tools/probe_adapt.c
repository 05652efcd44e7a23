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

static int has_bdat(const pcase *c) {
  for (size_t i = 0; i + 5 <= c->len; i++)
    if ((i == 0 || c->in[i - 1] == '\n') &&
        !strncasecmp((const char *)c->in + i, "BDAT ", 5))
      return 1;
  return 0;
}

int probe_adapt(const pcase *c, const pserver *s, pcase *out) {
  edit *e = calloc(EDITS_MAX, sizeof *e);
  size_t ne = 0, n354 = 0;
  uint64_t D = c->has_size ? c->size : PROBE_DIALOG_SIZE;
  int rescale;

  if (!e)
    return -1;
  for (size_t j = 0; j < c->nexp; j++)
    n354 += c->exp[j].code == 354;
  /* bodies: where the dialog's S: 354 follows a DATA line directly; not
   * when the body starts with '.' (the dialog is about its first line) or
   * when the dialog's size limit matters */
  for (size_t j = 0; j < c->nexp && ne < EDITS_MAX && !c->has_size; j++) {
    size_t p = c->exp[j].pos;
    if (c->exp[j].code != 354 || p < 6 ||
        strncasecmp((const char *)c->in + p - 6, "DATA\r\n", 6) ||
        p >= c->len || c->in[p] == '.')
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
  for (size_t i = 0; rescale && i + 5 < c->len && ne < EDITS_MAX; i++) {
    uint64_t v = 0, nv;
    size_t j = i + 5, digits = 0;
    if (strncasecmp((const char *)c->in + i, "SIZE=", 5))
      continue;
    while (j < c->len && c->in[j] >= '0' && c->in[j] <= '9' && digits < 19) {
      v = v * 10 + (uint64_t)(c->in[j++] - '0');
      digits++;
    }
    if (!digits || (j < c->len && c->in[j] >= '0' && c->in[j] <= '9'))
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
  *out = *c;
  out->path = NULL; /* name still points into c->path */
  {
    size_t grow = 0, o = 0, p = 0;
    for (size_t k = 0; k < ne; k++)
      grow += e[k].nins;
    out->in = malloc(c->len + grow + 1);
    out->exp = malloc((c->nexp + 1) * sizeof *out->exp);
    if (!out->in || !out->exp) {
      free(out->in);
      free(out->exp);
      free(e);
      return -1;
    }
    for (size_t k = 0; k < ne; k++) {
      memcpy(out->in + o, c->in + p, e[k].at - p);
      o += e[k].at - p;
      memcpy(out->in + o, e[k].ins, e[k].nins);
      o += e[k].nins;
      p = e[k].at + e[k].del;
    }
    memcpy(out->in + o, c->in + p, c->len - p);
    o += c->len - p;
    out->len = out->cap = o;
    /* an S: line at an edit's offset came before it (the 354 before the
     * body), so only positions past an edit move */
    for (size_t j = 0; j < c->nexp; j++) {
      long long d = 0;
      out->exp[j] = c->exp[j];
      for (size_t k = 0; k < ne; k++)
        if (e[k].at < c->exp[j].pos)
          d += (long long)e[k].nins - (long long)e[k].del;
      out->exp[j].pos = (size_t)((long long)c->exp[j].pos + d);
    }
    out->nexp = out->expcap = c->nexp;
  }
  if (rescale) {
    out->has_size = 1;
    out->size = s->size;
  }
  free(e);
  return 1;
}

void probe_adapt_free(pcase *out) {
  free(out->in);
  free(out->exp);
  memset(out, 0, sizeof *out);
}
