/*
 * probe_fuzz.c - `smtpp probe --fuzz`: differential fuzzing of a live SMTP
 * server against libsmtpp.
 *
 * Each iteration takes a seed session (the client bytes of a dialog of
 * tests/dialogs or of corpus/seeds/session), mutates it with
 * structure-aware mutations (dictionary tokens at line boundaries and
 * inside lines, duplicated and dropped lines, byte flips, numbers, CRLF
 * swapped for a smuggling sequence, truncation), sends it to the server in
 * one burst and runs the same bytes through libsmtpp configured like the
 * server's EHLO reply (extensions, SIZE).  A disagreement is a difference
 * in the sequence of reply classes (first digits, greeting included) or a
 * broken reply-stream property: P2 (format, at most 512 octets with CRLF,
 * printable) and P3 (nothing after 221/421; one reply per command).
 *
 * Disagreements are deduplicated by a signature ("RCPT exp 2xx got 5xx",
 * "P2 line-over-512"); the first instance of each is minimized by delta
 * debugging over lines, then over octets, re-running against the server at
 * each step (bounded by a step budget and the deadline), and written to
 * the output directory as a .dialog-like file (R: lines, # comments with
 * both reply streams) and a raw .bin.
 *
 * Deterministic for a given --seed and a deterministic server: own PRNG
 * (splitmix64), seeds in sorted order, no clock in any decision except the
 * --time bound.
 */
#define _POSIX_C_SOURCE 200809L
#include "probe_fuzz.h"

#include "fuzz_config.h"

#include "bbuf.h"
#include "cli.h"
#include "dialogfile.h"
#include "esc.h"
#include "probe_conn.h"
#include "replies.h"

#include <smtpp/smtpp.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SMTPP_SOURCE_DIR
#define SMTPP_SOURCE_DIR "."
#endif

#define SESSION_MAX (16u * 1024)  /* mutated sessions are cut here */
#define SEED_FILE_MAX (64u * 1024) /* bigger seed files are skipped */
#define SEEDS_MAX 4096
#define DICT_MAX 1024
#define TOKEN_MAX 256
#define MIN_STEPS 300             /* server runs per minimization */
#define QUIET_MS 150              /* after the expected replies: extras? */
#define SESSION_MS_MAX 20000      /* one server run */
#define SIGS_MAX 256              /* distinct signatures kept */
#define SIG_LEN 80

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64                                                    */
/* ------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n) {
  return n ? (size_t)(rng_next(s) % n) : 0;
}

/* Escaped copy of p[0..n) into a C string, cut to cap with "..." at the
 * end when it did not fit. */
static void esc_str(char *dst, size_t cap, const unsigned char *p,
                    size_t n) {
  size_t taken = 0;
  if (cap == 0)
    return;
  esc_bytes(dst, cap, p, n, &taken);
  if (taken < n && cap > 4)
    memcpy(dst + cap - 4, "...", 4);
}

/* ------------------------------------------------------------------ */
/* Dictionary and seeds                                                */
/* ------------------------------------------------------------------ */

typedef struct tok {
  unsigned char p[TOKEN_MAX];
  size_t n;
} tok;

static const char *const builtin_tokens[] = {
    "HELO ", "EHLO ", "MAIL FROM:", "RCPT TO:", "DATA", "BDAT ", "RSET",
    "VRFY ", "EXPN ", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH PLAIN",
    "<>", "<a@example.org>", "<postmaster>", " SIZE=", " BODY=8BITMIME",
    " SMTPUTF8", " RET=HDRS", " NOTIFY=NEVER", " ORCPT=rfc822;a@b",
    " AUTH=<>", " LAST", "\r\n", "\n", "\r", ".\r\n", "\r\n.\r\n", "\n.\n",
    "\r.\r", "\0", " ", "\t", ":", "@", "[127.0.0.1]", "[IPv6:::1]", "0",
    "999999999999999999999", "\xC3\xA9",
};

/* Parses one AFL dictionary line: [name=]"value" with \\ \" \xHH. */
static int dict_line(const char *l, tok *t) {
  const char *q = strchr(l, '"');
  size_t n = 0;
  if (!q)
    return -1;
  for (q++; *q && *q != '"'; q++) {
    unsigned char ch = (unsigned char)*q;
    if (ch == '\\') {
      q++;
      if (*q == 'x' && isxdigit((unsigned char)q[1]) &&
          isxdigit((unsigned char)q[2])) {
        char h[3] = {q[1], q[2], 0};
        ch = (unsigned char)strtoul(h, NULL, 16);
        q += 2;
      } else if (*q == '\\' || *q == '"') {
        ch = (unsigned char)*q;
      } else {
        return -1;
      }
    }
    if (n >= TOKEN_MAX)
      return -1;
    t->p[n++] = ch;
  }
  if (*q != '"' || n == 0)
    return -1;
  t->n = n;
  return 0;
}

/* Returns the token count; *from says where they came from. */
static size_t dict_load(const char *path, tok **out, char *from,
                        size_t fromcap) {
  tok *d = calloc(DICT_MAX, sizeof *d);
  size_t n = 0;
  FILE *f = NULL;
  char line[2048];

  *out = d;
  if (!d)
    return 0;
  if (path)
    f = fopen(path, "r");
  if (f) {
    while (n < DICT_MAX && fgets(line, sizeof line, f)) {
      char *s = line;
      while (*s == ' ' || *s == '\t')
        s++;
      if (*s == '#' || *s == '\n' || *s == '\0')
        continue;
      if (dict_line(s, &d[n]) == 0)
        n++;
    }
    fclose(f);
  }
  if (n) {
    snprintf(from, fromcap, "%s (%zu tokens)", path, n);
    return n;
  }
  for (size_t i = 0; i < sizeof builtin_tokens / sizeof builtin_tokens[0];
       i++) {
    size_t l = strlen(builtin_tokens[i]);
    if (l == 0) /* "\0" */
      l = 1;
    memcpy(d[n].p, builtin_tokens[i], l);
    d[n++].n = l;
  }
  snprintf(from, fromcap, "built-in list (%zu tokens)%s%s", n,
           path ? "; cannot read " : "", path ? path : "");
  return n;
}

typedef struct seed {
  bbuf b;
  char name[160];
} seed;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the files of dir (sorted), without their 4-octet config/split
 * selector (fuzz/fuzz_config.h). */
static size_t seeds_from_dir(const char *dir, seed *s, size_t n,
                             size_t max) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t nn = 0, cap = 0;

  if (!d)
    return n;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (nn == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      char **nb = realloc(names, ncap * sizeof *nb);
      if (!nb)
        break;
      names = nb;
      cap = ncap;
    }
    names[nn] = strdup(e->d_name);
    if (names[nn])
      nn++;
  }
  closedir(d);
  if (nn)
    qsort(names, nn, sizeof *names, cmp_str);
  for (size_t i = 0; i < nn; i++) {
    char path[4096];
    FILE *f;
    unsigned char buf[4096];
    size_t r;
    bbuf b = {0};
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    f = fopen(path, "rb");
    if (f) {
      while ((r = fread(buf, 1, sizeof buf, f)) > 0 && b.len <= SEED_FILE_MAX)
        bbuf_add(&b, buf, r);
      fclose(f);
    }
    if (n < max && b.len > FUZZ_SELECTOR && b.len <= SEED_FILE_MAX) {
      /* the one decoder of the fuzz_session layout (fuzz/fuzz_config.h):
       * the selector and the split points are not client bytes */
      fuzz_setup fs;
      if (fuzz_select(b.p, b.len, &fs))
        bbuf_erase(&b, 0, (size_t)(fs.in - b.p));
      s[n].b = b;
      snprintf(s[n].name, sizeof s[n].name, "session/%s", names[i]);
      n++;
    } else {
      bbuf_free(&b);
    }
    free(names[i]);
  }
  free(names);
  return n;
}

