#!/usr/bin/env python3
"""host_test.py - ctest example_host: examples/host.c against real clients.

    python3 examples/host_test.py path/to/example_host

Starts the host with a key and certificate made now by the openssl CLI (no
key is committed), then checks with pipelined raw-socket clients, Python's
smtplib (STARTTLS included) and plaintext injected after STARTTLS that
  - no refused sender or recipient is ever accepted (or stored),
  - no injected command ever runs,
  - no accepted message is lost (every 250 to a message has its spool file,
    every spool file had its 250), a storing failure gets 451,
  - SIGTERM answers 421 (a pending lookup included) and the host exits 0.
Exit status 0 when every check passed; the failures are printed.
"""
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)
    return cond


def make_cert(d):
    key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "1",
                    "-subj", "/CN=mx.example.test"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return key, crt


class Host:
    def __init__(self, exe, d, key, crt):
        self.spool = os.path.join(d, "spool")
        os.mkdir(self.spool)
        port_file = os.path.join(d, "port")
        self.log_path = os.path.join(d, "host.log")
        self.log = open(self.log_path, "w")
        self.p = subprocess.Popen(
            [exe, "--cert", crt, "--key", key, "--spool", self.spool,
             "--port-file", port_file, "--delay-ms", "50",
             "--max-size", "100000"],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def text(self):
        self.log.flush()
        return open(self.log_path).read()

    def stored(self):
        """{name: (sender, tls, [recipients], body)} of spool/new."""
        out = {}
        nd = os.path.join(self.spool, "new")
        for name in os.listdir(nd):
            data = open(os.path.join(nd, name), "rb").read()
            head, _, body = data.partition(b"\n\n")
            lines = head.decode().split("\n")
            sender = lines[0][len("From "):]
            tls = lines[1] == "Tls yes"
            rcpts = [l[len("To "):] for l in lines[2:]]
            out[name] = (sender, tls, rcpts, body)
        return out


def recv_replies(sock, n, timeout=5.0):
    """Reads until n complete replies arrived; returns their lines."""
    sock.settimeout(timeout)
    buf, replies = b"", []
    while len(replies) < n:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            line = line.decode("ascii", "replace")
            if len(line) >= 4 and line[3] == " ":
                replies.append(line)
    return replies


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    check(recv_replies(s, 1)[0].startswith("220 "), "greeting")
    return s


def pipelined_refused_sender(h):
    """The whole transaction in one write while the MAIL lookup runs: the
    refused sender gets 550 and nothing after it is accepted."""
    s = connect(h.port)
    s.sendall(b"EHLO c.example\r\n")
    recv_replies(s, 1)
    s.sendall(b"MAIL FROM:<blocked@spam.example>\r\nRCPT TO:<bob@example.net>\r\n"
              b"DATA\r\nSubject: spam\r\n\r\nbuy\r\n.\r\nQUIT\r\n")
    r = recv_replies(s, 8)
    s.close()
    check(r and r[0].startswith("550 5.7.1"), "blocked sender: 550 first, got %r" % r)
    check(not any(x.startswith(("250 2.1.5", "354", "250 2.0.0 Message"))
                  for x in r), "blocked sender: something accepted: %r" % r)
    return "blocked@spam.example"


def pipelined_mixed_recipients(h):
    s = connect(h.port)
    s.sendall(b"EHLO c.example\r\nMAIL FROM:<alice@example.org>\r\n"
              b"RCPT TO:<bob@example.net>\r\nRCPT TO:<unknown-1@example.net>\r\n"
              b"RCPT TO:<carol@example.net>\r\nDATA\r\n")
    r = recv_replies(s, 6)
    check([x[:3] for x in r] == ["250", "250", "250", "550", "250", "354"],
          "mixed recipients: %r" % r)
    s.sendall(b"Subject: pipelined\r\n\r\nhello\r\n.\r\nQUIT\r\n")
    r = recv_replies(s, 2)
    s.close()
    check(r and r[0].startswith("250 "), "mixed recipients: message %r" % r)
    return {"bob@example.net", "carol@example.net"}


def smtplib_clients(h, n_threads=8, per_thread=4):
    """Concurrent smtplib clients, half of them over STARTTLS; returns the
    messages accepted (by the Subject) with their accepted recipients."""
    accepted, lock = {}, threading.Lock()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def one(t):
        for i in range(per_thread):
            subj = "t%d-m%d" % (t, i)
            rcpts = ["r%d@example.net" % i, "unknown-%d@example.net" % i,
                     "x%d@example.net" % t]
            try:
                with smtplib.SMTP("127.0.0.1", h.port, timeout=10) as c:
                    if t % 2:
                        c.starttls(context=ctx)
                    refused = c.sendmail("s%d@example.org" % t, rcpts,
                                         "Subject: %s\r\n\r\nbody %s\r\n"
                                         % (subj, subj))
                    ok = set(rcpts) - set(refused)
                    with lock:
                        accepted[subj] = (ok, bool(t % 2))
            except smtplib.SMTPException as e:
                check(False, "smtplib %s: %r" % (subj, e))

    ts = [threading.Thread(target=one, args=(t,)) for t in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return accepted


def starttls_injection_same_packet(h):
    """STARTTLS and plaintext commands in one packet: the plaintext must
    never run, neither before nor after the handshake."""
    s = connect(h.port)
    s.sendall(b"EHLO c.example\r\n")
    recv_replies(s, 1)
    s.sendall(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n"
              b"RCPT TO:<victim@example.net>\r\n")
    r = recv_replies(s, 1)
    check(r and r[0].startswith("220 "), "injection: 220 to STARTTLS, got %r" % r)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s, server_hostname="mx.example.test")
    t.sendall(b"EHLO c.example\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nQUIT\r\n")
    r = recv_replies(t, 4)
    t.close()
    check([x[:3] for x in r] == ["250", "503", "503", "221"],
          "injection: the session after TLS must have no transaction: %r" % r)


def starttls_injection_before_handshake(h):
    """Plaintext after the 220, before the ClientHello: the handshake fails
    and nothing is sent in plaintext after it."""
    s = connect(h.port)
    s.sendall(b"EHLO c.example\r\n")
    recv_replies(s, 1)
    s.sendall(b"STARTTLS\r\n")
    r = recv_replies(s, 1)
    check(r and r[0].startswith("220 "), "late injection: 220, got %r" % r)
    s.sendall(b"MAIL FROM:<injected2@evil.example>\r\n")
    s.settimeout(5)
    rest = b""
    try:
        while True:
            c = s.recv(4096)
            if not c:
                break
            rest += c
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    check(b"250" not in rest and b"421" not in rest,
          "late injection: plaintext sent after a failed handshake: %r" % rest)


def spool_failure_451(h):
    with smtplib.SMTP("127.0.0.1", h.port, timeout=10) as c:
        try:
            c.sendmail("a@example.org", ["spoolfail@example.net"],
                       "Subject: fails\r\n\r\nx\r\n")
            check(False, "spoolfail: the message was accepted")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 451, "spoolfail: %r" % (e,))


