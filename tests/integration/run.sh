#!/bin/sh
# tests/integration/run.sh -- mugaika-milter in a real Postfix on loopback.
#
# SYNOPSIS
#	tests/integration/run.sh
#
# DESCRIPTION
#	Starts a private Postfix (tests/integration/postfix-env.sh: its own
#	config directory, queue directory, ports and log; virtual delivery to
#	Maildirs in a temporary directory) with src/mugaika-milter in
#	smtpd_milters, and sends messages to it with swaks.  The milter keeps
#	every original (keep_originals = all), so that each one can be read
#	back; otherwise it runs with the default policy.
#
#	Every message of testdata/*.eml and testdata/ja/*.eml, and a sample of
#	the corpus (MG_CORPUS_DIR; MG_CORPUS_SAMPLE messages, default 30, or
#	"all"), goes to a mailbox of its own.  Per message NAME:
#	  NAME/smtp          the message was accepted (250 at the end of data)
#	  NAME/delivered     exactly one message in the Maildir once the queue
#	                     is empty
#	  NAME/text-plain, NAME/notice, NAME/headers, NAME/subject, NAME/listed,
#	  NAME/kept-body, NAME/same-as-cli
#	                     see tests/integration/mailcheck.py: text/plain
#	                     only; the notice with the ID; kept headers; the
#	                     Japanese Subject decoded equals what mugaika decoded
#	                     from the original; mugaika list --json lists it with
#	                     its envelope; the kept original, read back with
#	                     kept_read (mg_store_read), has byte for byte the
#	                     body that was sent; and the delivered message is
#	                     what mugaika sanitize makes of that original.
#	Then:
#	  chroot/*           one smtpd runs with chroot = y (in the queue
#	                     directory) and reaches the milter at the default-
#	                     style unix:mugaika/milter.sock inside its chroot
#	  concurrent/*       50 SMTP sessions at once: all accepted, delivered
#	                     sanitized, each with its own kept original
#	  spool-full/*, spool-readonly/*
#	                     the quarantine (a small tmpfs) full, then read-only:
#	                     4xx to the client, nothing delivered; once it is
#	                     writable again the same message goes through
#	  inflight/*         mugaika-milter is killed (SIGKILL) while it holds a
#	                     message (test_delay): 4xx, nothing delivered, nothing
#	                     kept; while it is down, another message gets 4xx;
#	                     the same message resent after the restart is
#	                     delivered sanitized once and kept once
#	  stop/*             everything started is stopped; mugaika-milter
#	                     exits 0 on SIGTERM, its log has no sanitizer report,
#	                     Postfix's log no fatal error
#	Waits are bounded polls on conditions (a Maildir file, an empty queue,
#	a log line), so the verdict never depends on timing.
#
# ENVIRONMENT
#	MG_SRCDIR, MG_BUILDDIR, MG_CORPUS_DIR (make check sets them),
#	MG_CORPUS_SAMPLE (default 30), MGPF_TIMEOUT (seconds per wait, 60),
#	MG_KEEP_TMP (set: the temporary directory is left for a look).
#
# EXIT STATUS
#	0 all passed, 1 a check failed, 77 skipped (not root; postfix, swaks or
#	python3 missing), 99 the test could not run.
#	Prints "ok NAME" / "FAIL NAME" per check and
#	"integration: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init integration "$mg_here/../.."

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
KEPT_READ=$MG_BUILDDIR/tests/integration/kept_read
for mg_prog in "$DAEMON" "$MUGAIKA" "$KEPT_READ"; do
	[ -x "$mg_prog" ] || mg_hard_error "$mg_prog not built (make check builds it)"
done

