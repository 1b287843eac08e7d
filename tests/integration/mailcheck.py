#!/usr/bin/env python3
"""mailcheck.py - helpers of the integration test and the demo.

    mailcheck.py freeports N FIRST        N free loopback TCP ports, from FIRST
                                          up (FIRST "random": from a random
                                          port in 10025-19999)
    mailcheck.py portopen PORT            exit 0 when 127.0.0.1:PORT accepts
    mailcheck.py banner PORT TOKEN        exit 0 when 127.0.0.1:PORT greets
                                          with a banner holding TOKEN, 2 when
                                          with another banner, 1 when closed
    mailcheck.py wire MESSAGE CANON WIRE  the message as sent over SMTP
    mailcheck.py wire-list LIST DIR       the same for each "NAME FILE" line
                                          of LIST: DIR/NAME.canon, DIR/NAME.wire
    mailcheck.py check [options]          checks on delivered messages
    mailcheck.py show FILE...             a delivered message, decoded to read
    mailcheck.py sample DIR N             N corpus messages (every Japanese-
                                          header one, then evenly spread)
    mailcheck.py basic TEMPLATE FILE...   text/plain, notice and ID of each

wire: CANON gets the message as SMTP carries it (every line ends in CRLF: a
bare LF becomes CRLF, a bare CR stays; a leading mbox "From " line is
dropped; a final line end is added when missing); WIRE gets it dot-stuffed
and ending in "\\r\\n." for swaks --no-data-fixup (swaks adds the last CRLF).

check prints one line per check, "PASS NAME" or "FAIL NAME<TAB>why" (why
may run over several TAB-separated pieces); tests/integration/run.sh turns
them into its "ok"/"FAIL" lines.  Options: --cases FILE (lines of
TAB-separated NAME, RCPT, DELIVERED, KEPT, CANON, SANITIZED: one message
each), --list (mugaika list --json output), --sender, --sample-conf
(conf/mugaika.conf), --notice (conf/notice.ja.txt), --mta.  The checks:

  NAME/text-plain    one MIME-Version, one Content-Type (text/plain, not
                     multipart), one known Content-Transfer-Encoding, and
                     the body decodes strictly in its declared charset
  NAME/notice        the notice's marker line is at the top of the text, with
                     the quarantine ID that X-Mugaika-ID names; X-Mugaika-Status
                     starts with v=1
  NAME/headers       every field of the delivered message is on keep_headers,
                     a field mugaika writes, or one the delivery agent adds;
                     every keep_headers field of the original arrived, as
                     often as it was there
  NAME/subject       the delivered Subject, decoded by Python's standard
                     decoder without a defect, equals the Subject mugaika
                     decoded from the original (mugaika list --json), with
                     no U+FFFD that mugaika's decoding did not have
  NAME/listed        mugaika list --json lists the ID once, with the envelope
                     sent and the SHA-256 of the kept original
  NAME/kept-body     the body of the kept original is byte for byte the body
                     that was sent (the header is Postfix's to reassemble)
  NAME/same-as-cli   the delivered message is what mugaika sanitize prints for
                     the kept original with the same ID, apart from the
                     fields the delivery agent adds at the top and the
                     receiving Postfix's Received field (--mta HOST: its
                     "by HOST"), which Postfix does not show the milter
"""
import email
import email.policy
import hashlib
import json
import re
import socket
import sys

DELIVERY_FIELDS = ("return-path", "delivered-to", "x-original-to")
MUGAIKA_FIELDS = ("mime-version", "content-type", "content-transfer-encoding",
                  "x-mugaika-status", "x-mugaika-id")
HEADER_RE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[A-Z2-7]{8}$")


# ---- ports ---------------------------------------------------------------
def freeports(n, first):
    import random
    found = []
    port = random.randrange(10025, 20000 - 100) if first == "random" else int(first)
    while len(found) < n and port < 65536:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as Postfix
        try:
            s.bind(("127.0.0.1", port))
            found.append(port)
        except OSError:
            pass
        finally:
            s.close()
        port += 1
    if len(found) < n:
        sys.exit("no free ports")
    print(" ".join(str(p) for p in found))


def banner(port, token):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.settimeout(30)
            data = b""
            while b"\n" not in data:
                more = c.recv(512)
                if not more:
                    break
                data += more
    except OSError:
        return 1
    return 0 if token.encode() in data else 2