/* ------------------------------------------------------------------ */
/* Mutations                                                           */
/* ------------------------------------------------------------------ */

/* Line k (0-based) of b: [*st, *en), en past its LF (or at the end). */
static size_t count_lines(const bbuf *b) {
  size_t n = 0;
  for (size_t i = 0; i < b->len; i++)
    if (b->p[i] == '\n')
      n++;
  if (b->len && b->p[b->len - 1] != '\n')
    n++;
  return n;
}

static void line_span(const bbuf *b, size_t k, size_t *st, size_t *en) {
  size_t i = 0, line = 0;
  *st = 0;
  for (; i < b->len && line < k; i++)
    if (b->p[i] == '\n') {
      line++;
      *st = i + 1;
    }
  i = *st;
  while (i < b->len && b->p[i] != '\n')
    i++;
  *en = i < b->len ? i + 1 : b->len;
}

/* Body of line [st, en) without its CRLF / LF. */
static size_t body_end(const bbuf *b, size_t st, size_t en) {
  if (en > st && b->p[en - 1] == '\n')
    en--;
  if (en > st && b->p[en - 1] == '\r')
    en--;
  return en;
}

static const char *const smuggle[] = {
    "\n", "\r", "\r\r\n", "\n\r\n", "\r\n\r", "\0\r\n", "\r\n.\n",
    "\n.\n", "\r.\r", "\n.\r\n", "\r\n.\r", "\r\n.\r\n",
};
static const size_t smuggle_len[] = {1, 1, 3, 3, 3, 3, 4, 3, 3, 4, 4, 5};

static const char *const numbers[] = {
    "0", "1", "9", "10", "99", "100", "101", "255", "256", "511", "512",
    "513", "998", "999", "1000", "1001", "65535", "65536", "10240000",
    "10485760", "10485761", "2147483647", "4294967295", "4294967296",
    "18446744073709551615", "18446744073709551616", "00000000000000000001",
    "-1", "1e3", "0x10",
};

static void mutate_once(bbuf *b, uint64_t *r, const tok *dict, size_t nd,
                        const seed *seeds, size_t ns) {
  size_t nl = count_lines(b), k, st, en, be;
  const tok *t = nd ? &dict[rng_below(r, nd)] : NULL;

  if (nl)
    k = rng_below(r, nl);
  else
    k = 0;
  line_span(b, k, &st, &en);
  be = body_end(b, st, en);
  switch (rng_below(r, 14)) {
  case 0: /* replace a word of a line with a token */
  case 1: {
    size_t ws, we;
    if (!t || be == st)
      goto insert_in_line;
    ws = st + rng_below(r, be - st);
    while (ws > st && b->p[ws - 1] != ' ' && b->p[ws - 1] != ':')
      ws--;
    we = ws;
    while (we < be && b->p[we] != ' ')
      we++;
    bbuf_erase(b, ws, we - ws);
    bbuf_insert(b, ws, t->p, t->n);
    break;
  }
  case 2: /* a token as a line of its own */
    if (!t)
      break;
    {
      unsigned char l[TOKEN_MAX + 2];
      memcpy(l, t->p, t->n);
      memcpy(l + t->n, "\r\n", 2);
      bbuf_insert(b, rng_below(r, 2) ? st : en, l, t->n + 2);
    }
    break;
  case 3: /* a token inside a line */
  insert_in_line:
    if (t)
      bbuf_insert(b, st + rng_below(r, be - st + 1), t->p, t->n);
    break;
  case 4: { /* delete a word */
    size_t ws, we;
    if (be == st)
      break;
    ws = st + rng_below(r, be - st);
    we = ws;
    while (we < be && b->p[we] != ' ')
      we++;
    if (we < be)
      we++;
    bbuf_erase(b, ws, we > ws ? we - ws : 1);
    break;
  }
  case 5: /* duplicate a line */
    if (en > st && en - st < 4096) {
      unsigned char *copy = malloc(en - st);
      if (copy) {
        memcpy(copy, b->p + st, en - st);
        bbuf_insert(b, en, copy, en - st);
        free(copy);
      }
    }
    break;
  case 6: /* drop a line */
    if (nl > 1)
      bbuf_erase(b, st, en - st);
    break;
  case 7: /* flip a byte */
    if (b->len) {
      size_t i = rng_below(r, b->len);
      if (rng_below(r, 2))
        b->p[i] ^= (unsigned char)(1u << rng_below(r, 8));
      else
        b->p[i] = (unsigned char)rng_below(r, 256);
    }
    break;
  case 8: { /* change a number */
    size_t i, j, tries = 0;
    const char *nv = numbers[rng_below(r, sizeof numbers / sizeof *numbers)];
    if (!b->len)
      break;
    i = rng_below(r, b->len);
    while (tries++ < b->len && !isdigit(b->p[i]))
      i = (i + 1) % b->len;
    if (!isdigit(b->p[i]))
      break;
    while (i > 0 && isdigit(b->p[i - 1]))
      i--;
    j = i;
    while (j < b->len && isdigit(b->p[j]))
      j++;
    bbuf_erase(b, i, j - i);
    bbuf_insert(b, i, nv, strlen(nv));
    break;
  }
  case 9: /* CRLF -> a smuggling sequence */
  case 10: {
    size_t q = rng_below(r, sizeof smuggle / sizeof *smuggle);
    if (en >= st + 2 && b->p[en - 1] == '\n' && b->p[en - 2] == '\r') {
      bbuf_erase(b, en - 2, 2);
      bbuf_insert(b, en - 2, smuggle[q], smuggle_len[q]);
    } else {
      bbuf_insert(b, en, smuggle[q], smuggle_len[q]);
    }
    break;
  }
  case 11: /* truncate */
    if (b->len > 1)
      b->len = 1 + rng_below(r, b->len - 1);
    break;
  case 12: { /* long run: line and path limits */
    static const size_t lens[] = {64, 65, 255, 256, 500, 505, 1000, 1100};
    size_t len = lens[rng_below(r, sizeof lens / sizeof *lens)];
    unsigned char *run = malloc(len);
    if (run) {
      memset(run, rng_below(r, 2) ? 'a' : 'x', len);
      bbuf_insert(b, st + rng_below(r, be - st + 1), run, len);
      free(run);
    }
    break;
  }
  default: { /* splice: a line of another seed */
    const seed *o = &seeds[rng_below(r, ns)];
    size_t ol = count_lines(&o->b), ost, oen;
    if (!ol)
      break;
    line_span(&o->b, rng_below(r, ol), &ost, &oen);
    if (oen > ost && oen - ost < 4096) {
      unsigned char *copy = malloc(oen - ost);
      if (copy) {
        memcpy(copy, o->b.p + ost, oen - ost);
        bbuf_insert(b, en, copy, oen - ost);
        free(copy);
      }
    }
    break;
  }
  }
  if (b->len > SESSION_MAX)
    b->len = SESSION_MAX;
}

