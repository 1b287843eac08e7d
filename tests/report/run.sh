#!/bin/sh
# tests/report/run.sh -- mugaika report and its incident look-ups through
# the real CLI, on a quarantine of known messages.
#
# SYNOPSIS
#	tests/report/run.sh
#
# DESCRIPTION
#	tests/report/fill_db fills a private quarantine with the messages,
#	releases and traffic records of tests/report/fixture.c (the numbers
#	the report must give are listed there), and a second one without
#	traffic records (schema version 2).  Then the built src/mugaika runs
#	`report` against them, in Asia/Tokyo (JST-9 without tzdata):
#	  json     every section's numbers (python3 json), the day boundary
#	           (14:59:59Z and 15:00:00Z on two JST days, one UTC day)
#	  csv      BOM, CRLF, one table per section with its name, Japanese
#	           intact, formula cells escaped (python3 csv)
#	  text     Japanese labels and names, --lang en, report_language
#	  look-up  --sha256 and --virus with recipients and releases, no hit
#	  output   --output FILE: mode 0640, replaced whole, no temporary left
#	  misc     the default period, --top, html, an index without traffic
#	           records, and every exit code (64, 66, 74, 78, 1).
#
# ENVIRONMENT
#	MG_SRCDIR, MG_BUILDDIR (make check sets them), MG_WRAPPER.
#
# EXIT STATUS
#	0 all passed, 1 a case failed, 99 the suite could not run.
#	Prints "ok NAME" / "FAIL NAME" / "skip NAME" and "report: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init report "$mg_here/../.."
if [ -f /usr/share/zoneinfo/Asia/Tokyo ]; then
	TZ=Asia/Tokyo
	export TZ
fi

FILL=$MG_BUILDDIR/tests/report/fill_db
[ -x "$MUGAIKA" ] || mg_hard_error "$MUGAIKA not built"
[ -x "$FILL" ] || mg_hard_error "$FILL not built (make check builds it)"
command -v python3 >/dev/null 2>&1 && HAVE_PY=yes || HAVE_PY=

mg_tmpdir
chmod 0700 "$MG_TMP"
CONF=$MG_TMP/report.conf
OLDCONF=$MG_TMP/old.conf
OUT=$MG_TMP/out
ERR=$MG_TMP/err
SHA_EXE=abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789

write_conf() {	# FILE DIR [EXTRA]
	printf 'quarantine_dir = %s/spool\nquarantine_db = %s/db/quarantine.db\naudit_syslog_socket = %s/log.sock\n%s\n' \
		"$2" "$2" "$MG_TMP" "${3:-}" > "$1"
}
write_conf "$CONF" "$MG_TMP/q"
write_conf "$OLDCONF" "$MG_TMP/old"
"$FILL" "$CONF" || mg_hard_error "cannot fill the quarantine"
"$FILL" "$OLDCONF" --no-traffic || mg_hard_error "cannot fill the old quarantine"

# mug ARGS...: mugaika report on $CONF; stdout in $OUT, stderr in $ERR, status in $rc.
mug() {
	# shellcheck disable=SC2086 # MG_WRAPPER is a command line
	$MG_WRAPPER "$MUGAIKA" report --config "$CONF" "$@" > "$OUT" 2> "$ERR"
	rc=$?
}

# mugp ARGS...: mug for 2026-03-01 .. 2026-03-07, the fixture's period.
mugp() { mug --since 2026-03-01 --until 2026-03-08 "$@"; }

# expect NAME RC [PATTERN]: the last mug exited RC and its output (stdout
# and stderr) matches the extended regex PATTERN.
expect() {
	if [ "$rc" -ne "$2" ]; then
		mg_fail "$1" "exit $rc, expected $2" "$(cat "$OUT" "$ERR" | head -20)"
	elif [ -n "${3:-}" ] && ! cat "$OUT" "$ERR" | grep -Eq -- "$3"; then
		mg_fail "$1" "output lacks /$3/:" "$(cat "$OUT" "$ERR" | head -20)"
	else
		mg_pass "$1"
	fi
}