mg_tmpdir
# shellcheck disable=SC2034 # read by postfix-env.sh
MGPF_HERE=$mg_here
# shellcheck source=postfix-env.sh
. "$mg_here/postfix-env.sh"
T=$MG_TMP
SPOOL_MOUNTED=
cleanup() {
	mgpf_stop_all
	if [ -n "$SPOOL_MOUNTED" ]; then
		umount "$MGPF_QDIR" 2>/dev/null || umount -l "$MGPF_QDIR" 2>/dev/null
	fi
	# Never remove files through a mount that is still there.
	if [ -n "${MG_KEEP_TMP:-}" ]; then
		echo "# files kept in $T (MG_KEEP_TMP)"
	elif ! grep -q " $T/" /proc/mounts; then
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mgpf_init "$T" "$MG_BUILDDIR" || mg_hard_error "cannot set up $T"

PY="python3 $mg_here/mailcheck.py"
CONF=$MGPF_MILTER_DIR/mugaika.conf
SAMPLE_CONF=$MG_SRCDIR/conf/mugaika.conf
NOTICE=$MG_SRCDIR/conf/notice.ja.txt
TAB=$(printf '\t')

# ---- the cases ----------------------------------------------------------------
# cases: lines "NAME FILE".
: > "$T/cases"
for f in "$MG_SRCDIR"/testdata/*.eml; do
	n=${f##*/}
	printf 'golden-%s %s\n' "${n%.eml}" "$f" >> "$T/cases"
done
for f in "$MG_SRCDIR"/testdata/ja/*.eml; do
	n=${f##*/}
	printf 'ja-%s %s\n' "${n%.eml}" "$f" >> "$T/cases"
done
CORPUS_NOTE=
if [ -z "${MG_CORPUS_DIR:-}" ] || [ ! -d "$MG_CORPUS_DIR" ]; then
	CORPUS_NOTE="no corpus at '${MG_CORPUS_DIR:-}' (MG_CORPUS_DIR, ./configure --with-corpus=DIR; a fresh clone has no ../shared/corpus)"
else
	i=0
	$PY sample "$MG_CORPUS_DIR" "${MG_CORPUS_SAMPLE:-30}" > "$T/corpus-sample" ||
		mg_hard_error "cannot list the corpus"
	while read -r rel; do
		i=$((i + 1))
		printf 'corpus-%03d %s\n' "$i" "$MG_CORPUS_DIR/$rel" >> "$T/cases"
	done < "$T/corpus-sample"
fi
# shellcheck disable=SC2046 # mailbox names
mgpf_mailbox $(cut -d' ' -f1 "$T/cases") chroot virus outbound outbound-virus concurrent spool-full spool-readonly \
	inflight down password-zip disguised-exe \
	$(seq -f 'eicar-case%g' 24)   # 2b': as many as tests/threats/run.py has cases, or more

# ---- the milter's quarantine on a small tmpfs, so it can fill up ---------------
mkdir -p "$MGPF_QDIR"
if mount -t tmpfs -o size=64m,mode=0700 mugaika-test-spool "$MGPF_QDIR" 2>"$T/mount.err"; then
	SPOOL_MOUNTED=yes
else
	chmod 0700 "$MGPF_QDIR"
fi

{
	mgpf_milter_conf
	echo "keep_originals = all"
} > "$CONF"
mgpf_milter_start "$CONF" || { cat "$MGPF_MILTER_LOG" >&2; mg_hard_error "the milter did not start"; }
mgpf_postfix_start || {
	cat "$MGPF_DIR/postfix-start.out" "$MGPF_LOG" >&2
	mg_hard_error "the test Postfix did not start"
}
echo "# Postfix on 127.0.0.1:$MGPF_PORT (chroot: $MGPF_CHROOT_PORT), files in $T"

# ---- helpers ----------------------------------------------------------------------
# report_py < FILE: turns mailcheck.py's PASS/FAIL lines into ok/FAIL lines
# (read from a file: a pipe would run it in a subshell and lose the counts).
report_py() {
	while IFS= read -r line; do
		case "$line" in
		"PASS "*) mg_pass "${line#PASS }" ;;
		"FAIL "*)
			rest=${line#FAIL }
			name=${rest%%"$TAB"*}
			why=${rest#*"$TAB"}
			old_ifs=$IFS
			IFS=$TAB
			set -f
			# shellcheck disable=SC2086 # TAB-separated reasons
			set -- $why
			IFS=$old_ifs
			set +f
			mg_fail "$name" "$@"
			;;
		"") ;;
		*) mg_fail mailcheck "$line" ;;
		esac
	done
}