def portopen(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return 0
    except OSError:
        return 1


# ---- the message on the wire -----------------------------------------------
def canonical(raw):
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((l[:-1] if l.endswith(b"\r") else l) + b"\r\n" for l in lines)


def wire(src, canon_path, wire_path):
    with open(src, "rb") as f:
        canon = canonical(f.read())
    with open(canon_path, "wb") as f:
        f.write(canon)
    stuffed = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                       for l in canon.split(b"\r\n")[:-1])
    with open(wire_path, "wb") as f:
        f.write(stuffed + b".")


def sent_body(canon):
    """The body as Postfix takes it: the header ends at the first line that
    is neither a header field nor its continuation (an empty line there is
    the separator, not part of the body)."""
    lines = canon.split(b"\r\n")[:-1]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == b"":
            i += 1
            break
        if HEADER_RE.match(line) or (i > 0 and line[:1] in (b" ", b"\t")):
            i += 1
            continue
        break
    return b"".join(l + b"\r\n" for l in lines[i:])


def split_message(raw):
    """(header bytes, body bytes) at the first empty line (CRLF or LF)."""
    m = re.search(rb"\r?\n\r?\n", raw)
    if not m:
        return raw, b""
    return raw[:m.start()], raw[m.end():]


def field_names(header):
    names = []
    for line in re.split(rb"\r?\n", header):
        if line[:1] in (b" ", b"\t") or not line:
            continue
        m = re.match(rb"^([^:]+):", line)
        if m:
            names.append(m.group(1).strip().decode("ascii", "replace").lower())
    return names


def keep_headers(sample_conf):
    """keep_headers' default from the annotated sample settings file."""
    text = open(sample_conf, encoding="utf-8").read()
    m = re.search(r"^#keep_headers = (.*(?:\n#    .*)*)", text, re.M)
    value = re.sub(r"\n#\s+", " ", m.group(1))
    return [n.lower() for n in re.split(r"[,\s]+", value) if n]


def notice_marker(template):
    for line in open(template, encoding="utf-8"):
        if "【" in line and "】" in line:
            return line[line.index("【"):line.index("】") + 1]
    sys.exit("no marker line in " + template)


def decoded_text(msg):
    data = msg.get_payload(decode=True) or b""
    charset = msg.get_content_charset() or "us-ascii"
    return data.decode(charset)


# ---- check -----------------------------------------------------------------
class Results:
    def __init__(self, name):
        self.name = name
        self.failed = 0

    def report(self, check, problems):
        if problems:
            self.failed += 1
            print("FAIL %s/%s\t%s" % (self.name, check,
                                      "\t".join(p.replace("\t", " ") for p in problems)))
        else:
            print("PASS %s/%s" % (self.name, check))


def check_all(opts):
    failed = 0
    for line in open(opts["cases"], encoding="utf-8"):
        if not line.strip():
            continue
        one = dict(opts)
        (one["name"], one["rcpt"], one["delivered"], one["kept"], one["canon"],
         one["sanitized"]) = line.rstrip("\n").split("\t")
        failed += check(one)
        sys.stdout.flush()
    return 1 if failed else 0


