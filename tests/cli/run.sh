#!/bin/sh
# tests/cli/run.sh -- the helpdesk verbs of mugaika(1) (list, show, release,
# delete, purge, audit, stats) on real SQLite files and spools.
#
# SYNOPSIS
#	tests/cli/run.sh
#
# DESCRIPTION
#	Builds a quarantine in a private directory with tests/cli/cli_helper
#	(originals kept through mg_store_keep with the verdict the engine
#	gives them, received at chosen ages; audit rows dated 450 days ago),
#	starts cli_helper's fake SMTP relay (replies chosen per test: 4xx/5xx
#	to a recipient, to the end of the data) and its syslog socket, and
#	runs the built src/mugaika against them:
#	  list     every filter, Japanese subjects (NFKC width too), --json
#	  show     text, --json, --raw byte for byte, each read audited
#	  release  per-recipient marking, a recipient refused (5xx), a
#	           temporary failure (4xx) kept held and retried, no relay,
#	           recipients not of the original, the rescan: a signature
#	           database swapped for one that now finds the original
#	           infected (refused, --force audited), a heuristic that does
#	           not refuse
#	  delete   by ID and --matching (a マイナンバー subject), dry run
#	  purge    originals past retention_days removed, index rows and audit
#	           rows past audit_retention_days pruned, the chain still intact
#	  audit    the head in syslog; copies of the index with a row altered,
#	           removed, reordered, truncated, the chain rewritten: verify
#	           finds each; the export recomputed independently (python3)
#	  stats    counts, --json, a threshold crossed exits 1
#	  keys     rotation: new originals under the new key id, old readable
#	and checks the mode of every file created, the refusal to run as
#	another user than the quarantine's owner (as nobody: setpriv), the
#	--config rule under sudo, and contrib/ (sudoers, the purge timer).
#
# ENVIRONMENT
#	MG_SRCDIR, MG_BUILDDIR (make check sets them), MG_WRAPPER.
#
# EXIT STATUS
#	0 all passed, 1 a case failed, 99 the suite could not run.
#	Prints "ok NAME" / "FAIL NAME" / "skip NAME" and "cli: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init cli "$mg_here/../.."

HELPER=$MG_BUILDDIR/tests/cli/cli_helper
TD=$MG_SRCDIR/testdata
[ -x "$MUGAIKA" ] || mg_hard_error "$MUGAIKA not built"
[ -x "$HELPER" ] || mg_hard_error "$HELPER not built (make check builds it)"
command -v python3 >/dev/null 2>&1 && HAVE_PY=yes || HAVE_PY=