# prepare_check NAME RCPT: reads back the original kept for the one
# delivered message of mailbox NAME and runs mugaika sanitize on it; adds
# the case to $T/check.cases for run_checks.
prepare_check() {
	delivered=$(mgpf_files "$1" | head -n 1)
	id=$(sed -n 's/^X-Mugaika-ID: *//p' "$delivered" | head -n 1 | tr -d '\r')
	: > "$T/msgs/$1.kept"
	: > "$T/msgs/$1.cli"
	if [ -n "$id" ]; then
		"$KEPT_READ" "$CONF" "$id" > "$T/msgs/$1.kept" 2> "$T/msgs/$1.kept.err"
		"$MUGAIKA" sanitize --config "$CONF" --id "$id" "$T/msgs/$1.kept" \
			> "$T/msgs/$1.cli" 2> "$T/msgs/$1.cli.err"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$delivered" "$T/msgs/$1.kept" \
		"$T/msgs/$1.canon" "$T/msgs/$1.cli" >> "$T/check.cases"
}

# run_checks: the mailcheck.py checks on the cases prepared (one process
# for all of them), then an empty list again.
run_checks() {
	[ -s "$T/check.cases" ] || return 0
	$PY check --cases "$T/check.cases" --list "$T/list.json" \
		--sender "$MGPF_SENDER" --sample-conf "$SAMPLE_CONF" \
		--notice "$NOTICE" --mta "mx.$MGPF_DOMAIN" > "$T/check.out" 2>&1
	report_py < "$T/check.out"
	: > "$T/check.cases"
}

# full_check NAME RCPT: both, for one message.
full_check() {
	prepare_check "$1" "$2"
	run_checks
}

list_json() {
	"$MUGAIKA" list --config "$CONF" --json --limit 0 > "$T/list.json" 2> "$T/list.err"
}

# kept_for RCPT: how many originals the quarantine lists for RCPT alone.
kept_for() {
	grep -c "\"rcpts\": \[\"$1\"\]" "$T/list.json"
}

# expect_tempfail CASE NAME: the reply was 4xx; the queue is empty and
# mailbox NAME too.
expect_tempfail() {
	case "$MGPF_REPLY" in
	4*) mg_pass "$1/4xx" ;;
	*) mg_fail "$1/4xx" "reply to the data: '$MGPF_REPLY'" ;;
	esac
	if mgpf_wait_queue_empty && [ "$(mgpf_count "$2")" -eq 0 ]; then
		mg_pass "$1/nothing-delivered"
	else
		mg_fail "$1/nothing-delivered" "queue: $(mgpf_queue_count), mailbox $2: $(mgpf_count "$2")"
	fi
}

# ---- 1. the golden messages and the corpus sample ------------------------------------
t0=$(date +%s)
: > "$T/check.cases"
mgpf_wire_list "$T/cases" || mg_hard_error "cannot prepare the messages"
while read -r name file; do
	if mgpf_swaks "$name" "$MGPF_PORT" "$name@$MGPF_DOMAIN"; then
		mg_pass "$name/smtp"
	else
		mg_fail "$name/smtp" "$file" "reply to the data: '$MGPF_REPLY'"
	fi
	echo "$MGPF_REPLY" > "$T/msgs/$name.reply"
done < "$T/cases"
while read -r name file; do
	case "$(cat "$T/msgs/$name.reply")" in 2*) ;; *) continue ;; esac
	mgpf_wait_delivered "$name" 1
done < "$T/cases"
mgpf_wait_queue_empty
list_json
while read -r name file; do
	case "$(cat "$T/msgs/$name.reply")" in 2*) ;; *) continue ;; esac
	n=$(mgpf_count "$name")
	if [ "$n" -ne 1 ]; then
		mg_fail "$name/delivered" "$file" "$n messages in the Maildir"
		[ "$n" -gt 0 ] || continue
	else
		mg_pass "$name/delivered"
	fi
	prepare_check "$name" "$name@$MGPF_DOMAIN"
done < "$T/cases"
run_checks
[ -n "$CORPUS_NOTE" ] && mg_skip corpus "$CORPUS_NOTE"
echo "# $(wc -l < "$T/cases") messages sent and checked in $(($(date +%s) - t0)) s"