/* ------------------------------------------------------------------ */
/* Reply streams                                                       */
/* ------------------------------------------------------------------ */

typedef struct freply {
  int code;
  size_t off;   /* first octet in the raw stream */
  size_t at;    /* model: client octets consumed when it was written */
  int data;     /* model: written while reading message text */
} freply;

typedef struct rlist {
  freply *r;
  size_t n, cap;
  char pkind[32]; /* first P2 violation kind, "" if none */
  char pmsg[200]; /* rs_reader.viol */
  int after_close; /* a reply followed 221/421 */
  int partial;     /* an unfinished reply at the end */
} rlist;

static void rl_free(rlist *l) {
  free(l->r);
  memset(l, 0, sizeof *l);
}

/* Reads a whole reply stream with the shared reader (common/replies.h);
 * eof: the server closed (a partial line at the end is then a
 * violation). */
static void parse_replies(const unsigned char *buf, size_t len, int eof,
                          rlist *l) {
  static rs_reader rs; /* reused: no malloc churn per session */
  rs_reset(&rs);
  rs_scan(&rs, buf, len);
  l->partial = rs_partial(&rs, len);
  if (eof)
    rs_end(&rs, buf, len);
  l->n = 0;
  l->pkind[0] = l->pmsg[0] = '\0';
  l->after_close = rs.after_close;
  if (rs.nviol) {
    snprintf(l->pkind, sizeof l->pkind, "%s", rs_viol_name(rs.viol_kind));
    snprintf(l->pmsg, sizeof l->pmsg, "%.*s", (int)sizeof l->pmsg - 1,
             rs.viol); /* cut on purpose: gcc -Wformat-truncation */
  }
  for (size_t i = 0; i < rs.n; i++) {
    if (l->n == l->cap) {
      l->cap = l->cap ? l->cap * 2 : 32;
      l->r = bb_realloc(l->r, l->cap * sizeof *l->r);
    }
    l->r[l->n].code = rs.r[i].code;
    l->r[l->n].off = rs.r[i].off;
    l->r[l->n].at = 0;
    l->r[l->n].data = 0;
    l->n++;
  }
}

/* ------------------------------------------------------------------ */
/* The two sides                                                       */
/* ------------------------------------------------------------------ */

typedef struct fctx {
  const probe_fuzz_opts *o;
  const pserver *srv;
  smtpp_config cfg;
  smtpp_session s;
  /* scratch for one run of both sides */
  bbuf mraw, sraw;
  rlist m, sv;
  int sverdict; /* SV_* */
  size_t runs;
} fctx;

enum { SV_CLOSED = 0, SV_QUIET, SV_TIMEOUT, SV_FULL, SV_CONNECT };
static const char *const sv_names[] = {"closed", "open after the replies",
                                       "timeout", "output over 1 MiB",
                                       "cannot connect"};

static void model_config(fctx *x) {
  smtpp_config_default(&x->cfg);
  x->cfg.extensions =
      x->srv->ext & (SMTPP_EXT_DEFAULT | SMTPP_EXT_STARTTLS | SMTPP_EXT_AUTH);
  if ((x->srv->ext & SMTPP_EXT_SIZE) && x->srv->has_size)
    x->cfg.max_message_size = x->srv->size;
}

/* Runs in through libsmtpp (one burst, default decisions).  Each reply
 * gets the count of client octets consumed when it was written. */
static void model_run(fctx *x, const unsigned char *in, size_t len) {
  size_t off = 0;
  int stalls = 0;
  typedef struct mark {
    size_t raw, at;
    int data;
  } mark;
  mark *mk = NULL;
  size_t nmk = 0, capmk = 0;

  x->mraw.len = 0;
  if (smtpp_init(&x->s, &x->cfg) < 0) {
    parse_replies(NULL, 0, 1, &x->m);
    return;
  }
  for (;;) {
    smtpp_event ev;
    size_t used = 0, olen = 0, before = x->mraw.len;
    const unsigned char *ob;
    int r = SMTPP_NEED_MORE;
    int data = smtpp_get_state(&x->s) == SMTPP_ST_DATA_TEXT;

    memset(&ev, 0, sizeof ev);
    if (nmk > 0) { /* the first pass only collects the greeting */
      r = smtpp_feed(&x->s, in + off, len - off, &used, &ev);
      if (used > len - off)
        used = len - off;
      off += used;
    }
    while ((ob = smtpp_out_buf(&x->s, &olen)) != NULL && olen) {
      bbuf_add(&x->mraw, ob, olen);
      smtpp_out_ack(&x->s, olen);
    }
    if (x->mraw.len > before || nmk == 0) {
      if (nmk == capmk) {
        size_t ncap = capmk ? capmk * 2 : 64;
        mark *nm = realloc(mk, ncap * sizeof *nm);
        if (!nm)
          break;
        mk = nm;
        capmk = ncap;
      }
      mk[nmk].raw = x->mraw.len;
      mk[nmk].at = off;
      mk[nmk].data = data;
      nmk++;
      if (nmk == 1)
        continue;
    }
    if (r < 0 || r == SMTPP_CLOSED ||
        (r == SMTPP_EVENT && ev.type == SMTPP_EV_CLOSE))
      break;
    if (r == SMTPP_NEED_MORE)
      break;
    if (used == 0 && x->mraw.len == before && ++stalls > 64)
      break;
    if (used || x->mraw.len > before)
      stalls = 0;
  }
  parse_replies(x->mraw.p, x->mraw.len, 1, &x->m);
  for (size_t i = 0; i < x->m.n; i++) {
    size_t at = 0;
    int data = 0;
    for (size_t k = 0; k < nmk; k++)
      if (mk[k].raw > x->m.r[i].off) {
        at = mk[k].at;
        data = mk[k].data;
        break;
      }
    x->m.r[i].at = at;
    x->m.r[i].data = data;
  }
  free(mk);
}

static int open_target(const probe_fuzz_opts *o, pconn *c, char *err,
                       size_t errlen) {
  if (o->tcp)
    return pconn_open_tcp(c, o->tcp, o->timeout_ms, err, errlen);
  return pconn_open_cmd(c, o->cmd, err, errlen);
}

/* Runs in against the server: waits for the greeting, writes everything
 * at once, closes the sending side, and reads until the server closes,
 * until want replies came and QUIET_MS passed without more, or until no
 * octet came for the per-reply timeout. */
