/*
 * replycodes.c - see replycodes.h.  The texts are this project's own,
 * written from RFC 5321 4.2 and the extension RFCs cited in each row.
 */
#include "replycodes.h"

#include <string.h>

static const replycode_note notes[] = {
    {211, "System Status",
     "A system status or help reply: the server reports something about its "
     "own state. RFC 5321 leaves the content free; it is meant for a human "
     "reader.",
     "In answer to HELP with a status topic (smtpp answers HELP STATUS with "
     "211) or to other diagnostic commands a server chooses to offer.",
     "No fix needed: this is information, not an error. If the status names a "
     "problem, look at the server's configuration or ask its administrator.",
     "RFC 5321 4.2.2, 4.2.3"},
    {214, "Help Message",
     "A help message for a human: how to use the server or the meaning of a "
     "non-standard command.",
     "After HELP, or HELP with a command name as topic. The text lists the "
     "commands or explains the one asked about.",
     "No fix needed: read the text. Programs must not parse it; use the EHLO "
     "reply to learn what the server supports.",
     "RFC 5321 4.1.1.8, 4.2.2"},
    {220, "Service Ready",
     "The server is ready: the greeting that opens the session, or the go "
     "ahead for the TLS handshake after STARTTLS.",
     "As the first reply after the connection is opened (port 25, 587), and "
     "in answer to STARTTLS just before the TLS handshake starts.",
     "No fix needed. If it never comes, check that the server runs, the host "
     "and port are right and nothing blocks the connection. After 220 to "
     "STARTTLS the client must start TLS at once and send nothing in clear "
     "text (RFC 3207 4.2).",
     "RFC 5321 3.1, 4.2.2; RFC 3207 4"},
    {221, "Service Closing",
     "The server closes the transmission channel in good order.",
     "In answer to QUIT. Nothing may follow it: the server closes the "
     "connection after sending it.",
     "No fix needed. A server must not send any reply after 221 and must "
     "not act on commands that were pipelined after QUIT.",
     "RFC 5321 4.1.1.10, 4.2.2"},
    {235, "Authentication Succeeded",
     "The SASL exchange started with AUTH ended well: the client is now "
     "authenticated.",
     "At the end of an AUTH exchange, after the initial response or the last "
     "answer to a 334 challenge.",
     "No fix needed. A client must not send AUTH again in the same session "
     "(the server answers 503).",
     "RFC 4954 4, 6"},
    {250, "OK",
     "The requested action was completed: the most common success reply.",
     "After EHLO/HELO, MAIL FROM, RCPT TO, RSET, NOOP, after the end of the "
     "message text (CRLF.CRLF) and after each BDAT chunk.",
     "No fix needed. If you expected a refusal instead (a command out of "
     "order, a malformed argument), the server is too lenient: check its "
     "syntax and sequence checks.",
     "RFC 5321 4.2.2, 4.3.2"},
    {251, "User Not Local; Will Forward",
     "The recipient is accepted; the server is not its final destination "
     "and will forward the message to the given path.",
     "In answer to RCPT TO (or VRFY) for an address the server relays to "
     "another host it knows.",
     "No fix needed. A client may note the new path to send directly next "
     "time.",
     "RFC 5321 3.4, 4.2.2"},
    {252, "Cannot Verify User, Will Attempt Delivery",
     "The server cannot or will not verify the address, but accepts messages "
     "for it and will try to deliver them.",
     "In answer to VRFY or EXPN when the server does not disclose whether a "
     "mailbox exists (smtpp always answers 252, RFC 5321 7.3).",
     "No fix needed: send the message; a failure comes back as a bounce. A "
     "server must not answer 250 to VRFY for an address it has not "
     "verified.",
     "RFC 5321 3.5.3, 4.2.2, 7.3"},
    {253, "OK, Pending Messages Started",
     "ETRN accepted: the server starts delivering the messages it holds "
     "for the node, and says how many are pending.",
     "In answer to ETRN for a node with queued mail (RFC 1985 names 250, "
     "251, 252 and 253 as ETRN successes).",
     "No fix needed: the queue run has started.",
     "RFC 1985 5"},
    {334, "Server Challenge",
     "The AUTH exchange goes on: the text after the code is a base64 "
     "challenge, and the server waits for one response line.",
     "After AUTH with a mechanism that needs (more) data, e.g. AUTH LOGIN or "
     "AUTH PLAIN without an initial response.",
     "Send one base64 response line, or \"*\" to cancel (the server then "
     "answers 501). Do not pipeline other commands in the middle of it.",
     "RFC 4954 4"},
    {354, "Start Mail Input",
     "The server accepts DATA and waits for the message text, which ends "
     "with a line holding only a dot (CRLF.CRLF).",
     "In answer to DATA after MAIL and at least one accepted RCPT.",
     "Send the message, dot-stuffed (a line starting with '.' gets one more "
     "'.'), and end it with CRLF.CRLF. Bare LF.LF and other look-alikes do "
     "not end it (RFC 5321 2.3.8, 4.1.1.4).",
     "RFC 5321 4.1.1.4, 4.2.2, 4.5.2"},
    {421, "Service Not Available, Closing",
     "The server cannot go on with this session and closes the channel; the "
     "client may try again later.",
     "At any time: at shutdown, after too many errors, after a failed TLS "
     "handshake, on a timeout or when the server is overloaded. It may "
     "replace the greeting.",
     "Try again later. If it comes after your commands, count your errors: "
     "many servers close after a number of refused commands. A server must "
     "not send anything after 421.",
     "RFC 5321 3.8, 4.2.2, 4.2.3"},
    {432, "Password Transition Needed",
     "AUTH: the user must change to a new password (for example after a "
     "mechanism change) before this mechanism can be used.",
     "In answer to AUTH, typically with the enhanced code 4.7.12.",
     "Client: have the user change the password (often with a plain-text "
     "mechanism over TLS) and try again.",
     "RFC 4954 6"},
    {450, "Mailbox Unavailable (Transient)",
     "The action on the mailbox was not taken for now: the mailbox is busy, "
     "or a policy check could not be completed (greylisting, DNS timeout).",
     "In answer to RCPT TO or MAIL FROM, often during greylisting or when a "
     "lookup failed for a moment.",
     "Retry later, as a queueing client does anyway. If it lasts, check the "
     "DNS of your domain and the server's policy logs.",
     "RFC 5321 4.2.2, 4.2.3"},
    {451, "Local Error in Processing",
     "The server stopped the action because of an error on its side; the "
     "same request may work later.",
     "After MAIL, RCPT or the end of the message text when a disk, queue or "
     "filter failed, or a resource was missing.",
     "Retry later. On the server side, read the logs for the failing "
     "component (queue, disk, content filter).",
     "RFC 5321 4.2.2, 4.2.3"},
    {452, "Insufficient System Storage",
     "The action was not taken for lack of space, or the number of "
     "recipients of this message reached the server's limit.",
     "In answer to RCPT TO once the recipient cap is reached (RFC 5321 "
     "4.5.3.1.10) or when the server's queue is full; also to MAIL with a "
     "SIZE= the server cannot take right now.",
     "Send the message to the recipients accepted so far, then send the "
     "rest in a new transaction. A server must accept at least 100 "
     "recipients (RFC 5321 4.5.3.1.8).",
     "RFC 5321 4.2.2, 4.5.3.1.10; RFC 1870 6.1"},
    {454, "TLS or Authentication Temporarily Unavailable",
     "A temporary failure of STARTTLS (\"TLS not available due to "
     "temporary reason\") or of AUTH (\"Temporary authentication "
     "failure\").",
     "In answer to STARTTLS when the server cannot start TLS now, or to "
     "AUTH when its authentication backend fails.",
     "Client: retry later, or continue without TLS only if your policy "
     "allows it. Server: check certificates, keys and the authentication "
     "backend. A probe files a refused STARTTLS as inconclusive, not as "
     "injection.",
     "RFC 3207 4; RFC 4954 6"},
    {455, "Server Unable to Accommodate Parameters",
     "The server cannot handle the MAIL or RCPT parameters now, though "
     "it recognizes them: a temporary condition.",
     "In answer to MAIL FROM or RCPT TO with parameters the server knows "
     "but cannot satisfy at the moment.",
     "Client: retry later, or without the parameter if it is optional.",
     "RFC 5321 4.2.2, 4.3.2"},
    {458, "Unable to Queue Messages for Node",
     "ETRN: the server cannot start a queue run for the node now.",
     "In answer to ETRN when the queue cannot be processed (temporary).",
     "Client: retry ETRN later.",
     "RFC 1985 5"},
    {459, "Node Not Allowed",
     "ETRN: the node named is not one the server will run its queue for "
     "(\"Node <x> not allowed: <reason>\").",
     "In answer to ETRN for a domain the server does not hold mail for, "
     "or that the client may not ask about.",
     "Client: ask only for nodes you are entitled to; configure the "
     "server's ETRN access list if it should be allowed.",
     "RFC 1985 5"},
    {500, "Syntax Error, Command Unrecognized",
     "The server could not recognize the command: the verb is unknown or "
     "the command line is too long.",
     "When a command is misspelled or not implemented at all, when the line "
     "is over the limit (512 octets with CRLF for most commands), or when a "
     "bare CR or LF broke the line framing.",
     "Check the verb and the line length; end every line with CRLF. A "
     "server must answer each over-long line once and then stay in step "
     "with the client.",
     "RFC 5321 4.2.2, 4.2.4, 4.5.3.1.4"},
    {501, "Syntax Error in Parameters or Arguments",
     "The verb is known but its arguments do not match its grammar.",
     "When a path is malformed or too long (MAIL FROM without <>, a space "
     "before <, a local part over 64 octets), when an ESMTP parameter value "
     "is malformed, or when the arguments hold a bare CR, LF or NUL.",
     "Write the arguments exactly as the grammar of RFC 5321 4.1.2 says, "
     "e.g. \"MAIL FROM:<user@example.org>\" with no space after the colon.",
     "RFC 5321 4.1.1, 4.1.2, 4.2.2, 4.5.3.1"},
    {502, "Command Not Implemented",
     "The server knows the command but does not offer it here.",
     "After EXPN, VRFY, TURN or an extension command (STARTTLS, AUTH, BDAT) "
     "that the server has switched off or did not advertise in EHLO.",
     "Read the EHLO reply and use only the extensions it lists. On the "
     "server side, turn the extension on if it should be offered.",
     "RFC 5321 4.2.2, 4.2.4"},
    {503, "Bad Sequence of Commands",
     "The command was sent in the wrong order: SMTP requires EHLO/HELO, "
     "then MAIL FROM, then one or more RCPT TO, then DATA or BDAT, and this "
     "step was skipped or repeated.",
     "When DATA comes before any accepted RCPT TO, MAIL FROM before EHLO, a "
     "second MAIL in one transaction, AUTH after a successful AUTH, or "
     "STARTTLS inside a transaction or under TLS.",
     "Follow the sequence: EHLO first, then MAIL FROM, then RCPT TO, then "
     "DATA. Use RSET to start a transaction over. A server must refuse such "
     "a command and keep its state as it was.",
     "RFC 5321 3.3, 4.1.4, 4.2.2"},
    {504, "Command Parameter Not Implemented",
     "The command and its syntax are fine, but a parameter value is not "
     "supported here.",
     "For example BODY=BINARYMIME when BINARYMIME is not offered, an AUTH "
     "mechanism the server does not have, or HELP with an unknown topic.",
     "Use only the values the EHLO reply advertises (e.g. the mechanisms "
     "listed after AUTH).",
     "RFC 5321 4.2.2, 4.2.4; RFC 4954 4"},
    {521, "Server Does Not Accept Mail",
     "The host does not accept mail at all (a null MX host or a "
     "dedicated non-mail host); also used by some servers (Postfix) to "
     "refuse and close, e.g. on a malformed BDAT.",
     "As the greeting of a server that never accepts mail, or in answer "
     "to any command; the server closes after it.",
     "Client: do not retry this host; deliver elsewhere. Server: 521 in "
     "the greeting is for hosts that accept no mail; to refuse one "
     "command use 500/501/503 and close only with 421.",
     "RFC 7504 3"},
    {530, "Authentication Required",
     "The server refuses to go on until the client has authenticated (or, "
     "with some servers, started TLS).",
     "In answer to MAIL FROM on a submission port (587) that requires AUTH, "
     "or to any command when TLS is mandatory.",
     "Run STARTTLS and AUTH first, as the EHLO reply offers, then send the "
     "transaction again.",
     "RFC 4954 6; RFC 3207 4"},
    {534, "Authentication Mechanism Too Weak",
     "AUTH: the mechanism chosen is weaker than the server's policy "
     "requires for this user.",
     "In answer to AUTH with a plain-text or otherwise weak mechanism.",
     "Client: choose a stronger mechanism from the EHLO AUTH list.",
     "RFC 4954 6"},
    {535, "Authentication Credentials Invalid",
     "The AUTH exchange failed: the user name, password or other "
     "credentials were not accepted.",
     "At the end of an AUTH exchange with wrong credentials, or with a "
     "mechanism the account may not use (smtpp refuses every AUTH with 535 "
     "by default, having no SASL backend).",
     "Check the credentials and the mechanism; do not retry in a tight "
     "loop, servers count failed attempts.",
     "RFC 4954 6"},
    {538, "Encryption Required for Requested Authentication Mechanism",
     "AUTH: this mechanism may only be used over an encrypted channel.",
     "In answer to AUTH PLAIN or LOGIN before STARTTLS.",
     "Client: STARTTLS first, then AUTH.",
     "RFC 4954 6"},
    {550, "Mailbox Unavailable",
     "The action was not taken, for good: the mailbox does not exist, is "
     "not accepted here, or a policy refuses it (relaying denied, "
     "blocklisted sender).",
     "In answer to RCPT TO for an unknown user or a domain the server does "
     "not relay for, to MAIL FROM for a refused sender, and sometimes at "
     "the end of the message text.",
     "Check the address for typos. Do not retry the same message: the "
     "failure is permanent. For relaying, authenticate or use the right "
     "server.",
     "RFC 5321 4.2.2, 3.6"},
    {551, "User Not Local",
     "The recipient is not local to this server and it will not forward; "
     "the text may give the address to try instead.",
     "In answer to RCPT TO for a user who moved, on servers that announce "
     "the new path instead of forwarding.",
     "Send to the path named in the reply text, or ask the recipient for "
     "the current address.",
     "RFC 5321 3.4, 4.2.2"},
    {552, "Exceeded Storage Allocation",
     "The action was aborted because the message is too big for the "
     "server or the mailbox.",
     "In answer to MAIL FROM with a SIZE= over the advertised SIZE limit "
     "(RFC 1870 6.1), or after the message text (or a BDAT chunk) that "
     "went over it.",
     "Send a smaller message (compress or link large attachments), or "
     "check the SIZE value in the EHLO reply before sending.",
     "RFC 5321 4.2.2; RFC 1870 6; RFC 3030 2"},
    {553, "Mailbox Name Not Allowed",
     "The action was not taken because the mailbox name is not allowed: its "
     "syntax is wrong or policy forbids it.",
     "In answer to MAIL FROM or RCPT TO with an address the server will not "
     "take (bad syntax for this server, a sender it does not own).",
     "Use a syntactically valid address the server accepts; for senders, "
     "use an address of your own authenticated domain.",
     "RFC 5321 4.2.2"},
    {554, "Transaction Failed",
     "The transaction failed, for good; after the connection is opened it "
     "means the server will not talk to this client.",
     "As a greeting to a refused client, in answer to DATA when no "
     "recipient was accepted, or at the end of the message text when the "
     "message is rejected (spam, virus, policy).",
     "Read the reply text for the reason. If it came instead of 220, the "
     "client's address is refused: check blocklists. A server may answer "
     "DATA without recipients with 503 or 554 (RFC 5321 3.3).",
     "RFC 5321 3.1, 3.3, 4.2.2"},
    {555, "MAIL FROM/RCPT TO Parameters Not Recognized",
     "An ESMTP parameter of MAIL FROM or RCPT TO is unknown or its "
     "extension is not offered.",
     "When MAIL or RCPT carries a parameter such as SIZE=, BODY=, RET= or "
     "NOTIFY= that the EHLO reply did not advertise, or any parameter after "
     "HELO.",
     "Send only the parameters of extensions the EHLO reply lists. A "
     "server must not answer 500 or 501 for a well-formed but unknown "
     "parameter.",
     "RFC 5321 4.1.1.11, 4.2.2"},
    {556, "Domain Does Not Accept Mail",
     "The recipient's domain accepts no mail (it publishes a null MX).",
     "In answer to RCPT TO, or at the end of data, for an address in a "
     "domain with a null MX.",
     "Client: the address cannot receive mail; remove it. Do not retry.",
     "RFC 7504 3"},
};