def sigterm_during_lookup(h):
    """SIGTERM while a RCPT lookup runs: the RCPT gets 421, nothing of the
    transaction is stored, the host exits 0."""
    s = connect(h.port)
    s.sendall(b"EHLO c.example\r\nMAIL FROM:<late@example.org>\r\n")
    r = recv_replies(s, 2)
    check([x[:3] for x in r] == ["250", "250"], "sigterm: setup %r" % r)
    s.sendall(b"RCPT TO:<pending@example.net>\r\n")
    time.sleep(0.01)  # the lookup is running (50 ms)
    h.p.send_signal(signal.SIGTERM)
    r = recv_replies(s, 1)
    s.close()
    check(r and r[0].startswith("421"), "sigterm: pending RCPT got %r" % r)
    try:
        rc = h.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        h.p.kill()
        rc = "hung"
    check(rc == 0, "sigterm: host exit status %r" % rc)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as d:
        key, crt = make_cert(d)
        h = Host(sys.argv[1], d, key, crt)
        try:
            blocked = pipelined_refused_sender(h)
            good = pipelined_mixed_recipients(h)
            accepted = smtplib_clients(h)
            starttls_injection_same_packet(h)
            starttls_injection_before_handshake(h)
            spool_failure_451(h)
            time.sleep(0.2)
            stored = h.stored()
            sigterm_during_lookup(h)
        finally:
            if h.p.poll() is None:
                h.p.kill()
        log = h.text()

        # Nothing refused was stored; every accepted message was.
        senders = [v[0] for v in stored.values()]
        all_rcpts = [r for v in stored.values() for r in v[2]]
        check(blocked not in senders, "a blocked sender was stored")
        check(not any(r.startswith("unknown") for r in all_rcpts),
              "a refused recipient was stored")
        check(not any("injected" in x or "victim" in x for x in senders + all_rcpts),
              "an injected command was stored")
        check(not any(r.startswith("spoolfail") for r in all_rcpts),
              "the failed message was stored")
        check(not any(v[0] == "late@example.org" for v in h.stored().values()),
              "the transaction cut by SIGTERM was stored")
        check(any(set(v[2]) == good for v in stored.values()),
              "the pipelined message to %s is missing" % sorted(good))
        by_subject = {}
        for v in stored.values():
            for line in v[3].split(b"\r\n"):
                if line.startswith(b"Subject: "):
                    by_subject[line[9:].decode()] = v
        for subj, (rcpts, tls) in accepted.items():
            v = by_subject.get(subj)
            if not check(v is not None, "accepted message %s was lost" % subj):
                continue
            check(set(v[2]) == rcpts, "%s: stored recipients %r, accepted %r"
                  % (subj, v[2], sorted(rcpts)))
            check(v[1] == tls, "%s: stored Tls %r, client used TLS %r"
                  % (subj, v[1], tls))
        check(len(accepted) == 32, "smtplib: %d of 32 messages accepted"
              % len(accepted))
        # The log shows every command the host executed: no injected one.
        check("injected" not in log and "victim" not in log,
              "an injected command ran:\n" + "\n".join(
                  l for l in log.splitlines() if "injected" in l or "victim" in l))
        check("stopped" in log, "the host did not stop cleanly")
        print("example_host: %d messages stored, %d accepted by smtplib"
              % (len(stored), len(accepted)))
    if FAILURES:
        print("example_host: %d check(s) failed" % len(FAILURES))
        return 1
    print("example_host: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
