/*
 * reply.c - the reply writer.
 *
 * Every reply line is "code" ("-" / SP) [enhanced SP] text CRLF and never
 * longer than 512 octets including CRLF (RFC 5321 4.5.3.1.5).  Text comes
 * from the parser's own tables or from the host; any octet outside
 * printable ASCII becomes '?', so no CR, LF or NUL can reach the client
 * and a reply can never be split or forged by its text.  Client input is
 * never passed here.
 *
 * The buffer is linear: unsent octets are moved to the front when the tail
 * runs out of room.  The session checks that SMTPP_REPLY_MAX octets are free
 * before it handles a command, so a reply always fits.
 */
#include "internal.h"

#include <string.h>

#define REPLY_LINE_MAX 512u

int smtpp_use_enh(const smtpp_session *s) {
  /* RFC 2034 4: a server that offers the extension puts a status code on
   * every 2xx/4xx/5xx reply other than the greeting and the replies to
   * HELO and EHLO (callers pass NULL for those), whether the client said
   * HELO or EHLO or nothing yet. */
  return (s->cfg->extensions & SMTPP_EXT_ENHANCEDSTATUSCODES) != 0;
}

static int put_line(smtpp_session *s, int code, const char *enh,
                    const char *text, size_t text_len, int more, int trusted);

int smtpp_reply_line(smtpp_session *s, int code, const char *enh,
                     const char *text, size_t text_len, int more) {
  return put_line(s, code, enh, text, text_len, more, 0);
}

int smtpp_reply_own(smtpp_session *s, int code, const char *enh,
                    const char *text, size_t text_len, int more) {
  return put_line(s, code, enh, text, text_len, more, 1);
}

/* The common case: the tail of the buffer holds the longest line these
 * arguments can make (an 11-octet code, text short enough never to be cut),
 * so the code is copied as it is measured, with no move and no cut; the
 * octets written are those of the general path below. */
static int put_line_fast(smtpp_session *s, int code, const char *enh,
                         const char *text, size_t text_len, int more) {
  unsigned char *w0 = s->out + s->out_head + s->out_len, *w = w0;
  *w++ = (unsigned char)('0' + code / 100);
  *w++ = (unsigned char)('0' + code / 10 % 10);
  *w++ = (unsigned char)('0' + code % 10);
  *w++ = more ? '-' : ' ';
  if (enh) {
    size_t n = 0;
    for (; n < 11 && enh[n]; n++)
      w[n] = (unsigned char)enh[n];
    if (n) {
      w += n;
      *w++ = ' ';
    }
  }
  memcpy(w, text, text_len); /* the parser's own printable text */
  w += text_len;
  *w++ = '\r';
  *w++ = '\n';
  s->out_len = (uint16_t)(s->out_len + (size_t)(w - w0));
  return 0;
}

static int put_line(smtpp_session *s, int code, const char *enh,
                    const char *text, size_t text_len, int more, int trusted) {
  if (trusted && code >= 100 && code <= 599 &&
      text_len <= REPLY_LINE_MAX - 4 - 2 - 12 &&
      (size_t)(SMTPP_OUT_MAX - s->out_head - s->out_len) >= 4 + 12 + text_len + 2)
    return put_line_fast(s, code, enh, text, text_len, more);
  /* callers pass "5.999.999" at most (enh_ok()); the bound of 11 keeps
   * the 512 limit should one ever pass more */
  size_t enh_len = enh ? smtpp_bounded_len(enh, 11) : 0;
  /* 3 digits + sep + enh + SP + text + CRLF <= 512 */
  size_t room = REPLY_LINE_MAX - 4 - 2 - (enh_len ? enh_len + 1 : 0);
  if (text_len > room)
    text_len = room;
  size_t need = 4 + (enh_len ? enh_len + 1 : 0) + text_len + 2;
  if (smtpp_out_free(s) < need)
    return -SMTPP_ERR_CLOSED;
  if (s->out_head + s->out_len + need > SMTPP_OUT_MAX) {
    memmove(s->out, s->out + s->out_head, s->out_len);
    s->out_head = 0;
  }
  unsigned char *w = s->out + s->out_head + s->out_len;
  if (code < 100 || code > 599)
    code = 451; /* unreachable: codes are validated before */
  *w++ = (unsigned char)('0' + code / 100);
  *w++ = (unsigned char)('0' + code / 10 % 10);
  *w++ = (unsigned char)('0' + code % 10);
  *w++ = more ? '-' : ' ';
  if (enh_len) {
    memcpy(w, enh, enh_len);
    w += enh_len;
    *w++ = ' ';
  }
  if (trusted) {
    memcpy(w, text, text_len); /* the parser's own printable text */
    w += text_len;
  } else {
    for (size_t i = 0; i < text_len; i++) {
      unsigned char c = (unsigned char)text[i];
      *w++ = SMTPP_IS(c, SMTPP_C_PRINT) ? c : '?';
    }
  }
  *w++ = '\r';
  *w++ = '\n';
  s->out_len = (uint16_t)(s->out_len + need);
  return 0;
}

static const struct {
  const char *enh;
  const char *text;
} err_reply[] = {
#define XX(id, name, code, enh, text, reason) [id] = {enh, text},
  SMTPP_ERROR_TABLE(XX)
#undef XX
};

unsigned char *smtpp_out_tail(smtpp_session *s, size_t n) {
  if (smtpp_out_free(s) < n)
    return NULL;
  if (s->out_head + s->out_len + n > SMTPP_OUT_MAX) {
    memmove(s->out, s->out + s->out_head, s->out_len);
    s->out_head = 0;
  }
  return s->out + s->out_head + s->out_len;
}

/* One row per fixed reply: code, enhanced code ("" for 3xx: RFC 3463 has
 * no 3.x.x class), text; both lines are built by the preprocessor. */
