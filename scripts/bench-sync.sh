#!/usr/bin/env bash
# Insert rates of kopfd in each durability mode, side by side in one run:
# for every mode, a fresh kopfd on a fresh data directory, then kopf-bench
# with one connection, then eight kopf-bench processes at once (one
# connection and one table each; their insert rates are summed).
#   scripts/bench-sync.sh [ROWS]    (default 20000 inserts per connection)
# KOPFD=path runs another kopfd binary (to compare two builds side by side);
# MODES="always none" runs some of the modes only.
# Prints one line per mode and connection count: inserts/s and p50/p99 of
# the single connection, or the summed rate of the eight.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-20000}"
bin=build/bin
work=$(mktemp -d /tmp/kopf-bench-sync-XXXXXX)
trap 'rm -rf "$work"' EXIT

# kopf-bench prints "insert ... N ops/s ..."; pull the insert line.
insert_line() { grep -m1 '^insert' "$1"; }

run_mode() {
  local name=$1; shift
  local data="$work/$name"
  : >"$work/$name.out"  # exists before kopfd writes to it, for the wait below
  "${KOPFD:-$bin/kopfd}" --port 0 --data "$data" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  local server=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^kopfd listening on .*:\([0-9]*\)$/\1/p' "$work/$name.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "kopfd ($name) did not start" >&2; exit 1; }

  "$bin/kopf-bench" -p "$port" -n "$rows" --table one >"$work/$name.1"
  echo "$name 1 connection:  $(insert_line "$work/$name.1")"

  local pids=()
  for c in $(seq 8); do
    "$bin/kopf-bench" -p "$port" -n "$rows" --table "t$c" >"$work/$name.8.$c" &
    pids+=($!)
  done
  wait "${pids[@]}"
  local total=0
  for c in $(seq 8); do
    rate=$(insert_line "$work/$name.8.$c" | grep -o '[0-9.]* ops/s' | cut -d' ' -f1)
    total=$(awk -v a="$total" -v b="$rate" 'BEGIN { print a + b }')
  done
  echo "$name 8 connections: $(printf '%.0f' "$total") inserts/s in total"
  kill -TERM "$server"
  wait "$server" || true
}

for mode in ${MODES:-always interval none memory}; do
  case $mode in
    always) run_mode always --sync always ;;
    interval) run_mode interval --sync interval --sync-interval-ms 1000 ;;
    none) run_mode none --sync none ;;
    memory) run_mode memory --memory ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
done
