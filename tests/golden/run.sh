#!/bin/sh
# tests/golden/run.sh -- golden tests: testdata/NAME.eml in, expected safe message out.
#
# SYNOPSIS
#	tests/golden/run.sh [NAME...]
#	UPDATE_GOLDEN=1 tests/golden/run.sh [NAME...]
#
# DESCRIPTION
#	For each testdata/NAME.eml that has a testdata/NAME.expected next to it (or
#	each NAME given), runs
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
#	CONF is testdata/NAME.conf if it exists, else testdata/golden.conf if it
#	exists, else an empty file (all defaults): golden output never depends on
#	the machine's /etc/mugaika/mugaika.conf.  "@MG_SRCDIR@" in CONF is replaced
#	with the source directory, so a test config can name testdata/ paths.
#
#	With UPDATE_GOLDEN=1 the outputs are written instead of compared: NAME.expected
#	and NAME.verdict.json for every testdata/*.eml (or each NAME given).  Review
#	the diff before committing.
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
#	Prints "ok NAME" / "FAIL NAME" per case and "golden: N passed, N failed".

mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=../lib.sh source-path=SCRIPTDIR
. "$mg_here/../lib.sh"
mg_init golden "$mg_here/../.."

GOLDEN_ID=20260101T000000Z-TEST0001
GOLDEN_NOW=2026-01-01T00:00:00Z
TESTDATA=$MG_SRCDIR/testdata
update=${UPDATE_GOLDEN:-0}
[ "$update" = 0 ] && update=

# ---- which cases ------------------------------------------------------------
cases=
if [ $# -gt 0 ]; then
	for name in "$@"; do
		name=${name##*/}
		name=${name%.eml}
		[ -f "$TESTDATA/$name.eml" ] || mg_hard_error "no such case: $TESTDATA/$name.eml"
		cases="$cases $name"
	done
else
	for eml in "$TESTDATA"/*.eml; do
		[ -f "$eml" ] || continue
		name=${eml##*/}
		name=${name%.eml}
		if [ -n "$update" ] || [ -f "$TESTDATA/$name.expected" ]; then
			cases="$cases $name"
		fi
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
	eml=$TESTDATA/$name.eml
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
