/*
 * oracle.h - the property checker of docs/DESIGN.md section 5.
 *
 * The oracle runs the parser (public API only) and a reference model
 * (model.h: its own restatement of the RFCs and docs/PROTOCOL.md) on the
 * same input, split, config and host decisions (decide.h), and checks the
 * properties.  A run of the parser is recorded as an oracle_trace (reply
 * bytes + events); tests build traces by hand to play a fake, wrong
 * parser and check that each property can fire.  Only what a host can
 * observe is compared: replies, events, bodies, closes; never the
 * parser's private state.
 *
 * STARTTLS: the decision tape says whether the handshake ends (well or
 * badly) or never; until it ends all input must be discarded (P8).
 */
#ifndef ORACLE_H
#define ORACLE_H

#include "bbuf.h"
#include "decide.h"
#include "model.h"
#include "smtpp/smtpp.h"

#include <stdio.h>

/* Stable property ids (docs/DESIGN.md section 5). */
#define ORACLE_PROPS(XX)                                                      \
  XX(1, P1_BOUNDED_WORK, "no crash or hang: work per input byte is bounded")  \
  XX(2, P2_REPLY_FORMAT, "reply lines <= 512 octets, well formed, printable") \
  XX(3, P3_ONE_REPLY, "exactly one reply per command, in order; nothing after close") \
  XX(4, P4_MALFORMED_LINE, "every reply = the model's (code, enhanced code, text), inside what the RFCs allow; unknown verb or long line 500, bad arguments 501, unknown parameter 555") \
  XX(5, P5_SEQUENCE, "a command out of order gets 503 and nothing observable changes") \
  XX(6, P6_MESSAGES, "messages accepted = terminators; body = model's unstuffed body") \
  XX(7, P7_SPLIT, "any split gives the same replies and events")               \
  XX(8, P8_STARTTLS, "nothing after STARTTLS is executed")                    \
  XX(9, P9_LIMITS, "limits hold; the session survives over-limit input")      \
  XX(10, P10_DETERMINISM, "same input, same output")                          \
  XX(11, P11_EVENTS, "events = the model's (type, verb, slices, parameters, flags, errors)")

enum {
#define ORACLE_XX(n, name, desc) ORACLE_##name = n,
  ORACLE_PROPS(ORACLE_XX)
#undef ORACLE_XX
  ORACLE__COUNT
};

const char *oracle_prop_name(int prop); /* "P2_REPLY_FORMAT" */
const char *oracle_prop_desc(int prop);

typedef struct oracle_report {
  uint32_t fired;     /* bit (1 << prop) for every property violated */
  int prop;           /* the first violation found (0: none) */
  size_t offset;      /* input offset of the command concerned */
  char command[72];   /* that command, escaped, cut */
  char expected[96];  /* what the model says */
  char actual[96];    /* what the parser did */
  char detail[128];
  uint32_t known;     /* bit (1 << k) for every known disagreement met
                         (known.h): reported, never a violation */
} oracle_report;

/* One run of a parser, as the checker sees it.
 *
 * compare_only (set it after init/reset): the run is only compared with
 * another (P7, P10, P5's rerun), so only out, ev_norm and ev_raw are
 * kept: no event text, no message rebuilt; the counters, the state and
 * the flags below are kept as usual.  (Storing the octets and comparing
 * them with memcmp costs less than hashing them: a hash of every stream
 * of every rerun was a tenth of fuzz_session's time.) */