static void server_run(fctx *x, const unsigned char *in, size_t len,
                       size_t want) {
  pconn c;
  char err[300];
  long long end, idle;
  size_t last_len = 0;

  x->sraw.len = 0;
  x->runs++;
  if (open_target(x->o, &c, err, sizeof err) < 0) {
    x->sverdict = SV_CONNECT;
    parse_replies(NULL, 0, 1, &x->sv);
    return;
  }
  end = pconn_now_ms() + SESSION_MS_MAX;
  idle = pconn_now_ms() + x->o->timeout_ms;
  x->sverdict = SV_TIMEOUT;
  /* greeting */
  for (;;) {
    int r;
    parse_replies(c.buf, c.len, c.eof, &x->sv);
    if (x->sv.n >= 1)
      break;
    r = pconn_read_some(&c, idle < end ? idle : end);
    if (r != PC_OK)
      break;
  }
  if (x->sv.n >= 1) {
    if (len)
      pconn_write(&c, in, len, 0, pconn_now_ms() + x->o->timeout_ms);
    pconn_shut_write(&c);
    idle = pconn_now_ms() + x->o->timeout_ms;
    for (;;) {
      long long now = pconn_now_ms(), dl;
      int r;
      parse_replies(c.buf, c.len, c.eof, &x->sv);
      if (c.len != last_len) {
        last_len = c.len;
        idle = now + x->o->timeout_ms;
      }
      if (c.eof) {
        x->sverdict = SV_CLOSED;
        break;
      }
      if (c.full) {
        x->sverdict = SV_FULL;
        break;
      }
      dl = idle;
      if (x->sv.n >= want && !x->sv.partial && now + QUIET_MS < dl)
        dl = now + QUIET_MS;
      if (dl > end)
        dl = end;
      r = pconn_read_some(&c, dl);
      if (r == PC_TIMEOUT) {
        parse_replies(c.buf, c.len, c.eof, &x->sv);
        x->sverdict = x->sv.n >= want && !x->sv.partial ? SV_QUIET
                                                         : SV_TIMEOUT;
        break;
      }
      if (r == PC_FULL) {
        x->sverdict = SV_FULL;
        break;
      }
    }
  }
  parse_replies(c.buf, c.len, c.eof, &x->sv);
  bbuf_set(&x->sraw, c.buf, c.len);
  pconn_close(&c);
}

/* ------------------------------------------------------------------ */
/* Comparing                                                           */
/* ------------------------------------------------------------------ */

/* The verb of the command line that ends at client offset at (lines end
 * in CRLF, as smtpp frames them). */
static void verb_at(const unsigned char *in, size_t len, const freply *r,
                    char *v, size_t cap) {
  static const char *const verbs[] = {
      "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY",
      "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH"};
  size_t at = r ? r->at : 0, st, en = at > len ? len : at, k = 0;
  char w[16];

  if (at == 0) {
    snprintf(v, cap, "greeting");
    return;
  }
  if (en >= 2 && in[en - 1] == '\n' && in[en - 2] == '\r')
    en -= 2;
  st = en;
  while (st >= 2 && !(in[st - 1] == '\n' && in[st - 2] == '\r'))
    st--;
  if (st == 1)
    st = 0;
  if (r->data) {
    snprintf(v, cap, "end-of-data");
    return;
  }
  while (st + k < en && k + 1 < sizeof w && isalpha(in[st + k])) {
    w[k] = (char)toupper(in[st + k]);
    k++;
  }
  w[k] = '\0';
  for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
    if (!strcmp(w, verbs[i])) {
      snprintf(v, cap, "%s", w);
      return;
    }
  snprintf(v, cap, "%s", en == st ? "empty-line" : "other-line");
}

typedef struct sigset {
  char s[4][SIG_LEN];
  size_t n;
  size_t idx; /* reply index of the class signature */
} sigset;

