#!/bin/sh
# install-deps.sh - installs what mugaika needs to build, test and run on
# Debian 12 (run as root).  Used by the README's commands and by .ci/run.
set -e
export DEBIAN_FRONTEND=noninteractive
APT="apt-get -o DPkg::Lock::Timeout=600 -q -y"

PACKAGES="build-essential autoconf automake libtool pkg-config
 libglib2.0-dev libgmime-3.0-dev libxml2-dev libssl-dev libuchardet-dev
 libmagic-dev libarchive-dev libsqlite3-dev libclamav-dev libmilter-dev
 check clang libclang-rt-14-dev python3 groff-base man-db ca-certificates
 miltertest clamav-testfiles postfix swaks clamav-daemon zip
 chromium fonts-ipaexfont-gothic"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	$APT update >/dev/null
	# Postfix installs without questions and without a system instance;
	# the integration test and the demo run a private one of their own.
	echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
	# shellcheck disable=SC2086
	$APT install --no-install-recommends $missing >/dev/null
fi
echo "install-deps: all packages present"
