/*
 * verbs_envelope.c - the verbs that open and fill a transaction: HELO,
 * EHLO, MAIL, RCPT, DATA, BDAT (RFC 5321 4.1.1.1-4.1.1.4, RFC 3030 2).
 *
 * Each verb has a check (its arguments, its event, the decision it asks
 * the host for) and, when decidable, a proceed (the decision's reply and
 * state change).  The judge (judge.c) has already checked the line and the
 * sequence, from the command table (commands.c).
 */
#include "internal.h"

#include <string.h>

/* ---- HELO / EHLO ---- */

/* Domain (EHLO also address-literal), RFC 5321 4.1.1.1, with U-labels when
 * SMTPUTF8 is offered (RFC 6531 3.7.1).  SMTPP_LENIENT_HELO_NAME takes any
 * printable token. */
int smtpp_check_helo(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  int err;
  if (verb == SMTPP_VERB_EHLO && *arg == '[')
    err = smtpp_check_address_literal(arg, end);
  else
    err = smtpp_check_domain(arg, end,
                             (s->cfg->extensions & SMTPP_EXT_SMTPUTF8) != 0);
  if (err && (s->cfg->lenient & SMTPP_LENIENT_HELO_NAME)) {
    err = 0;
    for (const unsigned char *p = arg; p < end && !err; p++)
      if (!SMTPP_IS(*p, SMTPP_C_PRINT) || *p == ' ')
        err = SMTPP_ERR_SYNTAX;
  }
  if (err)
    /* a bad argument, not a bad address: no X.1.x */
    return err == SMTPP_ERR_DOMAIN_TOO_LONG ? SMTPP_ERR_SYNTAX : err;
  smtpp_ask(s, verb, ev);
  return 0;
}

/* The EHLO reply (RFC 5321 4.1.1.1): the greeting line, then one line per
 * extension offered, written straight into the reply buffer from lines
 * precomposed at compile time.  No enhanced code (RFC 2034 4). */
