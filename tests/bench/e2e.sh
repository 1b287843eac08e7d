#!/bin/sh
# e2e.sh - messages/s and latency through a private Postfix on loopback,
# with and without mugaika-milter in smtpd_milters, in the same run.  A
# benchmark, not a test: make check does not run it.  Run it as root.
#
# Usage: tests/bench/e2e.sh [--seconds S] [--rounds R] [--conc LIST]
#                           [--counts small=N,...] [--mix SPEC] [--sets LIST]
#                           [--ports BASE] [--keep-originals all|changed|removed_parts]
#                           [--no-smtp-source] [--perf] [--keep DIR] [--daemon PATH]
#                           [--baseline PATH] [--conf-extra FILE]
#                           [-- SMTP_LOAD_ARGS...]
#
# Contract: builds nothing.  In a private directory (mktemp, or DIR with
# --keep, messages reused) it generates the messages (gen_messages.py, fixed
# seed, default 200/100/30/6 per class), and starts
#   smtp-sink      on 127.0.0.1:BASE+2 (BASE default 20025): takes every
#                  message and throws it away
#   mugaika-milter keep_originals = all by default (--keep-originals), its
#                  socket in the directory, group postfix, quarantine there
#   Postfix        postfix -c DIR/postfix start: its own main.cf and
#                  master.cf, queue_directory, data_directory and maillog_file
#                  in the directory, no chroot, no aliases, no local
#                  delivery, inet_interfaces = 127.0.0.1; two smtpd
#                  listeners, the same but for the milter:
#                    127.0.0.1:BASE    smtpd_milters = the mugaika socket
#                    127.0.0.1:BASE+1  no milters
#                    127.0.0.1:BASE+3  smtpd_milters = tests/bench/null_milter
#                                      (if built): what any milter costs
#                                      Postfix, the ceiling for mugaika
#                    127.0.0.1:BASE+4  with --baseline PATH: smtpd_milters =
#                                      a second mugaika-milter, that binary
#                                      (say, the previous commit's), the
#                                      same settings: target "before" (the
#                                      sink's CPU is then not measured:
#                                      smtp_load takes four --cpu)
#                  everything relayed to the smtp-sink (relayhost)
# Then tests/bench/smtp_load sends the same messages to the listeners in
# turn (the targets alternate), for each set (small, alt, att200k, att2m and
# mix = 55/33/10/2 %), at 1, 4 and 16 sessions, R rounds (default 3) of S
# seconds (default 3), a message per session.  A measurement ends when
# Postfix's queue is empty again (--drain): msgs/s is what went through,
# delivery included.  The table has per message: the CPU of Postfix (master
# and all its processes), of mugaika-milter, of the null filter and of the
# sink; "ratio" is bare's msgs/s / the row's, "cost" = 1 - row/bare; a
# second table gives the latency each milter adds (p50 and p99 of its
# listener minus those of the bare one, per round: median and range).  Last, unless
# --no-smtp-source, Postfix's smtp-source sends 2000 copies of the first
# small message (-N: a new recipient each, so each is a new message to the
# milter) with 16 sessions to each listener, timed: a check that
# smtp_load is not what limits the figures.  --perf records the milter
# during the mix at 16 sessions (perf record --call-graph dwarf) and
# prints a summary.
#
# Everything started is stopped at the end (postfix stop, SIGTERM to the
# milters and the sink; the script waits for each).  The ports BASE..BASE+3
# (BASE+4 with --baseline) must be free.
#
# Scanning: a daemon that has the scanner setting gets scanner = clamav with
# the project's test signatures (testdata/clamav: two signatures, so the
# scan costs less than with the official database); --conf-extra FILE
# appends FILE to the daemon's settings instead (e.g. clamav_database =
# /var/lib/clamav, or scanner = none).
#
# Programs: tests/bench/smtp_load, src/mugaika-milter and (optional)
# tests/bench/null_milter from $MG_BUILDDIR
# (default: the current directory); --daemon PATH for another daemon binary.
# Postfix: apt-get install postfix (after debconf-set-selections with
# "postfix postfix/main_mailer_type select No configuration").
# Exit status: 0; 1 if a message failed or was not delivered; 2 when it
# could not run.