#define FIXED_REPLIES(X) \
  X(SMTPP_R_OK, 250, "2.0.0", "OK") \
  X(SMTPP_R_SENDER_OK, 250, "2.1.0", "Sender OK") \
  X(SMTPP_R_RCPT_OK, 250, "2.1.5", "Recipient OK") \
  X(SMTPP_R_DATA_GO, 354, "", "End data with <CR><LF>.<CR><LF>") \
  X(SMTPP_R_MSG_OK, 250, "2.0.0", "Message accepted") \
  X(SMTPP_R_CHUNK_OK, 250, "2.0.0", "Chunk accepted") \
  X(SMTPP_R_TLS_GO, 220, "2.0.0", "Ready to start TLS") \
  X(SMTPP_R_AUTH_OK, 235, "2.7.0", "Authentication successful")

#define FIXED_MAX 48 /* at least the longest line: copied whole */
#define PLAIN(CODE, TEXT) #CODE " " TEXT "\r\n"
#define WITH_ENH(CODE, ENH, TEXT) #CODE " " ENH " " TEXT "\r\n"
typedef struct fixed_reply {
  int code;
  const char *enh, *text;
  char plain[FIXED_MAX], with_enh[FIXED_MAX];
  uint8_t plain_len, enh_len;
} fixed_reply;

/* Each line fits FIXED_MAX (an over-long initializer is only a warning). */
#define FITS(ID, CODE, ENH, TEXT)                                             \
  _Static_assert(sizeof(WITH_ENH(CODE, ENH, TEXT)) - 1 <= FIXED_MAX,         \
                 #ID " fits FIXED_MAX");
FIXED_REPLIES(FITS)

#define ROW(ID, CODE, ENH, TEXT)                                              \
  [ID] = {CODE, ENH, TEXT, PLAIN(CODE, TEXT), WITH_ENH(CODE, ENH, TEXT),      \
          sizeof(PLAIN(CODE, TEXT)) - 1, sizeof(WITH_ENH(CODE, ENH, TEXT)) - 1},
static const fixed_reply fixed_replies[SMTPP_R__COUNT] = {FIXED_REPLIES(ROW)};
#undef FITS
#undef ROW
#undef PLAIN
#undef WITH_ENH

static void put_fixed(smtpp_session *s, const fixed_reply *f) {
  int enh = f->enh[0] != '\0' && smtpp_use_enh(s);
  /* FIXED_MAX octets are copied (a fixed-size copy is a few moves); only
   * the line's own count as queued */
  unsigned char *w = smtpp_out_tail(s, FIXED_MAX);
  if (w == NULL)
    return; /* unreachable: the feed loop keeps SMTPP_REPLY_MAX free */
  memcpy(w, enh ? f->with_enh : f->plain, FIXED_MAX);
  s->out_len = (uint16_t)(s->out_len + (enh ? f->enh_len : f->plain_len));
}

void smtpp_reply_fixed(smtpp_session *s, int id) {
  put_fixed(s, &fixed_replies[id]);
}

void smtpp_decided_fixed(smtpp_session *s, int code, const char *enh,
                         const char *text, int id) {
  const fixed_reply *f = &fixed_replies[id];
  if (code == f->code && enh == NULL && text == NULL)
    put_fixed(s, f);
  else
    smtpp_decided(s, code, enh ? enh : f->enh[0] ? f->enh : NULL, text,
                  f->text);
}

void smtpp_reply(smtpp_session *s, int code, const char *enh,
                 const char *text) {
  smtpp_reply_more(s, code, enh, text, 0);
}

void smtpp_reply_more(smtpp_session *s, int code, const char *enh,
                      const char *text, int more) {
  if ((code >= 300 && code < 400) || !smtpp_use_enh(s))
    enh = NULL; /* RFC 3463 2: no 3.x.x class */
  (void)smtpp_reply_own(s, code, enh, text, strlen(text), more);
}

void smtpp_hostname_reply(smtpp_session *s, int code, const char *enh,
                          const char *suffix) {
  char t[255 + 24]; /* a Domain (smtpp_config_ok) and a short suffix */
  const char *h = smtpp_hostname(s);
  size_t n = smtpp_bounded_len(h, 255);
  size_t k = smtpp_bounded_len(suffix, 23);
  memcpy(t, h, n);
  memcpy(t + n, suffix, k);
  t[n + k] = '\0';
  smtpp_reply(s, code, enh, t);
}

int smtpp_reply_err(smtpp_session *s, int err, int verb) {
  if (err <= 0 || err >= SMTPP_ERR__COUNT || smtpp_err_code(err) == 0)
    err = SMTPP_ERR_MSG_FAILED;
  const char *text = err_reply[err].text;
  const char *enh = err_reply[err].enh;
  if (verb == SMTPP_VERB_HELO || verb == SMTPP_VERB_EHLO || !smtpp_use_enh(s))
    enh = NULL; /* RFC 2034 3, 4: never on a reply to HELO/EHLO */
  else if (verb == SMTPP_VERB_MAIL && strcmp(enh, "5.1.3") == 0)
    enh = "5.1.7"; /* RFC 3463 3.2: the sender's address, not a recipient's */
  return smtpp_reply_own(s, smtpp_err_code(err), enh, text, strlen(text), 0);
}

const unsigned char *smtpp_out_buf(smtpp_session *s, size_t *len);
void smtpp_out_ack(smtpp_session *s, size_t n) {
  if (s == NULL)
    return;
  if (n > s->out_len)
    n = s->out_len;
  s->out_head = (uint16_t)(s->out_head + n);
  s->out_len = (uint16_t)(s->out_len - n);
  if (s->out_len == 0)
    s->out_head = 0;
}
