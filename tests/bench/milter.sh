#!/bin/sh
# milter.sh - mugaika-milter alone under load, beside a null filter (the
# ceiling), over the engine benchmark's message classes.  A benchmark, not a
# test: make check does not run it.
#
# Usage: tests/bench/milter.sh [--seconds S] [--rounds R] [--conc LIST]
#                              [--counts small=N,...] [--mix SPEC] [--sets LIST]
#                              [--diag] [--diag-sets LIST] [--perf] [--keep DIR]
#                              [--daemon PATH] [--baseline PATH] [--conf-extra FILE]
#                              [--clamav-milter DBDIR] [-- MILTER_LOAD_ARGS...]
#
# Contract: builds nothing.  Generates the messages (gen_messages.py, fixed
# seed, default 200/100/30/6 per class) in a private directory (mktemp, or
# DIR with --keep: left in place, messages reused), starts in it
#   mugaika   src/mugaika-milter -f, keep_originals = all (every message's
#             original written, fsync'd and indexed before the answer), its
#             socket, quarantine, index and log in the directory
#   null      tests/bench/null_milter: same negotiation, accepts everything
# and runs tests/bench/milter_load on both in the same run (the targets
# alternate) for each set (small, alt, att200k, att2m, and mix = the
# production-like 55/33/10/2 %), at 1, 4 and 16 connections, R rounds
# (default 3) of S seconds (default 3): about 5 sets * 3 concurrencies *
# 2 targets * R * S seconds plus warm-up.  Prints the table (ratio = null's
# msgs/s / mugaika's, per round) and checks that mugaika kept every message.
#
# --diag adds, on the small set (or --diag-sets LIST: not att2m, whose
# originals would fill /dev/shm), two more instances of the daemon in a
# second run: changed (keep_originals = changed: the original of a small
# message, clean text, is not kept; those of alt and att* are, since they
# are changed) and tmpfs (keep_originals = all, quarantine on /dev/shm,
# where fsync costs nothing), so the table separates the engine and the
# milter plumbing, the keeping and the disk flushes.  --perf records the daemon under load (small set, 4
# connections, 10 s; with --diag the changed instance too) with perf record
# --call-graph dwarf and prints where the time goes (perf.NAME.data stays in
# the directory with --keep).
#
# Scanning: a daemon that has the scanner setting gets scanner = clamav with
# the project's test signatures (testdata/clamav: four signatures, so the
# scan costs less than with the official database) and scan_cache = no
# (the same messages come round again: with libclamav's cache of clean
# parts the run would measure cache hits); --conf-extra FILE
# appends FILE to the daemon's settings instead (e.g. clamav_database =
# /var/lib/clamav, or scanner = none).
#
# --clamav-milter DBDIR adds a target "clamav" for comparison: Debian's
# clamav-milter (OnInfected Reject) in front of clamd, both with their own
# settings in the directory, clamd on DBDIR (TemporaryDirectory /dev/shm,
# MaxThreads 16, the heuristics mugaika asks for, DisableCache); mugaika-milter scans
# with the same DBDIR.  Its CPU is both daemons'.  clamav-milter sends
# clamd the raw message (INSTREAM), which parses MIME again: this is the
# setup the issue's reference figures (265 msgs/s on the mix) come from.
#
# Programs: tests/bench/{milter_load,null_milter} and src/mugaika-milter from
# $MG_BUILDDIR (default: the current directory); --daemon PATH for another
# daemon binary; --baseline PATH adds a third target, "before": another
# mugaika-milter binary (say, a build of the previous commit) with the same
# settings, measured in the same rounds (ratio is still null's / the row's).  Build them with
#   make src/mugaika-milter tests/bench/milter_load tests/bench/null_milter
# Exit status: 0; 1 if a message failed or an original was not kept; 2 when
# it could not run.  Everything started is stopped (SIGTERM, then waited for).

set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${MG_BUILDDIR:-.}
seconds=3
rounds=3
conc=1,4,16
counts=small=200,alt=100,att200k=30,att2m=6
mix=small=55,alt=33,att200k=10,att2m=2
sets=
diag=
diag_sets=small
perf=
keep=
daemon=
baseline=
conf_extra=
clamav_db=