set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${MG_BUILDDIR:-.}
seconds=3
rounds=3
conc=1,4,16
counts=small=200,alt=100,att200k=30,att2m=6
mix=small=55,alt=33,att200k=10,att2m=2
sets=
base=20025
keep_originals=all
smtp_source=1
perf=
keep=
daemon=
baseline=
conf_extra=

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
	--ports) [ $# -ge 2 ] || usage; base=$2; shift 2 ;;
	--keep-originals) [ $# -ge 2 ] || usage; keep_originals=$2; shift 2 ;;
	--no-smtp-source) smtp_source=; shift ;;
	--perf) perf=1; shift ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--daemon) [ $# -ge 2 ] || usage; daemon=$2; shift 2 ;;
	--baseline) [ $# -ge 2 ] || usage; baseline=$2; shift 2 ;;
	--conf-extra) [ $# -ge 2 ] || usage; conf_extra=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done

load=$build/tests/bench/smtp_load
null=$build/tests/bench/null_milter
daemon=${daemon:-$build/src/mugaika-milter}
for p in "$load" "$daemon" ${baseline:+"$baseline"}; do
	[ -x "$p" ] || {
		echo "bench: $p not built (make src/mugaika-milter tests/bench/smtp_load; MG_BUILDDIR=...)" >&2
		exit 2
	}
done
for c in postfix postconf smtp-sink python3; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "bench: $c is not installed (Debian: postfix, python3)" >&2
		exit 2
	}
done
[ "$(id -u)" -eq 0 ] || { echo "bench: a private Postfix needs root" >&2; exit 2; }
id postfix >/dev/null 2>&1 || { echo "bench: no user postfix" >&2; exit 2; }
if [ -n "$perf" ] && ! command -v perf >/dev/null 2>&1; then
	echo "bench: perf is not installed (Debian: linux-perf)" >&2
	exit 2
fi
port_milter=$base
port_bare=$((base + 1))
port_sink=$((base + 2))
port_null=$((base + 3))
port_before=$((base + 4))