static void sig_add(sigset *ss, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sig_add(sigset *ss, const char *fmt, ...) {
  va_list ap;
  if (ss->n >= 4)
    return;
  va_start(ap, fmt);
  vsnprintf(ss->s[ss->n++], SIG_LEN, fmt, ap);
  va_end(ap);
}

/* A line end other than CRLF in in[0, lim): the server and smtpp frame
 * lines differently, and every disagreement after it follows from that.
 * A look-alike of CRLF.CRLF counts only after smtpp's 354 (data_from).
 * Returns the kind, or NULL. */
static const char *framing(const unsigned char *in, size_t lim,
                           size_t data_from) {
  static const struct {
    const char *p;
    size_t n;
  } look[] = {{"\n.\n", 3}, {"\n.\r\n", 4}, {"\r\n.\n", 4},
              {"\r.\r", 3}, {"\r\n.\r", 4}};
  int lf = 0, cr = 0;
  for (size_t i = 0; i < lim; i++) {
    /* the real end of the data: no look-alike after it is one (a bare LF
     * line after the message is a command line, not smuggling) */
    if (i >= data_from && i > 0 && lim - i >= 5 &&
        !memcmp(in + i, "\r\n.\r\n", 5))
      data_from = (size_t)-1;
    for (size_t k = 0; i >= data_from && k < sizeof look / sizeof *look;
         k++)
      if (lim - i >= look[k].n && !memcmp(in + i, look[k].p, look[k].n) &&
          (i == 0 || k >= 2 || in[i - 1] != '\r'))
        return "end-of-data look-alike (smuggling)";
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
      lf = 1;
    if (in[i] == '\r' && (i + 1 >= lim || in[i + 1] != '\n'))
      cr = 1;
  }
  return lf ? "bare LF" : cr ? "bare CR" : NULL;
}

/* Compares the last model run and server run of x on in. */
static void compare(const fctx *x, const unsigned char *in, size_t len,
                    sigset *ss) {
  const rlist *m = &x->m, *s = &x->sv;
  size_t n = m->n < s->n ? m->n : s->n, i;
  char v[24];

  memset(ss, 0, sizeof *ss);
  ss->idx = (size_t)-1;
  if (x->sverdict == SV_CONNECT) {
    sig_add(ss, "cannot connect");
    return;
  }
  for (i = 0; i < n; i++)
    if (m->r[i].code / 100 != s->r[i].code / 100)
      break;
  if (i < n || m->n != s->n) {
    size_t lim = i < m->n ? m->r[i].at : len, data_from = (size_t)-1;
    const char *fr;
    for (size_t k = 0; k < i && k < m->n; k++)
      if (m->r[k].code == 354)
        data_from = m->r[k].at;
    fr = framing(in, lim > len ? len : lim, data_from);
    if (fr) {
      sig_add(ss, "framing: %s", fr);
      ss->idx = i;
      goto props;
    }
  }
  if (i < n) {
    verb_at(in, len, &m->r[i], v, sizeof v);
    if (s->r[i].code == 221 || s->r[i].code == 421)
      sig_add(ss, "%s exp %dxx got %d (close)", v, m->r[i].code / 100,
              s->r[i].code);
    else
      sig_add(ss, "%s exp %dxx got %dxx", v, m->r[i].code / 100,
              s->r[i].code / 100);
    ss->idx = i;
  } else if (m->n > s->n) {
    verb_at(in, len, &m->r[i], v, sizeof v);
    sig_add(ss, "%s exp %dxx got none (%s)", v, m->r[i].code / 100,
            sv_names[x->sverdict]);
    ss->idx = i;
  } else if (s->n > m->n && !s->after_close) {
    verb_at(in, len, m->n ? &m->r[m->n - 1] : NULL, v, sizeof v);
    sig_add(ss, "extra %dxx after %s", s->r[i].code / 100, v);
    ss->idx = i;
  }
props:
  if (s->pkind[0])
    sig_add(ss, "P2 %s", s->pkind);
  if (s->after_close)
    sig_add(ss, "P3 reply after 221/421");
  if (x->sverdict == SV_FULL)
    sig_add(ss, "P9 output over 1 MiB");
}

static int sig_has(const sigset *ss, const char *sig) {
  for (size_t i = 0; i < ss->n; i++)
    if (!strcmp(ss->s[i], sig))
      return 1;
  return 0;
}

/* When the server offers STARTTLS, a session ends after its first
 * STARTTLS line: what follows would be TLS on the server and discarded
 * input in the model; neither says anything about SMTP. */
static void cut_starttls(const fctx *x, bbuf *b) {
  if (!(x->srv->ext & SMTPP_EXT_STARTTLS))
    return;
  for (size_t i = 0; i + 8 <= b->len; i++)
    if ((i == 0 || b->p[i - 1] == '\n') &&
        !strncasecmp((const char *)b->p + i, "STARTTLS", 8)) {
      size_t j = i;
      while (j < b->len && b->p[j] != '\n')
        j++;
      b->len = j < b->len ? j + 1 : b->len;
      return;
    }
}

/* Runs both sides on in; fills ss. */
static void run_both(fctx *x, const unsigned char *in, size_t len,
                     sigset *ss) {
  model_run(x, in, len);
  server_run(x, in, len, x->m.n);
  compare(x, in, len, ss);
}

/* ------------------------------------------------------------------ */
/* Minimizing                                                          */
/* ------------------------------------------------------------------ */

typedef struct mini {
  fctx *x;
  const char *sig;
  size_t steps, budget;
  long long deadline;
} mini;

static int still_fails(mini *mi, const bbuf *cand) {
  sigset ss;
  if (mi->steps >= mi->budget || pconn_now_ms() >= mi->deadline)
    return 0;
  mi->steps++;
  run_both(mi->x, cand->p, cand->len, &ss);
  return sig_has(&ss, mi->sig);
}

/* Unit boundaries of b: after each LF (lines) or each octet. */
static size_t units(const bbuf *b, int lines, size_t **out) {
  size_t n = 0, *u = malloc((b->len + 2) * sizeof *u);
  *out = u;
  if (!u)
    return 0;
  u[n++] = 0;
  for (size_t i = 0; i < b->len; i++)
    if (!lines || b->p[i] == '\n' || i + 1 == b->len)
      u[n++] = i + 1;
  return n - 1; /* units: [u[k], u[k+1]) */
}

/* ddmin (complements only) over lines or octets of cur. */
static void ddmin(mini *mi, bbuf *cur, int lines) {
  size_t gran = 2;
  bbuf cand = {0};

  for (;;) {
    size_t *u, nu = units(cur, lines, &u), chunk, reduced = 0;
    if (!u)
      break;
    if (nu < 2 || mi->steps >= mi->budget ||
        pconn_now_ms() >= mi->deadline) {
      free(u);
      break;
    }
    if (gran > nu)
      gran = nu;
    chunk = (nu + gran - 1) / gran;
    for (size_t i = 0; i * chunk < nu; i++) {
      size_t a = u[i * chunk];
      size_t bnd = (i + 1) * chunk < nu ? u[(i + 1) * chunk] : u[nu];
      bbuf_set(&cand, cur->p, a);
      bbuf_add(&cand, cur->p + bnd, cur->len - bnd);
      if (still_fails(mi, &cand)) {
        bbuf_set(cur, cand.p, cand.len);
        gran = gran > 2 ? gran - 1 : 2;
        reduced = 1;
        break;
      }
      if (mi->steps >= mi->budget)
        break;
    }
    free(u);
    if (!reduced) {
      if (gran >= nu)
        break;
      gran = gran * 2 < nu ? gran * 2 : nu;
    }
  }
  bbuf_free(&cand);
}

/* ------------------------------------------------------------------ */
/* Findings and reports                                                */
/* ------------------------------------------------------------------ */

/* The verdict of a signature, in the classes of the suite (probe.h):
 * what the RFCs forbid whatever the server's choices is a violation
 * (framing on a bare CR/LF or an end-of-data look-alike, RFC 5321 2.3.8
 * and 4.1.1.4; a malformed reply line, 4.2 and 4.5.3.1.5; a reply after
 * 221/421, 4.1.1.10; 221 to anything but QUIT, 3.8); one reply more than
 * commands is one only when the server offers PIPELINING (the session
 * comes in one burst, RFC 2920 3); a class difference is smtpp's choice
 * against the server's: accepting what smtpp refuses is an advisory,
 * refusing what smtpp accepts, a close with 421, a drop or a bound is
 * inconclusive here (the suite judges those situations). */
static int fuzz_verdict(const char *sig, const pserver *srv) {
  if (!strncmp(sig, "framing:", 8) || !strncmp(sig, "P2 ", 3) ||
      !strncmp(sig, "P3 ", 3))
    return V_VIOLATION;
  if (strstr(sig, "got 221 (close)") && strncmp(sig, "QUIT ", 5))
    return V_VIOLATION;
  if (!strncmp(sig, "extra ", 6))
    return (srv->ext & SMTPP_EXT_PIPELINING) ? V_VIOLATION : V_INCONCLUSIVE;
  if (strstr(sig, "exp 5xx got 2xx") || strstr(sig, "exp 5xx got 3xx") ||
      strstr(sig, "exp 4xx got 2xx"))
    return V_ADVISORY;
  return V_INCONCLUSIVE;
}

typedef struct finding {
  char sig[SIG_LEN];
  int verdict; /* V_* (fuzz_verdict) */
  uint64_t count;
  uint64_t first_iter;
  char seed_name[160];
  char path[4200], bin[4200];
  size_t orig_len, min_len, steps;
  int reproduced; /* the minimized input still shows the signature */
  char mcodes[200], scodes[200];
} finding;

/* Reply codes from reply #from on, at most 12 of them. */
static void codes_str(const rlist *l, size_t from, char *dst, size_t cap) {
  size_t o = 0, i;
  dst[0] = '\0';
  if (from > l->n)
    from = l->n;
  if (from)
    o += (size_t)snprintf(dst, cap, "(#%zu) ... ", from + 1);
  for (i = from; i < l->n && i < from + 12 && o + 8 < cap; i++)
    o += (size_t)snprintf(dst + o, cap - o, "%s%03d", i > from ? " " : "",
                          l->r[i].code);
  if (i < l->n && o + 5 < cap)
    snprintf(dst + o, cap - o, " ...");
}

static void slug(const char *sig, char *out, size_t cap) {
  size_t o = 0;
  int dash = 0;
  for (const char *p = sig; *p && o + 1 < cap; p++) {
    if (isalnum((unsigned char)*p)) {
      out[o++] = (char)tolower((unsigned char)*p);
      dash = 0;
    } else if (!dash && o > 0) {
      out[o++] = '-';
      dash = 1;
    }
  }
  while (o > 0 && out[o - 1] == '-')
    o--;
  out[o] = '\0';
}

/* Shell-quotes s into dst with single quotes. */
static void shq(char *dst, size_t cap, const char *s) {
  size_t o = 0;
  if (cap < 3)
    return;
  dst[o++] = '\'';
  for (; *s && o + 6 < cap; s++) {
    if (*s == '\'') {
      memcpy(dst + o, "'\\''", 4);
      o += 4;
    } else {
      dst[o++] = *s;
    }
  }
  dst[o++] = '\'';
  dst[o] = '\0';
}

static const char *self_exe(void) {
  static char path[4096];
  ssize_t n;
  if (path[0])
    return path;
  n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0)
    snprintf(path, sizeof path, "smtpp");
  else
    path[n] = '\0';
  return path;
}