usage() {
	sed -n '6,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
	--conc) [ $# -ge 2 ] || usage; conc=$2; shift 2 ;;
	--counts) [ $# -ge 2 ] || usage; counts=$2; shift 2 ;;
	--mix) [ $# -ge 2 ] || usage; mix=$2; shift 2 ;;
	--sets) [ $# -ge 2 ] || usage; sets=$2; shift 2 ;;
	--diag) diag=1; shift ;;
	--diag-sets) [ $# -ge 2 ] || usage; diag_sets=$2; diag=1; shift 2 ;;
	--perf) perf=1; shift ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--daemon) [ $# -ge 2 ] || usage; daemon=$2; shift 2 ;;
	--baseline) [ $# -ge 2 ] || usage; baseline=$2; shift 2 ;;
	--conf-extra) [ $# -ge 2 ] || usage; conf_extra=$2; shift 2 ;;
	--clamav-milter) [ $# -ge 2 ] || usage; clamav_db=$(cd "$2" && pwd) || exit 2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done

load=$build/tests/bench/milter_load
null=$build/tests/bench/null_milter
daemon=${daemon:-$build/src/mugaika-milter}
for p in "$load" "$null" "$daemon" ${baseline:+"$baseline"}; do
	[ -x "$p" ] || {
		echo "bench: $p not built (make src/mugaika-milter tests/bench/milter_load tests/bench/null_milter; MG_BUILDDIR=...)" >&2
		exit 2
	}
done
command -v python3 >/dev/null 2>&1 || { echo "bench: python3 is needed" >&2; exit 2; }
PATH=$PATH:/usr/sbin
if [ -n "$clamav_db" ]; then
	for p in clamd clamav-milter; do
		command -v "$p" >/dev/null 2>&1 || {
			echo "bench: $p is not installed (Debian: clamav-daemon, clamav-milter)" >&2
			exit 2
		}
	done
fi
if [ -n "$perf" ] && ! command -v perf >/dev/null 2>&1; then
	echo "bench: perf is not installed (Debian: linux-perf)" >&2
	exit 2
fi

if [ -n "$keep" ]; then
	dir=$keep
	mkdir -p "$dir" || exit 2
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/mugaika-bench-milter.XXXXXX") || exit 2
fi
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"
shm=
pids=

# shellcheck disable=SC2317 # called by the trap
stop_all() {
	for p in $pids $(cat "$dir"/clamav/*.pid 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=
	[ -z "$shm" ] || rm -rf "$shm"
	# the originals can be gigabytes: never leave them behind
	rm -rf "$dir"/mg-*/quarantine "$dir"/mg-*/db
	[ -n "$keep" ] || rm -rf "$dir"
	sync   # see settle()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# extra settings for every daemon (see Scanning above) -> $dir/extra.conf
sigs=$(cd "$here/../../testdata/clamav" 2>/dev/null && pwd)
if [ -n "$conf_extra" ]; then
	cat "$conf_extra" > "$dir/extra.conf" || exit 2
	scan_note="settings added from $conf_extra"
elif [ -n "$clamav_db" ]; then
	printf 'scanner = clamav\nclamav_database = %s\nscan_cache = no\n' \
		"$clamav_db" > "$dir/extra.conf"
	scan_note="scanner = clamav with the signatures in $clamav_db (clamd too)"
else
	: > "$dir/extra.conf"
	scan_note="the daemon has no scanner setting"
	if [ -n "$sigs" ]; then
		printf 'socket_group =\nuser =\nscanner = clamav\nclamav_database = %s\n' \
			"$sigs" > "$dir/probe.conf"
		if "$daemon" -n -c "$dir/probe.conf" > /dev/null 2>&1; then
			printf 'scanner = clamav\nclamav_database = %s\nscan_cache = no\n' \
				"$sigs" > "$dir/extra.conf"
			scan_note="scanner = clamav with the test signatures in $sigs"
		fi
	fi
fi

# start_mugaika NAME KEEP_ORIGINALS [QUARANTINE_PARENT [BINARY]]: its pid in $started
start_mugaika() {
	d=$dir/mg-$1
	q=${3:-$d}
	mkdir -p "$d" && chmod 700 "$d"
	rm -rf "$q/quarantine" "$q/db" "$d/milter.sock"
	cat > "$d/mugaika.conf" <<EOF
socket = unix:$d/milter.sock
socket_group =
user =
quarantine_dir = $q/quarantine
quarantine_db = $q/db/quarantine.db
keep_originals = $2
EOF
	cat "$dir/extra.conf" >> "$d/mugaika.conf"
	"${4:-$daemon}" -f -c "$d/mugaika.conf" > "$d/out" 2> "$d/log" &
	started=$!
	pids="$pids $started"
	for _ in $(seq 200); do
		[ -S "$d/milter.sock" ] && grep -q ': starting ' "$d/log" 2>/dev/null && return 0
		kill -0 "$started" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: mugaika-milter ($1) did not start:" >&2
	sed 's/^/    /' "$d/log" >&2
	exit 2
}

# wait_socket SOCKET TRIES: until SOCKET exists (0) or $started is gone or
# TRIES tenths of a second have passed (1)
wait_socket() {
	for _ in $(seq "$2"); do
		[ -S "$1" ] && return 0
		kill -0 "$started" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# start_clamav: clamd on $clamav_db, then clamav-milter in front of it, in
# one subshell (its pid in $started: the CPU of both is its tree's)
start_clamav() {
	c=$dir/clamav
	mkdir -p "$c" && chmod 700 "$c"
	rm -f "$c"/*.sock "$c"/*.pid
	cat > "$c/clamd.conf" <<EOF
LocalSocket $c/clamd.sock
Foreground yes
DatabaseDirectory $clamav_db
TemporaryDirectory /dev/shm
LogFile $c/clamd.log
MaxThreads 16
MaxQueue 200
StreamMaxLength 50M
HeuristicAlerts yes
AlertEncrypted yes
AlertOLE2Macros yes
AlertBrokenExecutables yes
DisableCache yes
EOF
	cat > "$c/clamav-milter.conf" <<EOF
MilterSocket unix:$c/milter.sock
ClamdSocket unix:$c/clamd.sock
Foreground yes
OnClean Accept
OnInfected Reject
OnFail Defer
MaxFileSize 50M
AddHeader No
LogFile $c/clamav-milter.log
EOF
	(
		clamd -c "$c/clamd.conf" > "$c/clamd.out" 2>&1 &
		echo $! > "$c/clamd.pid"
		for _ in $(seq 600); do
			[ -S "$c/clamd.sock" ] && break
			sleep 0.1
		done
		clamav-milter -c "$c/clamav-milter.conf" > "$c/milter.out" 2>&1 &
		echo $! > "$c/clamav-milter.pid"
		wait
	) &
	started=$!
	pids="$pids $started"
	wait_socket "$c/milter.sock" 900 && return 0
	echo "bench: clamd + clamav-milter did not start:" >&2
	cat "$c"/*.log "$c"/*.out >&2 2>/dev/null
	exit 2
}

start_null() {
	rm -f "$dir/null.sock"
	"$null" -p "unix:$dir/null.sock" 2> "$dir/null.log" &
	started=$!
	pids="$pids $started"
	wait_socket "$dir/null.sock" 200 && return 0
	echo "bench: null_milter did not start:" >&2
	cat "$dir/null.log" >&2
	exit 2
}

machine() {
	echo "== $1: load average $(cut -d' ' -f1-3 /proc/loadavg);" \
		"busiest other processes (%CPU since start):"
	ps -eo pcpu=,etime=,comm= --sort=-pcpu | head -n 3 | sed 's/^/     /'
}

# settle: on ext4 without a journal, a new file's inode is not taken from
# those deleted in the last 5 s, or in the last 5 min while their inode
# table block is not yet written back, and every file created scans past
# them (ext4 recently_deleted()): after a big rm -rf, creating files in the
# same block group costs up to milliseconds each.  sync writes those blocks,
# and after 6 s the deletions before the run no longer count.
settle() {
	sync
	sleep 6
}

# kept_check NAME: every message answered by instance NAME kept its original?
kept_check() {
	log=$dir/mg-$1/log
	answered=$(grep -c ' action=' "$log")
	kept=$(grep -c ' action=deliver .* kept=yes ' "$log")
	echo "== $1: $kept of $answered messages answered kept their original"
	[ "$answered" -gt 0 ] && [ "$kept" -eq "$answered" ]
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "== mugaika milter benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm)," \
	"${cpu:-unknown CPU}, $(getconf _NPROCESSORS_ONLN) CPUs"
echo "== daemon $daemon${baseline:+, before = $baseline}; $scan_note"
if [ -d "$dir/msgs/small" ] && [ -n "$keep" ]; then
	echo "== reusing the messages in $dir/msgs"
else
	echo "== generating messages ($counts) into $dir/msgs"
	python3 "$here/gen_messages.py" "$dir/msgs" --counts "$counts" || exit 2
fi

settle
start_null
null_pid=$started
start_mugaika main all
mg_pid=$started
before_target=
if [ -n "$baseline" ]; then
	start_mugaika before all "" "$baseline"
	before_target="-t before=unix:$dir/mg-before/milter.sock,pid=$started"
fi
clamav_target=
if [ -n "$clamav_db" ]; then
	start_clamav
	clamav_target="-t clamav=unix:$dir/clamav/milter.sock,pid=$started"
fi
machine before

status=0
echo
echo "== null_milter vs mugaika-milter (keep_originals = all)"
# shellcheck disable=SC2086 # before_target, clamav_target: two words or none
"$load" -t "null=unix:$dir/null.sock,pid=$null_pid" $before_target $clamav_target \
	-t "mugaika=unix:$dir/mg-main/milter.sock,pid=$mg_pid" \
	-c "$conc" -s "$seconds" -r "$rounds" --mix "$mix" ${sets:+--sets "$sets"} \
	--raw "$dir/milter.tsv" "$@" "$dir/msgs" || status=1
kept_check main || status=1
[ -z "$baseline" ] || kept_check before || status=1

if [ -n "$diag" ]; then
	start_mugaika changed changed
	changed_pid=$started
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		shm=$(mktemp -d /dev/shm/mugaika-bench.XXXXXX) && chmod 700 "$shm"
	fi
	tmpfs_target=
	if [ -n "$shm" ]; then
		start_mugaika tmpfs all "$shm"
		tmpfs_target="-t tmpfs=unix:$dir/mg-tmpfs/milter.sock,pid=$started"
	else
		echo "== no writable /dev/shm: no tmpfs instance"
	fi
	echo
	echo "== where the cost is: $diag_sets; changed = keep_originals changed (small: nothing kept),"
	echo "== tmpfs = keep_originals all on /dev/shm (no disk flush), mugaika = keep all on disk"
	# shellcheck disable=SC2086 # tmpfs_target is two words or none
	"$load" -t "null=unix:$dir/null.sock,pid=$null_pid" \
		-t "changed=unix:$dir/mg-changed/milter.sock,pid=$changed_pid" $tmpfs_target \
		-t "mugaika=unix:$dir/mg-main/milter.sock,pid=$mg_pid" \
		-c "$conc" -s "$seconds" -r "$rounds" --mix "$mix" --sets "$diag_sets" \
		--raw "$dir/diag.tsv" \
		"$@" "$dir/msgs" || status=1
fi

# profile NAME PID SOCKET: perf record of a daemon under the small set, 4
# connections, 10 s, and a summary.
profile() {
	echo
	echo "== perf: $1 (pid $2), small set, 4 connections, 10 s"
	perf record -F 999 --call-graph dwarf -o "$dir/perf.$1.data" -p "$2" -- sleep 10 \
		> "$dir/perf.$1.out" 2>&1 &
	perf_pid=$!
	sleep 0.5
	"$load" -t "$1=unix:$3,pid=$2" -c 4 -s 9 -r 1 -w 0 -q --sets small "$dir/msgs" |
		grep '^small '
	wait "$perf_pid"
	echo "-- by library (self):"
	perf report -i "$dir/perf.$1.data" --no-children --sort dso -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 8
	echo "-- by step (children, % of the daemon's samples):"
	perf report -i "$dir/perf.$1.data" --children --sort sym -g none 2>/dev/null |
		grep -E '\] (mi_engine|mi_listener|mlfi_eom|mg_decide|mg_sanitize|mg_store_keep|mg_keeper_keep|mg_store_keep_begin|mg_store_keep_finish|keeper_run|index_jobs|mg_spool_write|mg_spool_place|sqlite3_step|sqlite3_prepare_v2|__GI_fdatasync|__GI_fsync|send_ops|send_body|mi_rd_cmd|mlfi_header|mlfi_body|mg_store_find_retry|mg_store_new_id|mg_log_summary|g_thread_try_new|mg_plan_build|ext4_create|recently_deleted)$' |
		awk '!seen[$4]++' | head -n 30
	[ -z "$keep" ] || echo "-- perf report -i $dir/perf.$1.data for more"
}

if [ -n "$perf" ]; then
	profile mugaika "$mg_pid" "$dir/mg-main/milter.sock"
	[ -z "$diag" ] || profile changed "$changed_pid" "$dir/mg-changed/milter.sock"
fi

machine after
exit "$status"