result() {
	if [ $? -eq 0 ]; then mg_pass "$1"; else mg_fail "$1" "${2:-the condition failed}"; fi
}

# py NAME SCRIPT: runs python3 SCRIPT on $OUT (path in sys.argv[1]); the
# case passes when it exits 0 (an assertion names what failed).
py() {
	if [ -z "$HAVE_PY" ]; then
		mg_skip "$1" "python3 not found"
		return
	fi
	if why=$(python3 -c "$2" "$OUT" 2>&1); then
		mg_pass "$1"
	else
		mg_fail "$1" "$why"
	fi
}

PYJSON='import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
def eq(path, got, want):
    assert got == want, "%s: %r, want %r" % (path, got, want)
'

# ---- JSON: every section ------------------------------------------------------------
mugp --format json
expect json-exit 0
py json-totals "$PYJSON"'
t = j["totals"]
for k, v in dict(passed=2, sanitized=2, kept=1, suspicious=1, cannot_inspect=1, virus=1,
                 tempfail=1, inbound=8, outbound=1, total=9, bytes_in=45000).items():
    eq("totals." + k, t[k], v)
eq("report", j["report"], "period")
eq("since", j["period"]["since"], "2026-03-01T00:00:00+09:00")
eq("until", j["period"]["until"], "2026-03-08T00:00:00+09:00")
eq("traffic_records", j["traffic_records"], True)'
py json-days "$PYJSON"'
d = {x["day"]: x for x in j["days"]}
eq("days", sorted(d), ["2026-03-0%d" % i for i in range(1, 8)])
want = {"01": (1, 1, 0, 0, 0, 0, 0, 1, 2), "02": (0, 0, 1, 0, 0, 1, 0, 0, 1),
        "03": (0, 0, 0, 1, 0, 0, 0, 2, 2), "04": (0, 0, 0, 0, 1, 0, 0, None, None),
        "05": (0, 1, 0, 0, 0, 0, 1, 4, 4), "06": (0, 0, 0, 0, 0, 0, 0, None, None),
        "07": (1, 0, 0, 0, 0, 0, 0, 6, 6)}
keys = ("passed", "sanitized", "kept", "suspicious", "cannot_inspect", "virus", "tempfail",
        "sig_age_min", "sig_age_max")
for day, w in want.items():
    eq(day, tuple(d["2026-03-" + day][k] for k in keys), w)
eq("05 in/out", (d["2026-03-05"]["inbound"], d["2026-03-05"]["outbound"]), (1, 1))
eq("versions", [d["2026-03-0%d" % i]["sig_version_max"] for i in range(1, 8)],
   [27000, 27001, 27001, None, 27001, None, 27001])'
py json-detections "$PYJSON"'
eq("viruses", [(v["name"], v["messages"], v["rcpts"], v["first"]) for v in j["viruses"]],
   [("Eicar-Signature", 1, ["u1@example.lg.jp", "u3@example.lg.jp"], "2026-03-02T10:00:00+09:00")])
eq("suspicious", [(v["name"], v["messages"], v["rcpts"]) for v in j["suspicious"]],
   [("Heuristics.Encrypted.Zip", 1, ["u3@example.lg.jp"])])'
py json-removed "$PYJSON"'
eq("parts", j["removed"]["parts"], 9)
eq("by type", [(x["type"], x["count"]) for x in j["removed_by_type"]],
   [("application/zip", 3), ("application/x-dosexec", 2), ("application/gzip", 1),
    ("application/octet-stream", 1), ("image/jpeg", 1), ("image/png", 1)])
eq("by ext", [(x["extension"], x["count"]) for x in j["removed_by_extension"]],
   [("zip", 3), ("pdf", 2), ("", 1), ("gz", 1), ("jpg", 1), ("p7m", 1)])