static void replay_cmd(const probe_fuzz_opts *o, const char *file,
                       char *dst, size_t cap) {
  char qf[4400], qt[4400];
  shq(qf, sizeof qf, file);
  shq(qt, sizeof qt, o->tcp ? o->tcp : o->cmd);
  int w = snprintf(dst, cap, "%s probe --replay %s %s %s%s", self_exe(), qf,
                   o->tcp ? "--tcp" : "--cmd", qt,
                   o->tcp && probe_fuzz_check_target(o->tcp, -1) < 0
                       ? " --allow-remote" : "");
  if (w < 0 && cap)
    dst[0] = '\0';
}

/* The replies of a raw stream as "# name: ..." comment lines. */
static void comment_replies(FILE *f, const char *who, const bbuf *raw,
                            const rlist *l) {
  size_t pos = 0, lines = 0;
  bbuf e = {0};
  (void)l;
  while (pos < raw->len && lines < 200) {
    const unsigned char *lf = memchr(raw->p + pos, '\n', raw->len - pos);
    size_t ln = lf ? (size_t)(lf - (raw->p + pos)) + 1 : raw->len - pos;
    size_t shown = ln;
    e.len = 0;
    if (shown && raw->p[pos + shown - 1] == '\n')
      shown--;
    if (shown && raw->p[pos + shown - 1] == '\r')
      shown--;
    bbuf_add_escaped(&e, raw->p + pos, shown > 160 ? 160 : shown);
    fprintf(f, "# %s: %.*s%s%s\n", who, (int)e.len, (const char *)e.p,
            shown > 160 ? "..." : "",
            ln - shown == 2 ? "" : (lf ? " (no CR before LF)" : " (no LF)"));
    pos += ln;
    lines++;
  }
  if (pos < raw->len)
    fprintf(f, "# %s: ... (%zu more octets)\n", who, raw->len - pos);
  if (raw->len == 0)
    fprintf(f, "# %s: (nothing)\n", who);
  bbuf_free(&e);
}

static int write_repro(fctx *x, finding *fd, const bbuf *in) {
  FILE *f;
  bbuf e = {0};
  char rc[9000];
  sigset ss;

  /* one more run: the comments show this exact input's replies */
  run_both(x, in->p, in->len, &ss);
  fd->reproduced = sig_has(&ss, fd->sig);
  {
    size_t from = ss.idx != (size_t)-1 && ss.idx > 5 ? ss.idx - 5 : 0;
    codes_str(&x->m, from, fd->mcodes, sizeof fd->mcodes);
    codes_str(&x->sv, from, fd->scodes, sizeof fd->scodes);
  }
  f = fopen(fd->bin, "wb");
  if (!f)
    return -1;
  if (in->len)
    fwrite(in->p, 1, in->len, f);
  if (fclose(f) != 0)
    return -1;
  f = fopen(fd->path, "w");
  if (!f)
    return -1;
  replay_cmd(x->o, fd->path, rc, sizeof rc);
  fprintf(f, "# title: probe --fuzz disagreement: %s\n", fd->sig);
  fprintf(f, "# server: %s\n", x->srv->target);
  fprintf(f, "# ehlo: %s\n",
          x->srv->keywords[0] ? x->srv->keywords : "(no keywords)");
  fprintf(f, "# found: seed %llu, session %llu, from %s; minimized from "
             "%zu to %zu octets in %zu server runs%s\n",
          (unsigned long long)x->o->seed,
          (unsigned long long)fd->first_iter, fd->seed_name, fd->orig_len,
          in->len, fd->steps,
          fd->reproduced ? "" : " (the last run did not show it again)");
  fprintf(f, "# replay: %s\n", rc);
  fprintf(f, "# smtpp replies: %s\n", fd->mcodes);
  fprintf(f, "# server replies: %s (%s)\n", fd->scodes,
          sv_names[x->sverdict]);
  if (x->sv.pkind[0])
    fprintf(f, "# property: P2 %s\n", x->sv.pmsg);
  comment_replies(f, "smtpp", &x->mraw, &x->m);
  comment_replies(f, "server", &x->sraw, &x->sv);
  for (size_t pos = 0; pos < in->len;) {
    const unsigned char *lf = memchr(in->p + pos, '\n', in->len - pos);
    size_t ln = lf ? (size_t)(lf - (in->p + pos)) + 1 : in->len - pos;
    /* R: lines of at most 200 octets */
    if (ln > 200)
      ln = 200;
    e.len = 0;
    bbuf_add_escaped(&e, in->p + pos, ln);
    fprintf(f, "R: %.*s\n", (int)e.len, (const char *)e.p);
    pos += ln;
  }
  bbuf_free(&e);
  return fclose(f) == 0 ? 0 : -1;
}

static int mkdirs(const char *dir) {
  char p[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof p)
    return -1;
  memcpy(p, dir, n + 1);
  for (size_t i = 1; i <= n; i++)
    if (p[i] == '/' || p[i] == '\0') {
      char c = p[i];
      p[i] = '\0';
      if (mkdir(p, 0777) < 0 && errno != EEXIST)
        return -1;
      p[i] = c;
    }
  return 0;
}

