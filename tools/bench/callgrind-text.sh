#!/usr/bin/env bash
# Instructions kopfd spends per row on text: loading it (COPY FROM, where
# every TEXT value is checked for UTF-8 and NUL bytes) and evaluating the
# text functions over it (length, substr, upper, LIKE with _), counted by
# callgrind: figures that do not depend on the machine's load.
#
#   tools/bench/callgrind-text.sh [KOPFD ...]
#
# For each KOPFD (default build/bin/kopfd) it runs four servers under
# callgrind on fresh directories: COPY of N1 = 50,000 rows; COPY of
# N2 = 150,000 rows; COPY of N2 rows then the query over them once; the
# same with the query three times. So (I2 - I1) / (N2 - N1) is one COPY
# row and (I4 - I3) / (2 N2) one row of the query. One row in ten holds non-ASCII text. Naming an old and a new
# kopfd compares them. Uses build/bin/kopf to send the statements.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPF="${KOPF:-$ROOT/build/bin/kopf}"
[ $# -gt 0 ] || set -- "$ROOT/build/bin/kopfd"
N1=50000 N2=150000
QUERY="SELECT count(*), sum(length(name)), sum(length(substr(name, 3, 6))), \
sum(length(upper(city))) FROM t WHERE name LIKE '%_1_%'"
. "$ROOT/tools/bench/wait-port.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for n in "$N1" "$N2"; do
  awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
    printf "%d,customer_%d_%s,%s\n", i, i, (i % 10 ? "smith" : "müller"),
           (i % 10 ? "Berlin" : "Zürich") }' >"$WORK/rows-$n.csv"
done

count() {  # count KOPFD ROWS [Q]: instructions of kopfd for the COPY (and Q queries)
  local dir="$WORK/run"
  rm -rf "$dir" && mkdir -p "$dir" && : >"$dir/out"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg" "$1" --port 0 --data "$dir/data" \
    --sync none --io-poll-us 0 --import-dir "$WORK" >"$dir/out" 2>"$dir/err" &
  local pid=$!
  local port
  port="$(wait_port "$dir/out" "$dir/err" 600)"
  "$KOPF" -p "$port" -c "CREATE TABLE t (id INT PRIMARY KEY, name TEXT, city TEXT)" >/dev/null
  "$KOPF" -p "$port" -c "COPY t FROM '$WORK/rows-$2.csv'" >/dev/null
  for _ in $(seq 1 "${3:-0}"); do "$KOPF" -p "$port" -c "$QUERY" >/dev/null; done
  kill -TERM "$pid"
  wait "$pid" || true
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dir/cg"
}
for KOPFD in "$@"; do
  I1="$(count "$KOPFD" "$N1")"
  I2="$(count "$KOPFD" "$N2")"
  I3="$(count "$KOPFD" "$N2" 1)"
  I4="$(count "$KOPFD" "$N2" 3)"
  echo "$KOPFD: $(( (I2 - I1) / (N2 - N1) )) instructions per COPY row," \
       "$(( (I4 - I3) / (2 * N2) )) per row of the text-function query"
done
