# tests/integration/postfix-env.sh -- a private Postfix on loopback with
# mugaika-milter in smtpd_milters (POSIX sh, sourced).
#
# SYNOPSIS
#	. tests/integration/postfix-env.sh
#	mgpf_init DIR BUILDDIR          # DIR: an empty private directory
#	mgpf_mailbox NAME...            # NAME@mugaika.test -> DIR/mail/NAME/Maildir/
#	mgpf_milter_conf >FILE          # base settings; append your own after it
#	mgpf_milter_start FILE && mgpf_postfix_start
#	mgpf_send NAME MESSAGE [PORT]   # swaks; the reply to the data in MGPF_REPLY
#	mgpf_wait_delivered NAME N [SECS]; mgpf_wait_queue_empty [SECS]
#	mgpf_stop_all                   # Postfix, then the milter; in a trap
#
# DESCRIPTION
#	Used by tests/integration/run.sh and scripts/demo.sh, so that the test
#	and the demo run the same setup.  Needs root (Postfix's master runs as
#	root), the postfix and swaks packages and python3.  Nothing outside DIR
#	is read or written: /etc/postfix and a system Postfix are left alone.
#
#	DIR/etc        config_directory (postfix -c DIR/etc): main.cf,
#	               master.cf, vmailbox (a texthash: table, no postmap)
#	DIR/spool      queue_directory, also the chroot of the chrooted smtpd
#	DIR/spool/mugaika/milter.sock
#	               the milter socket, at the default-style place inside the
#	               chroot: smtpd_milters = unix:mugaika/milter.sock (Postfix
#	               daemons run in the queue directory, chrooted or not)
#	DIR/data       data_directory
#	DIR/mail       virtual_mailbox_base: one Maildir per test mailbox,
#	               written as nobody (virtual(8), virtual_uid_maps)
#	DIR/maillog    Postfix's log (maillog_file; there is no syslog)
#	DIR/milter     the milter's settings, log and quarantine index;
#	               DIR/quarantine its spool (quarantine_dir)
#	DIR/msgs       messages as sent on the wire
#
#	Two smtpd listeners on loopback ports that were free (MGPF_PORT, chroot
#	n; MGPF_CHROOT_PORT, chroot y, syslog_name postfix-chroot; and
#	127.0.0.2:MGPF_PORT, the "submission" listener whose mail the milter
#	treats as outgoing: milter_macro_daemon_name=submission), picked from
#	a random place in 10025-19999.  Several instances may run at once (the
#	test in two build trees): mgpf_postfix_start makes sure that both ports
#	greet with this instance's banner (it carries MGPF_TOKEN, the name of
#	DIR), and if another instance has one of them it stops, picks other
#	ports, rewrites their two lines of master.cf and starts again.
#	mgpf_port_ours PORT tells whether PORT is this instance's.
#	inet_interfaces = 127.0.0.1; local delivery only to
#	the virtual domain mugaika.test, everything else fails at once
#	(default_transport = error): no mail leaves the machine.
#	milter_default_action = tempfail, milter_protocol = 6.
#
#	mgpf_send sends the message as it is on the wire: lines end in CRLF
#	(a bare LF becomes CRLF, a bare CR stays), an mbox "From " line is
#	dropped, leading dots are doubled (swaks --no-data-fixup, so swaks
#	changes nothing else).  DIR/msgs/NAME.canon gets the message as sent
#	(before dot-stuffing).  The server's last reply before QUIT (the one to
#	the message's end, or the error that ended the session) is put in
#	MGPF_REPLY ("250 2.0.0 Ok: queued as ...", "451 ...").
#
#	Waits are bounded polls (MGPF_TIMEOUT seconds, default 60): they end
#	as soon as the condition holds and never decide a result by time.
#
#	mgpf_stop_all stops Postfix (postfix stop, then waits until no process
#	runs in its queue directory; those still running after MGPF_TIMEOUT
#	are killed by pid) and the milter (SIGTERM, then wait for its pid:
#	libmilter takes seconds to exit).  It may be called more than once.

MGPF_DOMAIN=mugaika.test
MGPF_SENDER=sender@example.org
MGPF_TIMEOUT=${MGPF_TIMEOUT:-60}
: "${MGPF_HERE:?set MGPF_HERE to the directory of postfix-env.sh before sourcing it}"

