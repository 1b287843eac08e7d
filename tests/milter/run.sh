#!/bin/sh
# tests/milter/run.sh -- the miltertest suite against the real daemon.
#
# SYNOPSIS
#	tests/milter/run.sh [NAME...]
#
# DESCRIPTION
#	Checks mugaika-milter -n on a good and a bad settings file and on one
#	whose signatures cannot be loaded (and that the daemon refuses to
#	start with it), then starts src/mugaika-milter once, in the
#	foreground, with a settings file in a private temporary directory (its
#	socket, quarantine and log there too) and the project's test
#	signatures (testdata/clamav), and runs every tests/milter/NAME.lua (or
#	each NAME given) with miltertest(8).  A script may come with
#	tests/milter/NAME.conf: settings appended to the base settings for
#	that script, with @TMP@ standing for the private directory (which
#	holds clamav-copy/, a copy of testdata/clamav a script may change).
#	The daemon is not restarted for it: the file is rewritten and the
#	daemon reloads on SIGUSR1 (this script waits for the "reloaded" line),
#	and it reloads back to the base settings for the next script that has
#	no NAME.conf.
#
#	The settings have summary_format = both; after the stop,
#	tests/milter/records.py checks that every text summary line has its
#	JSON twin and that every answered message has its traffic record in
#	the quarantine index.
#
#	Last, the stop: a message is still in flight (tests/milter/stop/inflight.lua,
#	the work slowed by test_delay) when the daemon gets SIGTERM; the
#	message must still be answered, and the daemon must exit 0.  The script
#	waits for the daemon's pid before it returns (libmilter takes seconds
#	to exit after SIGTERM).
#
#	Each script gets, with miltertest -D: SOCKET, SRCDIR, BUILDDIR, CONF,
#	LOG, QDIR, DAEMON_PID and TMP (see tests/milter/lib/mt.lua).  A new
#	script (and its .conf) also goes into MILTER_TEST_FILES in Makefile.am.
#
# ENVIRONMENT
#	MG_SRCDIR, MG_BUILDDIR	source and build trees (make check sets them)
#	MILTERTEST		the miltertest program (default: miltertest)
#	MG_MILTER_TIMEOUT	seconds per script (default 120)
#	MG_WRAPPER		command put in front of the daemon (e.g. valgrind)
#
# EXIT STATUS
#	0 all passed, 1 a case failed, 77 miltertest is not installed,
#	99 the suite could not run (daemon not built, did not start).
#	Prints "ok NAME" / "FAIL NAME" per case and "milter: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init milter "$mg_here/../.."

MILTERTEST=${MILTERTEST:-miltertest}
command -v "$MILTERTEST" >/dev/null 2>&1 ||
	mg_skip_all "miltertest is not installed (Debian: apt-get install miltertest)"
DAEMON=$MG_BUILDDIR/src/mugaika-milter
[ -x "$DAEMON" ] || mg_hard_error "$DAEMON not built"
[ -x "$MG_BUILDDIR/tests/milter/engine_edits" ] ||
	mg_hard_error "$MG_BUILDDIR/tests/milter/engine_edits not built (make check builds it)"

mg_tmpdir
chmod 700 "$MG_TMP"
SOCK=$MG_TMP/milter.sock
CONF=$MG_TMP/mugaika.conf
LOG=$MG_TMP/milter.log
QDIR=$MG_TMP/quarantine
PIDFILE=$MG_TMP/milter.pid
daemon_pid=

# ---- settings -------------------------------------------------------------
# The test socket and quarantine; no user switch or socket group (the suite
# may run as any user); the test signatures; 1K body pieces for
# miltertest's 1K reply buffer; a small in-memory limit so that large.lua
# spills.
cat > "$MG_TMP/base.conf" <<EOF
socket = unix:$SOCK
socket_group =
user =
scanner = clamav
clamav_database = $MG_SRCDIR/testdata/clamav
quarantine_dir = $QDIR
quarantine_db = $MG_TMP/db/quarantine.db
max_memory_message = 64K
poison_limit = 3
progress_interval = 1
test_reply_chunk = 1K
summary_format = both
EOF