# listening PORT: something accepts connections on 127.0.0.1:PORT
listening() {
	python3 -c 'import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}
for port in "$port_milter" "$port_bare" "$port_sink" "$port_null" ${baseline:+"$port_before"}; do
	if listening "$port"; then
		echo "bench: port $port is in use (--ports BASE)" >&2
		exit 2
	fi
done

if [ -n "$keep" ]; then
	dir=$keep
	mkdir -p "$dir" || exit 2
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/mugaika-bench-e2e.XXXXXX") || exit 2
fi
dir=$(cd "$dir" && pwd)
chmod 711 "$dir"         # postfix must reach the milter socket in it
pf=$dir/postfix
queue=$pf/queue
pids=
postfix_up=

# shellcheck disable=SC2317 # called by the trap
stop_all() {
	if [ -n "$postfix_up" ]; then
		postfix -c "$pf" stop >/dev/null 2>&1
		for _ in $(seq 100); do
			[ -f "$queue/pid/master.pid" ] || break
			kill -0 "$(cat "$queue/pid/master.pid" 2>/dev/null)" 2>/dev/null || break
			sleep 0.1
		done
		postfix_up=
	fi
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=
	rm -rf "$dir"/mg*/quarantine "$dir"/mg*/db "$queue" "$dir/null/milter.sock"
	[ -n "$keep" ] || rm -rf "$dir"
	sync   # see settle()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

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

# extra settings for every daemon (see Scanning above) -> $dir/extra.conf
sigs=$(cd "$here/../../testdata/clamav" 2>/dev/null && pwd)
if [ -n "$conf_extra" ]; then
	cat "$conf_extra" > "$dir/extra.conf" || exit 2
	scan_note="settings added from $conf_extra"
else
	: > "$dir/extra.conf"
	scan_note="the daemon has no scanner setting"
	if [ -n "$sigs" ]; then
		printf 'socket_group =\nuser =\nscanner = clamav\nclamav_database = %s\n' \
			"$sigs" > "$dir/probe.conf"
		if "$daemon" -n -c "$dir/probe.conf" > /dev/null 2>&1; then
			printf 'scanner = clamav\nclamav_database = %s\n' "$sigs" > "$dir/extra.conf"
			scan_note="scanner = clamav with the test signatures in $sigs"
		fi
	fi
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "== mugaika end-to-end benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm)," \
	"${cpu:-unknown CPU}, $(getconf _NPROCESSORS_ONLN) CPUs"
echo "== Postfix $(postconf -d -h mail_version 2>/dev/null), daemon $daemon${baseline:+, before = $baseline}, keep_originals = $keep_originals"
echo "== $scan_note"
if [ -d "$dir/msgs/small" ] && [ -n "$keep" ]; then
	echo "== reusing the messages in $dir/msgs"
else
	echo "== generating messages ($counts) into $dir/msgs"
	python3 "$here/gen_messages.py" "$dir/msgs" --counts "$counts" || exit 2
fi

settle

# ---- the sink --------------------------------------------------------------
smtp-sink -u nobody "127.0.0.1:$port_sink" 256 > "$dir/sink.log" 2>&1 &
sink_pid=$!
pids="$pids $sink_pid"

# ---- the milter ------------------------------------------------------------
# start_mg DIR BINARY: a mugaika-milter with its socket, settings,
# quarantine and log in DIR; its pid in $started
start_mg() {
	mkdir -p "$1" && chmod 711 "$1"
	rm -f "$1/milter.sock"
	cat > "$1/mugaika.conf" <<EOF
socket = unix:$1/milter.sock
socket_mode = 0660
socket_group = postfix
user =
quarantine_dir = $1/quarantine
quarantine_db = $1/db/quarantine.db
keep_originals = $keep_originals
EOF
	cat "$dir/extra.conf" >> "$1/mugaika.conf"
	"$2" -f -c "$1/mugaika.conf" > "$1/out" 2> "$1/log" &
	started=$!
	pids="$pids $started"
	for _ in $(seq 200); do
		[ -S "$1/milter.sock" ] && grep -q ': starting ' "$1/log" 2>/dev/null && break
		sleep 0.05
	done
	[ -S "$1/milter.sock" ] || {
		echo "bench: mugaika-milter ($2) did not start:" >&2
		sed 's/^/    /' "$1/log" >&2
		exit 2
	}
}
start_mg "$dir/mg" "$daemon"
milter_pid=$started
before_pid=
if [ -n "$baseline" ]; then
	start_mg "$dir/mg-before" "$baseline"
	before_pid=$started
fi

# ---- the null filter (optional) ---------------------------------------------------
null_pid=
if [ -x "$null" ]; then
	mkdir -p "$dir/null" && chmod 711 "$dir/null"
	rm -f "$dir/null/milter.sock"
	"$null" -p "unix:$dir/null/milter.sock" 2> "$dir/null/log" &
	null_pid=$!
	pids="$pids $null_pid"
	for _ in $(seq 200); do
		[ -S "$dir/null/milter.sock" ] && break
		sleep 0.05
	done
	# null_milter cannot set the socket's group: open it up (the
	# directory is private apart from search permission)
	chmod 666 "$dir/null/milter.sock" || exit 2
else
	echo "== $null not built: no null-filter listener (make tests/bench/null_milter)"
fi

# ---- Postfix ------------------------------------------------------------------
mkdir -p "$pf" "$queue" "$pf/data"
chmod 755 "$pf"
chown postfix "$pf/data"
cat > "$pf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
home_mailbox = Maildir/
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$port_sink
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
biff = no
smtputf8_enable = no
message_size_limit = 52428800
maillog_file = $pf/maillog
maillog_file_prefixes = $pf
milter_default_action = tempfail
milter_protocol = 6
milter_content_timeout = 300s
EOF
cat > "$pf/master.cf" <<EOF
127.0.0.1:$port_milter inet n - n - - smtpd
  -o syslog_name=postfix-bench/milter
  -o smtpd_milters=unix:$dir/mg/milter.sock
127.0.0.1:$port_bare inet n - n - - smtpd
  -o syslog_name=postfix-bench/bare
  -o smtpd_milters=
127.0.0.1:$port_null inet n - n - - smtpd
  -o syslog_name=postfix-bench/null
  -o smtpd_milters=unix:$dir/null/milter.sock
${baseline:+127.0.0.1:$port_before inet n - n - - smtpd
  -o syslog_name=postfix-bench/before
  -o smtpd_milters=unix:$dir/mg-before/milter.sock}
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
if ! postfix -c "$pf" check > "$dir/postfix-check.log" 2>&1 ||
   ! postfix -c "$pf" start > "$dir/postfix-start.log" 2>&1; then
	echo "bench: the private Postfix did not start:" >&2
	cat "$dir/postfix-check.log" "$dir/postfix-start.log" >&2
	[ -f "$pf/maillog" ] && tail -n 20 "$pf/maillog" >&2
	exit 2
fi
postfix_up=1
master_pid=
for _ in $(seq 100); do
	master_pid=$(sed -n 's/^ *//p' "$queue/pid/master.pid" 2>/dev/null)
	[ -n "$master_pid" ] && listening "$port_bare" && break
	sleep 0.1
done
[ -n "$master_pid" ] || { echo "bench: no Postfix master pid" >&2; exit 2; }

machine() {
	echo "== $1: load average $(cut -d' ' -f1-3 /proc/loadavg);" \
		"busiest processes (%CPU since start):"
	ps -eo pcpu=,etime=,comm= --sort=-pcpu | head -n 3 | sed 's/^/     /'
}
machine before

status=0
echo
echo "== Postfix bare (127.0.0.1:$port_bare) vs Postfix + mugaika-milter (127.0.0.1:$port_milter)"
[ -z "$null_pid" ] || echo "== and Postfix + null_milter (127.0.0.1:$port_null)"
[ -z "$before_pid" ] || echo "== and Postfix + the baseline mugaika-milter (127.0.0.1:$port_before)"
# shellcheck disable=SC2046 # the null target: two words or none
"$load" -t "bare=127.0.0.1:$port_bare" -t "milter=127.0.0.1:$port_milter" \
	$([ -z "$null_pid" ] || echo "-t null=127.0.0.1:$port_null --cpu null=$null_pid") \
	$([ -z "$before_pid" ] || echo "-t before=127.0.0.1:$port_before --cpu before=$before_pid") \
	--cpu "postfix=$master_pid" --cpu "milter=$milter_pid" \
	$([ -n "$before_pid" ] || echo "--cpu sink=$sink_pid") \
	--drain "$queue" -c "$conc" -s "$seconds" -r "$rounds" --mix "$mix" \
	${sets:+--sets "$sets"} --raw "$dir/e2e.tsv" "$@" "$dir/msgs" || status=1

echo
echo "== latency a milter adds per message (its listener - bare, per round: median (range)), ms"
awk -F '\t' '
	NR == 1 { next }
	{ p50[$2, $3, $1, $4] = $9; p99[$2, $3, $1, $4] = $10
	  if (!(($2, $3) in seen)) { seen[$2, $3] = 1; order[++n] = $2 SUBSEP $3 }
	  if (!(($2, $3, $1) in seenr)) { seenr[$2, $3, $1] = 1; rounds[$2, $3] = rounds[$2, $3] " " $1 }
	  if ($4 != "bare" && !($4 in seent)) { seent[$4] = 1; tg[++nt] = $4 } }
	function med(a, k,    i, j, t) {
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		printf "%-8s %4s %-7s %24s %26s\n", "set", "conc", "milter", "p50 added (range)", "p99 added (range)"
		for (i = 1; i <= n; i++) for (t = 1; t <= nt; t++) {
			split(order[i], sc, SUBSEP)
			k = split(rounds[sc[1], sc[2]], rs, " ")
			m = 0
			for (j = 1; j <= k; j++) {
				if (!((sc[1], sc[2], rs[j], "bare") in p50) ||
				    !((sc[1], sc[2], rs[j], tg[t]) in p50)) continue
				m++
				d50[m] = p50[sc[1], sc[2], rs[j], tg[t]] - p50[sc[1], sc[2], rs[j], "bare"]
				d99[m] = p99[sc[1], sc[2], rs[j], tg[t]] - p99[sc[1], sc[2], rs[j], "bare"]
			}
			if (m == 0) continue
			lo50 = hi50 = d50[1]; lo99 = hi99 = d99[1]
			for (j = 2; j <= m; j++) {
				if (d50[j] < lo50) lo50 = d50[j]; if (d50[j] > hi50) hi50 = d50[j]
				if (d99[j] < lo99) lo99 = d99[j]; if (d99[j] > hi99) hi99 = d99[j]
			}
			printf "%-8s %4s %-7s %24s %26s\n", sc[1], sc[2], tg[t],
				sprintf("%.2f (%.2f..%.2f)", med(d50, m), lo50, hi50),
				sprintf("%.2f (%.2f..%.2f)", med(d99, m), lo99, hi99)
		}
	}' "$dir/e2e.tsv"

if [ -n "$perf" ]; then
	echo
	echo "== perf: mugaika-milter during the mix, 16 sessions through Postfix, 10 s"
	perf record -F 999 --call-graph dwarf -o "$dir/perf.data" -p "$milter_pid" -- sleep 10 \
		> "$dir/perf.out" 2>&1 &
	perf_pid=$!
	sleep 0.5
	"$load" -t "milter=127.0.0.1:$port_milter" --drain "$queue" -c 16 -s 9 -r 1 -w 0 -q \
		--mix "$mix" --sets mix "$dir/msgs" | grep '^mix '
	wait "$perf_pid"
	perf report -i "$dir/perf.data" --no-children --sort dso -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 8
	perf report -i "$dir/perf.data" --children --sort sym -g none 2>/dev/null |
		grep -E '\] (mi_engine|mi_listener|mlfi_eom|mg_decide|mg_sanitize|mg_store_keep|mg_keeper_keep|mg_store_keep_begin|mg_store_keep_finish|keeper_run|mg_spool_write|mg_spool_place|sqlite3_step|sqlite3_prepare_v2|mi_rd_cmd|mg_store_find_retry|ext4_create|recently_deleted)$' |
		awk '!seen[$4]++' | head -n 20
fi

if [ -n "$smtp_source" ] && command -v smtp-source >/dev/null 2>&1; then
	echo
	echo "== cross-check with smtp-source: 2000 x msgs/small/0000.eml, 16 sessions, -N"
	for t in "bare:$port_bare" "milter:$port_milter"; do
		name=${t%%:*}
		port=${t#*:}
		start=$(date +%s.%N)
		if smtp-source -s 16 -m 2000 -N -f sender@sender.example -t user@bench.example \
			-F "$dir/msgs/small/0000.eml" "127.0.0.1:$port" > "$dir/smtp-source.$name.log" 2>&1; then
			while [ "$(find "$queue/incoming" "$queue/active" "$queue/maildrop" \
				"$queue/deferred" "$queue/hold" -type f 2>/dev/null | head -n 1)" ]; do
				sleep 0.01
			done
			end=$(date +%s.%N)
			awk -v s="$start" -v e="$end" -v n=2000 -v t="$name" \
				'BEGIN { printf "   %-6s %6.0f msgs/s (2000 in %.2f s, until the queue was empty)\n", t, n / (e - s), e - s }'
		else
			echo "   $name: smtp-source failed:"
			tail -n 3 "$dir/smtp-source.$name.log" | sed 's/^/      /'
			status=1
		fi
	done
fi

# ---- did everything arrive? ----------------------------------------------------
deferred=$(find "$queue/deferred" "$queue/hold" -type f 2>/dev/null | wc -l)
sent=$(grep -c 'status=sent' "$pf/maillog" 2>/dev/null || true)
bounced=$(grep -c 'status=bounced\|status=deferred' "$pf/maillog" 2>/dev/null || true)
answered=$(grep -c ' action=' "$dir/mg/log")
kept=$(grep -c ' kept=yes ' "$dir/mg/log")
echo
echo "== Postfix delivered $sent messages to the sink; $bounced deferred or bounced, $deferred still queued"
echo "== the milter answered $answered messages and kept $kept originals (keep_originals = $keep_originals)"
if [ -n "$before_pid" ]; then
	echo "== the baseline milter answered $(grep -c ' action=' "$dir/mg-before/log") messages" \
		"and kept $(grep -c ' kept=yes ' "$dir/mg-before/log") originals"
fi
{ [ "$deferred" -eq 0 ] && [ "$bounced" -eq 0 ]; } || status=1
machine after
exit "$status"