eq("mismatch count", j["removed"]["mismatch_count"], 2)
eq("mismatches", [(m["time"], m["filename"], m["declared"], m["true_type"]) for m in j["mismatches"]],
   [("2026-03-04T09:00:00+09:00", "=1+2.pdf", "application/pdf", "application/x-dosexec"),
    ("2026-03-02T00:00:00+09:00", "議事録.pdf", "application/pdf", "application/x-dosexec")])'
py json-cannot-inspect "$PYJSON"'
eq("messages", j["cannot_inspect"]["messages"], 5)
eq("kinds", [(x["kind"], x["count"]) for x in j["cannot_inspect_by_kind"]],
   [("password_zip", 2), ("archive_depth", 1), ("limit", 1), ("other", 1), ("smime_encrypted", 1)])'
py json-top "$PYJSON"'
eq("domains", [(x["domain"], x["count"]) for x in j["top_sender_domains"]],
   [("example.com", 4), ("bad.example", 2), ("<>", 1), ("example.lg.jp", 1), ("example.net", 1)])
eq("rcpts", [(x["rcpt"], x["count"]) for x in j["top_recipients"]],
   [("u1@example.lg.jp", 5), ("u2@example.lg.jp", 3), ("u3@example.lg.jp", 2),
    ("partner@example.org", 1)])'
py json-releases "$PYJSON"'
r = j["releases"]
eq("releases", (r["rcpts"], r["messages"], r["median_seconds"], r["p90_seconds"], r["max_seconds"]),
   (4, 3, 32401, 172800, 172800))
eq("operators", [(x["operator"], x["count"]) for x in j["releases_by_operator"]],
   [("tanaka via root", 2), ("sato via root", 1), ("suzuki via root", 1)])
eq("signatures", j["signatures"], {"age_days_min": 0, "age_days_max": 6, "version_min": 27000,
                                   "version_max": 27001})'

# One UTC day holds both 14:59:59Z and 15:00:00Z.
TZ=UTC mug --since 2026-03-01 --until 2026-03-02 --format json
py json-utc-day "$PYJSON"'
eq("days", [(d["day"], d["sanitized"], d["kept"], d["passed"]) for d in j["days"]],
   [("2026-03-01", 1, 1, 0)])'

# ---- CSV ------------------------------------------------------------------------------
mugp --format csv
expect csv-exit 0
py csv-tables '
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
assert raw.count(b"\n") == raw.count(b"\r\n"), "a line end is not CRLF"
text = raw[3:].decode("utf-8")
blocks = [b for b in text.split("\r\n\r\n") if b]
tables = {}
for b in blocks:
    rows = list(csv.reader(io.StringIO(b + "\r\n")))
    assert len(rows[0]) == 1, "a section starts with its name: %r" % rows[0]
    tables[rows[0][0]] = rows[1:]
names = ["概要", "日別の処理結果", "ウイルス", "不審な検知", "削除した添付ファイル (実際の形式別)",
         "削除した添付ファイル (拡張子別)", "形式の不一致", "検査できなかったもの", "送信元ドメイン上位",
         "宛先上位", "原本の解放", "解放した担当者", "ウイルス定義"]
assert list(tables) == names, list(tables)
days = tables["日別の処理結果"]
assert days[0][:3] == ["日付", "配送（そのまま）", "無害化"], days[0]
assert days[5] == ["2026-03-05", "0", "1", "0", "0", "0", "0", "1", "1", "1", "2", "4", "4", "27001"], days[5]
assert days[6][1:] == ["0"] * 10 + ["", "", ""], days[6]
assert days[8] == ["合計", "2", "2", "1", "1", "1", "1", "1", "8", "1", "9", "0", "6", "27001"], days[8]
mm = tables["形式の不一致"]
assert mm[1][2] == "\x27=1+2.pdf", mm[1]
assert mm[2][2] == "議事録.pdf", mm[2]
assert tables["ウイルス"][1] == ["Eicar-Signature", "1", "2026-03-02T10:00:00+09:00",
                                  "2026-03-02T10:00:00+09:00", "u1@example.lg.jp u3@example.lg.jp"]
