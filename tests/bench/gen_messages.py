#!/usr/bin/env python3
"""gen_messages.py - reproducible benchmark messages for bench_engine.

Contract: writes OUTDIR/{small,alt,att200k,att2m}/NNNN.eml, --count messages
per class (default 100), every message different from every other, and the
same bytes on every run for the same --seed and --count (message i of a class
depends only on the seed, the class and i).  Python 3 standard library only.
Nothing else is written.  The classes model the mail a Japanese city office
receives:

  small    ~4 KB    text/plain; charset=ISO-2022-JP, 7bit, Japanese text
  alt      ~66 KB   multipart/alternative: text/plain + text/html, both UTF-8
                    quoted-printable, Japanese and ASCII; the HTML has
                    paragraphs, tables, lists and links
  att200k  ~280 KB  multipart/mixed: ISO-2022-JP text + a ~200 KB PDF-like
                    application/pdf attachment, base64
  att2m    ~2.8 MB  multipart/mixed: UTF-8 base64 text + a ~2 MB real zip
                    (zipfile) of incompressible members, base64

Usage: gen_messages.py OUTDIR [--count N] [--seed S] [--classes a,b,...] [--crlf]
"""

import argparse
import base64
import datetime
import io
import os
import quopri
import random
import sys
import urllib.parse
import zipfile
import zlib

CLASSES = ("small", "alt", "att200k", "att2m")

# Target sizes in bytes (a message lands within a few percent of these).
SMALL_TARGET = 4 * 1024
ALT_TARGET = 66 * 1024
PDF_TARGET = 200 * 1024
ZIP_TARGET = 2 * 1024 * 1024

# Only characters of JIS X 0208 (the ISO-2022-JP repertoire): no U+FF5E,
# no circled digits, no half-width kana.
JA_SENTENCES = (
    "いつもお世話になっております。",
    "標記の件について、下記のとおりご案内いたします。",
    "来週の定例会議の資料を送付いたしますので、ご確認をお願いいたします。",
    "ご多忙のところ恐縮ですが、今月末までにご回答くださいますようお願い申し上げます。",
    "なお、当日は本庁舎三階の大会議室で開催する予定です。",
    "参加者の人数を把握するため、出欠の連絡をお願いします。",
    "前回の打ち合わせでいただいたご意見を踏まえ、計画案を修正しました。",
    "修正箇所は赤字で示しておりますので、併せてご確認ください。",
    "予算の執行状況については、別途財政課から報告があります。",
    "市民の皆様からのお問い合わせが増えておりますので、窓口での対応に留意してください。",
    "防災訓練の実施にあたり、各課から一名の担当者を選出してください。",
    "情報セキュリティ研修を下記の日程で実施します。",
    "個人情報を含むファイルを送付する際は、必ずパスワードを設定してください。",
    "システムの定期保守のため、土曜日の午前中はサービスを停止します。",
    "ご不明な点がございましたら、担当までお気軽にお問い合わせください。",
    "補助金の申請書類に不備がありましたので、再提出をお願いします。",
    "道路の補修工事に伴い、一部区間で通行止めとなります。",
    "子育て支援に関するアンケートの集計結果がまとまりました。",
    "説明会の会場は市民交流センターの二階ホールです。",
    "議事録の案を作成しましたので、内容に誤りがないかご確認ください。",
    "関係各課への周知についてご協力をお願いいたします。",
    "契約の更新手続きについて、必要な書類を一覧にまとめました。",
    "新しい様式は来月一日から使用を開始します。",
    "旧様式での提出も当面の間は受け付けます。",
    "担当者が不在の場合は、代表電話までご連絡ください。",
    "観光客の増加に対応するため、案内表示を見直すことになりました。",
    "地域の清掃活動には多くの住民の方にご参加いただきました。",
    "詳細は添付の資料をご覧ください。",
    "温泉まつりの開催に向けて、実行委員会を開催します。",
    "災害時の連絡体制を再確認するため、緊急連絡網を更新しました。",
    "ＩＣＴ推進計画の見直しについて、庁内で意見を募集しています。",
    "来年度の事業計画について、各課の要望を取りまとめています。",
    "会議室の換気と消毒を引き続き徹底してください。",
    "図書館の開館時間が変更になりますので、お知らせします。",
    "学校給食の献立表を掲載しましたので、ご覧ください。",
    "固定資産税の納付期限は今月末日です。",
    "住民票の写しの交付申請は、オンラインでも受け付けています。",
    "公民館の利用予約は、二週間前から可能です。",
    "「広報やまが」の原稿は、第二金曜日までに提出してください。",
    "※当日は駐車場が混雑しますので、公共交通機関をご利用ください。",
    "【重要】パスワードの有効期限が近づいています。",
    "熊本県からの照会に対する回答案を作成しました。",
)
JA_TEMPLATES = (
    "{m}月{d}日（{wd}）午後{h}時から、第{n}回の会議を開催します。",
    "予算額は{yen:,}円、執行済みの額は{yen2:,}円です。",
    "申込みの締切は{m}月{d}日です。受付番号は{code}です。",
    "対象となる世帯数は約{n2:,}世帯で、前年度より{pct}パーセント増加しました。",
    "問い合わせ先：内線{ext}（{dept}）",
)
ASCII_SENTENCES = (
    "Please find the details at the link below.",
    "The meeting will be held online (Web conference ID: {zid}).",
    "Tel: 0968-43-{ext4}  Fax: 0968-43-{ext5}",
    "This message was sent from the LGWAN-side mail system.",
    "Reference: DOC-{code}",
    "If you cannot open the PDF, please install Adobe Acrobat Reader.",
    "Agenda: (1) opening, (2) report, (3) discussion, (4) closing.",
)
WEEKDAYS = "月火水木金土日"
SURNAMES = ("田中", "佐藤", "鈴木", "高橋", "渡辺", "山本", "中村", "小林", "松本", "井上")
GIVEN = ("太郎", "花子", "一郎", "美咲", "健", "直子", "大輔", "由美", "翔太", "陽子")
ROMAJI = ("tanaka", "sato", "suzuki", "takahashi", "watanabe", "yamamoto",
          "nakamura", "kobayashi", "matsumoto", "inoue")
