/*
 * eventfmt.h - one event as one line of text: the form of the dialog
 * files' E: lines (tests/dialogs/README.md), written by the dialog runner
 * and compared with those lines.
 *
 *   TYPE [VERB] [error=NAME] [flags=a,b] [field ...]
 *
 * TYPE     smtpp_event_name(): COMMAND PROTOCOL_ERROR MESSAGE_END STARTTLS
 *          AUTH_RESPONSE CLOSE (BODY is written too, but dialogs pin bodies
 *          with B:)
 * VERB     smtpp_verb_name(), when the event carries a verb
 * error=   smtpp_err_name(), when the event carries an error
 * flags=   group-end decidable last smtputf8 (evfmt_flags order); not
 *          input-pending, which depends on how the input was cut (only
 *          with EVFMT_INPUT_PENDING, for traces)
 * fields, in this order, each only when present:
 *   arg= path= local= domain= initial=   "escaped" (esc.h); a present
 *                                        empty slice is ""
 *   chunk=N                              BDAT size
 *   size=N                               MESSAGE_END: the message octets
 *   SIZE=N BODY=7BIT|8BITMIME SMTPUTF8 RET=FULL|HDRS
 *   NOTIFY=NEVER|SUCCESS,FAILURE,DELAY ENVID="" ORCPT-TYPE="" ORCPT=""
 *   AUTH=""                              MAIL/RCPT parameters as decoded
 * Example:
 *   COMMAND MAIL flags=decidable path="a@b.example" local="a"
 *   domain="b.example" RET=HDRS ENVID="QQ314"
 */
#ifndef SMTPP_COMMON_EVENTFMT_H
#define SMTPP_COMMON_EVENTFMT_H

#include "bbuf.h"

#include <smtpp/smtpp.h>

#include <stddef.h>
#include <stdint.h>

#define EVFMT_INPUT_PENDING 1u /* also show input-pending (traces) */

/* Appends the line for ev (no LF); opts: EVFMT_*. */
void evfmt_event(bbuf *b, const smtpp_event *ev, unsigned opts);

/* Appends the SMTPP_EVF_* names of flags as "a,b" ("-" if none; unknown
 * bits as 0xN). */
void evfmt_flags(bbuf *b, uint32_t flags);

#endif