#define EXT_LINE(BIT, KW) {BIT, "250-" KW "\r\n", sizeof("250-" KW "\r\n") - 1}
static const struct {
  uint32_t bit;
  const char *line;
  size_t len;
} ext_lines[] = {
  EXT_LINE(SMTPP_EXT_PIPELINING, "PIPELINING"),
  EXT_LINE(SMTPP_EXT_SIZE, "SIZE "), /* the number follows (RFC 1870 4) */
  EXT_LINE(SMTPP_EXT_8BITMIME, "8BITMIME"),
  EXT_LINE(SMTPP_EXT_SMTPUTF8, "SMTPUTF8"),
  EXT_LINE(SMTPP_EXT_DSN, "DSN"),
  EXT_LINE(SMTPP_EXT_CHUNKING, "CHUNKING"),
  EXT_LINE(SMTPP_EXT_STARTTLS, "STARTTLS"),
  EXT_LINE(SMTPP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES"),
  EXT_LINE(SMTPP_EXT_AUTH, "AUTH "), /* the mechanisms follow (RFC 4954 3) */
};
#undef EXT_LINE

/* The longest EHLO reply: the first line (our Domain, SP, host text), the
 * extension lines with a 20-digit SIZE and 200 octets of mechanisms. */
#define EHLO_FIRST_MAX (4 + 255 + 1 + SMTPP_HOST_TEXT_MAX + 2)
#define EHLO_ROWS_MAX (16 + 31 + 14 + 14 + 9 + 14 + 14 + 25 + (9 + 200 + 2))
_Static_assert(EHLO_FIRST_MAX + EHLO_ROWS_MAX <= SMTPP_REPLY_MAX,
               "the whole EHLO reply fits the room the feed loop keeps");

/* Writes v in decimal at w; returns the octets written (at most 20). */
static size_t put_u64(unsigned char *w, uint64_t v) {
  unsigned char d[20];
  size_t n = 0;
  do {
    d[n++] = (unsigned char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    w[i] = d[n - 1 - i];
  return n;
}

static void ehlo_reply(smtpp_session *s, const char *first, size_t first_len,
                       int untrusted) {
  uint32_t ext = s->cfg->extensions;
  if (s->tls_active)
    ext &= ~(uint32_t)SMTPP_EXT_STARTTLS; /* RFC 3207 4.2 */
  if (untrusted) {
    /* the host's text goes through the sanitising writer (reply.c); the
     * extension lines follow it if there are any */
    int rows = 0;
    for (size_t i = 0; i < sizeof ext_lines / sizeof ext_lines[0]; i++)
      rows |= (ext & ext_lines[i].bit) != 0;
    (void)smtpp_reply_line(s, 250, NULL, first, first_len, rows);
  }
  /* room for what is left to write: the rows, and our own first line */
  unsigned char *w0 = smtpp_out_tail(
      s, untrusted ? EHLO_ROWS_MAX : EHLO_FIRST_MAX + EHLO_ROWS_MAX);
  unsigned char *w = w0, *last = NULL;
  if (w0 == NULL)
    return; /* unreachable: the feed loop keeps SMTPP_REPLY_MAX free */
  if (!untrusted) { /* our own Domain, printable (smtpp_config_ok) */
    if (first_len > EHLO_FIRST_MAX - 6)
      first_len = EHLO_FIRST_MAX - 6; /* unreachable: a Domain is <= 255 */
    last = w;
    memcpy(w, "250-", 4);
    w += 4;
    memcpy(w, first, first_len);
    w += first_len;
    *w++ = '\r';
    *w++ = '\n';
  }
  for (size_t i = 0; i < sizeof ext_lines / sizeof ext_lines[0]; i++) {
    if (!(ext & ext_lines[i].bit))
      continue;
    last = w;
    size_t n = ext_lines[i].len;
    if (ext_lines[i].bit == SMTPP_EXT_SIZE) {
      /* "SIZE" SP number; 0 = no fixed maximum (RFC 1870 4) */
      memcpy(w, ext_lines[i].line, n - 2);
      w += n - 2;
      w += put_u64(w, s->cfg->max_message_size);
    } else if (ext_lines[i].bit == SMTPP_EXT_AUTH) {
      const char *m = smtpp_auth_mechs(s); /* smtpp_config_ok: <= 200 */
      size_t ml = smtpp_bounded_len(m, 200);
      memcpy(w, ext_lines[i].line, n - 2);
      w += n - 2;
      memcpy(w, m, ml);
      w += ml;
    } else {
      memcpy(w, ext_lines[i].line, n);
      w += n;
      continue;
    }
    *w++ = '\r';
    *w++ = '\n';
  }
  if (last)
    last[3] = ' '; /* the last line: "250 " */
  s->out_len = (uint16_t)(s->out_len + (size_t)(w - w0));
}

void smtpp_proceed_helo(smtpp_session *s, int verb, int code, const char *enh,
                        const char *text) {
  (void)enh; /* RFC 2034 4: no enhanced code on any reply to HELO/EHLO */
  if (code >= 400) {
    smtpp_decided(s, code, NULL, text, "Hello refused");
    return;
  }
  s->helo_kind = verb == SMTPP_VERB_EHLO ? SMTPP_HK_EHLO : SMTPP_HK_HELO;
  smtpp_reset_transaction(s); /* RFC 5321 4.1.4 */
  const char *h = smtpp_hostname(s);
  size_t hn = strlen(h); /* smtpp_config_ok(): a Domain, <= 255 octets */
  /* RFC 5321 4.1.1.1: ehlo-ok-rsp / helo-ok-rsp = "250" SP Domain
   * [SP greet]: the host's text follows our Domain, it never replaces it
   * (the text is sanitised by the reply writer; the Domain is printable). */
  char first[255 + 1 + SMTPP_HOST_TEXT_MAX];
  size_t fn = hn;
  memcpy(first, h, hn);
  if (text) {
    size_t tn = smtpp_bounded_len(text, SMTPP_HOST_TEXT_MAX);
    first[fn++] = ' ';
    memcpy(first + fn, text, tn);
    fn += tn;
  }
  if (verb == SMTPP_VERB_EHLO) /* the extension lines always follow */
    ehlo_reply(s, first, fn, text != NULL);
  else if (text)
    (void)smtpp_reply_line(s, 250, NULL, first, fn, 0);
  else
    smtpp_reply(s, 250, NULL, h);
}

/* ---- MAIL / RCPT (RFC 5321 4.1.1.2, 4.1.1.3) ---- */

/* Steps over "FROM:" (MAIL) or "TO:" (RCPT), any case (RFC 5321 2.4),
 * with a word compare: on the command path of every message. */
static int path_keyword(const unsigned char **a, const unsigned char *end,
                        int mail) {
  const unsigned char *p = *a;
  size_t n = mail ? 5 : 3;
  if ((size_t)(end - p) < n || p[n - 1] != ':')
    return 0;
  /* clearing bit 5 upper-cases a letter and maps no other octet onto one */
  if (mail) {
    uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    if ((w & 0xDFDFDFDFu) != ((uint32_t)'F' | (uint32_t)'R' << 8 |
                              (uint32_t)'O' << 16 | (uint32_t)'M' << 24))
      return 0;
  } else if ((p[0] & 0xDF) != 'T' || (p[1] & 0xDF) != 'O') {
    return 0;
  }
  *a = p + n;
  return 1;
}

/* "MAIL FROM:" Reverse-path / "RCPT TO:" Forward-path, then parameters. */
int smtpp_check_mail_rcpt(smtpp_session *s, int verb, const unsigned char *a,
                          const unsigned char *end, smtpp_event *ev) {
  int mail = verb == SMTPP_VERB_MAIL;
  if (!path_keyword(&a, end, mail))
    return SMTPP_ERR_SYNTAX;
  if (s->cfg->lenient & SMTPP_LENIENT_PATH_SPACE)
    while (a < end && *a == ' ')
      a++;
  uint32_t offered = s->helo_kind == SMTPP_HK_EHLO ? s->cfg->extensions : 0;
  /* RFC 6531 3.5: a non-ASCII address in a transaction without SMTPUTF8
   * is refused as such (550/553 X.6.7), not as a syntax error. */
  int nonascii = mail ? SMTPP_ERR_NONASCII_SENDER : SMTPP_ERR_NONASCII_RCPT;
  int lenient8 = (s->cfg->lenient & SMTPP_LENIENT_8BIT) != 0;
  /* The path first, with UTF-8 allowed to find its end; whether UTF-8 was
   * allowed is settled once the parameters are known (RFC 6531 3.3). */
  smtpp_path path;
  const unsigned char *after = NULL;
  unsigned flags = SMTPP_ADDR_UTF8 | (mail ? SMTPP_ADDR_ALLOW_NULL
                                           : SMTPP_ADDR_POSTMASTER);
  int err = smtpp_parse_path(a, end, flags, &path, &after);
  if (err) {
    /* Malformed: 8-bit where UTF-8 could not be meant is non-ASCII. */
    int could_utf8 = mail ? (offered & SMTPP_EXT_SMTPUTF8) != 0 : s->mail_utf8;
    if (!could_utf8 && !lenient8 && smtpp_has_8bit(a, end))
      return nonascii;
    return err;
  }
  /* parsed straight into the event (a refusal clears it again) */
  smtpp_params own, *prm = ev ? &ev->params : &own;
  if (after == end) /* no parameters, the common case */
    memset(prm, 0, sizeof *prm);
  else
    err = smtpp_parse_params(after, end, verb, offered,
                             (offered & SMTPP_EXT_SIZE) ? s->cfg->max_message_size : 0,
                             !mail && s->mail_utf8, prm);
  if (err && err != SMTPP_ERR_SIZE_EXCEEDED)
    return err;
  int utf8 = mail ? prm->smtputf8 : s->mail_utf8;
  if (!utf8 && !lenient8 && path.eightbit) /* an octet > 127 in [a, after) */
    return nonascii;
  if (err)
    return err; /* SIZE over the limit: 552, only for a well-formed line */
  if (!mail && s->nrcpt >= smtpp_max_rcpt(s))
    return SMTPP_ERR_TOO_MANY_RCPTS; /* RFC 5321 4.5.3.1.10 */
  if (ev) {
    ev->path = smtpp_slice_of(path.mailbox, path.mailbox_len);
    if (path.null_path)
      ev->path = smtpp_slice_of(a + 1, 0);
    ev->local = smtpp_slice_of(path.local, path.local_len);
    ev->domain = smtpp_slice_of(path.domain, path.domain_len);
    if (prm->smtputf8)
      ev->flags |= SMTPP_EVF_SMTPUTF8;
  }
  s->pend_utf8 = prm->smtputf8;
  smtpp_ask(s, verb, ev);
  return 0;
}

void smtpp_proceed_mail_rcpt(smtpp_session *s, int verb, int code,
                             const char *enh, const char *text) {
  int mail = verb == SMTPP_VERB_MAIL;
  if (code >= 400) {
    smtpp_refused(s, code, enh, text,
                  mail ? "Sender refused" : "Recipient refused");
    return;
  }
  if (mail) {
    smtpp_set_state(s, SMTPP_ST_CMD_AFTER_MAIL);
    s->mail_utf8 = s->pend_utf8;
    s->nrcpt = 0;
    smtpp_decided_fixed(s, code, enh, text, SMTPP_R_SENDER_OK);
  } else {
    smtpp_set_state(s, SMTPP_ST_CMD_AFTER_RCPT);
    s->nrcpt++; /* cannot overflow: RCPT is refused at smtpp_max_rcpt() */
    smtpp_decided_fixed(s, code, enh, text, SMTPP_R_RCPT_OK);
  }
}

/* ---- DATA (RFC 5321 4.1.1.4) ---- */

int smtpp_check_data(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  (void)arg; /* "DATA" CRLF: the table refused arguments */
  (void)end;
  smtpp_ask(s, verb, ev);
  return 0;
}

void smtpp_proceed_data(smtpp_session *s, int verb, int code, const char *enh,
                        const char *text) {
  (void)verb;
  if (code >= 400) {
    smtpp_refused(s, code, enh, text, "Data refused");
    return;
  }
  smtpp_set_state(s, SMTPP_ST_DATA_TEXT);
  s->data_state = SMTPP_DS_LINE_START;
  s->data_line_len = 0;
  s->msg_size = 0;
  s->msg_error = 0;
  smtpp_decided_fixed(s, 354, NULL, text, SMTPP_R_DATA_GO);
}

/* ---- BDAT (RFC 3030 2) ---- */

/* chunk-size [SP "LAST"], exactly [a, end); n at most 2^63. */
int smtpp_bdat_args(const unsigned char *a, const unsigned char *end,
                    uint64_t *size, int *last) {
  const unsigned char *d = a;
  uint64_t v = 0;
  while (a < end && SMTPP_IS(*a, SMTPP_C_DIGIT)) {
    unsigned dig = (unsigned)(*a - '0');
    if (v > (UINT64_C(0x8000000000000000) - dig) / 10)
      return SMTPP_ERR_BDAT_SYNTAX;
    v = v * 10 + dig;
    a++;
  }
  if (a == d)
    return SMTPP_ERR_BDAT_SYNTAX;
  *last = 0;
  if (a < end) {
    if (*a != ' ' || !smtpp_ci_eq(a + 1, (size_t)(end - a - 1), "LAST"))
      return SMTPP_ERR_BDAT_SYNTAX;
    *last = 1;
  }
  *size = v;
  return 0;
}

/* Starts reading a chunk; discard: it is out of sequence and is thrown
 * away, then refused with 503 (smtpp_bdat_chunk_done()). */
static void bdat_start(smtpp_session *s, const unsigned char *arg,
                       const unsigned char *end, int discard,
                       smtpp_event *ev) {
  uint64_t size = 0;
  int last = 0;
  /* the judge passed the line through bdat_refused(): it parses */
  (void)smtpp_bdat_args(arg, end, &size, &last);
  s->bdat_discard = (uint8_t)discard;
  s->bdat_left = size;
  s->bdat_last = (uint8_t)last;
  if (discard)
    s->saved_state = s->state; /* where the refused BDAT found us */
  smtpp_set_state(s, SMTPP_ST_BDAT_CHUNK);
  if (ev && !discard) {
    ev->chunk_size = size;
    if (last)
      ev->flags |= SMTPP_EVF_LAST | SMTPP_EVF_GROUP_END;
  }
}

void smtpp_bdat_discard(smtpp_session *s, const unsigned char *arg,
                        const unsigned char *end) {
  bdat_start(s, arg, end, 1, NULL);
}

int smtpp_check_bdat(smtpp_session *s, int verb, const unsigned char *arg,
                     const unsigned char *end, smtpp_event *ev) {
  (void)verb;
  bdat_start(s, arg, end, 0, ev);
  return 0; /* the chunk's end is answered by smtpp_bdat_chunk_done() */
}
