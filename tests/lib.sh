# tests/lib.sh -- shared helpers for mugaika's shell test scripts (POSIX sh).
#
# SYNOPSIS
#	mg_here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
#	. "$mg_here/../lib.sh"          # from tests/<suite>/<script>.sh
#	mg_init golden "$mg_here/../.."
#	mg_tmpdir; ... "$MG_TMP/file" ...
#	mg_pass CASE | mg_fail CASE [WHY...] | mg_skip CASE [WHY...]
#	mg_summary                      # prints the closing line, returns 0 or 1
#	mg_skip_all WHY...              # whole script skipped: exit 77
#	mg_hard_error WHY...            # the test could not run at all: exit 99
#
# DESCRIPTION
#	mg_init NAME DEFAULT_SRCDIR sets MG_TEST_NAME, and makes MG_SRCDIR (default
#	DEFAULT_SRCDIR: the source tree) and MG_BUILDDIR (default: the current
#	directory) absolute.  `make check` passes both in the environment.  It also
#	fixes the environment the program under test sees, so output does not depend
#	on the machine: LC_ALL=C and TZ=JST-9 (Japan time without needing tzdata).
#	MUGAIKA is the CLI under test (default $MG_BUILDDIR/src/mugaika) and
#	MG_WRAPPER an optional command put in front of it (e.g. "valgrind -q
#	--error-exitcode=99").
#
#	mg_pass/mg_fail/mg_skip print one line per case, "ok CASE", "FAIL CASE" or
#	"skip CASE", followed for a failure or skip by the reason lines given, and
#	count it.  mg_summary prints "NAME: N passed, N failed" (", N skipped" is
#	added when something was skipped) and returns 1 if anything failed.
#
#	Exit codes follow automake's test harness: 0 pass, 1 fail, 77 skip, 99 hard
#	error.
#
#	mg_tmpdir creates MG_TMP, a private directory removed when the script exits.

mg_init() {
	MG_TEST_NAME=$1
	MG_SRCDIR=${MG_SRCDIR:-$2}
	MG_BUILDDIR=${MG_BUILDDIR:-.}
	MG_SRCDIR=$(CDPATH='' cd -- "$MG_SRCDIR" && pwd) ||
		mg_hard_error "source directory not found: $MG_SRCDIR"
	MG_BUILDDIR=$(CDPATH='' cd -- "$MG_BUILDDIR" && pwd) ||
		mg_hard_error "build directory not found: $MG_BUILDDIR"
	MUGAIKA=${MUGAIKA:-$MG_BUILDDIR/src/mugaika}
	MG_WRAPPER=${MG_WRAPPER:-}
	export MG_SRCDIR MG_BUILDDIR MUGAIKA
	LC_ALL=C
	TZ=JST-9
	export LC_ALL TZ
	mg_passed=0
	mg_failed=0
	mg_skipped=0
}

# mg_note LINE...: print reason lines indented under a case line.
mg_note() {
	for mg_l in "$@"; do
		printf '    %s\n' "$mg_l"
	done
}

mg_pass() {
	printf 'ok %s\n' "$1"
	mg_passed=$((mg_passed + 1))
}

mg_fail() {
	printf 'FAIL %s\n' "$1"
	shift
	mg_note "$@"
	mg_failed=$((mg_failed + 1))
}

mg_skip() {
	printf 'skip %s\n' "$1"
	shift
	mg_note "$@"
	mg_skipped=$((mg_skipped + 1))
}

mg_summary() {
	if [ "$mg_skipped" -gt 0 ]; then
		printf '%s: %d passed, %d failed, %d skipped\n' \
			"$MG_TEST_NAME" "$mg_passed" "$mg_failed" "$mg_skipped"
	else
		printf '%s: %d passed, %d failed\n' \
			"$MG_TEST_NAME" "$mg_passed" "$mg_failed"
	fi
	[ "$mg_failed" -eq 0 ]
}

mg_skip_all() {
	printf '%s: skipped: %s\n' "${MG_TEST_NAME:-test}" "$*"
	exit 77
}

mg_hard_error() {
	printf '%s: error: %s\n' "${MG_TEST_NAME:-test}" "$*" >&2
	exit 99
}

mg_tmpdir() {
	MG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mugaika-test.XXXXXX") ||
		mg_hard_error "cannot create a temporary directory"
	trap 'rm -rf "$MG_TMP"' EXIT
	trap 'rm -rf "$MG_TMP"; exit 130' INT
	trap 'rm -rf "$MG_TMP"; exit 143' TERM
}

# mg_run_limited SECONDS CMD...: run CMD, killed after SECONDS when timeout(1)
# exists (exit status 124 then); returns CMD's exit status.
mg_run_limited() {
	mg_secs=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		timeout "$mg_secs" "$@"
	else
		"$@"
	fi
}

# mg_show_diff EXPECTED ACTUAL: diff -u, cut to MG_DIFF_LINES (default 200)
# lines, indented.
mg_show_diff() {
	diff -u "$1" "$2" | head -n "${MG_DIFF_LINES:-200}" | sed 's/^/    /'
}