# ---- 2. the chrooted smtpd ------------------------------------------------------------
if mgpf_send chroot "$MG_SRCDIR/testdata/ja/outlook-vendor.eml" "$MGPF_CHROOT_PORT"; then
	mg_pass chroot/smtp
	qid=${MGPF_REPLY##* }
	mgpf_wait_delivered chroot 1
	mgpf_wait_queue_empty
	list_json
	pid=$(sed -n "s/.* postfix-chroot\/smtpd\[\([0-9]*\)\]: $qid: client=.*/\1/p" "$MGPF_LOG" | head -n 1)
	root=$( [ -n "$pid" ] && readlink "/proc/$pid/root")
	if [ -n "$pid" ] && [ "$root" = "$MGPF_QUEUE" ] &&
	   grep -q '^smtpd_milters = unix:mugaika/milter.sock$' "$MGPF_ETC/main.cf"; then
		mg_pass chroot/smtpd-chrooted
	else
		mg_fail chroot/smtpd-chrooted "queue id '$qid', smtpd pid '$pid', its root '$root'"
	fi
	if [ "$(mgpf_count chroot)" -eq 1 ]; then
		mg_pass chroot/delivered
		full_check chroot "chroot@$MGPF_DOMAIN"
	else
		mg_fail chroot/delivered "$(mgpf_count chroot) messages in the Maildir"
	fi
else
	mg_fail chroot/smtp "reply to the data: '$MGPF_REPLY'"
fi

# ---- 2b. a virus: discarded (virus_action = discard), the original kept ---------------
# EICAR is put together here from two halves: the tree never holds it.
python3 - "$T/eicar.eml" <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "sender@example.org"; m["To"] = "virus@example.lg.jp"; m["Subject"] = "invoice"
m["Message-ID"] = "<eicar-integration@example.org>"
m.set_content("see attachment\n")
m.add_attachment(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
                 maintype="application", subtype="octet-stream", filename="invoice.com")
open(sys.argv[1], "wb").write(m.as_bytes())
PY
if mgpf_send virus "$T/eicar.eml"; then
	mg_pass virus/accepted-for-discard
else
	mg_fail virus/accepted-for-discard "reply to the data: '$MGPF_REPLY'"
fi
mgpf_wait_queue_empty
list_json
if [ "$(mgpf_count virus)" -eq 0 ]; then
	mg_pass virus/nothing-delivered
else
	mg_fail virus/nothing-delivered "$(mgpf_count virus) messages in the Maildir"
fi
if [ "$(kept_for "virus@$MGPF_DOMAIN")" -eq 1 ] && grep -q '"virus"' "$T/list.json"; then
	mg_pass virus/original-kept
else
	mg_fail virus/original-kept "mugaika list --json has no kept original with reason virus"
fi
if grep -q "virus=Mugaika.Test.EICAR" "$MGPF_MILTER_LOG"; then
	mg_pass virus/logged
else
	mg_fail virus/logged "no virus= on a summary line in $MGPF_MILTER_LOG"
fi

# ---- 2b'. every EICAR case of tests/threats/run.py through Postfix ------------------
# The same messages as the CLI's threats test (made there, at run time):
# each is accepted and discarded, nothing delivered, its original kept.
python3 - "$MG_SRCDIR/tests/threats/run.py" "$T" <<'PY' > "$T/eicar-cases.list"
import importlib.util, re, sys
from email.policy import SMTP
spec = importlib.util.spec_from_file_location("threats", sys.argv[1])
threats = importlib.util.module_from_spec(spec)
spec.loader.exec_module(threats)
for i, (name, msg) in enumerate(threats.eicar_cases(), 1):
    path = "%s/eicar-case%d.eml" % (sys.argv[2], i)
    open(path, "wb").write(msg.as_bytes(policy=SMTP))
    print("eicar-case%d %s %s" % (i, path, re.sub(r"[^a-z0-9]+", "-", name.lower())))
PY
while read -r name file slug; do
	mgpf_send "$name" "$file" || true
	case "$MGPF_REPLY" in
	2*) mg_pass "eicar-$slug/accepted-for-discard" ;;
	*) mg_fail "eicar-$slug/accepted-for-discard" "reply to the data: '$MGPF_REPLY'" ;;
	esac
done < "$T/eicar-cases.list"
mgpf_wait_queue_empty
list_json
while read -r name file slug; do
	if [ "$(mgpf_count "$name")" -eq 0 ] && [ "$(kept_for "$name@$MGPF_DOMAIN")" -eq 1 ]; then
		mg_pass "eicar-$slug/discarded-and-kept"
	else
		mg_fail "eicar-$slug/discarded-and-kept" \
			"$(mgpf_count "$name") delivered, $(kept_for "$name@$MGPF_DOMAIN") kept"
	fi