DEPTS = ("総務課", "情報政策課", "財政課", "市民課", "防災安全課", "企画振興課",
         "福祉課", "学校教育課", "観光課", "税務課")
SUBJECTS = ("定例会議の開催について", "資料送付のお知らせ", "研修日程のご案内",
            "回答のお願い", "システム保守のお知らせ", "計画案の修正について",
            "説明会のご案内", "アンケート結果の送付", "契約更新の手続き",
            "防災訓練の実施について")
DOMAIN = "city.example.lg.jp"


def sentence(rng, ascii_too=False):
    """One sentence of Japanese (or, when ascii_too, sometimes English)."""
    if ascii_too and rng.random() < 0.2:
        s = rng.choice(ASCII_SENTENCES) + " "
    elif rng.random() < 0.25:
        s = rng.choice(JA_TEMPLATES)
    else:
        return rng.choice(JA_SENTENCES)
    return s.format(
        m=rng.randint(1, 12), d=rng.randint(1, 28), wd=rng.choice(WEEKDAYS),
        h=rng.randint(1, 5), n=rng.randint(1, 30), yen=rng.randint(1, 9000) * 1000,
        yen2=rng.randint(1, 900) * 1000, code="%06d" % rng.randint(0, 999999),
        n2=rng.randint(100, 30000), pct=rng.randint(1, 20),
        ext=rng.randint(100, 999), ext4=rng.randint(1000, 9999),
        ext5=rng.randint(1000, 9999), dept=rng.choice(DEPTS),
        zid="%03d %04d %04d" % (rng.randint(100, 999), rng.randint(0, 9999),
                                rng.randint(0, 9999)))


def paragraph(rng, ascii_too=False):
    return "".join(sentence(rng, ascii_too) for _ in range(rng.randint(2, 5)))


NO_LINE_START = "、。，．）」』】・ー"
NO_LINE_END = "「（【『"