mg_tmpdir
bg_pids=
cleanup() {
	for p in $bg_pids; do kill "$p" 2>/dev/null; done
	rm -rf "$MG_TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# $MG_TMP lets others through to pub/ (settings, a copy of the program) but
# not into q/, the quarantine.
chmod 0711 "$MG_TMP"
mkdir -m 0755 "$MG_TMP/pub"
mkdir -m 0700 "$MG_TMP/q" "$MG_TMP/relay" "$MG_TMP/sigs"
Q=$MG_TMP/q
CONF=$MG_TMP/pub/cli.conf
LOGSOCK=$MG_TMP/log.sock
SYSLOG=$MG_TMP/syslog.out
RELAY_PORT=1
SIGDB=
SCANNER=none
EXTRA=

write_conf() {
	cat > "$CONF" <<EOF
quarantine_dir = $Q/spool
quarantine_db = $Q/db/quarantine.db
audit_syslog_socket = $LOGSOCK
release_relay = 127.0.0.1:$RELAY_PORT
release_timeout = 10
spool_free_warning = 0
scanner = $SCANNER
EOF
	[ -n "$SIGDB" ] && printf 'clamav_database = %s\n' "$SIGDB" >> "$CONF"
	[ -n "$EXTRA" ] && printf '%s\n' "$EXTRA" >> "$CONF"
	chmod 0644 "$CONF"
}

# mug VERB ARGS...: the CLI on $CONF; stdout in $OUT, stderr in $ERR, status in $rc.
OUT=$MG_TMP/out
ERR=$MG_TMP/err
mug() {
	verb=$1
	shift
	# shellcheck disable=SC2086 # MG_WRAPPER is a command line
	$MG_WRAPPER "$MUGAIKA" "$verb" --config "$CONF" "$@" > "$OUT" 2> "$ERR"
	rc=$?
}

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

# CONDITION; result NAME: pass when the condition (any list of commands)
# just succeeded.
result() {
	if [ $? -eq 0 ]; then mg_pass "$1"; else mg_fail "$1" "${2:-the condition failed}"; fi
}

lines() { wc -l < "$OUT" | tr -d ' '; }
has_id() { grep -q "^$1" "$OUT"; }
lacks_id() { ! grep -q "^$1" "$OUT"; }
lacks() { ! grep -Eqi -- "$1" "$2"; }

# json_ok: every line of $OUT is a JSON object (needs python3).
json_ok() {
	[ -z "$HAVE_PY" ] && return 0
	python3 -c 'import json,sys
for l in sys.stdin: json.loads(l)' < "$OUT"
}

# pyjson EXPR: evaluates EXPR with j = the JSON object in $OUT; true when truthy.
pyjson() {
	[ -z "$HAVE_PY" ] && return 0
	python3 -c "import json,sys
j = json.load(sys.stdin)
sys.exit(0 if ($1) else 1)" < "$OUT"
}

sql() { "$HELPER" sql "$@"; }

wait_file() {
	for _ in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# start_relay RULE...: a fresh fake relay; release_relay points at it.
relay_pid=
start_relay() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
	rm -rf "$MG_TMP/relay" && mkdir -m 0700 "$MG_TMP/relay"
	"$HELPER" relay "$MG_TMP/relay/port" "$MG_TMP/relay" "$@" &
	relay_pid=$!
	bg_pids="$bg_pids $relay_pid"
	wait_file "$MG_TMP/relay/port" || mg_hard_error "the fake relay did not start"
	RELAY_PORT=$(cat "$MG_TMP/relay/port")
	write_conf
}

relayed() { find "$MG_TMP/relay" -name '*.eml' | wc -l | tr -d ' '; }

# ---- the quarantine ---------------------------------------------------------------
write_conf
"$HELPER" syslog "$LOGSOCK" "$SYSLOG" &
bg_pids="$bg_pids $!"
wait_file "$LOGSOCK" || [ -S "$LOGSOCK" ] || sleep 0.2

# Three audit rows from 450 days ago come first in the chain (for purge).
"$HELPER" audit-old "$CONF" 450 3 || mg_hard_error "cannot make old audit rows"
MYNUM_EML=$MG_TMP/pub/mynumber.eml
printf 'From: =?UTF-8?B?5biC5rCR?= <citizen@example.com>\r\nTo: e@example.lg.jp\r\nSubject: =?UTF-8?B?44Oe44Kk44OK44Oz44OQ44O844Kr44O844OJ44Gu5YaZ44GX?=\r\nMessage-ID: <m1@example.com>\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>123456789012</p>\r\n' > "$MYNUM_EML"
keep() { "$HELPER" keep "$CONF" "$@" || mg_hard_error "cannot keep $1"; }
JA=$(keep "$TD/attachment-rfc2231-ja.eml" 1h sender@example.net a@example.lg.jp,b@example.lg.jp)
KANA=$(keep "$TD/ja/halfwidth-kana.eml" 3d '' c@example.lg.jp)
HTML=$(keep "$TD/html-only.eml" 10d news@example.org d@example.lg.jp,g@example.lg.jp)
MYNUM=$(keep "$MYNUM_EML" 2h citizen@example.com e@example.lg.jp)
OLD=$(keep "$TD/plain-ja.eml" 100d old@example.org f@example.lg.jp)
ANCIENT=$(keep "$TD/plain-ja.eml" 500d ancient@example.org f@example.lg.jp)
JA2=$(keep "$TD/attachment-rfc2231-ja.eml" 30m other@example.net a@example.lg.jp)

# ---- list ---------------------------------------------------------------------------
mug list
[ "$rc" -eq 0 ] && [ "$(lines)" -eq 7 ]; result list-all
grep -q "^$JA	.*	令和7年度 予算要求資料の提出について	attachment\$" "$OUT"; result list-japanese
grep -q "^$KANA	.*	<>	c@example.lg.jp	講習会ｱﾝｹｰﾄ結果	" "$OUT"; result list-halfwidth
grep -Eq "^$JA	[0-9-]{10}T[0-9:]{8}\+09:00	" "$OUT"; result list-local-time
mug list --since 24h
[ "$rc" -eq 0 ] && [ "$(lines)" -eq 3 ] && has_id "$JA" && has_id "$MYNUM"; result list-since-24h
mug list --since 7d
[ "$(lines)" -eq 4 ] && has_id "$KANA"; result list-since-7d
mug list --until 7d
[ "$(lines)" -eq 3 ] && has_id "$HTML" && has_id "$OLD" && has_id "$ANCIENT"; result list-until-7d
mug list --since 2000-01-01 --until 2000-01-02T09:00:00+09:00
[ "$rc" -eq 0 ] && [ "$(lines)" -eq 0 ]; result list-iso-dates
mug list --since 2000-01-01
[ "$(lines)" -eq 7 ]; result list-iso-date
mug list --from news@example.org
[ "$(lines)" -eq 1 ] && has_id "$HTML"; result list-from
mug list --from 伊藤
[ "$(lines)" -eq 2 ] && has_id "$JA" && has_id "$JA2"; result list-from-header
mug list --to C@EXAMPLE.LG.JP
[ "$(lines)" -eq 1 ] && has_id "$KANA"; result list-to
mug list --subject 予算
[ "$(lines)" -eq 2 ] && has_id "$JA"; result list-subject-ja
mug list --subject アンケート
[ "$(lines)" -eq 1 ] && has_id "$KANA"; result list-subject-nfkc
mug list --reason attachment
has_id "$JA" && lacks_id "$HTML"; result list-reason
mug list --reason html_converted --since 7d
[ "$(lines)" -eq 1 ] && has_id "$MYNUM"; result list-reason-and-time
mug list --status deleted
[ "$rc" -eq 0 ] && [ "$(lines)" -eq 0 ]; result list-status-deleted
mug list --limit 2
[ "$(lines)" -eq 2 ]; result list-limit
mug list --json --subject 予算
[ "$rc" -eq 0 ] && [ "$(lines)" -eq 2 ] && json_ok &&
	grep -q '"subject": "令和7年度 予算要求資料の提出について"' "$OUT" &&
	grep -q '"rcpts": \["a@example.lg.jp", "b@example.lg.jp"\]' "$OUT"; result list-json
mug list --since yesterday
expect list-bad-time 64 "neither an ISO 8601"
mug list --status lost
expect list-bad-status 64 "not held, released or deleted"

# ---- show ---------------------------------------------------------------------------
mug show "$JA"
expect show-text 0 "Subject: 令和7年度 予算要求資料の提出について"
grep -q "令和7年度予算要求資料（総務課）.pdf  application/pdf  602 bytes  sha256 54255a50" "$OUT"; result show-removed-parts
grep -q "Sender: *<sender@example.net>" "$OUT"; result show-envelope
mug show --json "$JA"
[ "$rc" -eq 0 ] && json_ok &&
	pyjson 'len(j["verdict"]["removed"]) == 3 and j["subject"].startswith("令和7年度") and any(h["name"] == "Subject" for h in j["headers"])'; result show-json
mug show --raw --reason "利用者の確認" "$JA"
[ "$rc" -eq 0 ] && cmp -s "$OUT" "$TD/attachment-rfc2231-ja.eml"; result show-raw-identical
mug audit list --id "$JA"
grep -q "	show	ok	$JA	" "$OUT" && grep -q "	read	ok	$JA	.*利用者の確認" "$OUT"; result show-audited
SUDO_USER=tanaka
export SUDO_USER
mug show "$JA"
unset SUDO_USER
mug audit list --id "$JA" --limit 1
grep -q "	tanaka via root	show	ok	$JA	" "$OUT"; result audit-operator-sudo-user
mug show 20200101T000000Z-AAAAAAAA
expect show-unknown 66 "no original is kept"
mug show not-an-id
expect show-bad-id 64 "not a quarantine ID"

# ---- release ---------------------------------------------------------------------------
start_relay
mug release --to a@example.lg.jp --reason "利用者の依頼" "$JA"
expect release-one 0 "a@example.lg.jp: released \(250 "
grep -qx "from <sender@example.net>" "$MG_TMP/relay/1.env" &&
	[ "$(grep -c '^to ' "$MG_TMP/relay/1.env")" -eq 1 ] &&
	grep -qx "to a@example.lg.jp" "$MG_TMP/relay/1.env"; result release-envelope
tr -d '\r' < "$MG_TMP/relay/1.eml" > "$MG_TMP/relayed.eml"
cmp -s "$MG_TMP/relayed.eml" "$TD/attachment-rfc2231-ja.eml"; result release-byte-identical
# Leading dots, a bare CR, a last line without its end: carried as they are.
DOTS_EML=$MG_TMP/pub/dots.eml
printf 'From: a@example.net\nSubject: dots\n\n.one dot\n..two dots\n.\nbare\rCR\nno end' > "$DOTS_EML"
DOTS=$(keep "$DOTS_EML" 1m a@example.net z@example.lg.jp)
mug release --all "$DOTS"
n=$(relayed)
{ cat "$DOTS_EML"; echo; } > "$MG_TMP/dots.want"
CR=$(printf '\r')
sed "s/$CR\$//" "$MG_TMP/relay/$n.eml" > "$MG_TMP/dots.got"
[ "$rc" -eq 0 ] && cmp -s "$MG_TMP/dots.want" "$MG_TMP/dots.got"; result release-dot-stuffing
mug show --json "$JA"
pyjson 'j["rcpts"][0]["released_at"] and j["rcpts"][0]["released_by"] == "root" and j["rcpts"][1]["released_at"] is None and j["status"] == "held"'; result release-marked-per-rcpt
sent=$(relayed)
mug release --to x@evil.example "$JA"
expect release-not-a-recipient 64 "not a recipient"
[ "$(relayed)" -eq "$sent" ]; result release-not-sent
mug release --force-recipient --to x@evil.example "$JA"
expect release-force-recipient 0 "x@evil.example: released"
mug audit list --id "$JA" --action release
grep -q "	release	ok	$JA	x@evil.example	recipient:x@evil.example	" "$OUT"; result release-forced-audited
start_relay rcpt:b@example.lg.jp=550
mug release --all "$JA"
expect release-5xx 69 "b@example.lg.jp: NOT released, refused: 550 5.1.1"
start_relay end=451
mug release --to b@example.lg.jp "$JA"
expect release-4xx 75 "NOT released, temporary failure: 451 4.3.0.*retry: mugaika release --to b@example.lg.jp"
mug show --json "$JA"
pyjson 'j["status"] == "held" and j["rcpts"][1]["released_at"] is None'; result release-4xx-still-held
start_relay
mug release --all "$JA"
expect release-retried 0 "^b@example.lg.jp: released"
mug list --status released
[ "$(lines)" -eq 2 ] && has_id "$JA" && has_id "$DOTS"; result release-status-released
mug release --all "$JA"
expect release-nothing-left 0 "released already"
start_relay rcpt:g@example.lg.jp=550
mug release --all "$HTML"
expect release-partial 1 "d@example.lg.jp: released.*"
grep -q "g@example.lg.jp: NOT released, refused" "$OUT"; result release-partial-marked
RELAY_PORT=1 write_conf
mug release --all "$KANA"
expect release-no-relay 75 "cannot connect"
mug audit list --action release --id "$KANA"
grep -q "	release	failed	$KANA	" "$OUT"; result release-failure-audited

# ---- the rescan ---------------------------------------------------------------------------
# md5:size of the PDF part of attachment-rfc2231-ja.eml, decoded.
PDF_SIG=a69af6ca50243f4a330f38895d778779:602
mkdir -m 0700 "$MG_TMP/sigs/clean" "$MG_TMP/sigs/infected" "$MG_TMP/sigs/heuristic"
cp "$TD"/clamav/mugaika-test.* "$MG_TMP/sigs/clean/"
cp "$TD"/clamav/mugaika-test.* "$MG_TMP/sigs/infected/"
echo "$PDF_SIG:Mugaika.Test.Released.PDF" > "$MG_TMP/sigs/infected/released.hdb"
cp "$TD"/clamav/mugaika-test.hdb "$MG_TMP/sigs/heuristic/"
echo "$PDF_SIG:Heuristics.Mugaika.Test.PDF" > "$MG_TMP/sigs/heuristic/heuristic.hdb"
SCANNER=clamav SIGDB=$MG_TMP/sigs/clean
start_relay
mug release --to a@example.lg.jp "$JA2"
expect rescan-clean 0 "released"
SIGDB=$MG_TMP/sigs/infected write_conf
mug release --to a@example.lg.jp "$JA2"
expect rescan-now-infected 65 "now found infected: Mugaika.Test.Released.PDF"
[ "$(relayed)" -eq 1 ]; result rescan-not-sent
mug audit list --id "$JA2"
grep -q "	release	refused	$JA2	.*scan=virus:Mugaika.Test.Released.PDF" "$OUT"; result rescan-refusal-audited
mug release --force --reason "誤検知の確認済み" --to a@example.lg.jp "$JA2"
expect rescan-forced 0 "released anyway \(--force, audited\)"
mug audit list --id "$JA2" --action release
grep -q "	release	ok	$JA2	a@example.lg.jp	virus:Mugaika.Test.Released.PDF" "$OUT"; result rescan-force-audited
SIGDB=$MG_TMP/sigs/heuristic write_conf
mug release --to b@example.lg.jp --force-recipient "$JA2"
expect rescan-heuristic-passes 0 "b@example.lg.jp: released"
mug audit list --id "$JA2"
grep -q "scan=suspicious:Heuristics.Mugaika.Test.PDF" "$OUT"; result rescan-heuristic-audited
SCANNER=none SIGDB=
start_relay

# ---- delete ------------------------------------------------------------------------------
kana_file=$(find "$Q/spool" -name "$KANA")
mug delete --reason "誤送信" "$KANA"
expect delete-one 0 "^$KANA	deleted\$"
[ -n "$kana_file" ] && [ ! -e "$kana_file" ]; result delete-file-gone
mug list
lacks_id "$KANA"; result delete-not-listed
mug list --status deleted
has_id "$KANA"; result delete-listed-as-deleted
mug show "$KANA"
expect delete-show-from-index 0 "the original is deleted"
mug show --raw "$KANA"
expect delete-no-raw 66 "deleted"
mug release --all "$KANA"
expect delete-no-release 66 "deleted"
mug delete "$KANA"
expect delete-again 66 "already deleted"
mug delete --matching --subject マイナンバー --dry-run
expect delete-matching-dry-run 0 "^$MYNUM	.*would be deleted"
mug list --subject マイナンバー
[ "$(lines)" -eq 1 ]; result delete-dry-run-kept
mug delete --matching --subject マイナンバー --reason "マイナンバー記載のため削除"
expect delete-matching 0 "^$MYNUM	deleted\$"
mug audit list --action delete
grep -q "	delete	ok	$MYNUM	.*マイナンバー記載のため削除	matching subject=マイナンバー" "$OUT" &&
	grep -q "	delete	ok	$KANA	.*誤送信" "$OUT"; result delete-audited
mug delete --matching
expect delete-matching-needs-filter 64 "needs at least one filter"
mug show "$MYNUM"
grep -q "^Subject:.*マイナンバー" "$OUT"; result scrub-subject-there-before
mug delete --scrub --reason "件名に個人番号" "$MYNUM"
expect scrub-after-delete 0 "^$MYNUM	deleted, scrubbed\$"
mug show "$MYNUM"
grep -q "^Subject: *-$" "$OUT" && grep -q "^From: *-$" "$OUT" &&
	grep -q "^Sender: *<citizen@example.com>" "$OUT"; result scrub-subject-and-from-gone-envelope-kept
mug show --json "$MYNUM"
json_ok && pyjson '"subject" not in j["verdict"] and "from" not in j["verdict"]' &&
	! grep -q "マイナンバー" "$OUT"; result scrub-verdict-too
mug audit list --id "$MYNUM" --action delete
grep -q "	delete	ok	$MYNUM	.*件名に個人番号	scrubbed" "$OUT"; result scrub-audited
mug audit verify
expect scrub-chain-intact 0 "rows intact"

# ---- purge --------------------------------------------------------------------------------
mug audit export
rows_before=$(lines)
# what a crash leaves: a temporary file of two days ago, and one being written now
day=$(dirname "$(find "$Q/spool" -name "$JA")")
printf 'half an original' > "$day/.tmp-20200101T000000Z-CRASHED1-abcdef"
touch -d '2 days ago' "$day/.tmp-20200101T000000Z-CRASHED1-abcdef"
printf 'being written' > "$day/.tmp-$JA-inflight"
mug purge --dry-run
expect purge-dry-run 0 "2 originals older than 90 days would be removed; 1 index rows and 3 audit rows"
grep -q "1 temporary file left by a crash would be removed" "$OUT" &&
	[ -e "$day/.tmp-20200101T000000Z-CRASHED1-abcdef" ]; result purge-dry-run-temp-counted
mug list
has_id "$OLD" && has_id "$ANCIENT"; result purge-dry-run-kept
old_file=$(find "$Q/spool" -name "$OLD")
mug purge
expect purge 0 "2 originals older than 90 days removed; 1 index rows and 3 audit rows"
[ -n "$old_file" ] && [ ! -e "$old_file" ]; result purge-file-gone
grep -q "1 temporary file left by a crash removed" "$OUT" &&
	[ ! -e "$day/.tmp-20200101T000000Z-CRASHED1-abcdef" ] &&
	[ -e "$day/.tmp-$JA-inflight" ]; result purge-stale-temp-gone-fresh-kept
rm -f "$day/.tmp-$JA-inflight"
mug list --status deleted
has_id "$OLD"; result purge-row-kept
mug show "$ANCIENT"
expect purge-old-row-gone 66 "no original is kept"
mug audit export
[ "$(lines)" -eq $((rows_before - 3 + 1)) ]; result purge-audit-kept
mug audit list --action purge
grep -q "audit_base=3:" "$OUT"; result purge-base-recorded
grep -q "stale_temp_files=1" "$OUT"; result purge-temp-count-audited
mug audit verify
expect purge-chain-intact 0 "rows intact"
mug show "$JA"
mug show "$HTML"
DB=$Q/db/quarantine.db
sql "$DB" "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)" > "$OUT" 2> "$ERR"
rc=$?
expect purge-young-rows-refused 1 "kept for 365 days"

# ---- the audit chain ------------------------------------------------------------------------
mug audit head
HEAD=$(sed -n 's/.*hash=\([0-9a-f]*\).*/\1/p' "$OUT")
[ -n "$HEAD" ] && tail -n 1 "$SYSLOG" | grep -q "^<85>.* mugaika\[[0-9]*\]: audit: seq=[0-9]* hash=$HEAD action=show id=$HTML "; result audit-head-in-syslog
mug audit verify --head "$(tail -n 1 "$SYSLOG")"
expect audit-verify-head 0 "the head given is the current head"
mug audit export
[ "$rc" -eq 0 ] && json_ok; result audit-export-json
if [ -n "$HAVE_PY" ]; then
	# The chain recomputed from the export alone, by the format in mugaika(1).
	python3 -c 'import hashlib, json, sys
rows = [json.loads(l) for l in sys.stdin]
prev = rows[0]["prev"]
for r in rows:
    c = b"mugaika-audit 1\n"
    for k in ("at", "uid", "user", "sudo_user", "action", "id", "rcpts", "reason",
              "forced", "outcome", "detail"):
        v = r[k]
        if k == "uid": v = str(v)
        if k == "rcpts": v = "\n".join(v) if v else None
        if v is None: c += ("%s -\n" % k).encode()
        else: c += ("%s %d\n" % (k, len(v.encode()))).encode() + v.encode() + b"\n"
    h = hashlib.sha256(prev.encode() + c).hexdigest()
    assert r["prev"] == prev and r["hash"] == h, r["seq"]
    prev = h' < "$OUT"; result audit-export-recomputed
else
	mg_skip audit-export-recomputed "python3 is not installed"
fi
sql "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null

# tamper NAME SQL: a copy of the quarantine changed by SQL; CONF points at it.
tamper() {
	rm -rf "$MG_TMP/t" && cp -a "$Q" "$MG_TMP/t"
	sql "$MG_TMP/t/db/quarantine.db" "$2" > /dev/null || mg_fail "$1" "SQL failed: $2"
	sed "s|$Q/|$MG_TMP/t/|" "$CONF" > "$MG_TMP/pub/t.conf"
}
vt() {
	$MG_WRAPPER "$MUGAIKA" audit verify --config "$MG_TMP/pub/t.conf" "$@" > "$OUT" 2> "$ERR"
	rc=$?
}
tamper audit-altered "DROP TRIGGER audit_rows_never_change;
	UPDATE audit SET reason = 'nothing to see' WHERE seq = 6"
vt
expect audit-altered 1 "BROKEN \(changed\): row 6 "
tamper audit-removed "DROP TRIGGER audit_rows_kept; DELETE FROM audit WHERE seq = 6"
vt
expect audit-removed 1 "BROKEN \(removed\): row 6 was removed"
tamper audit-reordered "DROP TRIGGER audit_rows_never_change;
	UPDATE audit SET seq = -1 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = 7;
	UPDATE audit SET seq = 7 WHERE seq = -1"
vt
expect audit-reordered 1 "BROKEN \(reordered\): row 6 is out of order"
tamper audit-truncated "DROP TRIGGER audit_rows_kept;
	DELETE FROM audit WHERE seq > (SELECT max(seq) - 2 FROM audit)"
vt
expect audit-truncated-alone 0 "rows intact"
vt --head "$HEAD"
expect audit-truncated-head 1 "BROKEN \(missing\)"
tamper audit-rewritten "DROP TRIGGER audit_rows_kept; DELETE FROM audit;
	UPDATE audit_base SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000'"
vt --head "$HEAD" --json
[ "$rc" -eq 1 ] && json_ok && pyjson 'j["intact"] is False and j["problem"] == "missing"'; result audit-rewritten
tamper audit-base "UPDATE audit_base SET seq = 99"
vt
expect audit-base-changed 1 "BROKEN \(base\)"
mug audit verify --head 1234
expect audit-bad-head 64 "64 hex digits"

# ---- stats --------------------------------------------------------------------------------
mug stats
expect stats-text 0 "schema version +3"
grep -Eq "^held +1 " "$OUT" && grep -Eq "^released +3 " "$OUT" &&
	grep -Eq "^deleted +3 " "$OUT"; result stats-counts
mug stats --json
[ "$rc" -eq 0 ] && json_ok && pyjson 'j["held"] == 1 and j["schema_version"] == 3 and j["audit_rows"] > 0 and j["warnings"] == []'; result stats-json
EXTRA="spool_free_warning = 99" write_conf
mug stats
expect stats-threshold 1 "warning: quarantine_dir .* free, below spool_free_warning"
EXTRA="scanner = clamav
clamav_database = $MG_TMP/sigs/clean" write_conf
mug stats
expect stats-signatures-unknown 0 "no .cvd or .cld: age unknown"
# a daily.cvd built 2024-12-07 (its 512-byte header only: stats and list
# read the header, they do not load the signatures)
mkdir -p "$MG_TMP/sigs/old"
python3 -c 'import sys; h = b"ClamAV-VDB:07 Dec 2024 09-00 +0000:27500:2000000:90:0:x:mugaika-test:1733562000"; open(sys.argv[1], "wb").write(h.ljust(512, b" "))' "$MG_TMP/sigs/old/daily.cvd"
EXTRA="scanner = clamav
clamav_database = $MG_TMP/sigs/old" write_conf
mug stats
expect stats-signatures-old 1 "version 27500, built 2024-12-07"
grep -Eq "warning: the ClamAV signatures are [0-9]+ days old, older than clamav_max_age" "$OUT" "$ERR"
result stats-signatures-old-warned
mug list
expect list-warns-old-signatures 0 "mugaika list: warning: the ClamAV signatures are [0-9]+ days old"
grep -q . "$OUT"; result list-still-lists
EXTRA='' write_conf

# ---- key rotation ---------------------------------------------------------------------------
Q2=$MG_TMP/q2
mkdir -m 0700 "$Q2"
KEYS=$Q2/keys
printf 'k1 %s\n' 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff > "$KEYS"
chmod 0600 "$KEYS"
CONF_MAIN=$CONF
CONF=$MG_TMP/pub/keys.conf
sed "s|$Q/|$Q2/|" "$CONF_MAIN" > "$CONF"
echo "quarantine_key_file = $KEYS" >> "$CONF"
E1=$(keep "$TD/plain-ja.eml" 1h a@example.org u@example.lg.jp)
printf 'k2 %s\n' ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100 >> "$KEYS"
E2=$(keep "$TD/plain-ja.eml" 30m b@example.org u@example.lg.jp)
mug list --json
grep -q "\"id\": \"$E1\".*\"key_id\": \"k1\"" "$OUT" &&
	grep -q "\"id\": \"$E2\".*\"key_id\": \"k2\"" "$OUT"; result keys-new-id
mug show --raw "$E1"
[ "$rc" -eq 0 ] && cmp -s "$OUT" "$TD/plain-ja.eml"; result keys-old-readable
mug stats
expect keys-stats 0 "current k2; k1 1 k2 1"
sed -i '/^k1 /d' "$KEYS"
mug stats
expect keys-missing-warned 1 "encrypted with key k1, which quarantine_key_file lacks"
CONF=$CONF_MAIN

# ---- files, users, contrib ---------------------------------------------------------------------
bad=$(find "$Q" "$Q2" \( -type d ! -perm 0700 \) -o \( -type f ! -name keys ! -perm 0600 \))
[ -z "$bad" ]; result modes-0700-0600 "wrong modes: $bad"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	mg_skip wrong-user "needs root and setpriv"
else
	cp "$MUGAIKA" "$MG_TMP/pub/mugaika" && chmod 0755 "$MG_TMP/pub/mugaika"
	as_nobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$MG_TMP/pub/mugaika" "$@" --config "$CONF" > "$OUT" 2> "$ERR"
		rc=$?
	}
	as_nobody list
	expect wrong-user-list 77 "run mugaika as the service user, e.g. sudo -u mugaika mugaika list"
	lacks "sqlite|database file" "$ERR"; result wrong-user-no-sqlite
	as_nobody release --all "$HTML"
	expect wrong-user-release 77 "sudo -u"
	rm -rf "$MG_TMP/t" && cp -a "$Q" "$MG_TMP/t" && chown -R nobody "$MG_TMP/t"
	sed "s|$Q/|$MG_TMP/t/|" "$CONF" > "$MG_TMP/pub/t.conf"
	"$MUGAIKA" show "$JA" --config "$MG_TMP/pub/t.conf" > "$OUT" 2> "$ERR"
	rc=$?
	expect wrong-user-root 77 "belongs to nobody, and this runs as root: run it as that user, e.g. sudo -u nobody"