done < "$T/eicar-cases.list"
n=$(wc -l < "$T/eicar-cases.list")
if [ "$(grep -c "virus=Mugaika.Test.EICAR" "$MGPF_MILTER_LOG")" -ge $((n + 1)) ]; then
	mg_pass eicar-cases/logged
else
	mg_fail eicar-cases/logged "fewer than $((n + 1)) summary lines with virus= in $MGPF_MILTER_LOG"
fi

# ---- 2b''. a password ZIP and a disguised executable: delivered with a notice, kept ---
python3 - "$MG_SRCDIR/tests/threats/run.py" "$T" <<'PY'
import importlib.util, sys
from email.policy import SMTP
spec = importlib.util.spec_from_file_location("threats", sys.argv[1])
threats = importlib.util.module_from_spec(spec)
spec.loader.exec_module(threats)
m = threats.password_zip_message(sys.argv[2])
if m is not None:
    open(sys.argv[2] + "/password-zip.eml", "wb").write(m.as_bytes(policy=SMTP))
open(sys.argv[2] + "/disguised-exe.eml", "wb").write(
    threats.disguised_exe_message().as_bytes(policy=SMTP))
PY
for name in password-zip disguised-exe; do
	if [ ! -f "$T/$name.eml" ]; then
		mg_fail "$name/made" "zip(1) is not installed"
		continue
	fi
	if mgpf_send "$name" "$T/$name.eml"; then
		mg_pass "$name/accepted"
	else
		mg_fail "$name/accepted" "reply to the data: '$MGPF_REPLY'"
	fi
done
mgpf_wait_delivered password-zip 1
mgpf_wait_delivered disguised-exe 1
mgpf_wait_queue_empty
list_json
for name in password-zip disguised-exe; do
	[ -f "$T/$name.eml" ] || continue
	f=$(mgpf_files "$name" | head -n 1)
	if [ -n "$f" ] && grep -q '^X-Mugaika-Status:.*\(cannot_inspect\|suspicious\|banned\)' "$f" &&
	   [ "$(kept_for "$name@$MGPF_DOMAIN")" -eq 1 ]; then
		mg_pass "$name/notice-delivered-and-kept"
	else
		mg_fail "$name/notice-delivered-and-kept" "$(mgpf_count "$name") delivered" \
			"(status: $( [ -n "$f" ] && grep '^X-Mugaika-Status:' "$f")), $(kept_for "$name@$MGPF_DOMAIN") kept"
	fi
done

# ---- 2c. outgoing mail (the "submission" listener): scanned only ---------------------
python3 - "$T/eicar.eml" "$T/outbound-virus.eml" <<'PY'
import sys
open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read()
                              .replace(b"virus@", b"outbound-virus@"))
PY
MGPF_SERVER=127.0.0.2
if mgpf_send outbound "$MG_SRCDIR/testdata/nested-rfc822.eml"; then
	mg_pass outbound/accepted
	mgpf_wait_delivered outbound 1
	f=$(find "$MGPF_MAIL/outbound/Maildir/new" -type f | head -n 1)
	if [ -n "$f" ] && python3 - "$MGPF_DIR/msgs/outbound.wire" "$f" <<'PY'
import sys
sent = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
if sent.rstrip(b"\n").endswith(b"\n."):   # the wire form ends with the end-of-data dot
    sent = sent.rstrip(b"\n")[:-1]
got = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n")
sys.exit(0 if got.endswith(sent) and b"X-Mugaika" not in got else 1)
PY
	then
		mg_pass outbound/untouched
	else
		mg_fail outbound/untouched "the delivered mail is not the sent one behind the trace fields"
	fi
else
	mg_fail outbound/accepted "reply to the data: '$MGPF_REPLY'"
fi
mgpf_send outbound-virus "$T/outbound-virus.eml"
case "$MGPF_REPLY" in
550*) mg_pass outbound-virus/rejected-5xx ;;
*) mg_fail outbound-virus/rejected-5xx "reply to the data: '$MGPF_REPLY'" ;;
esac
MGPF_SERVER=
mgpf_wait_queue_empty
list_json
if [ "$(kept_for "outbound-virus@$MGPF_DOMAIN")" -eq 1 ]; then
	mg_pass outbound-virus/original-kept
else
	mg_fail outbound-virus/original-kept "no kept original for outbound-virus@"
fi
if grep -q "direction=outbound" "$MGPF_MILTER_LOG"; then
	mg_pass outbound/logged