typedef struct oracle_trace {
  int compare_only;
  bbuf out;             /* every reply octet, in order */
  bbuf ev_norm;         /* events; body pieces merged, INPUT_PENDING off */
  bbuf ev_raw;          /* events exactly as delivered */
  bbuf ev_text;         /* events as oracle_event_text() lines (P11) */
  size_t *ev_at;        /* [2k], [2k+1]: where the record of the event of
                           ev_text line k starts and ends in ev_norm (the P5
                           rerun cuts one out) */
  size_t nev_at, cap_ev_at; /* entries used (2 per line), allocated */
  model_msg *msg;       /* message bodies rebuilt from the events */
  size_t nmsg, capmsg, nmsg_init;
  int body_open;        /* a DATA/BDAT message is being delivered */
  bbuf pend_body;       /* body pieces not yet written to ev_norm */
  int pend_open, pend_verb;
  size_t size_mismatch; /* MESSAGE_END whose message_size != body */
  int tls;              /* an SMTPP_EV_STARTTLS was seen */
  size_t events_after_tls;
  size_t events_after_close;
  int closed;           /* an SMTPP_EV_CLOSE or SMTPP_CLOSED was seen */
  int helo_pending;     /* a HELO/EHLO event: a 250 reply resets; 1: its
                           reply starts at helo_at (decided after the
                           event), 2: its reply ends at helo_at (a notice:
                           the default was applied before the event) */
  size_t helo_at;
  size_t out_queued;    /* set by the runner before each event: reply
                           octets the parser had queued and not yet handed
                           over (smtpp_out_pending), e.g. a BDAT chunk's
                           250 made in the same smtpp_feed() call */
  size_t steps, bound;  /* smtpp_feed() calls and the allowed maximum */
  int stuck;            /* NEED_MORE without consuming the chunk */
  size_t parser_mallocs; /* heap allocations made inside smtpp_* calls */
} oracle_trace;

void oracle_trace_init(oracle_trace *t);
void oracle_trace_free(oracle_trace *t);
/* Empties t for another run, keeping its memory. */
void oracle_trace_reset(oracle_trace *t);
/* Appends reply octets (a fake parser writes "250 OK\r\n" here). */
void oracle_trace_reply(oracle_trace *t, const char *bytes, size_t n);
/* Records one event (copies every slice). */
void oracle_trace_event(oracle_trace *t, const smtpp_event *ev);
/* Ends the trace: closes an open body at end of input. */
void oracle_trace_finish(oracle_trace *t);

/* Runs the real parser over in, fed in the chunks cut at splits (sorted
 * offsets, each <= len), each chunk copied into an exact-size block
 * (guard.h).  After each decidable event and each STARTTLS event the
 * next octet of tape (NULL: none) says what the host does (decide.h);
 * replies are pulled after every call. */
void oracle_trace_parser(const smtpp_config *cfg, const uint8_t *in, size_t len,
                         const size_t *splits, size_t nsplits,
                         const oracle_tape *tape, oracle_trace *t);

/* The host's answer to event ev, from the next octet of tape (decide.h):
 * smtpp_decide() (smtpp_decide_default() when the tape says so or the code
 * is one the event never takes), smtpp_shutdown() or smtpp_tls_done(),
 * before any reply is pulled.  Returns 1 when a good TLS handshake was
 * reported (the octets after the STARTTLS line then stand for the
 * decrypted stream), 2 for a failed one (closed), else 0. */
int oracle_host(smtpp_session *s, const smtpp_event *ev, oracle_tape *tape);

/* Checks the properties.  whole: fed in one call; split: fed at the
 * splits; again: the same split run once more.  split/again may be NULL
 * (then P7/P10 are not checked).  Returns the number of properties
 * violated; rep describes them. */
int oracle_check(const smtpp_config *cfg, const uint8_t *in, size_t len,
                 const oracle_tape *tape, const oracle_trace *whole,
                 const oracle_trace *split, const oracle_trace *again,
                 oracle_report *rep);

/* All of it: the parser run whole (recorded), the model, and the reruns
 * that are only compared (compare_only): with splits, the split run (P7) and
 * the split run again (P10); without, the whole run again (P10; P7 holds
 * trivially, the split run being the whole run).  Reuses static buffers
 * between calls (not thread-safe). */
int oracle_run(const smtpp_config *cfg, const uint8_t *in, size_t len,
               const size_t *splits, size_t nsplits, const oracle_tape *tape,
               oracle_report *rep);

void oracle_report_print(const oracle_report *rep, FILE *f);

#endif