# config_for NAME: the settings file text for script NAME.
config_for() {
	cat "$MG_TMP/base.conf"
	if [ -f "$mg_here/$1.conf" ]; then
		printf '# from %s.conf\n' "$1"
		sed "s|@TMP@|$MG_TMP|g" "$mg_here/$1.conf"
	fi
}

reloads() {
	grep -c ': reloaded ' "$LOG" 2>/dev/null || true
}

# use_config NAME: the daemon runs with NAME's settings (reload if needed).
use_config() {
	config_for "$1" > "$MG_TMP/want.conf"
	cmp -s "$MG_TMP/want.conf" "$CONF" && return 0
	before=$(reloads)
	cp "$MG_TMP/want.conf" "$CONF"
	kill -USR1 "$daemon_pid"
	for _ in $(seq 100); do
		[ "$(reloads)" -gt "$before" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- mugaika-milter -n ------------------------------------------------------
check_n() {
	config_for base > "$MG_TMP/check.conf"
	if "$DAEMON" -n -c "$MG_TMP/check.conf" > "$MG_TMP/out" 2>&1; then
		mg_pass check-config-good
	else
		mg_fail check-config-good "-n rejected a good file:" "$(cat "$MG_TMP/out")"
	fi
	printf 'socket_mode = 0660\nsocket_mode = 0968\n' > "$MG_TMP/bad.conf"
	"$DAEMON" -n -c "$MG_TMP/bad.conf" > "$MG_TMP/out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "bad.conf:2: socket_mode" "$MG_TMP/out"; then
		mg_pass check-config-bad
	else
		mg_fail check-config-bad "exit $rc, expected non-zero and bad.conf:2:" \
			"$(cat "$MG_TMP/out")"
	fi
}

# check_scanner: signatures that cannot be loaded: -n says so (exit 78),
# and the daemon does not start (78) unless scanner = none.
check_scanner() {
	config_for base > "$MG_TMP/noscan.conf"
	printf 'clamav_database = %s/no-such-dir\nsocket = unix:%s/noscan.sock\n' \
		"$MG_TMP" "$MG_TMP" >> "$MG_TMP/noscan.conf"
	"$DAEMON" -n -c "$MG_TMP/noscan.conf" > "$MG_TMP/out" 2>&1
	rc=$?
	if [ "$rc" -eq 78 ] && grep -q "noscan.conf: clamav_database: .*no-such-dir" "$MG_TMP/out"
	then
		mg_pass check-scanner-missing
	else
		mg_fail check-scanner-missing "exit $rc, expected 78 naming clamav_database:" \
			"$(cat "$MG_TMP/out")"
	fi
	mg_run_limited 30 "$DAEMON" -f -c "$MG_TMP/noscan.conf" > "$MG_TMP/out" 2>&1
	rc=$?
	if [ "$rc" -eq 78 ] && grep -q "clamav_database: .*not started" "$MG_TMP/out" &&
	   [ ! -S "$MG_TMP/noscan.sock" ]; then
		mg_pass start-scanner-missing
	else
		mg_fail start-scanner-missing "exit $rc, expected 78 and no socket:" \
			"$(cat "$MG_TMP/out")"
	fi
	printf 'scanner = none\n' >> "$MG_TMP/noscan.conf"
	if "$DAEMON" -n -c "$MG_TMP/noscan.conf" > "$MG_TMP/out" 2>&1 &&
	   grep -q "scanner = none: mail is not scanned" "$MG_TMP/out"; then
		mg_pass check-scanner-none
	else
		mg_fail check-scanner-none "-n refused scanner = none or did not warn:" \
			"$(cat "$MG_TMP/out")"
	fi
}

# ---- the daemon ---------------------------------------------------------------
start_daemon() {
	config_for base > "$CONF"
	# shellcheck disable=SC2086 # MG_WRAPPER is a command line, split on purpose
	$MG_WRAPPER "$DAEMON" -f -c "$CONF" -P "$PIDFILE" > "$MG_TMP/daemon.out" 2> "$LOG" &
	daemon_pid=$!
	for _ in $(seq 200); do
		[ -S "$SOCK" ] && grep -q ': starting ' "$LOG" 2>/dev/null && return 0
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
	done
	sed 's/^/    /' "$LOG" >&2
	mg_hard_error "the daemon did not start"
}

run_script() {
	name=$1
	out=$MG_TMP/$name.out
	if ! use_config "$name"; then
		mg_fail "$name" "the daemon did not reload for $name.conf"
		return
	fi
	mg_run_limited "${MG_MILTER_TIMEOUT:-120}" "$MILTERTEST" \
		-D SOCKET="unix:$SOCK" -D SRCDIR="$MG_SRCDIR" -D BUILDDIR="$MG_BUILDDIR" \
		-D CONF="$CONF" -D LOG="$LOG" -D QDIR="$QDIR" -D DAEMON_PID="$daemon_pid" \
		-D TMP="$MG_TMP" -s "$2" > "$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && kill -0 "$daemon_pid" 2>/dev/null; then
		mg_pass "$name"
		return
	fi
	kill -0 "$daemon_pid" 2>/dev/null || mg_note "the daemon died"
	mg_fail "$name" "miltertest exit status $rc; its output:"
	sed 's/^/      /' "$out"
	mg_note "daemon log (last lines):"
	tail -n 15 "$LOG" | sed 's/^/      /'
}

# stop_in_flight: SIGTERM while a message is being worked on.
stop_in_flight() {
	out=$MG_TMP/stop.out
	use_config stop/inflight || mg_fail stop-in-flight "no reload for stop/inflight.conf"
	"$MILTERTEST" -D SOCKET="unix:$SOCK" -D SRCDIR="$MG_SRCDIR" -D BUILDDIR="$MG_BUILDDIR" \
		-D CONF="$CONF" -D LOG="$LOG" -D QDIR="$QDIR" -D DAEMON_PID="$daemon_pid" \
		-D TMP="$MG_TMP" -s "$mg_here/stop/inflight.lua" > "$out" 2>&1 &
	client=$!
	for _ in $(seq 100); do
		grep -q '^sent$' "$out" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.5
	kill -TERM "$daemon_pid"
	wait "$client"
	client_rc=$?
	wait "$daemon_pid"
	daemon_rc=$?
	daemon_pid=
	if [ "$client_rc" -eq 0 ] && [ "$daemon_rc" -eq 0 ] &&
	   grep -q ' STOP0001: .* action=deliver ' "$LOG" &&
	   grep -q ': stopped$' "$LOG"; then
		mg_pass stop-in-flight
	else
		mg_fail stop-in-flight "client exit $client_rc, daemon exit $daemon_rc; client output:"
		sed 's/^/      /' "$out"
		tail -n 15 "$LOG" | sed 's/^/      /'
	fi
}

stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
	daemon_pid=
}

# ---- run --------------------------------------------------------------------
cp -R "$MG_SRCDIR/testdata/clamav" "$MG_TMP/clamav-copy" ||
	mg_hard_error "cannot copy testdata/clamav"
chmod -R u+w "$MG_TMP/clamav-copy"
check_n
check_scanner
start_daemon
trap 'stop_daemon; rm -rf "$MG_TMP"' EXIT
if [ $# -gt 0 ]; then
	for name in "$@"; do
		name=${name##*/}
		name=${name%.lua}
		[ -f "$mg_here/$name.lua" ] || mg_hard_error "no such script: $mg_here/$name.lua"
		run_script "$name" "$mg_here/$name.lua"
	done
else
	for script in "$mg_here"/*.lua; do
		name=${script##*/}
		run_script "${name%.lua}" "$script"
	done
fi
stop_in_flight
stop_daemon
# the records: every summary line twice (text, JSON), every answer in the index
# (with only some scripts run, not every outcome need have been seen)
python3 "$mg_here/records.py" ${1:+--some} "$LOG" "$MG_TMP/db/quarantine.db" \
	> "$MG_TMP/records.out" 2>&1
while read -r word name rest; do
	case $word in
	ok) mg_pass "records-$name" ;;
	FAIL) mg_fail "records-${name%:}" "$rest" ;;
	*) mg_fail records "$word $name $rest" ;;
	esac
done < "$MG_TMP/records.out"
mg_summary