def wrap(text, width=72):
    """Wraps a paragraph into lines of about width columns (a Japanese
    character counts two): ASCII words are not split, and closing
    punctuation does not start a line."""
    tokens, word = [], ""
    for ch in text:
        if ord(ch) < 128 and ch != " ":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    lines, cur, used = [], "", 0
    for tok in tokens:
        w = len(tok) if ord(tok[0]) < 128 else 2
        if used + w > width and cur and tok not in NO_LINE_START:
            carry = ""
            if cur[-1] in NO_LINE_END and len(cur) > 1:
                cur, carry = cur[:-1], cur[-1]
            lines.append(cur.rstrip(" "))
            cur, used = carry, 2 * len(carry)
            if tok == " ":
                continue
        cur += tok
        used += w
    lines.append(cur.rstrip(" "))
    return lines


def person(rng):
    k = rng.randrange(len(SURNAMES))
    return SURNAMES[k], GIVEN[rng.randrange(len(GIVEN))], ROMAJI[k], rng.choice(DEPTS)


def signature(sur, given, romaji, dept, ext):
    return ["", "-" * 40, "山鹿市 " + dept, sur + " " + given,
            "TEL: 0968-43-1111（内線 %d）" % ext, "E-mail: %s@%s" % (romaji, DOMAIN),
            "-" * 40]


def encoded_words(text, charset):
    """RFC 2047 B encoded-words, each under 75 characters, joined by folding."""
    words = []
    step = 8 if charset == "ISO-2022-JP" else 12
    for i in range(0, len(text), step):
        chunk = text[i:i + step].encode("iso2022_jp" if charset == "ISO-2022-JP" else "utf-8")
        words.append("=?%s?B?%s?=" % (charset, base64.b64encode(chunk).decode("ascii")))
    return "\n ".join(words)


def common_headers(rng, cls, i, charset, when):
    """The header block (without MIME headers), as a list of lines."""
    sur, given, romaji, dept = person(rng)
    to_sur, to_given, to_romaji, _ = person(rng)
    subject = "%s（%s-%04d）" % (rng.choice(SUBJECTS), cls, i)
    msgid = "<%s.%s.%04d.%08x@mail.%s>" % (when.strftime("%Y%m%d%H%M%S"), cls, i,
                                           rng.getrandbits(32), DOMAIN)
    date = when.strftime("%a, %d %b %Y %H:%M:%S +0900")
    relay = "mx%d.example.net" % rng.randint(1, 4)
    lines = [
        "Return-Path: <%s@%s>" % (romaji, DOMAIN),
        "Received: from %s (%s [192.0.2.%d])" % (relay, relay, rng.randint(1, 254)),
        "\tby mail.%s (Postfix) with ESMTPS id %010X" % (DOMAIN, rng.getrandbits(40)),
        "\tfor <%s@%s>; %s" % (to_romaji, DOMAIN, date),
        "Received: from pc%03d.%s ([198.51.100.%d])" % (rng.randint(1, 999), DOMAIN,
                                                       rng.randint(1, 254)),
        "\tby %s with ESMTP; %s" % (relay, date),
        "From: %s <%s@%s>" % (encoded_words(sur + " " + given, charset), romaji, DOMAIN),
        "To: %s <%s@%s>" % (encoded_words(to_sur + " " + to_given, charset), to_romaji, DOMAIN),
        "Subject: " + encoded_words(subject, charset),
        "Date: " + date,
        "Message-ID: " + msgid,
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AdQ%012x" % rng.getrandbits(48),
        "MIME-Version: 1.0",
    ]
    return lines, (sur, given, romaji, dept)


def when_for(cls, i):
    base = datetime.datetime(2024, 4, 1, 8, 30, 0)
    return base + datetime.timedelta(minutes=CLASSES.index(cls) * 7 + i * 13)