assert ["パスワード付き ZIP", "2"] in tables["検査できなかったもの"]
assert ["解放した宛先数", "4"] in tables["原本の解放"]
for name, rows in tables.items():
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@", "formula cell %r in %s" % (cell, name)'
mug --virus Heuristics.Encrypted.Zip --format csv --lang en
py csv-lookup-formula '
import csv, io, sys
text = open(sys.argv[1], "rb").read()[3:].decode("utf-8")
rows = list(csv.reader(io.StringIO(text.split("\r\n\r\n")[1] + "\r\n")))
assert rows[0] == ["Messages found"], rows[0]
assert rows[1][4] == "subject", rows[1]
hit = rows[2]
assert hit[0] == "20260303T030000Z-SUSPAAAA", hit
assert hit[3] == "営業部 <eigyo@bad.example>", hit
assert hit[4] == "\x27=cmd|\x27 /C calc\x27!A0", hit
assert hit[9:] == ["u3@example.lg.jp", "2026-03-03T13:00:00+09:00", "tanaka via root"], hit'

# ---- text -------------------------------------------------------------------------------
mugp
expect text-ja 0 "^mugaika レポート  期間 2026-03-01T00:00:00\+09:00 〜 2026-03-08T00:00:00\+09:00"
grep -q "^== 日別の処理結果 ==" "$OUT" && grep -q "議事録.pdf  application/pdf" "$OUT" &&
	grep -Eq "^パスワード付き ZIP +2$" "$OUT" &&
	grep -Eq "^2026-03-06( +0){10}( +-){3}$" "$OUT"; result text-ja-sections
mugp --lang en
expect text-en 0 "^== Outcomes by day =="
grep -Eq "^password ZIP +2$" "$OUT" && ! grep -q "日別" "$OUT"; result text-en-labels
write_conf "$CONF" "$MG_TMP/q" "report_language = en"
mugp
expect text-report-language 0 "^== Removed attachments by true type =="
mugp --lang ja
expect text-lang-overrides 0 "^== 削除した添付ファイル \(実際の形式別\) =="
write_conf "$CONF" "$MG_TMP/q"

# ---- incident look-ups ---------------------------------------------------------------------
mug --sha256 "$(echo "$SHA_EXE" | tr a-f A-F)"
expect lookup-sha256 0 "^該当するメール数: 2$"
grep -q "^\[1\] 20260301T150000Z-KEPTAAAA  2026-03-02T00:00:00+09:00" "$OUT" &&
	grep -q "件名 *会議資料（第2回）" "$OUT" &&
	grep -q "u2@example.lg.jp  解放日時 2026-03-02T12:00:00+09:00 (tanaka via root)" "$OUT" &&
	grep -q "^\[2\] 20260304T000000Z-LIMITAAA" "$OUT" &&
	grep -q "送信者 *<>" "$OUT" && grep -q "u2@example.lg.jp  未解放" "$OUT"; result lookup-sha256-text
mug --virus eicar-signature --format json
expect lookup-virus 0
py lookup-virus-json "$PYJSON"'
eq("report", j["report"], "incident")
eq("ids", [h["id"] for h in j["hits"]], ["20260228T145959Z-EARLYAAA", "20260302T010000Z-VIRUSAAA"])
h = j["hits"][1]
eq("subject", h["subject"], "【至急】請求書の送付について")
eq("from", h["from"], "経理部 <keiri@bad.example>")
eq("action/status", (h["action"], h["status"], h["matched"]), ("reject", "held", "Eicar-Signature"))
eq("rcpts", h["rcpts"], [{"rcpt": "u1@example.lg.jp", "released_at": "2026-03-08T09:00:00+09:00",
                          "released_by": "yamada via root"},
                         {"rcpt": "u3@example.lg.jp", "released_at": None, "released_by": None}])'
mugp --virus Eicar-Signature --format json
py lookup-virus-period "$PYJSON"'
eq("hits", [h["id"] for h in j["hits"]], ["20260302T010000Z-VIRUSAAA"])'
mug --sha256 0000000000000000000000000000000000000000000000000000000000000000
expect lookup-none 1 "該当するメールはありません"
mug --virus Nothing.Like.This --lang en --format json
expect lookup-none-json 1 '"hits": \[\]'