# mgpf_init DIR BUILDDIR
mgpf_init() {
	MGPF_DIR=$1
	MGPF_BUILDDIR=$2
	MGPF_ETC=$MGPF_DIR/etc
	MGPF_QUEUE=$MGPF_DIR/spool
	MGPF_MAIL=$MGPF_DIR/mail
	MGPF_LOG=$MGPF_DIR/maillog
	MGPF_MILTER_DIR=$MGPF_DIR/milter
	MGPF_QDIR=$MGPF_DIR/quarantine
	MGPF_SOCK=$MGPF_QUEUE/mugaika/milter.sock
	MGPF_MILTER_LOG=$MGPF_MILTER_DIR/milter.log
	MGPF_MILTER_PID=
	MGPF_POSTFIX_UP=
	MGPF_PY="python3 $MGPF_HERE/mailcheck.py"
	MGPF_TOKEN=${MGPF_DIR##*/}
	# virtual(8) writes the Maildirs as nobody: DIR must let it through.
	chmod 0711 "$MGPF_DIR" || return 1
	mkdir -p "$MGPF_ETC" "$MGPF_QUEUE" "$MGPF_MAIL" "$MGPF_DIR/data" \
		"$MGPF_MILTER_DIR" "$MGPF_DIR/msgs" "$MGPF_QUEUE/mugaika" || return 1
	chmod 0755 "$MGPF_ETC" "$MGPF_QUEUE"
	chmod 0700 "$MGPF_MILTER_DIR" "$MGPF_DIR/msgs"
	# The socket's directory: the milter (root) writes, smtpd (postfix) connects.
	chgrp postfix "$MGPF_QUEUE/mugaika" && chmod 0750 "$MGPF_QUEUE/mugaika" || return 1
	chown nobody:nogroup "$MGPF_MAIL" && chmod 0755 "$MGPF_MAIL" || return 1
	chown postfix "$MGPF_DIR/data" || return 1
	: > "$MGPF_ETC/vmailbox"
	# shellcheck disable=SC2046 # two numbers
	set -- $($MGPF_PY freeports 2 random) || return 1
	MGPF_PORT=$1
	MGPF_CHROOT_PORT=$2
	[ -n "$MGPF_CHROOT_PORT" ] || return 1
	mgpf_write_config
}

# mgpf_mailbox NAME...: the mailboxes mail may go to (before mgpf_postfix_start).
mgpf_mailbox() {
	for mgpf_n in "$@"; do
		printf '%s@%s %s/Maildir/\n' "$mgpf_n" "$MGPF_DOMAIN" "$mgpf_n" >> "$MGPF_ETC/vmailbox"
	done
}

mgpf_write_config() {
	cat > "$MGPF_ETC/main.cf" <<EOF
# A private Postfix for mugaika's integration test and demo
# (tests/integration/postfix-env.sh).  Not /etc/postfix.
compatibility_level = 3.6
queue_directory = $MGPF_QUEUE
data_directory = $MGPF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.$MGPF_DOMAIN
mydomain = $MGPF_DOMAIN
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
relayhost =
default_transport = error:no mail leaves this test instance
relay_transport = error:no mail leaves this test instance
alias_maps =
alias_database =
local_recipient_maps =
# Headers as the client sent them: no rewriting, nothing added.
local_header_rewrite_clients =
biff = no
readme_directory = no
smtpd_banner = \$myhostname ESMTP (mugaika test $MGPF_TOKEN)
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
maillog_file = $MGPF_LOG
maillog_file_prefixes = $MGPF_DIR
notify_classes =
message_size_limit = 52428800
virtual_mailbox_domains = $MGPF_DOMAIN
virtual_mailbox_base = $MGPF_MAIL
virtual_mailbox_maps = texthash:$MGPF_ETC/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_mailbox_limit = 0
# The milter: the default-style socket inside the chroot (queue directory).
smtpd_milters = unix:mugaika/milter.sock
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_content_timeout = 300s
EOF
	cat > "$MGPF_ETC/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$MGPF_PORT inet n - n - - smtpd
127.0.0.1:$MGPF_CHROOT_PORT inet n - y - - smtpd
  -o syslog_name=postfix-chroot
  -o max_idle=3600
127.0.0.2:$MGPF_PORT inet n - n - - smtpd
  -o syslog_name=postfix-submission
  -o milter_macro_daemon_name=submission
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# mgpf_milter_conf: the milter's base settings, on standard output.
mgpf_milter_conf() {
	cat <<EOF
# mugaika-milter for the private Postfix (tests/integration/postfix-env.sh)
socket = unix:$MGPF_SOCK
socket_group = postfix
socket_mode = 0660
user =
quarantine_dir = $MGPF_QDIR
quarantine_db = $MGPF_MILTER_DIR/db/quarantine.db
# The project's own test signatures (no network to fetch official ones).
outbound_daemons = submission
scanner = clamav
clamav_database = ${MG_SRCDIR:?MG_SRCDIR must name the source tree}/testdata/clamav
EOF
}

# mgpf_milter_start CONF: starts the daemon in the foreground (a child of
# this shell), waits until it listens.  MGPF_MILTER_PID gets its pid.
mgpf_milter_start() {
	"$MGPF_BUILDDIR/src/mugaika-milter" -f -c "$1" >> "$MGPF_MILTER_LOG" 2>&1 &
	MGPF_MILTER_PID=$!
	mgpf_i=0
	while [ "$mgpf_i" -lt $((MGPF_TIMEOUT * 10)) ]; do
		if [ -S "$MGPF_SOCK" ] && [ "$(grep -c ': starting ' "$MGPF_MILTER_LOG")" -gt "${MGPF_STARTS:-0}" ]; then
			MGPF_STARTS=$(grep -c ': starting ' "$MGPF_MILTER_LOG")
			return 0
		fi
		kill -0 "$MGPF_MILTER_PID" 2>/dev/null || break
		sleep 0.1
		mgpf_i=$((mgpf_i + 1))
	done
	wait "$MGPF_MILTER_PID" 2>/dev/null
	MGPF_MILTER_PID=
	return 1
}

# mgpf_milter_stop [SIGNAL]: SIGTERM (or SIGNAL), then wait for the process;
# its exit status goes into MGPF_MILTER_RC.
# shellcheck disable=SC2120 # the signal is optional
mgpf_milter_stop() {
	[ -n "$MGPF_MILTER_PID" ] || return 0
	kill "-${1:-TERM}" "$MGPF_MILTER_PID" 2>/dev/null
	wait "$MGPF_MILTER_PID" 2>/dev/null
	# shellcheck disable=SC2034 # for the caller
	MGPF_MILTER_RC=$?
	MGPF_MILTER_PID=
}

# mgpf_port_open PORT
mgpf_port_open() {
	$MGPF_PY portopen "$1"
}

# mgpf_port_ours PORT: PORT greets with this instance's banner.
mgpf_port_ours() {
	$MGPF_PY banner "$1" "$MGPF_TOKEN"
}

# mgpf_postfix_up: 0 when both listeners are this instance's, 1 when
# another instance holds one (or this one could not bind), 2 on timeout.
mgpf_postfix_up() {
	mgpf_i=0
	while [ "$mgpf_i" -lt $((MGPF_TIMEOUT * 10)) ]; do
		mgpf_port_ours "$MGPF_PORT"
		mgpf_a=$?
		mgpf_port_ours "$MGPF_CHROOT_PORT"
		mgpf_b=$?
		[ "$mgpf_a" -eq 0 ] && [ "$mgpf_b" -eq 0 ] && return 0
		[ "$mgpf_a" -eq 2 ] || [ "$mgpf_b" -eq 2 ] && return 1
		grep -q 'fatal: bind' "$MGPF_LOG" 2>/dev/null && return 1
		sleep 0.1
		mgpf_i=$((mgpf_i + 1))
	done
	return 2
}

mgpf_postfix_start() {
	mgpf_try=1
	while :; do
		MGPF_POSTFIX_UP=yes
		postfix -c "$MGPF_ETC" start > "$MGPF_DIR/postfix-start.out" 2>&1
		mgpf_postfix_up
		mgpf_up=$?
		[ "$mgpf_up" -eq 0 ] && return 0
		[ "$mgpf_up" -eq 1 ] && [ "$mgpf_try" -lt 5 ] || return 1
		# Another instance took a port between the pick and the bind.
		mgpf_postfix_stop
		mgpf_old=$MGPF_PORT
		mgpf_oldc=$MGPF_CHROOT_PORT
		# shellcheck disable=SC2046 # two numbers
		set -- $($MGPF_PY freeports 2 random) || return 1
		MGPF_PORT=$1
		MGPF_CHROOT_PORT=$2
		echo "postfix-env: port $mgpf_old or $mgpf_oldc taken by another instance; now $MGPF_PORT and $MGPF_CHROOT_PORT" >&2
		sed -i -e "s/^127\.0\.0\.\([12]\):$mgpf_old inet /127.0.0.\1:$MGPF_PORT inet /" \
			-e "s/^127\.0\.0\.1:$mgpf_oldc inet /127.0.0.1:$MGPF_CHROOT_PORT inet /" \
			"$MGPF_ETC/master.cf"
		# the next start begins a new log (DIR/maillog.N: the try before)
		mv "$MGPF_LOG" "$MGPF_LOG.$mgpf_try" 2>/dev/null
		mgpf_try=$((mgpf_try + 1))
	done
}

# mgpf_procs: pids of the processes of this Postfix (they run in its queue
# directory, or chrooted there).
mgpf_procs() {
	for mgpf_p in /proc/[0-9]*; do
		mgpf_c=$(readlink "$mgpf_p/cwd" 2>/dev/null) || continue
		mgpf_r=$(readlink "$mgpf_p/root" 2>/dev/null)
		case "$mgpf_c/:$mgpf_r/" in
		"$MGPF_QUEUE"/*|*:"$MGPF_QUEUE"/*) echo "${mgpf_p#/proc/}" ;;
		esac
	done
}

mgpf_postfix_stop() {
	[ -n "$MGPF_POSTFIX_UP" ] || return 0
	postfix -c "$MGPF_ETC" stop > "$MGPF_DIR/postfix-stop.out" 2>&1
	mgpf_i=0
	while [ -n "$(mgpf_procs)" ] && [ "$mgpf_i" -lt $((MGPF_TIMEOUT * 10)) ]; do
		sleep 0.1
		mgpf_i=$((mgpf_i + 1))
	done
	mgpf_left=$(mgpf_procs)
	if [ -n "$mgpf_left" ]; then
		echo "postfix-env: killing processes left of the test Postfix: $mgpf_left" >&2
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $mgpf_left 2>/dev/null
	fi
	MGPF_POSTFIX_UP=
}

mgpf_stop_all() {
	mgpf_postfix_stop
	# shellcheck disable=SC2119 # SIGTERM
	mgpf_milter_stop
}

# mgpf_wire NAME MESSAGE: DIR/msgs/NAME.canon (as sent) and NAME.wire (swaks).
mgpf_wire() {
	$MGPF_PY wire "$2" "$MGPF_DIR/msgs/$1.canon" "$MGPF_DIR/msgs/$1.wire"
}

# mgpf_wire_list LIST: mgpf_wire for each "NAME MESSAGE" line of LIST.
mgpf_wire_list() {
	$MGPF_PY wire-list "$1" "$MGPF_DIR/msgs"
}

# mgpf_send NAME MESSAGE [PORT [RCPT]]: sends MESSAGE to NAME@mugaika.test
# (or RCPT); swaks's transcript goes to DIR/msgs/NAME.smtp, the reply to
# the end of data into MGPF_REPLY.  True when it is a 2xx.
mgpf_send() {
	mgpf_wire "$1" "$2" || { MGPF_REPLY="(message not prepared)"; return 1; }
	mgpf_swaks "$1" "${3:-$MGPF_PORT}" "${4:-$1@$MGPF_DOMAIN}"
}

# mgpf_swaks NAME PORT RCPT: sends the prepared DIR/msgs/NAME.wire.
mgpf_swaks() {
	swaks --server "${MGPF_SERVER:-127.0.0.1}" --port "$2" --helo client.example.org \
		--from "$MGPF_SENDER" --to "$3" --timeout 300 \
		--data "@$MGPF_DIR/msgs/$1.wire" --no-data-fixup --suppress-data \
		> "$MGPF_DIR/msgs/$1.smtp" 2>&1
	MGPF_REPLY=$(mgpf_reply "$MGPF_DIR/msgs/$1.smtp")
	case "$MGPF_REPLY" in
	2*) return 0 ;;
	*) return 1 ;;
	esac
}

# mgpf_reply TRANSCRIPT: the server's last reply before QUIT: the one to the
# end of the data, or the error that ended the session before it.
mgpf_reply() {
	awk '/^ *<[-*~]+ +[0-9][0-9][0-9][ -]/ {
		l = $0; sub(/^ *<[-*~]+ +/, "", l); if (l !~ /^221/) last = l }
	     END { print last }' "$1"
}

# mgpf_files NAME: the delivered messages of mailbox NAME, one path a line.
mgpf_files() {
	mgpf_d=$MGPF_MAIL/$1/Maildir/new
	[ -d "$mgpf_d" ] || return 0
	find "$mgpf_d" -type f | sort
}

mgpf_count() {
	mgpf_files "$1" | wc -l | tr -d ' '
}

# mgpf_wait_delivered NAME N [SECS]: until mailbox NAME has N messages.
mgpf_wait_delivered() {
	mgpf_i=0
	while [ "$(mgpf_count "$1")" -lt "$2" ]; do
		[ "$mgpf_i" -ge $((${3:-$MGPF_TIMEOUT} * 10)) ] && return 1
		sleep 0.1
		mgpf_i=$((mgpf_i + 1))
	done
	return 0
}

# mgpf_queue_count: messages in the queue (not yet delivered).
mgpf_queue_count() {
	find "$MGPF_QUEUE/maildrop" "$MGPF_QUEUE/incoming" "$MGPF_QUEUE/active" \
		"$MGPF_QUEUE/deferred" "$MGPF_QUEUE/hold" -type f 2>/dev/null | wc -l | tr -d ' '
}

# mgpf_wait_queue_empty [SECS]
mgpf_wait_queue_empty() {
	mgpf_i=0
	while [ "$(mgpf_queue_count)" -gt 0 ]; do
		[ "$mgpf_i" -ge $((${1:-$MGPF_TIMEOUT} * 10)) ] && return 1
		sleep 0.1
		mgpf_i=$((mgpf_i + 1))
	done
	return 0
}