def iso2022jp_body(rng, target, who, ascii_too=False):
    """Japanese text encoded ISO-2022-JP line by line, about target bytes."""
    sur, given, romaji, dept = who
    lines = ["関係各位", "", "%s の%sです。" % (dept, sur), ""]
    sig = signature(sur, given, romaji, dept, rng.randint(100, 999))
    size = sum(len(s.encode("iso2022_jp")) + 1 for s in lines + sig)
    while size < target:
        for line in wrap(paragraph(rng, ascii_too)) + [""]:
            lines.append(line)
            size += len(line.encode("iso2022_jp")) + 1
    lines += ["以上、よろしくお願いいたします。"] + sig
    return b"".join(s.encode("iso2022_jp") + b"\n" for s in lines)


def gen_small(rng, i):
    when = when_for("small", i)
    hdr, who = common_headers(rng, "small", i, "ISO-2022-JP", when)
    hdr += ["Content-Type: text/plain; charset=ISO-2022-JP",
            "Content-Transfer-Encoding: 7bit"]
    head = ("\n".join(hdr) + "\n\n").encode("ascii")
    target = int(SMALL_TARGET * rng.uniform(0.9, 1.1)) - len(head)
    return head + iso2022jp_body(rng, target, who)


def link(rng):
    path = rng.choice(("kurashi", "kosodate", "bousai", "kankou", "shisei", "soshiki"))
    return "https://www.%s/%s/%d.html" % (DOMAIN, path, rng.randint(1000, 99999))


def alt_block(rng):
    """One block of the newsletter, rendered as (plain text, HTML)."""
    kind = rng.random()
    if kind < 0.55:
        p = paragraph(rng, ascii_too=True)
        return "\n".join(wrap(p)) + "\n\n", "<p>%s</p>\n" % p
    if kind < 0.75:
        heads = ("日付", "内容", "場所", "担当")
        rows = []
        for _ in range(rng.randint(3, 8)):
            rows.append(("%d月%d日" % (rng.randint(1, 12), rng.randint(1, 28)),
                         rng.choice(SUBJECTS), rng.choice(("大会議室", "第二会議室",
                                                         "市民交流センター", "オンライン")),
                         rng.choice(DEPTS)))
        plain = " | ".join(heads) + "\n" + "".join(" | ".join(r) + "\n" for r in rows) + "\n"
        html = ['<table class="schedule" border="1" cellpadding="4" cellspacing="0">',
                "<tr>" + "".join('<th style="background:#e0e8f0">%s</th>' % h for h in heads)
                + "</tr>"]
        for r in rows:
            html.append("<tr>" + "".join("<td>%s</td>" % c for c in r) + "</tr>")
        html.append("</table>\n")
        return plain, "\n".join(html)
    if kind < 0.92:
        items = []
        for _ in range(rng.randint(2, 5)):
            items.append((rng.choice(SUBJECTS), link(rng)))
        plain = "".join("- %s <%s>\n" % it for it in items) + "\n"
        html = "<ul>\n" + "".join('<li><a href="%s" target="_blank">%s</a></li>\n'
                                  % (u, t) for t, u in items) + "</ul>\n"
        return plain, html
    # A link whose visible text names another host than its target.
    shown = "https://www.%s/login" % DOMAIN
    real = "https://login.example-verify.net/%08x" % rng.getrandbits(32)
    return ("アカウント確認: %s\n\n" % shown,
            '<p>アカウント確認: <a href="%s">%s</a></p>\n' % (real, shown))


def qp(data):
    return quopri.encodestring(data)


