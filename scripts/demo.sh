#!/bin/sh
# demo.sh - the README's "run it" command.  As root on Debian 12: installs
# the packages (scripts/install-deps.sh), builds mugaika, starts
# mugaika-milter and a private Postfix on loopback (its own config directory
# in a temporary directory, not /etc/postfix; the same setup as the
# integration test, tests/integration/postfix-env.sh), sends sample messages
# of testdata/ to it with swaks, shows the sanitized mail as delivered to
# the Maildir (decoded: the notice and the text, Japanese readable), then a
# virus (EICAR in a zip, discarded and kept) and a password-protected ZIP
# (delivered with a notice; both made at run time by tests/threats/run.py)
# and the kept originals (mugaika list), then stops everything it started
# and removes the temporary directory.
#
# ENVIRONMENT
#	MG_DEMO_BUILDDIR  build directory (default: build-demo in the source tree)
#	MG_DEMO_KEEP      set: leave the temporary directory (Maildirs, logs)
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
MG_SRCDIR=$top; export MG_SRCDIR   # the milter scans with testdata/clamav
if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: run as root (it installs packages and starts a private Postfix)" >&2
	exit 1
fi
sh scripts/install-deps.sh || exit 1

build=${MG_DEMO_BUILDDIR:-$top/build-demo}
echo "demo.sh: building in $build"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || { echo "demo.sh: autoreconf failed" >&2; exit 1; }
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$top/configure" > configure.out 2>&1) ||
		{ tail -20 "$build/configure.out"; echo "demo.sh: configure failed" >&2; exit 1; }
fi
(cd "$build" && make -j"$(nproc)" > make.out 2>&1) ||
	{ grep -E 'error' "$build/make.out" | head -20; echo "demo.sh: build failed" >&2; exit 1; }
mugaika=$build/src/mugaika

if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B='' N=''; fi
title() {
	printf '\n%s======== %s ========%s\n' "$B" "$*" "$N"
}

MGPF_HERE=$top/tests/integration
# shellcheck source=../tests/integration/postfix-env.sh
. "$MGPF_HERE/postfix-env.sh"
dir=$(mktemp -d /tmp/mugaika-demo.XXXXXX) || exit 1
finish() {
	mgpf_stop_all
	if [ -n "${MG_DEMO_KEEP:-}" ]; then
		echo "demo.sh: files kept in $dir"
	else
		rm -rf "$dir"
	fi
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mgpf_init "$dir" "$build" || { echo "demo.sh: cannot set up $dir" >&2; exit 1; }

samples="html-only attachment-rfc2231-ja nested-rfc822 duplicate-content-type plain-ja"
# shellcheck disable=SC2086
mgpf_mailbox $samples virus password-zip

# The demo's policy: the defaults, with a subject tag.
conf=$MGPF_MILTER_DIR/mugaika.conf
{
	mgpf_milter_conf
	echo "subject_tag = 【外部】"
} > "$conf"

title "starting mugaika-milter (scanning with the test signatures in testdata/clamav) and a private Postfix"
if ! mgpf_milter_start "$conf"; then
	cat "$MGPF_MILTER_LOG"
	echo "demo.sh: mugaika-milter did not start" >&2
	exit 1
fi
echo "mugaika-milter (pid $MGPF_MILTER_PID) listens on unix:$MGPF_SOCK"
if ! mgpf_postfix_start; then
	cat "$MGPF_DIR/postfix-start.out" "$MGPF_LOG" 2>/dev/null
	echo "demo.sh: Postfix did not start" >&2
	exit 1
fi
echo "Postfix (postfix -c $MGPF_ETC) listens on 127.0.0.1:$MGPF_PORT"
echo "  with smtpd_milters = unix:mugaika/milter.sock, milter_default_action = tempfail"

title "sending the sample messages with swaks"
sent=
for name in $samples; do
	if mgpf_send "$name" "testdata/$name.eml"; then
		sent="$sent $name"
	fi
	printf '  testdata/%s.eml -> %s@%s: %s\n' "$name" "$name" "$MGPF_DOMAIN" "$MGPF_REPLY"
done

for name in $sent; do
	if ! mgpf_wait_delivered "$name" 1; then
		echo "demo.sh: $name was not delivered; the mail log says:" >&2
		tail -n 20 "$MGPF_LOG" >&2
		continue
	fi
	file=$(mgpf_files "$name" | head -n 1)
	title "$name: the original's structure (testdata/$name.eml)"
	grep -iE '^(Subject|Content-Type|Content-Disposition)[^:]*:' "testdata/$name.eml" | cut -c1-100
	title "$name: delivered to the Maildir, decoded (${file#"$dir"/})"
	$MGPF_PY show "$file"
done

title "threats: a virus and a password-protected ZIP"
# Made at run time by the threats test (the tree never holds EICAR).
python3 - "$top/tests/threats/run.py" "$dir" <<'PY'
import importlib.util, sys
from email.policy import SMTP
spec = importlib.util.spec_from_file_location("threats", sys.argv[1])
threats = importlib.util.module_from_spec(spec)
spec.loader.exec_module(threats)
open(sys.argv[2] + "/virus.eml", "wb").write(threats.eicar_cases()[2][1].as_bytes(policy=SMTP))
m = threats.password_zip_message(sys.argv[2])
if m is not None:
    open(sys.argv[2] + "/password-zip.eml", "wb").write(m.as_bytes(policy=SMTP))
PY
mgpf_send virus "$dir/virus.eml"
echo "  EICAR inside a zip -> virus@$MGPF_DOMAIN: $MGPF_REPLY"
echo "  (accepted and discarded: virus_action = discard; the original is kept)"
echo "  the milter's summary line:"
grep ' virus=' "$MGPF_MILTER_LOG" | tail -n 1 | sed 's/^.*mugaika-milter\[[0-9]*\]: /    /'
if [ -f "$dir/password-zip.eml" ] && mgpf_send password-zip "$dir/password-zip.eml" &&
   mgpf_wait_delivered password-zip 1; then
	title "password-zip: delivered with a notice (it could not be inspected)"
	$MGPF_PY show "$(mgpf_files password-zip | head -n 1)"
fi

title "the kept originals (mugaika list)"
"$mugaika" list --config "$conf"
echo
echo "A helpdesk quotes the ID in the notice to find the original; see man -l man/mugaika.1."

title "stopping mugaika-milter and Postfix"
mgpf_stop_all
echo "stopped; $(grep -c ' action=' "$MGPF_MILTER_LOG") messages went through mugaika-milter."
