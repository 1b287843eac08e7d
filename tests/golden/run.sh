#!/bin/sh
# tests/golden/run.sh -- golden tests: testdata/[ja/]NAME.eml in, expected safe message out.
#
# SYNOPSIS
#	tests/golden/run.sh [CASE...]
#	UPDATE_GOLDEN=1 tests/golden/run.sh [CASE...]
#
# DESCRIPTION
#	A CASE is named by its path under testdata/ without ".eml": NAME for
#	testdata/NAME.eml, ja/NAME for testdata/ja/NAME.eml (the Japanese charset
#	cases; the subdirectories searched are listed in GOLDEN_SUBDIRS below).
#	A CASE given on the command line may also be written as a path to the
#	.eml file.  Below, NAME stands for such a path, e.g. "ja/wave-dash".
#
#	Variants: a file NAME.VARIANT.conf (e.g. testdata/ja/wave-dash.iso2022jp.conf)
#	makes a second case NAME.VARIANT (e.g. "ja/wave-dash.iso2022jp") that runs
#	the same NAME.eml with that config instead, and is compared with
#	NAME.VARIANT.expected and NAME.VARIANT.verdict.json.  A variant config is
#	complete in itself (it replaces golden.conf; nothing is merged).  NAME has
#	no dot; VARIANT is everything after the first dot.
#
#	For each case (NAME.eml, and each NAME.VARIANT.conf whose NAME.eml
#	exists) that has its .expected file (or each CASE given), runs
#
#	    mugaika sanitize --config CONF --id 20260101T000000Z-TEST0001 \
#	        --now 2026-01-01T00:00:00Z --verdict VERDICT NAME.eml
#
#	and compares its standard output byte for byte with NAME.expected, and the
#	verdict with NAME.verdict.json when that file exists.  Exit status 0 (the safe
#	message was written) and 1 (the message must not be delivered) are both normal
#	outcomes whose output is compared; any other status (usage error, crash,
#	timeout) fails the case.
#
#	CONF is testdata/NAME.conf (testdata/NAME.VARIANT.conf for a variant) if it
#	exists, else testdata/golden.conf if it exists (also for the cases of
#	subdirectories), else an empty file (all defaults): golden output never depends on
#	the machine's /etc/mugaika/mugaika.conf.  "@MG_SRCDIR@" in CONF is replaced
#	with the source directory, so a test config can name testdata/ paths.
#
#	With UPDATE_GOLDEN=1 the outputs are written instead of compared: NAME.expected
#	and NAME.verdict.json for every case (testdata/*.eml, testdata/ja/*.eml and
#	their variants), or for each CASE given.  Review the diff before committing.
#
# ENVIRONMENT
#	MG_SRCDIR	source tree (default: this script's ../..)
#	MG_BUILDDIR	build tree (default: the current directory)
#	MUGAIKA		the CLI under test (default: $MG_BUILDDIR/src/mugaika)
#	MG_WRAPPER	command put in front of it (e.g. "valgrind -q --error-exitcode=99")
#	MG_GOLDEN_TIMEOUT  seconds per case before it counts as hung (default 60)
#	MG_DIFF_LINES	lines of diff shown per failure (default 200)
#
# EXIT STATUS
#	0 all passed, 1 a case failed, 77 no expected files yet (skip),
#	99 the test could not run (no mugaika binary).
#
#	Prints "ok CASE" / "FAIL CASE" per case (e.g. "ok plain-ja", "ok ja/wave-dash",
#	"ok ja/wave-dash.iso2022jp") and "golden: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init golden "$mg_here/../.."

GOLDEN_ID=20260101T000000Z-TEST0001
GOLDEN_NOW=2026-01-01T00:00:00Z
TESTDATA=$MG_SRCDIR/testdata
GOLDEN_SUBDIRS=ja
update=${UPDATE_GOLDEN:-0}
[ "$update" = 0 ] && update=

# ---- which cases ------------------------------------------------------------
# eml_of CASE: the message of a case (a variant's NAME.eml).
eml_of() {
	echo "$TESTDATA/${1%%.*}.eml"
}