def gen_alt(rng, i):
    when = when_for("alt", i)
    hdr, who = common_headers(rng, "alt", i, "UTF-8", when)
    sur, given, romaji, dept = who
    boundary = "----=_NextPart_%03d_%04X_%08X" % (i % 1000, rng.getrandbits(16),
                                                   rng.getrandbits(32))
    hdr += ['Content-Type: multipart/alternative;', '\tboundary="%s"' % boundary]
    title = "%s だより 第%d号" % (dept, rng.randint(1, 300))
    plain = ["%s\n\n" % title]
    html = ['<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
            "<title>%s</title>\n<style type=\"text/css\">\n"
            "body { font-family: 'Meiryo', sans-serif; font-size: 10.5pt; }\n"
            "table.schedule { border-collapse: collapse; }\n"
            "th, td { border: 1px solid #999999; padding: 4px; }\n</style>\n</head>\n"
            '<body>\n<div class="header"><h1>%s</h1></div>\n' % (title, title)]
    target = int(ALT_TARGET * rng.uniform(0.92, 1.08)) - 2500
    size = 0
    while size < target:
        p, h = alt_block(rng)
        plain.append(p)
        html.append(h)
        size += len(qp(p.encode("utf-8"))) + len(qp(h.encode("utf-8")))
    sig = "\n".join(signature(sur, given, romaji, dept, rng.randint(100, 999)))
    plain.append(sig + "\n")
    html.append("<hr>\n<p>%s</p>\n</body>\n</html>\n" % sig.replace("\n", "<br>\n"))
    out = [("\n".join(hdr) + "\n\nThis is a multi-part message in MIME format.\n\n")
           .encode("ascii")]
    for ctype, text in (("text/plain", "".join(plain)), ("text/html", "".join(html))):
        out.append(("--%s\nContent-Type: %s; charset=\"utf-8\"\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n" % (boundary, ctype))
                   .encode("ascii"))
        out.append(qp(text.encode("utf-8")))
        out.append(b"\n")
    out.append(("--%s--\n" % boundary).encode("ascii"))
    return b"".join(out)


def rand_bytes(rng, n):
    return rng.getrandbits(n * 8).to_bytes(n, "little") if n else b""


