#!/bin/sh
# run.sh - run built libFuzzer targets for a while, seeded with real mail.
#
# Usage: tests/fuzz/run.sh FUZZ_BINARY... [SECONDS]
#   e.g. tests/fuzz/run.sh tests/fuzz/fuzz_engine 300
#        tests/fuzz/run.sh tests/fuzz/fuzz_engine tests/fuzz/fuzz_charset 60
#
# Contract: builds nothing.  Makes a seed directory from every *.eml under
# testdata/ and under the corpus (MG_CORPUS_DIR, default ../shared/corpus
# next to the source tree; skipped with a note when it is absent), then runs
# each target (fuzz_engine, fuzz_charset, any libFuzzer binary) for SECONDS
# (default $FUZZ_SECONDS or 60) with
#   -max_total_time=S -max_len=262144 -timeout=10 -rss_limit_mb=2048
# plus $FUZZ_FLAGS.  New inputs go to a scratch corpus ($FUZZ_CORPUS_DIR/NAME
# if set, to keep them between runs).  A target passes when libFuzzer exits 0;
# a crash, leak, timeout or OOM fails it, and its log and the reproducer
# (crash-*, leak-*, timeout-*, oom-*) are kept and their paths printed.
# The last line is "fuzz: N passed, M failed"; the exit status is 0 when
# all passed, else the first failing target's exit code.
#
# Building the targets: ./configure --enable-fuzzing CC=clang && make
# Reproducing a failure: FUZZ_BINARY path/to/crash-XXXX

set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${MG_SRCDIR:-$(cd "$here/../.." && pwd)}
corpus=${MG_CORPUS_DIR:-$srcdir/../shared/corpus}
seconds=${FUZZ_SECONDS:-60}

usage() {
	echo "usage: $0 FUZZ_BINARY... [SECONDS]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
# the last argument is the time when it is a number
for last in "$@"; do :; done
case $last in
*[!0-9]* | '') ;;
*)
	seconds=$last
	n=$#
	i=1
	for a in "$@"; do
		[ $i -lt $n ] && set -- "$@" "$a"
		i=$((i + 1))
	done
	shift "$n"
	;;
esac
[ $# -ge 1 ] || usage

work=$(mktemp -d "${TMPDIR:-/tmp}/mugaika-fuzz.XXXXXX") || exit 2
keep=0
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ "$keep" = 0 ]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the seeds -------------------------------------------------------------
seeds=$work/seeds
mkdir -p "$seeds"
count=0
add_seeds() {
	# $1: directory; copies its *.eml under numbered names
	find "$1" -type f -name '*.eml' 2>/dev/null | LC_ALL=C sort >"$work/list"
	while IFS= read -r f; do
		count=$((count + 1))
		cp "$f" "$seeds/seed-$(printf '%05d' "$count").eml" || exit 2
	done <"$work/list"
}
if [ -d "$srcdir/testdata" ]; then
	add_seeds "$srcdir/testdata"
fi
own=$count
if [ -d "$corpus" ]; then
	add_seeds "$corpus"
	echo "fuzz: seeds: $own from testdata, $((count - own)) from $corpus"
else
	echo "fuzz: seeds: $own from testdata; corpus not found at $corpus (set MG_CORPUS_DIR), skipped"
fi

# ---- the runs --------------------------------------------------------------
passed=0
failed=0
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ] || [ -d "$bin" ]; then
		echo "fuzz: $name: no executable at $bin (build with ./configure --enable-fuzzing CC=clang && make)" >&2
		failed=$((failed + 1))
		[ "$status" = 0 ] && status=2
		continue
	fi
	if [ -n "${FUZZ_CORPUS_DIR:-}" ]; then
		out=$FUZZ_CORPUS_DIR/$name
	else
		out=$work/corpus-$name
	fi
	art=$work/artifacts-$name
	log=$work/$name.log
	mkdir -p "$out" "$art" || exit 2
	echo "fuzz: $name: ${seconds}s ..."
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
	"$bin" -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" ${FUZZ_FLAGS:-} \
		"$out" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		echo "fuzz: $name: clean, ${runs:-?} inputs run"
		passed=$((passed + 1))
	else
		keep=1
		failed=$((failed + 1))
		[ "$status" = 0 ] && status=$rc
		echo "fuzz: $name: FAILED (libFuzzer exit $rc); last lines of the log:"
		grep -v '^#[0-9]' "$log" | tail -n 40 | sed 's/^/    /'
		echo "fuzz: $name: log: $log"
		for f in "$art"/*; do
			[ -e "$f" ] && echo "fuzz: $name: reproducer: $f (run: $bin $f)"
		done
	fi
done

echo "fuzz: $passed passed, $failed failed"
exit "$status"
