/*
 * evtext.c - one event as one line of text, the form in which the model's
 * predicted events and the parser's events are compared (property P11):
 * the E: line of the dialog files (common/eventfmt.h), which leaves out
 * INPUT_PENDING (it depends on the chunking).  BODY events are not
 * written: the bodies are compared whole (P6).
 */
#include "model.h"

#include "eventfmt.h"

void oracle_event_text(bbuf *o, const smtpp_event *ev) {
  if (ev->type == SMTPP_EV_BODY || ev->type == SMTPP_EV_NONE)
    return;
  evfmt_event(o, ev, 0);
  bbuf_addc(o, '\n');
}