cases=
if [ $# -gt 0 ]; then
	for name in "$@"; do
		case $name in
		*/testdata/*) name=${name##*/testdata/} ;;
		testdata/*) name=${name#testdata/} ;;
		esac
		name=${name%.eml}
		if [ ! -f "$(eml_of "$name")" ] && [ -f "$(eml_of "${name##*/}")" ]; then
			name=${name##*/}
		fi
		[ -f "$(eml_of "$name")" ] || mg_hard_error "no such case: $(eml_of "$name")"
		if [ "$name" != "${name%%.*}" ] && [ ! -f "$TESTDATA/$name.conf" ]; then
			mg_hard_error "no such variant: $TESTDATA/$name.conf"
		fi
		cases="$cases $name"
	done
else
	for dir in "" $GOLDEN_SUBDIRS; do
		prefix=${dir:+$dir/}
		for f in "$TESTDATA/$prefix"*.eml "$TESTDATA/$prefix"*.*.conf; do
			[ -f "$f" ] || continue
			name=${f##*/}
			name=$prefix${name%.eml}
			name=${name%.conf}
			[ -f "$(eml_of "$name")" ] || continue
			if [ -n "$update" ] || [ -f "$TESTDATA/$name.expected" ]; then
				cases="$cases $name"
			fi
		done
	done
fi

if [ -z "$cases" ]; then
	mg_skip_all "no $TESTDATA/*.expected files yet (create them with UPDATE_GOLDEN=1)"
fi

[ -x "$MUGAIKA" ] || mg_hard_error "$MUGAIKA not built"

mg_tmpdir
: > "$MG_TMP/empty.conf"

# config_for NAME: path of the config to use for case NAME.
config_for() {
	for c in "$TESTDATA/$1.conf" "$TESTDATA/golden.conf"; do
		if [ -f "$c" ]; then
			sed "s|@MG_SRCDIR@|$MG_SRCDIR|g" "$c" > "$MG_TMP/case.conf"
			echo "$MG_TMP/case.conf"
			return
		fi
	done
	echo "$MG_TMP/empty.conf"
}

# show_stderr: the first lines of the case's standard error, if any.
show_stderr() {
	if [ -s "$err" ]; then
		mg_note "stderr:"
		head -n 20 "$err" | sed 's/^/      /'
	fi
}

# ---- run --------------------------------------------------------------------
for name in $cases; do
	eml=$(eml_of "$name")
	expected=$TESTDATA/$name.expected
	expected_verdict=$TESTDATA/$name.verdict.json
	out=$MG_TMP/out
	verdict=$MG_TMP/verdict.json
	err=$MG_TMP/stderr
	rm -f "$out" "$verdict" "$err"
	conf=$(config_for "$name")

	# shellcheck disable=SC2086 # MG_WRAPPER is a command line, split on purpose
	mg_run_limited "${MG_GOLDEN_TIMEOUT:-60}" $MG_WRAPPER "$MUGAIKA" sanitize \
		--config "$conf" --id "$GOLDEN_ID" --now "$GOLDEN_NOW" \
		--verdict "$verdict" "$eml" > "$out" 2> "$err"
	rc=$?

	case $rc in
	0 | 1) ;;
	124)
		mg_fail "$name" "timed out after ${MG_GOLDEN_TIMEOUT:-60}s"
		continue ;;
	*)
		if [ "$rc" -gt 128 ]; then
			why="killed by signal $((rc - 128))"
		else
			why="exit status $rc (expected 0 or 1)"
		fi
		mg_fail "$name" "$why"
		show_stderr
		continue ;;
	esac

	if [ -n "$update" ]; then
		cp "$out" "$expected" || mg_hard_error "cannot write $expected"
		if [ -f "$verdict" ]; then
			cp "$verdict" "$expected_verdict" || mg_hard_error "cannot write $expected_verdict"
		fi
		mg_pass "$name"
		continue
	fi

	ok=yes
	msgs=
	if ! cmp -s "$expected" "$out"; then
		ok=
		msgs="output"
	fi
	if [ -f "$expected_verdict" ]; then
		if [ ! -f "$verdict" ]; then
			ok=
			msgs="$msgs${msgs:+, }no verdict written"
		elif ! cmp -s "$expected_verdict" "$verdict"; then
			ok=
			msgs="$msgs${msgs:+, }verdict"
		fi
	fi

	if [ -n "$ok" ]; then
		mg_pass "$name"
		continue
	fi
	mg_fail "$name" "differs: $msgs (exit status $rc)"
	if ! cmp -s "$expected" "$out"; then
		mg_show_diff "$expected" "$out"
	fi
	if [ -f "$expected_verdict" ] && [ -f "$verdict" ] &&
	   ! cmp -s "$expected_verdict" "$verdict"; then
		mg_show_diff "$expected_verdict" "$verdict"
	fi
	show_stderr
done

mg_summary
