#!/bin/sh
# demo.sh - the README's "run it" command: installs what is needed, builds
# mugaika, and runs the sample messages of testdata/ through the engine,
# showing each message before and after.  Run as root on Debian 12.
set -e
cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/install-deps.sh
if [ ! -x build-demo/src/mugaika ]; then
	[ -x configure ] || autoreconf -fi >/dev/null 2>&1
	mkdir -p build-demo
	(cd build-demo && "$top/configure" >/dev/null && make -j"$(nproc)" >/dev/null)
fi
mugaika="$top/build-demo/src/mugaika"

# The demo's policy: a readable 8-bit body and a subject tag.
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
printf 'body_encoding = 8bit\nsubject_tag = 【外部】\n' >"$conf"

for name in html-only attachment-rfc2231-ja nested-rfc822 duplicate-content-type; do
	eml="testdata/$name.eml"
	printf '\n\033[1m======== %s: the original (structure) ========\033[0m\n' "$name"
	grep -iE '^(From|To|Subject|Content-Type|Content-Disposition|X-Mugaika)[^:]*:' "$eml" | cut -c1-100
	printf '\n\033[1m======== %s: what mugaika delivers ========\033[0m\n' "$name"
	"$mugaika" sanitize --config "$conf" --id 20260101T000000Z-DEMO0001 "$eml" || true
done
printf '\nmugaika sanitize ran on %s sample messages; see man/mugaika.1 for more.\n' 4
