#!/usr/bin/env bash
# Instructions kopf-bench itself spends per prepared point read (sending the
# EXECUTE, decoding the answer), counted by callgrind: a figure that does
# not depend on the machine's load.
#
#   tools/bench/callgrind-bench-client.sh [CxP] [KOPF_BENCH ...]
#
# Starts build/bin/kopfd (KOPFD=... for another) natively, loads kv
# (100,000 rows), then for each KOPF_BENCH (default build/bin/kopf-bench)
# counts two runs of -w select at CxP (default 8x16) under callgrind:
# N1 = 20,000 and N2 = 60,000 requests. Both hold the same fixed cost
# (connecting, PREPARE), so (I2 - I1) / (N2 - N1) is the cost of one
# request. Naming an old and a new kopf-bench compares them on one server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPFD="${KOPFD:-$ROOT/build/bin/kopfd}"
CONFIG="${1:-8x16}"
shift || true
[ $# -gt 0 ] || set -- "$ROOT/build/bin/kopf-bench"
C="${CONFIG%x*}" P="${CONFIG#*x}"
N1=20000 N2=60000
. "$ROOT/tools/bench/wait-port.sh"
start_loaded_kopfd "$KOPFD" "$1"

count() {  # count BENCH N: instructions of one kopf-bench run of N requests
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" -p "$PORT" --rows 100000 \
    --no-load -w select -c "$C" -P "$P" -n "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for BENCH in "$@"; do
  I1="$(count "$BENCH" "$N1")"
  I2="$(count "$BENCH" "$N2")"
  echo "$BENCH, $CONFIG: $(( (I2 - I1) / (N2 - N1) )) instructions per point read"
done
