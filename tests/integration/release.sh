#!/bin/sh
# tests/integration/release.sh -- mugaika release through a real Postfix on
# loopback.
#
# SYNOPSIS
#	tests/integration/release.sh
#
# DESCRIPTION
#	The setup of tests/integration/run.sh (postfix-env.sh: a private
#	Postfix, mugaika-milter in smtpd_milters, Maildirs per mailbox), plus
#	the release listener of contrib/postfix/master.cf on a free loopback
#	port: an smtpd without milters (smtpd_milters empty,
#	receive_override_options = no_milters), whose recipient restrictions
#	answer 450 for bob@ while $MGPF_ETC/release_access says so.  mugaika
#	runs with release_relay pointing at it and rescans with the test
#	signatures (testdata/clamav).
#	  sanitized/*   a message with attachments to alice@ and bob@ is
#	                delivered sanitized (text/plain, X-Mugaika-ID) to both
#	  release/*     mugaika release ID --to alice@: exit 0; alice@ gets the
#	                original through the release listener: its body byte for
#	                byte as sent, every attachment with the SHA-256 it had,
#	                no X-Mugaika-* field (not sanitized again); bob@ and
#	                carol@ get nothing more; alice@ is marked released, bob@
#	                still held
#	  defer/*       mugaika release ID --to bob@ while the listener answers
#	                450: exit 75, the reply shown, nothing delivered, bob@
#	                still held
#	  retry/*       the 450 lifted (postfix reload): the same command
#	                delivers the original to bob@; the message is released
#	  audit/*       the audit log has each attempt and its chain is intact
#	Waits are bounded polls on conditions (a Maildir file, an empty queue,
#	a listener that accepts bob@ again).
#
# ENVIRONMENT
#	MG_SRCDIR, MG_BUILDDIR (make check sets them), MGPF_TIMEOUT,
#	MG_KEEP_TMP (set: the temporary directory is left for a look).
#
# EXIT STATUS
#	0 all passed, 1 a check failed, 77 skipped (not root; postfix, swaks or
#	python3 missing), 99 the test could not run.
#	Prints "ok NAME" / "FAIL NAME" and "release: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init release "$mg_here/../.."

[ "$(id -u)" = 0 ] || mg_skip_all "needs root (a private Postfix's master runs as root)"
for mg_prog in postfix swaks python3; do
	command -v "$mg_prog" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v "$mg_prog" >/dev/null 2>&1 ||
		mg_skip_all "$mg_prog is not installed (sh scripts/install-deps.sh installs it)"
done
if ! getent passwd postfix >/dev/null || ! getent group postfix >/dev/null; then
	mg_skip_all "no user postfix (is the postfix package installed?)"
fi
DAEMON=$MG_BUILDDIR/src/mugaika-milter
for mg_prog in "$DAEMON" "$MUGAIKA"; do
	[ -x "$mg_prog" ] || mg_hard_error "$mg_prog not built"
done

