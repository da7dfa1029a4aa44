#!/usr/bin/env bash
# Bulk load against single-row INSERT, side by side in one sitting: starts a
# fresh kopfd on a temporary data directory, then ROUNDS times runs
# kopf-bench's durable single-row INSERTs and a COPY FROM of an N-row
# 4-column CSV (id,name,age,city, generated as ../shared/peers/lib.sh does),
# then a COPY TO of the loaded table. Prints rows/s of each, the server's
# CPU seconds per COPY, and the median ratio COPY FROM / INSERT.
#
#   scripts/copy-bench.sh [BUILD_DIR]       (ROWS=1000000 ROUNDS=3 INSERTS=20000)
#
# Builds nothing: build kopfd, kopf and kopf-bench first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/copy-lib.sh"
build="$(cd "${1:-$root/build}" && pwd)"
rows="${ROWS:-1000000}"
rounds="${ROUNDS:-3}"
inserts="${INSERTS:-20000}"
for tool in kopfd kopf kopf-bench; do
  [ -x "$build/bin/$tool" ] || { echo "copy-bench.sh: $build/bin/$tool is missing" >&2; exit 2; }
done

work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/imports"
make_load_csv "$work/imports/load.csv" "$rows"

start_kopfd "$build" "$work"
sql() { "$build/bin/kopf" -p "$port" -c "$1" > /dev/null; }
now() { date +%s.%N; }
cpu() { server_cpu; }

ratios=()
for round in $(seq "$rounds"); do
  # kopf-bench prints a Markdown table: | workload | mode | -c | -P | ops/s | ...
  insert_rate="$("$build/bin/kopf-bench" -p "$port" -w insert -n "$inserts" --rows 1000 |
    awk -F'|' '$2 ~ /insert/ { gsub(/ /, "", $6); print $6 }')"
  sql "CREATE TABLE kv$round (id INT PRIMARY KEY, name TEXT, age INT, city TEXT)"
  c0="$(cpu)"; t0="$(now)"
  sql "COPY kv$round FROM 'load.csv'"
  t1="$(now)"; c1="$(cpu)"
  sql "COPY kv$round TO 'out$round.csv'"
  t2="$(now)"; c2="$(cpu)"
  cmp -s "$work/imports/load.csv" "$work/imports/out$round.csv" ||
    { echo "copy-bench.sh: the export differs from the file loaded" >&2; exit 1; }
  awk -v r="$round" -v n="$rows" -v ins="$insert_rate" -v a="$t0" -v b="$t1" -v c="$t2" \
      -v ca="$c0" -v cb="$c1" -v cc="$c2" 'BEGIN {
    from = n / (b - a); to = n / (c - b);
    printf "round %d: INSERT %d rows/s | COPY FROM %d rows/s (%.2f s, server CPU %.2f s) | COPY TO %d rows/s (%.2f s, CPU %.2f s) | FROM/INSERT %.0fx\n",
      r, ins, from, b - a, cb - ca, to, c - b, cc - cb, from / ins }'
  ratios+=("$(awk -v n="$rows" -v ins="$insert_rate" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) / ins }')")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END { printf "median COPY FROM / INSERT: %dx\n", r[int((NR + 1) / 2)] }'