def pdf_like(rng, target):
    """A structurally plausible PDF of about target bytes: catalog, pages,
    Flate content streams and an image stream of incompressible bytes,
    a correct xref table and trailer."""
    objs = []
    npages = rng.randint(2, 6)
    kids = " ".join("%d 0 R" % (4 + 2 * k) for k in range(npages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, npages)).encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    img_obj = 4 + 2 * npages
    for k in range(npages):
        objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                     "/Resources << /Font << /F1 3 0 R >> /XObject << /Im1 %d 0 R >> >> "
                     "/Contents %d 0 R >>" % (img_obj, 5 + 2 * k)).encode())
        ops = "".join("BT /F1 11 Tf 56 %d Td (Line %d of page %d: report %06d) Tj ET\n"
                      % (780 - 14 * j, j, k + 1, rng.randint(0, 999999)) for j in range(50))
        data = zlib.compress(ops.encode("ascii"))
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
                    + data + b"\nendstream")
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    used = len(head) + sum(len(o) + 20 for o in objs) + 600
    n = max(1024, target - used)
    objs.append(b"<< /Type /XObject /Subtype /Image /Width 1024 /Height %d "
                b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
                b"/Length %d >>\nstream\n" % (n // 3072 + 1, n)
                + b"\xff\xd8\xff\xe0" + rand_bytes(rng, n - 4) + b"\nendstream")
    out = io.BytesIO()
    out.write(head)
    offsets = []
    for k, o in enumerate(objs):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % (k + 1) + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /ID [<%032x> <%032x>] >>\n"
              % (len(objs) + 1, rng.getrandbits(128), rng.getrandbits(128)))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def zip_of_random(rng, target, i):
    """A real zip archive of about target bytes: a short text member and a few
    members of incompressible bytes, fixed timestamps (reproducible)."""
    buf = io.BytesIO()
    names = ["資料/写真_%03d.jpg" % k for k in range(rng.randint(3, 6))]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("資料/はじめにお読みください.txt", (2024, 4, 1, 9, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, ("\r\n".join(paragraph(rng) for _ in range(20))).encode("cp932"))
        left = target - 2048
        for k, name in enumerate(names):
            n = left // (len(names) - k)
            n = int(n * rng.uniform(0.8, 1.2)) if k < len(names) - 1 else left
            left -= n
            info = zipfile.ZipInfo(name, (2024, 3, 28, 10 + k, i % 60, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, b"\xff\xd8\xff\xe1" + rand_bytes(rng, max(0, n - 4)))
    return buf.getvalue()


def b64_lines(data):
    enc = base64.b64encode(data)
    return b"".join(enc[k:k + 76] + b"\n" for k in range(0, len(enc), 76))


def rfc2231(name):
    return "UTF-8''" + urllib.parse.quote(name.encode("utf-8"), safe="")


def gen_att(rng, i, cls):
    when = when_for(cls, i)
    big = cls == "att2m"
    charset = "UTF-8" if big else "ISO-2022-JP"
    hdr, who = common_headers(rng, cls, i, charset, when)
    boundary = "_%03d_mixed_%016X_" % (i % 1000, rng.getrandbits(64))
    hdr += ['Content-Type: multipart/mixed; boundary="%s"' % boundary]
    out = [("\n".join(hdr) + "\n\n").encode("ascii")]
    if big:
        text = iso2022jp_body(rng, 3000, who).decode("iso2022_jp").encode("utf-8")
        out.append(("--%s\nContent-Type: text/plain; charset=\"utf-8\"\n"
                    "Content-Transfer-Encoding: base64\n\n" % boundary).encode("ascii"))
        out.append(b64_lines(text))
        data = zip_of_random(rng, int(ZIP_TARGET * rng.uniform(0.95, 1.05)), i)
        fname = "資料一式_%04d.zip" % i
        ctype = "application/zip"
    else:
        out.append(("--%s\nContent-Type: text/plain; charset=\"iso-2022-jp\"\n"
                    "Content-Transfer-Encoding: 7bit\n\n" % boundary).encode("ascii"))
        out.append(iso2022jp_body(rng, 2500, who))
        data = pdf_like(rng, int(PDF_TARGET * rng.uniform(0.95, 1.05)))
        fname = "報告書_%04d.pdf" % i
        ctype = "application/pdf"
    out.append(("\n--%s\nContent-Type: %s;\n\tname=\"%s\"\n"
                "Content-Description: %s\n"
                "Content-Disposition: attachment;\n\tfilename*=%s\n"
                "Content-Transfer-Encoding: base64\n\n"
                % (boundary, ctype, encoded_words(fname, charset), encoded_words(fname, charset),
                   rfc2231(fname))).encode("ascii"))
    out.append(b64_lines(data))
    out.append(("\n--%s--\n" % boundary).encode("ascii"))
    return b"".join(out)


GENERATORS = {
    "small": gen_small,
    "alt": gen_alt,
    "att200k": lambda rng, i: gen_att(rng, i, "att200k"),
    "att2m": lambda rng, i: gen_att(rng, i, "att2m"),
}


def main(argv):
    ap = argparse.ArgumentParser(description="Write reproducible benchmark messages.")
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=100, help="messages per class (default 100)")
    ap.add_argument("--seed", default="mugaika-bench-1", help="base seed (default %(default)s)")
    ap.add_argument("--classes", default=",".join(CLASSES),
                    help="comma-separated subset of " + ",".join(CLASSES))
    ap.add_argument("--counts", default=None,
                    help="per-class counts, e.g. small=200,alt=100 (overrides --count)")
    ap.add_argument("--crlf", action="store_true", help="CRLF line ends instead of LF")
    a = ap.parse_args(argv)
    classes = [c for c in a.classes.split(",") if c]
    for c in classes:
        if c not in GENERATORS:
            ap.error("unknown class %r" % c)
    counts = {c: a.count for c in classes}
    if a.counts:
        for item in a.counts.split(","):
            name, _, n = item.partition("=")
            if name not in counts or not n.isdigit():
                ap.error("bad --counts item %r" % item)
            counts[name] = int(n)
    for cls in classes:
        d = os.path.join(a.outdir, cls)
        os.makedirs(d, exist_ok=True)
        total = 0
        for i in range(counts[cls]):
            rng = random.Random("%s:%s:%d" % (a.seed, cls, i))
            data = GENERATORS[cls](rng, i)
            if a.crlf:
                data = data.replace(b"\n", b"\r\n")
            with open(os.path.join(d, "%04d.eml" % i), "wb") as f:
                f.write(data)
            total += len(data)
        if counts[cls]:
            print("%-8s %5d messages, %8.1f KB average -> %s"
                  % (cls, counts[cls], total / counts[cls] / 1024, d))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
