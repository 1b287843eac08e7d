#!/bin/sh
# tests/contrib/run.sh -- the files in contrib/ hold together.
#
# SYNOPSIS
#	tests/contrib/run.sh
#
# DESCRIPTION
#	- contrib/mugaika-milter.service passes systemd-analyze verify (with
#	  its /usr/sbin/mugaika-milter pointed at the built daemon, since it is
#	  not installed; skipped where systemd-analyze is missing), and its
#	  ExecStart runs the daemon in the foreground with -f and reloads with
#	  SIGUSR1.
#	- contrib/tmpfiles.d/mugaika.conf makes the socket directory inside
#	  Postfix's chroot, for the daemon's default socket.
#	- contrib/postfix/main.cf wires the default socket the chrooted way,
#	  with milter_default_action = tempfail and milter_protocol = 6;
#	  contrib/postfix/master.cf has the milter-free listener on
#	  127.0.0.1:10026.
#
# EXIT STATUS
#	0 all passed, 1 a case failed, 99 the test could not run.
#	Prints "ok NAME" / "FAIL NAME" / "skip NAME" and "contrib: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init contrib "$mg_here/../.."

C=$MG_SRCDIR/contrib
UNIT=$C/mugaika-milter.service
DAEMON=$MG_BUILDDIR/src/mugaika-milter
mg_tmpdir

# has FILE REGEX WHAT: FILE has a line matching the extended REGEX.
has() {
	grep -Eq -- "$2" "$1" || { missing="$missing${missing:+; }$3"; }
}

# ---- the systemd unit -------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	mg_skip unit-verify "systemd-analyze is not installed"
elif [ ! -x "$DAEMON" ]; then
	mg_hard_error "$DAEMON not built"
else
	sed "s|/usr/sbin/mugaika-milter|$DAEMON|g" "$UNIT" > "$MG_TMP/mugaika-milter.service"
	if systemd-analyze verify --man=no "$MG_TMP/mugaika-milter.service" > "$MG_TMP/out" 2>&1
	then
		mg_pass unit-verify
	else
		mg_fail unit-verify "systemd-analyze verify:" "$(cat "$MG_TMP/out")"
	fi
fi

missing=
has "$UNIT" '^ExecStart=/usr/sbin/mugaika-milter -f ' "ExecStart with -f"
has "$UNIT" '^ExecStartPre=/usr/sbin/mugaika-milter -n ' "ExecStartPre with -n"
# shellcheck disable=SC2016 # a literal $MAINPID
has "$UNIT" '^ExecReload=/bin/kill -USR1 \$MAINPID' "ExecReload with SIGUSR1"
has "$UNIT" '^User=mugaika$' "User=mugaika"
has "$UNIT" '^SupplementaryGroups=postfix$' "SupplementaryGroups=postfix"
has "$UNIT" '^RuntimeDirectory=mugaika$' "RuntimeDirectory=mugaika"
has "$UNIT" '^ReadWritePaths=.*/var/spool/postfix/mugaika' "the socket directory writable"
if [ -z "$missing" ]; then mg_pass unit-content; else mg_fail unit-content "$missing"; fi

# ---- tmpfiles.d and Postfix snippets ------------------------------------------
missing=
has "$C/tmpfiles.d/mugaika.conf" '^d +/var/spool/postfix/mugaika +0750 +mugaika +postfix' \
	"socket directory inside the chroot"
if [ -z "$missing" ]; then mg_pass tmpfiles; else mg_fail tmpfiles "$missing"; fi

missing=
has "$C/postfix/main.cf" '^smtpd_milters = .*unix:mugaika/milter\.sock' "smtpd_milters"
has "$C/postfix/main.cf" '^milter_default_action = tempfail$' "milter_default_action"
has "$C/postfix/main.cf" '^milter_protocol = 6$' "milter_protocol"
has "$C/postfix/master.cf" '^127\.0\.0\.1:10026 +inet ' "release listener"
has "$C/postfix/master.cf" '^ +-o receive_override_options=no_milters$' "no milters on it"
has "$C/postfix/master.cf" '^ +-o smtpd_milters=$' "empty smtpd_milters on it"
if [ -z "$missing" ]; then mg_pass postfix-snippets; else mg_fail postfix-snippets "$missing"; fi

mg_summary
