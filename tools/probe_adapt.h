/*
 * probe_adapt.h - fits a dialog to the server under test without changing
 * what it tests: message bodies become RFC 5322 messages (a header block
 * is put in front, RFC 5322 3.6: Date and From are required), so that a
 * server's policy refusal of a bare "x" body does not hide the protocol
 * behaviour; SIZE= values near the dialog's limit are moved to the same
 * distance from the server's advertised SIZE (RFC 1870), so that SIZE
 * dialogs run against any limit.
 */
#ifndef SMTPP_TOOLS_PROBE_ADAPT_H
#define SMTPP_TOOLS_PROBE_ADAPT_H

#include "probe.h"

/* Makes *out a fitted copy of c.  Returns 1 (out set: free it with
 * probe_adapt_free), 0 (nothing to change: use c) or -1 (no memory). */
int probe_adapt(const dialog *c, const pserver *s, dialog *out);
void probe_adapt_free(dialog *out);

/* SMTPP's limit when a dialog names none (tests/dialogs/README.md). */
#define PROBE_DIALOG_SIZE 10485760u

#endif
