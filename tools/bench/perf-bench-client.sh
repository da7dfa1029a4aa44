#!/usr/bin/env bash
# kopf-bench's own CPU time and context switches per prepared point read,
# for several kopf-bench binaries run alternately against one kopfd, so a
# busy machine weighs on each of them alike.
#
#   tools/bench/perf-bench-client.sh CxP ROUNDS KOPF_BENCH...
#   tools/bench/perf-bench-client.sh 8x16 5 OLD/kopf-bench build/bin/kopf-bench
#
# Starts build/bin/kopfd (KOPFD=... for another) with --sync none, loads kv
# (100,000 rows), then ROUNDS times runs -w select at CxP with each
# KOPF_BENCH in turn under `perf stat`, N requests
# a run (N=... to change; default 1,000,000 at depth 16 and more, 100,000
# below). Prints each run (ops/s, CPU µs per request = task-clock over the
# requests, context switches) and then each binary's medians. The CPU is
# the whole process's, connecting and preparing included.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPFD="${KOPFD:-$ROOT/build/bin/kopfd}"
[ $# -ge 3 ] || { echo "usage: $0 CxP ROUNDS KOPF_BENCH..." >&2; exit 2; }
CONFIG="$1" ROUNDS="$2"
shift 2
C="${CONFIG%x*}" P="${CONFIG#*x}"
if [ "$P" -ge 16 ]; then N="${N:-1000000}"; else N="${N:-100000}"; fi
. "$ROOT/tools/bench/wait-port.sh"
start_loaded_kopfd "$KOPFD" "$1"

echo "run  bench  ops/s  cpu_us_per_request  context_switches"
for (( r = 1; r <= ROUNDS; r++ )); do
  for BENCH in "$@"; do
    ops="$(perf stat -x, -o "$DIR/perf" -e task-clock,context-switches -- "$BENCH" -p "$PORT" \
             --rows 100000 --no-load -w select -c "$C" -P "$P" -n "$N" |
           awk -F'|' '$2 ~ /^ *select *$/ { gsub(/ /, "", $6); print $6 }')"
    cpu="$(awk -F, -v n="$N" '$3 == "task-clock" { printf "%.3f", $1 * 1000 / n }' "$DIR/perf")"
    cs="$(awk -F, '$3 == "context-switches" { print $1 }' "$DIR/perf")"
    echo "$r $BENCH $ops $cpu $cs" | tee -a "$DIR/runs"
  done
done

echo
echo "medians over $ROUNDS rounds, $CONFIG, $N requests a run:"
for BENCH in "$@"; do
  awk -v b="$BENCH" -f "$ROOT/tools/bench/median.awk" -f /dev/stdin "$DIR/runs" <<'AWK'
    $2 == b { ops = ops " " $3; cpu = cpu " " $4; cs = cs " " $5 }
    END { printf "%s: %.0f ops/s, %.3f µs CPU per request, %.0f context switches\n", b, med(ops), med(cpu), med(cs) }
AWK
done