static int write_json(const char *path, const fctx *x, const finding *fd,
                      size_t nfd, uint64_t sessions, uint64_t agree,
                      const char *dict_from, size_t nseeds) {
  FILE *f = fopen(path, "w");
  char rc[9000];
  if (!f)
    return -1;
  fprintf(f, "{\n  \"server\": ");
  esc_json_put(f, x->srv->target);
  fprintf(f, ",\n  \"ehlo\": ");
  esc_json_put(f, x->srv->keywords);
  fprintf(f, ",\n  \"seed\": %llu,\n  \"sessions\": %llu,\n"
             "  \"agreed\": %llu,\n  \"seed_sessions\": %zu,\n"
             "  \"dictionary\": ",
          (unsigned long long)x->o->seed, (unsigned long long)sessions,
          (unsigned long long)agree, nseeds);
  esc_json_put(f, dict_from);
  fprintf(f, ",\n  \"findings\": [");
  for (size_t i = 0; i < nfd; i++) {
    replay_cmd(x->o, fd[i].path, rc, sizeof rc);
    fprintf(f, "%s\n    {\"signature\": ", i ? "," : "");
    esc_json_put(f, fd[i].sig);
    fprintf(f, ", \"verdict\": \"%s\"", probe_verdict_names[fd[i].verdict]);
    fprintf(f, ", \"count\": %llu, \"first_session\": %llu, \"seed_file\": ",
            (unsigned long long)fd[i].count,
            (unsigned long long)fd[i].first_iter);
    esc_json_put(f, fd[i].seed_name);
    fprintf(f, ", \"octets\": %zu, \"minimized_octets\": %zu, "
               "\"reproduced\": %s, \"reproducer\": ",
            fd[i].orig_len, fd[i].min_len,
            fd[i].reproduced ? "true" : "false");
    esc_json_put(f, fd[i].path);
    fprintf(f, ", \"raw\": ");
    esc_json_put(f, fd[i].bin);
    fprintf(f, ", \"smtpp_replies\": ");
    esc_json_put(f, fd[i].mcodes);
    fprintf(f, ", \"server_replies\": ");
    esc_json_put(f, fd[i].scodes);
    fprintf(f, ", \"replay\": ");
    esc_json_put(f, rc);
    fprintf(f, "}");
  }
  fprintf(f, "%s]\n}\n", nfd ? "\n  " : "");
  return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Target check                                                        */
/* ------------------------------------------------------------------ */

/* allow_remote < 0: only answer, print nothing. */
int probe_fuzz_check_target(const char *tcp, int allow_remote) {
  char host[256];
  const char *h = tcp, *colon;
  size_t hl;
  struct addrinfo hints, *res = NULL, *ai;
  int ok = 1;

  if (allow_remote > 0)
    return 0;
  if (tcp[0] == '[') {
    const char *cl = strchr(tcp, ']');
    if (!cl)
      return -1;
    h = tcp + 1;
    hl = (size_t)(cl - h);
  } else {
    colon = strrchr(tcp, ':');
    hl = colon ? (size_t)(colon - tcp) : strlen(tcp);
  }
  if (hl == 0 || hl >= sizeof host)
    return -1;
  memcpy(host, h, hl);
  host[hl] = '\0';
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) {
    if (allow_remote == 0)
      cli_usage_error("probe", "cannot resolve %s", cli_quote(host));
    return -1;
  }
  for (ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      const struct sockaddr_in *a = (const void *)ai->ai_addr;
      if ((ntohl(a->sin_addr.s_addr) >> 24) != 127)
        ok = 0;
    } else if (ai->ai_family == AF_INET6) {
      const struct sockaddr_in6 *a = (const void *)ai->ai_addr;
      if (!IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
        ok = 0;
    } else {
      ok = 0;
    }
  }
  freeaddrinfo(res);
  if (!ok && allow_remote == 0)
    cli_usage_error("probe", "--fuzz and --replay send hostile input: %s is "
                             "not a loopback address (127.0.0.0/8, ::1); "
                             "add --allow-remote to probe a server you "
                             "are allowed to test",
                    cli_quote(host));
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Main loop                                                           */
/* ------------------------------------------------------------------ */

static const char *first_existing(const char *a, const char *b) {
  struct stat st;
  if (stat(a, &st) == 0)
    return a;
  if (stat(b, &st) == 0)
    return b;
  return NULL;
}

int probe_fuzz(const probe_fuzz_opts *o, const pserver *srv,
               const dialog *cases, size_t ncases) {
  static fctx x;
  seed *seeds;
  size_t nseeds = 0, nd, nfd = 0, nviolations = 0;
  tok *dict = NULL;
  finding *fd;
  char dict_from[4400], outdir[4096];
  const char *dict_path, *seeds_dir;
  uint64_t rng = o->seed, it, agree = 0, disagree = 0;
  long long t0 = pconn_now_ms(), deadline;

  memset(&x, 0, sizeof x);
  x.o = o;
  x.srv = srv;
  model_config(&x);
  deadline = t0 + (long long)o->time_s * 1000;
  snprintf(outdir, sizeof outdir, "%s", o->out ? o->out : "out/probe-fuzz");
  if (mkdirs(outdir) < 0) {
    cli_usage_error("probe", "cannot create the output directory %s",
                    cli_quote(outdir));
    return CLI_EXIT_USAGE;
  }

  dict_path = o->dict ? o->dict
                      : first_existing("dict/smtp.dict",
                                       SMTPP_SOURCE_DIR "/dict/smtp.dict");
  nd = dict_load(dict_path, &dict, dict_from, sizeof dict_from);
  if (o->dict && strncmp(dict_from, o->dict, strlen(o->dict)) != 0) {
    cli_usage_error("probe", "--dict: no token in %s", cli_quote(o->dict));
    free(dict);
    return CLI_EXIT_USAGE;
  }

  seeds = calloc(SEEDS_MAX, sizeof *seeds);
  fd = calloc(SIGS_MAX, sizeof *fd);
  if (!seeds || !fd) {
    free(seeds);
    free(fd);
    free(dict);
    return CLI_EXIT_FAIL;
  }
  for (size_t i = 0; i < ncases && nseeds < SEEDS_MAX; i++) {
    if (cases[i].error[0] || cases[i].input.len == 0)
      continue;
    bbuf_set(&seeds[nseeds].b, cases[i].input.p, cases[i].input.len);
    snprintf(seeds[nseeds].name, sizeof seeds[nseeds].name, "%s",
             cases[i].name);
    nseeds++;
  }
  seeds_dir = o->seeds ? o->seeds
                       : first_existing("corpus/seeds/session",
                                        SMTPP_SOURCE_DIR
                                        "/corpus/seeds/session");
  if (seeds_dir)
    nseeds = seeds_from_dir(seeds_dir, seeds, nseeds, SEEDS_MAX);
  if (nseeds == 0) {
    cli_usage_error("probe", "--fuzz: no seed sessions (no dialogs and no "
                             "corpus/seeds/session)");
    free(seeds);
    free(fd);
    free(dict);
    return CLI_EXIT_USAGE;
  }
  printf("fuzz: seed %llu, at most %llu sessions / %llu s; %zu seed "
         "sessions (dialogs%s%s); dictionary %s\n",
         (unsigned long long)o->seed, (unsigned long long)o->count,
         (unsigned long long)o->time_s, nseeds, seeds_dir ? " + " : "",
         seeds_dir ? seeds_dir : "", dict_from);
  printf("  smtpp config: extensions like the server's EHLO, SIZE %llu\n",
         (unsigned long long)x.cfg.max_message_size);
  fflush(stdout);

  for (it = 0; it < o->count && pconn_now_ms() < deadline; it++) {
    const seed *sd = &seeds[rng_below(&rng, nseeds)];
    bbuf cur = {0};
    sigset ss;
    size_t nmut = 1 + rng_below(&rng, 4), cut;

    bbuf_set(&cur, sd->b.p, sd->b.len);
    for (size_t k = 0; k < nmut; k++)
      mutate_once(&cur, &rng, dict, nd, seeds, nseeds);
    cut_starttls(&x, &cur);
    run_both(&x, cur.p, cur.len, &ss);
    if (ss.n == 0) {
      agree++;
      bbuf_free(&cur);
      continue;
    }
    disagree++;
    /* the first differing reply answers a command that ends at cut: what
     * follows cannot matter to it (one cheap minimizing step) */
    cut = ss.idx < x.m.n && x.m.r[ss.idx].at ? x.m.r[ss.idx].at : 0;
    if (ss.n == 1 && !strcmp(ss.s[0], "cannot connect")) {
      fprintf(stderr, "smtpp probe: session %llu: cannot connect to the "
                      "server; stopping\n",
              (unsigned long long)it);
      bbuf_free(&cur);
      break;
    }
    for (size_t k = 0; k < ss.n; k++) {
      size_t j;
      finding *f;
      mini mi;
      bbuf m = {0};
      char sl[SIG_LEN];
      for (j = 0; j < nfd; j++)
        if (!strcmp(fd[j].sig, ss.s[k]))
          break;
      if (j < nfd) {
        fd[j].count++;
        continue;
      }
      if (nfd >= SIGS_MAX)
        continue;
      f = &fd[nfd++];
      snprintf(f->sig, sizeof f->sig, "%s", ss.s[k]);
      f->verdict = fuzz_verdict(f->sig, srv);
      f->count = 1;
      f->first_iter = it;
      snprintf(f->seed_name, sizeof f->seed_name, "%s", sd->name);
      f->orig_len = cur.len;
      slug(f->sig, sl, sizeof sl);
      snprintf(f->path, sizeof f->path, "%s/%03zu-%s.dialog", outdir, nfd,
               sl);
      snprintf(f->bin, sizeof f->bin, "%s/%03zu-%s.bin", outdir, nfd, sl);
      bbuf_set(&m, cur.p, cur.len);
      mi.x = &x;
      mi.sig = f->sig;
      mi.steps = 0;
      mi.budget = MIN_STEPS;
      /* one finding gets at most a sixth of --time (at least 5 s) */
      mi.deadline = pconn_now_ms() +
                    ((long long)o->time_s * 1000 / 6 > 5000
                         ? (long long)o->time_s * 1000 / 6 : 5000);
      if (mi.deadline > deadline)
        mi.deadline = deadline;
      if (k == 0 && cut && cut < m.len) {
        bbuf pre = {0};
        bbuf_set(&pre, m.p, cut);
        if (still_fails(&mi, &pre))
          bbuf_set(&m, pre.p, pre.len);
        bbuf_free(&pre);
      }
      ddmin(&mi, &m, 1);
      if (m.len <= 2048)
        ddmin(&mi, &m, 0);
      f->steps = mi.steps;
      f->min_len = m.len;
      if (write_repro(&x, f, &m) < 0)
        fprintf(stderr, "smtpp probe: cannot write %s\n", f->path);
      bbuf_free(&m);
    }
    bbuf_free(&cur);
  }

  printf("\nsessions: %llu (%llu agreed, %llu disagreed); server runs "
         "%zu\n",
         (unsigned long long)it, (unsigned long long)agree,
         (unsigned long long)disagree, x.runs);
  if (nfd == 0) {
    printf("no disagreement\n");
  } else {
    printf("\n%-3s %-12s %-42s %6s  %s\n", "#", "verdict", "signature",
           "count", "reproducer (octets)");
    for (size_t i = 0; i < nfd; i++) {
      char rc[9000];
      replay_cmd(o, fd[i].path, rc, sizeof rc);
      printf("%-3zu %-12s %-42s %6llu  %s (%zu from %zu%s)\n", i + 1,
             probe_verdict_names[fd[i].verdict], fd[i].sig,
             (unsigned long long)fd[i].count, fd[i].path, fd[i].min_len,
             fd[i].orig_len, fd[i].reproduced ? "" : ", flaky");
      printf("    smtpp:  %s\n    server: %s\n    replay: %s\n",
             fd[i].mcodes, fd[i].scodes, rc);
    }
  }
  printf("time: %.1f s\n", (double)(pconn_now_ms() - t0) / 1000.0);
  if (o->json && write_json(o->json, &x, fd, nfd, it, agree, dict_from,
                            nseeds) < 0)
    fprintf(stderr, "smtpp probe: cannot write %s\n", o->json);
  for (size_t i = 0; i < nfd; i++)
    nviolations += fd[i].verdict == V_VIOLATION;
  printf("violations: %zu of %zu signatures%s\n", nviolations, nfd,
         nviolations ? " (exit status 1)" : "");

  for (size_t i = 0; i < nseeds; i++)
    bbuf_free(&seeds[i].b);
  free(seeds);
  free(fd);
  free(dict);
  bbuf_free(&x.mraw);
  bbuf_free(&x.sraw);
  rl_free(&x.m);
  rl_free(&x.sv);
  /* only violations fail the run (probe.h) */
  return nviolations ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Replay                                                              */
/* ------------------------------------------------------------------ */

/* First line of reply i of raw, escaped and cut. */
static void reply_text(const bbuf *raw, const rlist *l, size_t i, char *dst,
                       size_t cap) {
  const unsigned char *p, *lf;
  size_t n;
  if (i >= l->n) {
    snprintf(dst, cap, "-");
    return;
  }
  p = raw->p + l->r[i].off;
  lf = memchr(p, '\n', raw->len - l->r[i].off);
  n = lf ? (size_t)(lf - p) : raw->len - l->r[i].off;
  if (n && p[n - 1] == '\r')
    n--;
  esc_str(dst, cap, p, n);
}

int probe_replay(const probe_fuzz_opts *o, const pserver *srv,
                 const char *file) {
  static fctx x;
  bbuf in = {0};
  FILE *f;
  sigset ss;
  size_t n, len = strlen(file);
  int bin = len > 4 && !strcmp(file + len - 4, ".bin");

  memset(&x, 0, sizeof x);
  x.o = o;
  x.srv = srv;
  model_config(&x);
  if (bin) {
    unsigned char buf[4096];
    size_t r;
    f = fopen(file, "rb");
    if (!f) {
      cli_usage_error("probe", "--replay: cannot open %s", cli_quote(file));
      return CLI_EXIT_USAGE;
    }
    while ((r = fread(buf, 1, sizeof buf, f)) > 0 && in.len <= SESSION_MAX * 4)
      bbuf_add(&in, buf, r);
    fclose(f);
  } else {
    /* a reproducer is a dialog file (common/dialogfile.h): its client
     * bytes are the input */
    dialog d;
    if (dlg_load(&d, file) < 0) {
      cli_usage_error("probe", "--replay: %s", d.error);
      dlg_free(&d);
      return CLI_EXIT_USAGE;
    }
    bbuf_set(&in, d.input.p, d.input.len);
    dlg_free(&d);
  }
  run_both(&x, in.p, in.len, &ss);
  printf("replay: %s (%zu client octets)\n", file, in.len);
  {
    bbuf e = {0};
    bbuf_add_escaped(&e, in.p, in.len > 600 ? 600 : in.len);
    printf("client: %.*s%s\n", (int)e.len, e.p ? (const char *)e.p : "",
           in.len > 600 ? "..." : "");
    bbuf_free(&e);
  }
  printf("\n%-3s %-22s %-28s %-28s\n", "#", "command", "smtpp", "server");
  n = x.m.n > x.sv.n ? x.m.n : x.sv.n;
  for (size_t i = 0; i < n; i++) {
    char cmdl[64], mt[64], st[64];
    int diff = i >= x.m.n || i >= x.sv.n ||
               x.m.r[i].code / 100 != x.sv.r[i].code / 100;
    if (i < x.m.n) {
      size_t at = x.m.r[i].at, b = at, e2;
      if (at == 0) {
        snprintf(cmdl, sizeof cmdl, "(greeting)");
      } else {
        e2 = at;
        if (e2 >= 2 && in.p[e2 - 1] == '\n' && in.p[e2 - 2] == '\r')
          e2 -= 2;
        b = e2;
        while (b >= 2 && !(in.p[b - 1] == '\n' && in.p[b - 2] == '\r'))
          b--;
        if (b == 1)
          b = 0;
        esc_str(cmdl, 23, in.p + b, e2 - b);
      }
    } else {
      snprintf(cmdl, sizeof cmdl, "?");
    }
    reply_text(&x.mraw, &x.m, i, mt, 29);
    reply_text(&x.sraw, &x.sv, i, st, 29);
    printf("%-3zu %-22s %-28s %-28s%s\n", i + 1, cmdl, mt, st,
           diff ? "  <--" : "");
  }
  printf("\nserver: %s\n", sv_names[x.sverdict]);
  if (ss.n == 0)
    printf("agree: same reply classes, no property broken\n");
  for (size_t i = 0; i < ss.n; i++)
    printf("disagreement: %s\n", ss.s[i]);
  if (x.sv.pkind[0])
    printf("  P2: %s\n", x.sv.pmsg);
  bbuf_free(&in);
  bbuf_free(&x.mraw);
  bbuf_free(&x.sraw);
  rl_free(&x.m);
  rl_free(&x.sv);
  return ss.n ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