fi
chmod 0666 "$CONF"
SUDO_USER=tanaka "$MUGAIKA" list --config "$CONF" > "$OUT" 2> "$ERR"
rc=$?
expect sudo-config-refused 78 "run through sudo, the settings file must belong to root"
chmod 0644 "$CONF"

SUDOERS=$MG_SRCDIR/contrib/sudoers.d/mugaika
grep -Eq '^%mugaika-helpdesk +ALL *= *\(mugaika\) +MUGAIKA_HELPDESK' "$SUDOERS" &&
	grep -Eq '^%mugaika-admin +ALL *= *\(mugaika\) +MUGAIKA_HELPDESK, *MUGAIKA_ADMIN' "$SUDOERS" &&
	! sed -n '/^Cmnd_Alias MUGAIKA_HELPDESK/,/^$/p' "$SUDOERS" | grep -q 'delete\|purge'; result sudoers-groups
if command -v visudo >/dev/null 2>&1; then
	visudo -c -q -f "$SUDOERS"; result sudoers-syntax
else
	mg_skip sudoers-syntax "visudo is not installed"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -m 0700 "$MG_TMP/units"
	for u in mugaika-purge.service mugaika-purge.timer; do
		sed "s|/usr/bin/mugaika|$MUGAIKA|g" "$MG_SRCDIR/contrib/$u" > "$MG_TMP/units/$u"
	done
	systemd-analyze verify --man=no \
		"$MG_TMP/units/mugaika-purge.service" "$MG_TMP/units/mugaika-purge.timer"; result purge-timer-verify
else
	mg_skip purge-timer-verify "systemd-analyze is not installed"
fi
grep -Eq '^OnCalendar=daily' "$MG_SRCDIR/contrib/mugaika-purge.timer" &&
	grep -Eq '^ExecStart=/usr/bin/mugaika purge ' "$MG_SRCDIR/contrib/mugaika-purge.service" &&
	grep -Eq '^User=mugaika$' "$MG_SRCDIR/contrib/mugaika-purge.service"; result purge-timer-daily

kill "$relay_pid" 2>/dev/null
mg_summary