def check(opts):
    res = Results(opts["name"])
    delivered = open(opts["delivered"], "rb").read()
    kept = (open(opts["kept"], "rb").read() or None) if opts.get("kept") else None
    canon = open(opts["canon"], "rb").read()
    keep = keep_headers(opts["sample-conf"])
    marker = notice_marker(opts["notice"])
    msg = email.message_from_bytes(delivered, policy=email.policy.default)
    dhead, _ = split_message(delivered)
    names = field_names(dhead)
    mid = (msg.get("X-Mugaika-ID") or "").strip()

    # text/plain only
    p = []
    for f in ("mime-version", "content-type", "content-transfer-encoding"):
        if names.count(f) != 1:
            p.append("%d %s fields" % (names.count(f), f))
    if msg.get_content_type() != "text/plain" or msg.is_multipart():
        p.append("Content-Type is %s" % msg.get_content_type())
    cte = str(msg.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte not in ("7bit", "8bit", "base64", "quoted-printable"):
        p.append("Content-Transfer-Encoding %r" % cte)
    text = None
    try:
        text = decoded_text(msg)
    except (LookupError, UnicodeDecodeError) as e:
        p.append("the body does not decode in its charset: %s" % e)
    res.report("text-plain", p)

    # notice
    p = []
    status = str(msg.get("X-Mugaika-Status", ""))
    if not status.startswith("v=1;"):
        p.append("X-Mugaika-Status: %r" % status)
    if not ID_RE.match(mid):
        p.append("X-Mugaika-ID: %r" % mid)
    if text is not None:
        top = text.lstrip()[:2000]
        if marker not in top:
            p.append("no %s at the top of the text" % marker)
        if mid and mid not in text:
            p.append("the ID %s is not in the text" % mid)
    res.report("notice", p)

    # headers
    p = []
    allowed = set(keep) | set(MUGAIKA_FIELDS) | set(DELIVERY_FIELDS)
    extra = sorted(set(n for n in names if n not in allowed))
    if extra:
        p.append("fields not on keep_headers: " + ", ".join(extra))
    if kept is not None:
        onames = field_names(split_message(kept)[0])
        for f in keep:
            if f in DELIVERY_FIELDS:
                continue
            if names.count(f) < onames.count(f):
                p.append("%s: %d in the original, %d delivered"
                         % (f, onames.count(f), names.count(f)))
    res.report("headers", p)

    # the list entry, the subject
    entries = [json.loads(l) for l in open(opts["list"], encoding="utf-8") if l.strip()]
    mine = [e for e in entries if e.get("id") == mid]
    p = []
    if len(mine) != 1:
        p.append("mugaika list --json has the ID %r %d times" % (mid, len(mine)))
    else:
        e = mine[0]
        if e.get("rcpts") != [opts["rcpt"]]:
            p.append("rcpts %r, sent to %r" % (e.get("rcpts"), opts["rcpt"]))
        if e.get("mail_from") != opts["sender"]:
            p.append("mail_from %r, sent from %r" % (e.get("mail_from"), opts["sender"]))
        same_rcpt = [x for x in entries if x.get("rcpts") == [opts["rcpt"]]]
        if len(same_rcpt) != 1:
            p.append("%d originals kept for %s" % (len(same_rcpt), opts["rcpt"]))
        if kept is not None and e.get("sha256") != hashlib.sha256(kept).hexdigest():
            p.append("sha256 in the index differs from the kept original read back")
    res.report("listed", p)

    p = []
    want = mine[0].get("subject") if len(mine) == 1 else None
    h = msg.get("Subject")
    if h is None:
        if want:
            p.append("no Subject delivered; the original's: %r" % want)
    else:
        got = str(h)
        if h.defects:
            p.append("decoding defects: %s" % "; ".join(str(d) for d in h.defects))
        # U+FFFD only where mugaika's own decoding of the original has it
        # too (a byte there that is no character, e.g. a NUL).
        if got.count("\ufffd") > (want or "").count("\ufffd"):
            p.append("U+FFFD in the decoded Subject %r" % got)
        norm = lambda s: re.sub(r"\s+", " ", s or "").strip()
        if norm(got) != norm(want):
            p.append("delivered Subject decodes to %r" % got)
            p.append("mugaika decoded the original's as %r" % want)
    res.report("subject", p)

    # kept original
    p = []
    if kept is None:
        p.append("no kept original read back")
        try:
            p.extend(open(opts["kept"] + ".err", encoding="utf-8", errors="replace")
                     .read().splitlines()[:3])
        except (OSError, KeyError, TypeError):
            pass
    else:
        kbody = split_message(kept)[1] if b"\r\n\r\n" in kept or b"\n\n" in kept else b""
        sbody = sent_body(canon)
        if kbody != sbody:
            i = next((k for k in range(min(len(kbody), len(sbody)))
                      if kbody[k] != sbody[k]), min(len(kbody), len(sbody)))
            p.append("kept body %d bytes, sent body %d bytes, first difference at byte %d"
                     % (len(kbody), len(sbody), i))
            p.append("kept: %r" % kbody[max(0, i - 20):i + 40])
            p.append("sent: %r" % sbody[max(0, i - 20):i + 40])
    res.report("kept-body", p)

    # same as the CLI
    p = []
    if opts.get("sanitized"):
        cli = open(opts["sanitized"], "rb").read().replace(b"\r\n", b"\n")
        got = delivered.replace(b"\r\n", b"\n")
        # The fields the delivery agent prepends, then the receiving
        # Postfix's own Received field, which the milter never sees.
        while True:
            m = re.match(rb"([A-Za-z-]+):[^\n]*\n(?:[ \t][^\n]*\n)*", got)
            if not m:
                break
            name = m.group(1).decode().lower()
            if name in DELIVERY_FIELDS:
                got = got[m.end():]
                continue
            if name == "received" and opts.get("mta") and re.search(
                    rb"\sby\s+" + re.escape(opts["mta"].encode()) + rb"\s", m.group(0)):
                got = got[m.end():]
            break
        if got != cli:
            gl, cl = got.split(b"\n"), cli.split(b"\n")
            k = next((k for k in range(min(len(gl), len(cl))) if gl[k] != cl[k]),
                     min(len(gl), len(cl)))
            p.append("differs from mugaika sanitize at line %d" % (k + 1))
            p.append("delivered: %r" % (gl[k] if k < len(gl) else b"(end)"))
            p.append("sanitize:  %r" % (cl[k] if k < len(cl) else b"(end)"))
    else:
        p.append("mugaika sanitize did not run")
    res.report("same-as-cli", p)
    return 1 if res.failed else 0


# ---- many messages ------------------------------------------------------------
def sample(corpus, n):
    """Paths (relative to corpus) of n messages: those MANIFEST.tsv tags
    japanese-header first, then every k-th of the rest, in name order."""
    import os
    every = []
    for root, _dirs, files in os.walk(corpus):
        for f in files:
            if f.endswith(".eml"):
                every.append(os.path.relpath(os.path.join(root, f), corpus))
    every.sort()
    if n == "all":
        picked = every
    else:
        n = int(n)
        japanese = []
        try:
            for line in open(os.path.join(corpus, "MANIFEST.tsv"), encoding="utf-8"):
                cols = line.rstrip("\n").split("\t")
                if len(cols) > 5 and "japanese-header" in cols[5].split(","):
                    japanese.append(cols[0])
        except OSError:
            pass
        picked = sorted(set(japanese) & set(every))[:n]
        rest = [p for p in every if p not in picked]
        want = n - len(picked)
        if want > 0 and rest:
            step = max(1, len(rest) // want)
            picked += rest[::step][:want]
    for p in picked:
        print(p)


def basic(paths, marker):
    """One line per problem; exit 1 when any."""
    bad = 0
    for path in paths:
        msg = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
        why = []
        if msg.get_content_type() != "text/plain" or msg.is_multipart():
            why.append("Content-Type %s" % msg.get_content_type())
        mid = str(msg.get("X-Mugaika-ID", "")).strip()
        if not ID_RE.match(mid):
            why.append("X-Mugaika-ID %r" % mid)
        try:
            text = decoded_text(msg)
            if marker not in text.lstrip()[:2000] or mid not in text:
                why.append("no notice with the ID")
        except (LookupError, UnicodeDecodeError) as e:
            why.append("body does not decode: %s" % e)
        if why:
            bad += 1
            print("%s: %s" % (path, "; ".join(why)))
        else:
            print("ID %s" % mid)
    return 1 if bad else 0


# ---- show --------------------------------------------------------------------
def show(paths):
    for path in paths:
        raw = open(path, "rb").read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for f in ("From", "To", "Subject", "Date", "X-Mugaika-Status", "X-Mugaika-ID"):
            if msg.get(f) is not None:
                print("%s: %s" % (f, msg.get(f)))
        print()
        try:
            print(decoded_text(msg).rstrip("\n"))
        except (LookupError, UnicodeDecodeError) as e:
            print("(the body does not decode: %s)" % e)
        print()


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "freeports":
        freeports(int(args[0]), args[1])
    elif cmd == "banner":
        return banner(int(args[0]), args[1])
    elif cmd == "portopen":
        return portopen(int(args[0]))
    elif cmd == "wire":
        wire(*args)
    elif cmd == "wire-list":
        for line in open(args[0], encoding="utf-8"):
            if line.strip():
                name, path = line.rstrip("\n").split(" ", 1)
                wire(path, "%s/%s.canon" % (args[1], name), "%s/%s.wire" % (args[1], name))
    elif cmd == "check":
        opts = {}
        it = iter(args)
        for a in it:
            if not a.startswith("--"):
                sys.exit("check: unexpected %r" % a)
            opts[a[2:]] = next(it)
        return check_all(opts)
    elif cmd == "show":
        show(args)
    elif cmd == "sample":
        sample(args[0], args[1])
    elif cmd == "basic":
        return basic(args[1:], notice_marker(args[0]))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