else
	mg_fail outbound/logged "no direction=outbound on a summary line"
fi

# ---- 3. 50 sessions at once -------------------------------------------------------------
N=50
t0=$(date +%s)
pids=
for i in $(seq "$N"); do
	{ printf 'X-Test-Seq: %d\n' "$i"; cat "$MG_SRCDIR/testdata/html-only.eml"; } > "$T/msgs/c$i.eml"
	echo "c$i $T/msgs/c$i.eml"
done > "$T/concurrent.list"
mgpf_wire_list "$T/concurrent.list"
for i in $(seq "$N"); do
	mgpf_swaks "c$i" "$MGPF_PORT" "concurrent@$MGPF_DOMAIN" &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done
bad=0
for i in $(seq "$N"); do
	r=$(mgpf_reply "$T/msgs/c$i.smtp")
	case "$r" in 2*) ;; *) bad=$((bad + 1)); echo "c$i: '$r'" ;; esac
done > "$T/concurrent.bad"
if [ ! -s "$T/concurrent.bad" ]; then
	mg_pass concurrent/smtp
else
	mg_fail concurrent/smtp "$(head -n 5 "$T/concurrent.bad")"
fi
mgpf_wait_delivered concurrent "$N"
mgpf_wait_queue_empty
n=$(mgpf_count concurrent)
if [ "$n" -eq "$N" ]; then
	mg_pass concurrent/delivered
else
	mg_fail concurrent/delivered "$n of $N messages in the Maildir"
fi
# shellcheck disable=SC2046 # file names without blanks
if $PY basic "$NOTICE" $(mgpf_files concurrent) > "$T/concurrent.basic"; then
	mg_pass concurrent/sanitized
else
	mg_fail concurrent/sanitized "$(grep -v '^ID ' "$T/concurrent.basic" | head -n 5)"
fi
list_json
ids=$(sed -n 's/^ID //p' "$T/concurrent.basic" | sort -u | wc -l)
kept=$(kept_for "concurrent@$MGPF_DOMAIN")
if [ "$ids" -eq "$N" ] && [ "$kept" -eq "$N" ]; then
	mg_pass concurrent/kept
else
	mg_fail concurrent/kept "$ids distinct IDs delivered, $kept originals kept, of $N"
fi
echo "# $N concurrent sessions done in $(($(date +%s) - t0)) s"

# ---- 4. the quarantine full, read-only ------------------------------------------------
if [ -n "$SPOOL_MOUNTED" ]; then
	dd if=/dev/zero of="$MGPF_QDIR/fill" bs=1M > /dev/null 2>&1
	dd if=/dev/zero of="$MGPF_QDIR/fill2" bs=4k > /dev/null 2>&1
	if (echo x > "$MGPF_QDIR/probe") 2>/dev/null && [ -s "$MGPF_QDIR/probe" ]; then
		mg_fail spool-full/filled "the tmpfs did not fill up"
	fi
	rm -f "$MGPF_QDIR/probe"
	mgpf_send spool-full "$MG_SRCDIR/testdata/attachment-rfc2231-ja.eml"
	expect_tempfail spool-full spool-full
	rm -f "$MGPF_QDIR/fill" "$MGPF_QDIR/fill2"

	mount -o remount,ro "$MGPF_QDIR"
	mgpf_send spool-readonly "$MG_SRCDIR/testdata/ja/thunderbird-jis.eml"
	expect_tempfail spool-readonly spool-readonly
	mount -o remount,rw "$MGPF_QDIR"

	# writable again: the same message goes through, kept once
	if mgpf_swaks spool-full "$MGPF_PORT" "spool-full@$MGPF_DOMAIN"; then
		mg_pass spool-full/resent-smtp
		mgpf_wait_delivered spool-full 1
		mgpf_wait_queue_empty
		list_json
		if [ "$(mgpf_count spool-full)" -eq 1 ]; then
			mg_pass spool-full/resent-delivered
			full_check spool-full "spool-full@$MGPF_DOMAIN"
		else
			mg_fail spool-full/resent-delivered "$(mgpf_count spool-full) messages"
		fi
	else
		mg_fail spool-full/resent-smtp "reply to the data: '$MGPF_REPLY'"
	fi