mg_tmpdir
# shellcheck disable=SC2034 # read by postfix-env.sh
MGPF_HERE=$mg_here
# shellcheck source=postfix-env.sh
. "$mg_here/postfix-env.sh"
T=$MG_TMP
cleanup() {
	mgpf_stop_all
	if [ -n "${MG_KEEP_TMP:-}" ]; then
		echo "# files kept in $T (MG_KEEP_TMP)"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mgpf_init "$T" "$MG_BUILDDIR" || mg_hard_error "cannot set up $T"
mgpf_mailbox alice bob carol
D=$MGPF_DOMAIN

# ---- the release listener ------------------------------------------------------------
RPORT=$($MGPF_PY freeports 1 $((MGPF_CHROOT_PORT + 1))) || mg_hard_error "no free port"
ACCESS=$MGPF_ETC/release_access
printf 'bob@%s 450 4.2.0 bob is busy (test)\n' "$D" > "$ACCESS"
cat >> "$MGPF_ETC/master.cf" <<EOF
# The release listener (contrib/postfix/master.cf): no milters.
127.0.0.1:$RPORT inet n - n - - smtpd
  -o syslog_name=postfix-release
  -o smtpd_milters=
  -o receive_override_options=no_milters
  -o smtpd_recipient_restrictions=check_recipient_access,texthash:$ACCESS,permit_mynetworks,reject
EOF

CONF=$MGPF_MILTER_DIR/mugaika.conf
{
	mgpf_milter_conf
	printf 'release_relay = 127.0.0.1:%s\n' "$RPORT"
	printf 'audit_syslog_socket = %s/log.sock\n' "$T"
} > "$CONF"
# The CLI's settings: the same, with a rescan by the test signatures.
CLI_CONF=$MGPF_MILTER_DIR/cli.conf
{
	cat "$CONF"
	printf 'scanner = clamav\nclamav_database = %s/testdata/clamav\n' "$MG_SRCDIR"
} > "$CLI_CONF"
mgpf_milter_start "$CONF" || { cat "$MGPF_MILTER_LOG" >&2; mg_hard_error "the milter did not start"; }
if ! mgpf_postfix_start || ! mgpf_port_open "$RPORT"; then
	cat "$MGPF_LOG" "$T/postfix-start.out" >&2 2>/dev/null
	mg_hard_error "Postfix did not start"
fi

OUT=$T/out
ERR=$T/err
mug() {
	verb=$1
	shift
	"$MUGAIKA" "$verb" --config "$CLI_CONF" "$@" > "$OUT" 2> "$ERR"
	rc=$?
}
result() {
	if [ $? -eq 0 ]; then mg_pass "$1"; else mg_fail "$1" "$(cat "$OUT" "$ERR" 2>/dev/null | head -20)"; fi
}

# attachments FILE: "filename sha256" of each attachment, decoded, sorted.
attachments() {
	python3 -c 'import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for p in sorted(m.iter_attachments(), key=lambda p: p.get_filename() or ""):
    print(p.get_filename(), hashlib.sha256(p.get_payload(decode=True)).hexdigest())' "$1"
}

# body FILE: the body (after the first blank line), line ends as LF.
body() {
	tr -d '\r' < "$1" | sed '1,/^$/d'
}

# ---- sanitized delivery -----------------------------------------------------------------
MSG=$MG_SRCDIR/testdata/attachment-rfc2231-ja.eml
mgpf_send orig "$MSG" "$MGPF_PORT" "alice@$D,bob@$D"
[ "${MGPF_REPLY%% *}" = 250 ]; result sanitized/smtp
mgpf_wait_delivered alice 1 && mgpf_wait_delivered bob 1 && mgpf_wait_queue_empty
A1=$(mgpf_files alice | head -n 1)
ID=$(sed -n 's/^X-Mugaika-ID: *\([0-9A-Z-]*\).*/\1/p' "$A1" | head -n 1)
[ -n "$ID" ] && grep -qi '^Content-Type: text/plain' "$A1" && [ -z "$(attachments "$A1")" ] &&
	[ "$(mgpf_count bob)" -eq 1 ]
result sanitized/delivered-with-id

# ---- release to alice ---------------------------------------------------------------------
mug release --to "alice@$D" --reason "integration test" "$ID"
[ "$rc" -eq 0 ] && grep -q "^alice@$D: released (250 " "$OUT"
result release/exit
mgpf_wait_delivered alice 2 && mgpf_wait_queue_empty
A2=$(mgpf_files alice | while read -r f; do [ "$f" = "$A1" ] || echo "$f"; done)
[ -n "$A2" ] && [ "$(mgpf_count alice)" -eq 2 ]
result release/delivered
body "$T/msgs/orig.canon" > "$T/sent.body"
body "$A2" > "$T/released.body"
cmp -s "$T/sent.body" "$T/released.body"
result release/body-byte-identical
attachments "$MSG" > "$T/att.sent"
attachments "$A2" > "$T/att.released"
[ "$(wc -l < "$T/att.sent")" -eq 3 ] && cmp -s "$T/att.sent" "$T/att.released"
result release/attachments-intact
# The delivered file is the kept original (line ends aside) after the fields
# delivery adds and the release listener's Received: nothing else changed.
"$MUGAIKA" show --raw --config "$CLI_CONF" "$ID" > "$T/kept.eml" 2> "$ERR"
python3 -c 'import re, sys
got = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
kept = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n")
head = got[:len(got) - len(kept)]
fields = re.findall(rb"^([^ \t\n][^:\n]*):", head, re.M)
ok = got.endswith(kept) and len(kept) > 1000 and all(f.lower() in
     (b"return-path", b"x-original-to", b"delivered-to", b"received") for f in fields)
sys.exit(0 if ok and not re.search(rb"^x-mugaika-", got, re.M | re.I) else 1)' "$A2" "$T/kept.eml"
result release/not-sanitized-again
[ "$(mgpf_count bob)" -eq 1 ] && [ "$(mgpf_count carol)" -eq 0 ]
result release/no-one-else
mug show --json "$ID"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
r = {x["rcpt"]: x["released_at"] for x in j["rcpts"]}
sys.exit(0 if r["alice@'"$D"'"] and r["bob@'"$D"'"] is None and j["status"] == "held" else 1)' "$OUT"
result release/marked-alice-only

# ---- a relay answering 4xx, then the retry ---------------------------------------------------
mug release --to "bob@$D" "$ID"
[ "$rc" -eq 75 ] && grep -q "^bob@$D: NOT released, temporary failure: 450 4.2.0 .*bob is busy" "$OUT"
result defer/reported
mgpf_wait_queue_empty
[ "$(mgpf_count bob)" -eq 1 ]
result defer/nothing-delivered
mug list --status held --to "bob@$D"
grep -q "^$ID	" "$OUT"
result defer/still-held

: > "$ACCESS"
postfix -c "$MGPF_ETC" reload > "$T/reload.out" 2>&1
# Until a new smtpd (with the emptied table) takes bob@ on the release port.
i=0
until swaks --server 127.0.0.1 --port "$RPORT" --from probe@example.org --to "bob@$D" \
	--quit-after RCPT > "$T/probe.out" 2>&1; do
	i=$((i + 1))
	[ "$i" -ge $((MGPF_TIMEOUT * 10)) ] && break
	sleep 0.1
done
mug release --to "bob@$D" "$ID"
[ "$rc" -eq 0 ] && grep -q "^bob@$D: released (250 " "$OUT"
result retry/exit
mgpf_wait_delivered bob 2 && mgpf_wait_queue_empty
B2=$(mgpf_files bob | tail -n 1)
[ "$(mgpf_count bob)" -eq 2 ] && [ "$(mgpf_count alice)" -eq 2 ] && [ "$(mgpf_count carol)" -eq 0 ] &&
	attachments "$B2" | cmp -s "$T/att.sent" -
result retry/delivered
mug list --status released
grep -q "^$ID	" "$OUT"
result retry/released

# ---- the audit log ---------------------------------------------------------------------------
mug audit list --id "$ID" --action release
[ "$(grep -c "	release	started	$ID	" "$OUT")" -eq 3 ] &&
	grep -q "	release	ok	$ID	alice@$D	.*integration test" "$OUT" &&
	grep -q "	release	failed	$ID	-	.*450 4.2.0" "$OUT" &&
	grep -q "	release	ok	$ID	bob@$D	" "$OUT"
result audit/rows
mug audit verify
[ "$rc" -eq 0 ]
result audit/intact

mg_summary