#define NNOTES (sizeof notes / sizeof notes[0])

const replycode_note *replycode_find(int code) {
  for (size_t i = 0; i < NNOTES; i++)
    if (notes[i].code == code)
      return &notes[i];
  return NULL;
}

const replycode_note *replycode_all(size_t *n) {
  *n = NNOTES;
  return notes;
}

const char *replycode_class(int code) {
  switch (code / 100) {
  case 2:
    return "Positive Completion";
  case 3:
    return "Positive Intermediate";
  case 4:
    return "Transient Negative Completion";
  case 5:
    return "Permanent Negative Completion";
  default:
    return "not a valid SMTP reply class";
  }
}

const char *replycode_class_tag(int code) {
  switch (code / 100) {
  case 2:
    return "2xx";
  case 3:
    return "3xx";
  case 4:
    return "4xx";
  case 5:
    return "5xx";
  default:
    return "?xx";
  }
}

int replycode_parse(const char *t) {
  if (!t || strlen(t) != 3)
    return -1;
  for (int i = 0; i < 3; i++)
    if (t[i] < '0' || t[i] > '9')
      return -1;
  return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

/* Writes text wrapped at 76 columns, each line starting with indent. */
static void wrap(FILE *out, const char *indent, const char *text) {
  const size_t width = 76;
  size_t col = 0, ilen = strlen(indent);
  const char *p = text;

  while (*p) {
    size_t w = strcspn(p, " ");
    if (col == 0) {
      fputs(indent, out);
      col = ilen;
    } else if (col + 1 + w > width) {
      fputc('\n', out);
      fputs(indent, out);
      col = ilen;
    } else {
      fputc(' ', out);
      col++;
    }
    fwrite(p, 1, w, out);
    col += w;
    p += w;
    while (*p == ' ')
      p++;
  }
  if (col)
    fputc('\n', out);
}

/* "when" texts start with a capital; in "You see N when ..." they follow
 * "when", so the first letter is lowered (ASCII only). */
static void when_clause(char *buf, size_t cap, const char *when) {
  size_t n = strlen(when);
  if (n >= cap)
    n = cap - 1;
  memcpy(buf, when, n);
  buf[n] = '\0';
  if (buf[0] >= 'A' && buf[0] <= 'Z')
    buf[0] = (char)(buf[0] - 'A' + 'a');
}

void replycode_print(FILE *out, const replycode_note *n) {
  fprintf(out, "SMTP %d %s\n", n->code, n->name);
  fprintf(out, "%s %s reply; %s\n\n", replycode_class_tag(n->code),
          replycode_class(n->code), n->rfc);
  fputs("Meaning\n", out);
  wrap(out, "  ", n->meaning);
  fputs("\nWhen you see this code\n", out);
  wrap(out, "  ", n->when);
  fputs("\nHow to fix it\n", out);
  wrap(out, "  ", n->fix);
}

void replycode_print_compare(FILE *out, const replycode_note *a,
                             const replycode_note *b) {
  char buf[1024], wa[512], wb[512];
  const char *rel = (a->code / 100 == b->code / 100) ? "both" : NULL;

  fprintf(out, "SMTP %d %s vs %d %s\n\n", a->code, a->name, b->code,
          b->name);
  snprintf(buf, sizeof buf,
           "SMTP %d (%s) is a %s %s reply, while %d (%s) is a %s %s reply. "
           "%d means: %s In contrast, %d means: %s",
           a->code, a->name, replycode_class_tag(a->code),
           replycode_class(a->code), b->code, b->name,
           replycode_class_tag(b->code), replycode_class(b->code), a->code,
           a->meaning, b->code, b->meaning);
  wrap(out, "", buf);

  for (int k = 0; k < 2; k++) {
    const replycode_note *n = k ? b : a;
    fprintf(out, "\n%d %s (%s)\n", n->code, n->name, n->rfc);
    fputs("  Meaning\n", out);
    wrap(out, "    ", n->meaning);
    fputs("  When you see this code\n", out);
    wrap(out, "    ", n->when);
    fputs("  How to fix it\n", out);
    wrap(out, "    ", n->fix);
  }

  when_clause(wa, sizeof wa, a->when);
  when_clause(wb, sizeof wb, b->when);
  fputs("\nKey differences\n", out);
  if (rel)
    snprintf(buf, sizeof buf,
             "1. %d and %d are %s %s %s replies: the difference is in what "
             "was refused or done, not in whether to retry.",
             a->code, b->code, rel, replycode_class_tag(a->code),
             replycode_class(a->code));
  else
    snprintf(buf, sizeof buf, "1. %d is a %s %s reply, while %d is a %s %s "
             "reply.", a->code, replycode_class_tag(a->code),
             replycode_class(a->code), b->code, replycode_class_tag(b->code),
             replycode_class(b->code));
  wrap(out, "   ", buf);
  snprintf(buf, sizeof buf, "2. SMTP %d: %s", a->code, a->meaning);
  wrap(out, "   ", buf);
  snprintf(buf, sizeof buf, "3. SMTP %d: %s", b->code, b->meaning);
  wrap(out, "   ", buf);
  snprintf(buf, sizeof buf, "4. You see %d %s", a->code, wa);
  wrap(out, "   ", buf);
  snprintf(buf, sizeof buf, "5. You see %d %s", b->code, wb);
  wrap(out, "   ", buf);

  fputs("\nWhich one applies\n", out);
  snprintf(buf, sizeof buf, "For %d (%s): %s For %d (%s): %s", a->code,
           a->name, a->fix, b->code, b->name, b->fix);
  wrap(out, "  ", buf);
}

void replycode_print_short(FILE *out, int code, const char *indent) {
  char buf[1200];
  const replycode_note *n = replycode_find(code);

  if (!n) {
    snprintf(buf, sizeof buf,
             "%03d: no note for this code; its class is %s %s (RFC 5321 "
             "4.2.1).",
             code, replycode_class_tag(code), replycode_class(code));
  } else {
    snprintf(buf, sizeof buf, "%d %s (%s %s; %s): %s Seen: %s Fix: %s",
             n->code, n->name, replycode_class_tag(n->code),
             replycode_class(n->code), n->rfc, n->meaning, n->when, n->fix);
  }
  wrap(out, indent, buf);
}
