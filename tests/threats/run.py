#!/usr/bin/env python3
"""tests/threats/run.py - threat detection through `mugaika sanitize`.

EICAR as a plain attachment (base64 and quoted-printable), inside a zip,
inside a zip inside a forwarded message, in the text body itself, in an
HTML body and an HTML alternative, in a text alternative that is not
rendered, in a zip with LZMA members and in an .lzma stream (which
libclamav does not unpack: mugaika extracts them) and uuencoded or
yEnc-encoded in the text; a password ZIP; a .pdf that is really an executable; the same as
outgoing mail (--outbound: scan only), where a scan a limit cut short is
refused too (tests/integration/run.sh sends the same messages through
Postfix).
Each message is made here at run time (the tree never holds the EICAR string, which scanners on
developer machines would flag) and run through the real CLI with the
project's test signatures (testdata/clamav).  Prints one line per check and
"threats: N passed, N failed".
"""
import base64, binascii, bz2, io, json, lzma, os, shutil, subprocess, sys, tarfile, tempfile, zipfile
from email.message import EmailMessage
from email.policy import SMTP

SRC = os.environ.get("MG_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("MG_BUILDDIR", ".")
MUGAIKA = os.environ.get("MUGAIKA", os.path.join(BUILD, "src", "mugaika"))
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok", name)
    else:
        failed += 1
        print("FAIL", name, detail)


def message(subject, body="本文です。\n"):
    m = EmailMessage()
    m["From"] = "sender@example.com"
    m["To"] = "user@example.lg.jp"
    m["Subject"] = subject
    m.set_content(body)
    return m


def zipped(name, data, password=None, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        z.writestr(name, data)
    return buf.getvalue()


def run(tmp, msg, extra="", args=()):
    conf = os.path.join(tmp, "t.conf")
    with open(conf, "w") as f:
        f.write("body_encoding = 8bit\nclamav_database = %s/testdata/clamav\n%s" % (SRC, extra))
    eml = os.path.join(tmp, "in.eml")
    with open(eml, "wb") as f:
        f.write(msg if isinstance(msg, bytes) else msg.as_bytes(policy=SMTP))
    verdict = os.path.join(tmp, "v.json")
    p = subprocess.run([MUGAIKA, "sanitize", "--config", conf, "--id", "20260101T000000Z-THREAT01",
                        "--verdict", verdict, *args, eml], capture_output=True)
    v = json.load(open(verdict)) if os.path.exists(verdict) and os.path.getsize(verdict) else {}
    if os.path.exists(verdict):
        os.unlink(verdict)
    v["_stderr"] = p.stderr.decode("utf-8", "replace")
    return p.returncode, p.stdout, v


def detected(v, kind="virus"):
    return [d["name"] for d in v.get("detections", []) if d["kind"] == kind]


def yenc(data):
    """yEnc: each byte + 42, NUL, LF, CR and = escaped (=, then + 64)."""
    out = bytearray()
    for b in data:
        c = (b + 42) % 256
        out += bytes([61, (c + 64) % 256]) if c in (0, 10, 13, 61) else bytes([c])
    return bytes(out)


def eicar_cases():
    m1 = message("EICAR as an attachment")
    m1.add_attachment(EICAR, maintype="application", subtype="octet-stream", filename="eicar.com")
    m2 = message("EICAR quoted-printable")
    m2.add_attachment(EICAR, maintype="application", subtype="octet-stream", filename="eicar.txt",
                      cte="quoted-printable")
    m3 = message("EICAR in a zip")
    m3.add_attachment(zipped("eicar.com", EICAR), maintype="application", subtype="zip",
                      filename="files.zip")
    inner = message("inner message")
    inner.add_attachment(zipped("docs/eicar.com", EICAR), maintype="application", subtype="zip",
                         filename="inner.zip")
    m4 = message("Fwd: a zip inside a forwarded message")
    m4.add_attachment(inner)
    m5 = message("EICAR in the text", "before\n" + EICAR.decode() + "\nafter\n")
    html = "<html><body><p>before</p><p>" + EICAR.decode() + "</p></body></html>"
    m6 = message("EICAR in an HTML body")
    m6.set_content(html, subtype="html")
    m7 = message("EICAR in the HTML alternative")
    m7.add_alternative(html, subtype="html")
    # formats libclamav does not unpack itself: mugaika extracts the members
    m8 = message("EICAR in a zip with LZMA members")
    m8.add_attachment(zipped("readme.txt", EICAR, compression=zipfile.ZIP_LZMA),
                      maintype="application", subtype="zip", filename="docs.zip")
    m9 = message("EICAR in an .lzma stream")
    m9.add_attachment(lzma.compress(EICAR, format=lzma.FORMAT_ALONE), maintype="application",
                      subtype="octet-stream", filename="readme.txt.lzma")
    uu = ["begin 644 readme.com"] + [binascii.b2a_uu(EICAR[i:i + 45]).decode().rstrip("\n")
                                     for i in range(0, len(EICAR), 45)] + ["`", "end"]
    m10 = message("EICAR uuencoded in the text", "hello\n" + "\n".join(uu) + "\nbye\n")
    m11 = message("EICAR yEnc-encoded in the text")
    m11.set_content(b"hello\n=ybegin line=128 size=%d name=readme.com\n%s\n=yend size=%d\nbye\n"
                    % (len(EICAR), yenc(EICAR), len(EICAR)), maintype="text", subtype="plain",
                    cte="8bit")
    return [("attachment base64", m1), ("attachment quoted-printable", m2), ("zip", m3),
            ("zip in a forwarded message", m4), ("text body", m5), ("HTML body", m6),
            ("HTML alternative", m7), ("zip with LZMA members", m8), (".lzma stream", m9),
            ("uuencoded in the text", m10), ("yEnc in the text", m11)] + more_eicar_cases(uu)


def more_eicar_cases(uu):
    """Cases a review found: a tar.bz2 of two bzip2 streams (as pbzip2
    writes them: libclamav reads the first only), uuencode in an HTML
    <pre>, and yEnc in Latin-1 text after a clean uuencoded file."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in (("a.txt", b"clean\n" * 2000), ("readme.com", EICAR)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    tar = buf.getvalue()
    m1 = message("EICAR in the second bzip2 stream of a tar.bz2")
    m1.add_attachment(bz2.compress(tar[:10240]) + bz2.compress(tar[10240:]),
                      maintype="application", subtype="x-bzip2", filename="docs.tar.bz2")
    m2 = message("EICAR uuencoded in an HTML pre")
    m2.set_content("<html><body><pre>\n" + "\n".join(uu) + "\n</pre></body></html>",
                   subtype="html")
    clean_uu = "begin 644 clean.txt\n" + binascii.b2a_uu(b"clean\n").decode() + "`\nend\n"
    m3 = message("yEnc after a clean uuencoded file, Latin-1")
    m3.set_content(clean_uu.encode() + b"=ybegin line=128 size=%d name=readme.com\n%s\n"
                   b"=yend size=%d\n" % (len(EICAR), yenc(EICAR), len(EICAR)),
                   maintype="text", subtype="plain", cte="8bit", params={"charset": "iso-8859-1"})
    return [("second bzip2 stream", m1), ("uuencoded in an HTML pre", m2),
            ("yEnc after a clean uuencoded file", m3)]


def alternative_not_rendered(tmp):
    """With html_mode = always_convert the HTML alternative is rendered and
    the plain one dropped; the dropped one is scanned all the same."""
    m = message("EICAR in the alternative not shown", "before\n" + EICAR.decode() + "\nafter\n")
    m.add_alternative("<html><body><p>clean</p></body></html>", subtype="html")
    rc, out, v = run(tmp, m, "html_mode = always_convert\n")
    check("EICAR in the plain alternative not rendered: discarded (exit 1)",
          rc == 1 and v.get("action") == "discard", "rc=%d action=%s" % (rc, v.get("action")))
    check("EICAR in the plain alternative not rendered: detected",
          any(n.startswith("Mugaika.Test.EICAR") for n in detected(v)), str(v.get("detections")))


def main():
    if not os.access(MUGAIKA, os.X_OK):
        print("threats: skipped: no mugaika binary at", MUGAIKA)
        return 77
    tmp = tempfile.mkdtemp(prefix="mugaika-threats.")
    try:
        for name, msg in eicar_cases():
            rc, out, v = run(tmp, msg)
            check("EICAR %s: discarded by default (exit 1)" % name,
                  rc == 1 and v.get("action") == "discard", "rc=%d action=%s" % (rc, v.get("action")))
            check("EICAR %s: detected by the test signatures" % name,
                  any(n.startswith("Mugaika.Test.EICAR") for n in detected(v)), str(v.get("detections")))
            check("EICAR %s: original to be kept" % name, v.get("keep_original") is True)
            check("EICAR %s: not in the safe message" % name, EICAR not in out)
        msg = eicar_cases()[0][1]
        rc, out, v = run(tmp, msg, "virus_action = reject\n")
        check("virus_action = reject: action reject, exit 1", rc == 1 and v.get("action") == "reject")
        rc, out, v = run(tmp, msg, "virus_action = quarantine_notify\n")
        text = out.decode("utf-8", "replace")
        check("virus_action = quarantine_notify: notice delivered (exit 0)",
              rc == 0 and "ウイルスを検出しました" in text and "ウイルス: Mugaika.Test.EICAR" in text, text[-600:])
        check("quarantine_notify: the ID is in the notice", "保管ID: 20260101T000000Z-THREAT01" in text)
        alternative_not_rendered(tmp)
        outbound(tmp)
        password_zip(tmp)
        disguised_exe(tmp)
        rc, out, v = run(tmp, message("plain"), "clamav_database = /nonexistent\n")
        check("no signature database: exit 75 naming clamav_database",
              rc == 75 and "clamav_database" in v["_stderr"], v["_stderr"])
    finally:
        shutil.rmtree(tmp)
    print("threats: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def outbound(tmp):
    """Outgoing mail (--outbound, as on the outbound_daemons listeners):
    every EICAR case is refused, clean and password-protected mail goes out
    byte for byte, and so does nothing a limit kept from being scanned."""
    for name, msg in eicar_cases():
        rc, out, v = run(tmp, msg, args=("--outbound",))
        check("outbound: EICAR %s: rejected (exit 1), nothing out" % name,
              rc == 1 and v.get("action") == "reject" and out == b"",
              "rc=%d action=%s" % (rc, v.get("action")))
    clean = message("clean outgoing")
    clean.add_alternative("<html><body><p>hello</p></body></html>", subtype="html")
    raw = clean.as_bytes(policy=SMTP)
    rc, out, v = run(tmp, raw, args=("--outbound",))
    check("outbound: clean HTML mail passes byte for byte", rc == 0 and out == raw,
          "rc=%d" % rc)
    pw = password_zip_message(tmp)
    if pw is not None:
        rc, out, v = run(tmp, pw, args=("--outbound",))
        check("outbound: a password ZIP passes (suspicious is not refused outgoing)",
              rc == 0 and v.get("action") == "deliver", "rc=%d" % rc)
    big = message("big report")
    big.add_attachment(b"A clean line of a report.\n" * 400, maintype="text", subtype="plain",
                       filename="report.txt")
    rc, out, v = run(tmp, big, "scan_max_filesize = 2K\n", ("--outbound",))
    check("outbound: a part a scanner limit left unscanned is refused",
          rc == 1 and v.get("action") == "reject" and v.get("keep_original") is True
          and "limit" in v.get("reasons", []), "rc=%d %s" % (rc, v.get("reasons")))
    rc, out, v = run(tmp, big, "scan_max_filesize = 2K\noutbound_unscanned = pass\n",
                     ("--outbound",))
    check("outbound_unscanned = pass: it goes out", rc == 0 and v.get("action") == "deliver",
          "rc=%d" % rc)


def password_zip_message(tmp):
    """A message with a ZipCrypto archive (made by zip(1) in tmp), or None
    when zip is not installed.  Used by tests/integration/run.sh too."""
    if not shutil.which("zip"):
        return None
    src = os.path.join(tmp, "secret.txt")
    with open(src, "w") as f:
        f.write("confidential\n" * 20)
    out = os.path.join(tmp, "secret.zip")
    subprocess.run(["zip", "-q", "-j", "-P", "pass1234", out, src], check=True)
    m = message("password zip")
    m.add_attachment(open(out, "rb").read(), maintype="application", subtype="zip",
                     filename="見積書.zip")
    return m


def password_zip(tmp):
    m = password_zip_message(tmp)
    if m is None:
        check("password ZIP (zip not installed)", False, "install zip")
        return
    rc, body, v = run(tmp, m)
    text = body.decode("utf-8", "replace")
    check("password ZIP: delivered with a notice (exit 0)", rc == 0 and v.get("action") == "deliver")
    check("password ZIP: suspicious or cannot inspect, not a virus",
          not detected(v) and ("suspicious" in v.get("reasons", []) or
                               "cannot_inspect" in v.get("reasons", [])), str(v.get("reasons")))
    check("password ZIP: the notice says it could not be inspected",
          "パスワード付きZIP" in text and "見積書.zip" in text, text[:800])
    check("password ZIP: original kept", v.get("keep_original") is True)


def disguised_exe_message():
    """A PE executable named invoice.pdf.exe, declared application/pdf."""
    pe = b"MZ" + b"\x90" * 58 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200
    m = message("invoice")
    m.add_attachment(pe, maintype="application", subtype="pdf", filename="invoice.pdf.exe")
    return m


def disguised_exe(tmp):
    rc, body, v = run(tmp, disguised_exe_message())
    r = (v.get("removed") or [{}])[0]
    check("invoice.pdf.exe: double extension and executable found",
          "double_extension" in r.get("findings", []) and "executable" in r.get("findings", []),
          str(r.get("findings")))
    check("invoice.pdf.exe: the notice warns", "危険な種類のファイル" in body.decode("utf-8", "replace"))


if __name__ == "__main__":
    sys.exit(main())
