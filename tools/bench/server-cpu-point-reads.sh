#!/usr/bin/env bash
# kopfd's own CPU time per prepared point read, for several kopfd binaries
# run alternately with one kopf-bench, so a busy machine weighs on each of
# them alike.
#
#   tools/bench/server-cpu-point-reads.sh CxP ROUNDS KOPFD...
#   tools/bench/server-cpu-point-reads.sh 8x16 7 /work/main/build/bin/kopfd build/bin/kopfd
#
# Starts every KOPFD once, natively, with --sync none on its own fresh data
# directory and loads kv (100,000 rows) into each; then ROUNDS times runs
# kopf-bench (BENCH=... to change; default build/bin/kopf-bench) -w select
# --no-load at CxP against each server in turn, N requests a run (N=...;
# default 2,000,000 at depth 16 and more, 200,000 below). The server's
# CPU is its user and system ticks (/proc/PID/stat fields 14 and 15)
# taken before and after the run, so it counts only that run. Prints each
# run (ops/s, server CPU µs per read, the user share of it) and each
# binary's medians, and the median of the paired ratios new/first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="${BENCH:-$ROOT/build/bin/kopf-bench}"
[ $# -ge 3 ] || { echo "usage: $0 CxP ROUNDS KOPFD..." >&2; exit 2; }
CONFIG="$1" ROUNDS="$2"
shift 2
C="${CONFIG%x*}" P="${CONFIG#*x}"
if [ "$P" -ge 16 ]; then N="${N:-2000000}"; else N="${N:-200000}"; fi
TICK="$(getconf CLK_TCK)"
. "$ROOT/tools/bench/wait-port.sh"

DIR="$(mktemp -d)"
PIDS=() PORTS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$DIR"' EXIT
for (( i = 0; i < $#; i++ )); do
  KOPFD="${@:i+1:1}"
  "$KOPFD" --port 0 --data "$DIR/data$i" --sync none >"$DIR/out$i" 2>"$DIR/err$i" &
  PIDS+=("$!")
  PORTS+=("$(wait_port "$DIR/out$i" "$DIR/err$i" 100)")
  "$BENCH" -p "${PORTS[i]}" --rows 100000 -w select -n 1 >/dev/null
done

ticks() {  # ticks PID: "user system" ticks so far
  awk '{ print $14, $15 }' "/proc/$1/stat"
}

echo "round  kopfd  ops/s  server_cpu_us_per_read  user_share"
for (( r = 1; r <= ROUNDS; r++ )); do
  for (( i = 0; i < ${#PIDS[@]}; i++ )); do
    read -r u0 s0 <<<"$(ticks "${PIDS[i]}")"
    ops="$("$BENCH" -p "${PORTS[i]}" --rows 100000 --no-load -w select -c "$C" -P "$P" -n "$N" |
           awk -F'|' '$2 ~ /^ *select *$/ { gsub(/ /, "", $6); print $6 }')"
    read -r u1 s1 <<<"$(ticks "${PIDS[i]}")"
    awk -v r="$r" -v i="$i" -v ops="$ops" -v u="$((u1 - u0))" -v s="$((s1 - s0))" \
        -v n="$N" -v tick="$TICK" 'BEGIN {
      printf "%d %d %s %.3f %.2f\n", r, i, ops, (u + s) * 1e6 / tick / n, (u + s) ? u / (u + s) : 0
    }' | tee -a "$DIR/runs"
  done
done

echo
echo "medians over $ROUNDS rounds, $CONFIG, $N reads a run:"
awk -v bins="$*" -f "$ROOT/tools/bench/median.awk" -f /dev/stdin "$DIR/runs" <<'AWK'
  { ops[$2] = ops[$2] " " $3; cpu[$2] = cpu[$2] " " $4; user[$2] = user[$2] " " $5; c[$1, $2] = $4; o[$1, $2] = $3; rounds = $1 }
  END {
    k = split(bins, b, " ");
    for (i = 0; i < k; i++) {
      printf "%s: %.0f reads/s, %.3f µs server CPU per read, user share %.2f", b[i + 1], med(ops[i]), med(cpu[i]), med(user[i]);
      if (i > 0) {
        rc = ""; ro = "";
        for (r = 1; r <= rounds; r++) { rc = rc " " c[r, i] / c[r, 0]; ro = ro " " o[r, i] / o[r, 0] }
        printf "; paired ratio to the first: CPU %.3f, reads/s %.3f", med(rc), med(ro);
      }
      printf "\n";
    }
  }
AWK