else
	mg_skip spool-full "cannot mount a tmpfs: $(cat "$T/mount.err")"
	mg_skip spool-readonly "cannot mount a tmpfs"
fi

# ---- 5. the milter killed while it holds a message ------------------------------------
{
	mgpf_milter_conf
	echo "keep_originals = all"
	echo "test_delay = 600"
	echo "progress_interval = 5"
} > "$CONF.delay"
before=$(grep -c ': reloaded ' "$MGPF_MILTER_LOG")
cp "$CONF" "$CONF.base"
cp "$CONF.delay" "$CONF"
kill -USR1 "$MGPF_MILTER_PID"
i=0
while [ "$(grep -c ': reloaded ' "$MGPF_MILTER_LOG")" -le "$before" ] && [ "$i" -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
mid="<inflight-$$.$(date +%s)@$MGPF_DOMAIN>"
{ printf 'Message-ID: %s\n' "$mid"; grep -v -i '^Message-ID:' "$MG_SRCDIR/testdata/html-only.eml"; } \
	> "$T/msgs/inflight.eml"
mgpf_wire inflight "$T/msgs/inflight.eml"
mgpf_swaks inflight "$MGPF_PORT" "inflight@$MGPF_DOMAIN" &
client=$!
# In flight: Postfix's cleanup has the message (it logged its Message-ID),
# the milter's session is open, and the answer cannot come for 600 s.
i=0
until grep -q "cleanup\[[0-9]*\]: [0-9A-F]*: message-id=$mid" "$MGPF_LOG"; do
	[ "$i" -ge $((MGPF_TIMEOUT * 10)) ] && break
	sleep 0.1
	i=$((i + 1))
done
mgpf_milter_stop KILL
wait "$client"
MGPF_REPLY=$(mgpf_reply "$T/msgs/inflight.smtp")
expect_tempfail inflight inflight
list_json
if [ "$(kept_for "inflight@$MGPF_DOMAIN")" -eq 0 ]; then
	mg_pass inflight/nothing-kept
else
	mg_fail inflight/nothing-kept "$(kept_for "inflight@$MGPF_DOMAIN") originals kept"
fi

# while the milter is down
mgpf_send down "$MG_SRCDIR/testdata/plain-ja.eml"
expect_tempfail milter-down down

# back up (no delay), the same message again
cp "$CONF.base" "$CONF"
if mgpf_milter_start "$CONF"; then
	if mgpf_swaks inflight "$MGPF_PORT" "inflight@$MGPF_DOMAIN"; then
		mg_pass inflight/resent-smtp
		mgpf_wait_delivered inflight 1
		mgpf_wait_queue_empty
		list_json
		if [ "$(mgpf_count inflight)" -eq 1 ]; then
			mg_pass inflight/resent-delivered-once
			full_check inflight "inflight@$MGPF_DOMAIN"
		else
			mg_fail inflight/resent-delivered-once "$(mgpf_count inflight) messages"
		fi
	else
		mg_fail inflight/resent-smtp "reply to the data: '$MGPF_REPLY'"
	fi
else
	mg_fail inflight/restart "the milter did not start again:" "$(tail -n 5 "$MGPF_MILTER_LOG")"
fi

# ---- 6. stop ------------------------------------------------------------------------------
milter=$MGPF_MILTER_PID
mgpf_stop_all
left=$(mgpf_procs)
if [ -z "$left" ] && ! { [ -n "$milter" ] && kill -0 "$milter" 2>/dev/null; }; then
	mg_pass stop/nothing-left
else
	mg_fail stop/nothing-left "still running: $left $milter"
fi
if [ "${MGPF_MILTER_RC:-}" = 0 ]; then
	mg_pass stop/milter-exit
else
	mg_fail stop/milter-exit "mugaika-milter exit status ${MGPF_MILTER_RC:-?} after SIGTERM"
fi
if grep -q 'Sanitizer\|runtime error' "$MGPF_MILTER_LOG"; then
	mg_fail stop/milter-log "$(grep -A3 'Sanitizer\|runtime error' "$MGPF_MILTER_LOG" | head -n 20)"
else
	mg_pass stop/milter-log
fi
if grep -q 'fatal\|panic' "$MGPF_LOG"; then
	mg_fail stop/postfix-log "$(grep 'fatal\|panic' "$MGPF_LOG" | head -n 5)"
else
	mg_pass stop/postfix-log
fi
mg_summary
