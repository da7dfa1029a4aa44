#!/usr/bin/env bash
# Instructions kopfd spends per prepared point read, counted by callgrind
# (a figure that does not depend on the machine's load).
#
#   tools/bench/callgrind-point-reads.sh [KOPFD] [KOPF_BENCH] [CxP]
#   CG_KEEP=FILE ...   also keeps the second run's profile for callgrind_annotate
#
# Starts KOPFD (default build/bin/kopfd) under callgrind with
# instrumentation off, loads kv (100,000 rows), then counts two runs of
# kopf-bench -w select at CxP (default 8x16): N1 = 20,000 and N2 = 60,000
# requests. Each count holds the same fixed cost (connecting, PREPARE,
# kopf-bench's SELECT max(id)), so (I2 - I1) / (N2 - N1) is the cost of one
# request. --io-poll-us 0: under callgrind the client is slow, and a
# polling network thread would count its spinning as work.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPFD="${1:-$ROOT/build/bin/kopfd}"
BENCH="${2:-$ROOT/build/bin/kopf-bench}"
CONFIG="${3:-8x16}"
C="${CONFIG%x*}" P="${CONFIG#*x}"
N1=20000 N2=60000
DIR="$(mktemp -d)"
. "$ROOT/tools/bench/wait-port.sh"
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$DIR/cg.out" \
  "$KOPFD" --port 0 --data "$DIR/data" --sync none --io-poll-us 0 >"$DIR/out" 2>"$DIR/err" &
PID=$!
PORT="$(wait_port "$DIR/out" "$DIR/err" 600)"
"$BENCH" -p "$PORT" --rows 100000 -w select -n 1 >/dev/null

count() {  # count N: instructions of one kopf-bench run of N requests
  callgrind_control -z "$PID" >/dev/null
  callgrind_control -i on "$PID" >/dev/null
  "$BENCH" -p "$PORT" --rows 100000 --no-load -w select -c "$C" -P "$P" -n "$1" >/dev/null
  callgrind_control -i off "$PID" >/dev/null
  rm -f "$DIR"/cg.out.*
  callgrind_control -d "$PID" >/dev/null
  local f
  f="$(ls "$DIR"/cg.out.* | tail -1)"
  sed -n "s/^totals: *\\([0-9]*\\).*/\\1/p" "$f"
}
I1="$(count "$N1")"
I2="$(count "$N2")"
[ -z "${CG_KEEP:-}" ] || cp "$(ls "$DIR"/cg.out.* | tail -1)" "$CG_KEEP"
echo "$(basename "$KOPFD") ($KOPFD), $CONFIG: $(( (I2 - I1) / (N2 - N1) )) instructions per point read"
