#!/usr/bin/env bash
# Durable single-row insert rates of kopfd in each durability mode, side by
# side in one run: for every mode a fresh kopfd on a fresh data directory,
# then kopf-bench's prepared single-row INSERT at one connection and at
# eight, medians of RUNS runs of SECONDS each.
#   scripts/bench-sync.sh [SECONDS]    (default 3; RUNS=3)
# KOPFD=path runs another kopfd binary (to compare two builds side by side);
# MODES="always none" runs some of the modes only.
# Prints kopf-bench's table rows, one per mode and connection count, after
# the mode's name, and the group-commit line of sync = always.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3}"
runs="${RUNS:-3}"
bin=build/bin
work=$(mktemp -d /tmp/kopf-bench-sync-XXXXXX)
server=""
# Stops a server left running when a step fails, then removes the data.
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

run_mode() {
  local name=$1; shift
  local data="$work/$name"
  : >"$work/$name.out"  # exists before kopfd writes to it, for the wait below
  "${KOPFD:-$bin/kopfd}" --port 0 --data "$data" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  server=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^kopfd listening on .*:\([0-9]*\)$/\1/p' "$work/$name.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "kopfd ($name) did not start" >&2; exit 1; }
  "$bin/kopf-bench" -p "$port" -w insert --configs 1x1,8x1 -T "$seconds" --runs "$runs" \
    | grep '^| insert' | sed "s/^/$name /"
  kill -TERM "$server"
  wait "$server" || true
  server=""
  grep -h 'group commit:' "$work/$name.log" | sed "s/^/$name: /" || true
}

for mode in ${MODES:-always interval none memory}; do
  case $mode in
    always) run_mode always --sync always ;;
    interval) run_mode interval --sync interval --sync-interval-ms 1000 ;;
    none) run_mode none --sync none ;;
    memory) run_mode memory --storage memory ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
done
