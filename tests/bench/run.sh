#!/bin/sh
# run.sh - generate the benchmark messages and measure the engine beside the
# bare GMime floor (see tests/bench/README).
#
# Usage: tests/bench/run.sh [--seconds S] [--counts small=N,alt=N,att200k=N,att2m=N]
#                           [--mix small=55,alt=33,att200k=10,att2m=2]
#                           [--keep DIR] [--bench PATH] [--scan DBDIR [--scan-repeat N]]
#                           [-- BENCH_ENGINE_ARGS...]
#
# Contract: builds nothing.  Writes the messages (gen_messages.py, fixed
# seed, default 200/100/30/6 per class) into a temp dir (or DIR with --keep,
# left in place), runs bench_engine on the four classes and their weighted
# mix, then on the corpus (MG_CORPUS_DIR, default ../shared/corpus next to
# the source tree; skipped with a note when absent), and prints the tables.
# S (default 3) is the time per set and pipeline, so a run takes about
# 20 * S seconds.  With --scan DBDIR the classes and the mix are measured
# instead with the scanner, engine pipeline only: scanner = none, and
# scanner = clamav with the signatures in DBDIR and scan_tmpdir /dev/shm and
# /tmp, the three runs alternating --scan-repeat N times (default 2, about
# 3 * N * 5 * S seconds plus the loads), libclamav's cache of clean files
# off (bench_engine's default).  bench_engine is $BENCH_ENGINE, --bench PATH, or found in
# $MG_BUILDDIR, the current directory or the source tree (tests/bench/).
# Exit status: 0, or 1 when a bench_engine run failed (an engine crash).

set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${MG_SRCDIR:-$(cd "$here/../.." && pwd)}
corpus=${MG_CORPUS_DIR:-$srcdir/../shared/corpus}
seconds=3
counts=small=200,alt=100,att200k=30,att2m=6
mix=small=55,alt=33,att200k=10,att2m=2
keep=
bench=${BENCH_ENGINE:-}
scan_db=
scan_repeat=2

usage() {
	sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--counts) [ $# -ge 2 ] || usage; counts=$2; shift 2 ;;
	--mix) [ $# -ge 2 ] || usage; mix=$2; shift 2 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--bench) [ $# -ge 2 ] || usage; bench=$2; shift 2 ;;
	--scan) [ $# -ge 2 ] || usage; scan_db=$2; shift 2 ;;
	--scan-repeat) [ $# -ge 2 ] || usage; scan_repeat=$2; shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done

if [ -z "$bench" ]; then
	for b in "${MG_BUILDDIR:-.}/tests/bench/bench_engine" ./tests/bench/bench_engine \
		"$srcdir/tests/bench/bench_engine"; do
		if [ -x "$b" ]; then
			bench=$b
			break
		fi
	done
fi
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
	echo "bench: bench_engine not found (build it: make tests/bench/bench_engine, or pass --bench PATH)" >&2
	exit 2
fi
command -v python3 >/dev/null 2>&1 || { echo "bench: python3 is needed to generate the messages" >&2; exit 2; }

if [ -n "$keep" ]; then
	dir=$keep
	mkdir -p "$dir" || exit 2
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/mugaika-bench.XXXXXX") || exit 2
	trap 'rm -rf "$dir"' EXIT
	trap 'exit 130' INT TERM
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "== mugaika benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), ${cpu:-unknown CPU}, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
echo "== generating messages ($counts) into $dir"
python3 "$here/gen_messages.py" "$dir" --counts "$counts" || exit 2

status=0
if [ -n "$scan_db" ]; then
	[ -d "$scan_db" ] || { echo "bench: --scan $scan_db: not a directory" >&2; exit 2; }
	printf 'scanner = none\n' > "$dir/none.conf"
	for t in /dev/shm /tmp; do
		printf 'scanner = clamav\nclamav_database = %s\nscan_tmpdir = %s\n' \
			"$scan_db" "$t" > "$dir/clamav$(echo "$t" | tr / _).conf"
	done
	i=1
	while [ "$i" -le "$scan_repeat" ]; do
		for c in none clamav_dev_shm clamav_tmp; do
			echo
			echo "== run $i: $c ($(sed -n 's/^scan_tmpdir = //p' "$dir/$c.conf"))"
			"$bench" --seconds "$seconds" --pipelines engine --config "$dir/$c.conf" \
				--mix "$mix" "$@" "$dir" || status=1
		done
		i=$((i + 1))
	done
	echo
	echo "CPU us/msg is the median of the rounds; compare the runs of one configuration"
	echo "with each other first (how much the machine moved), then across.  See tests/bench/README."
	exit "$status"
fi

echo
echo "== classes and mix"
"$bench" --seconds "$seconds" --mix "$mix" "$@" "$dir" || status=1

echo
if [ -d "$corpus" ]; then
	echo "== corpus ($corpus)"
	"$bench" --seconds "$seconds" "$@" "corpus=$corpus" || status=1
else
	echo "== corpus: not found at $corpus (set MG_CORPUS_DIR), skipped"
fi

echo
echo "CPU us/msg is the median of the rounds, (best) the fastest round, spread how far apart they were;"
echo "xfloor = engine CPU per message / floor CPU per message.  See tests/bench/README."
exit "$status"