# ---- --output ------------------------------------------------------------------------------
mugp --format csv
cp "$OUT" "$MG_TMP/stdout.csv"
printf 'old\n' > "$MG_TMP/out.csv"
chmod 0600 "$MG_TMP/out.csv"
mugp --format csv --output "$MG_TMP/out.csv"
expect output-exit 0
# the same CSV, but for the time it was made (two runs may straddle a second)
[ ! -s "$OUT" ] && ! diff "$MG_TMP/out.csv" "$MG_TMP/stdout.csv" | grep '^[<>]' |
	grep -Ev '^[<>] (作成|made),' | grep -q .; result output-content
[ "$(stat -c %a "$MG_TMP/out.csv")" = 640 ]; result output-mode
[ "$(find "$MG_TMP" -maxdepth 1 -name 'out.csv.*' | wc -l)" -eq 0 ]; result output-no-temp
mug --output "$MG_TMP/missing/dir/r.txt"
expect output-unwritable 74 "cannot write"

# ---- the rest --------------------------------------------------------------------------------
mug --format json
py default-period "$PYJSON"'
import datetime
eq("days", len(j["days"]), 30)
eq("last day", j["days"][-1]["day"], datetime.date.today().isoformat())'
mugp --top 2 --format json
py top-2 "$PYJSON"'
eq("domains", [x["domain"] for x in j["top_sender_domains"]], ["example.com", "bad.example"])
eq("rcpts", len(j["top_recipients"]), 2)'
mugp --top 0 --format json
py top-0-all "$PYJSON"'
eq("domains", len(j["top_sender_domains"]), 5)'
mugp --format html
expect html 0
head -c 14 "$OUT" | grep -iq '<!DOCTYPE html'; result html-page

# an index without traffic records (schema version 2)
$MG_WRAPPER "$MUGAIKA" report --config "$OLDCONF" --since 2026-03-01 \
	--until 2026-03-08 --format json > "$OUT" 2> "$ERR"
rc=$?
expect old-index 0 "warning: the index has no traffic records"
py old-index-json "$PYJSON"'
eq("traffic_records", j["traffic_records"], False)
eq("total", j["totals"]["total"], 0)
eq("days", len(j["days"]), 7)
eq("viruses", j["viruses"][0]["name"], "Eicar-Signature")'

# exit codes
mug --format pdf
expect usage-format 64 "not text, csv, json or html"
mug --lang fr
expect usage-lang 64 "not ja or en"
mug --top many
expect usage-top 64 "--top"
mug --sha256 abc
expect usage-sha256 64 "64 hexadecimal digits"
mug --sha256 "$SHA_EXE" --virus X
expect usage-both 64 "not both"
mug --since 2026-03-08 --until 2026-03-01
expect usage-empty-period 64 "period is empty"
mug --since yesterday
expect usage-bad-time 64 "neither an ISO 8601"
mug --since 1990-01-01
expect usage-long-period 64 "longer than 3660 days"
mug extra
expect usage-argument 64 "usage: mugaika report"
mug --help
expect help 0 "usage: mugaika report"
write_conf "$MG_TMP/none.conf" "$MG_TMP/none"
$MG_WRAPPER "$MUGAIKA" report --config "$MG_TMP/none.conf" > "$OUT" 2> "$ERR"
rc=$?
expect no-index 66 "nothing kept yet"
printf 'no_such_setting = 1\n' > "$MG_TMP/bad.conf"
$MG_WRAPPER "$MUGAIKA" report --config "$MG_TMP/bad.conf" > "$OUT" 2> "$ERR"
rc=$?
expect bad-config 78
$MG_WRAPPER "$MUGAIKA" --help > "$OUT" 2> "$ERR"
rc=$?
expect usage-lists-report 0 "mugaika report \[--config FILE\]"

mg_summary
