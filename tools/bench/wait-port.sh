# Sourced by the bench scripts: wait_port OUT ERR TRIES waits up to
# TRIES tenths of a second for kopfd's "listening" line in OUT and prints
# its port; otherwise prints ERR to stderr and fails.
wait_port() {
  local port=""
  for _ in $(seq 1 "$3"); do
    port="$(sed -n 's/^kopfd listening on .*:\([0-9]*\)$/\1/p' "$1")"
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  cat "$2" >&2
  return 1
}

# start_loaded_kopfd KOPFD BENCH: starts KOPFD natively with --sync none
# (SYNC=always for a durable one) on a fresh directory DIR (made here;
# removed, and the server stopped, on exit), sets DIR, PID and PORT, and
# loads kv (100,000 rows) with the kopf-bench BENCH.
start_loaded_kopfd() {
  DIR="$(mktemp -d)"
  "$1" --port 0 --data "$DIR/data" --sync "${SYNC:-none}" >"$DIR/out" 2>"$DIR/err" &
  PID=$!
  trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
  PORT="$(wait_port "$DIR/out" "$DIR/err" 100)"
  "$2" -p "$PORT" --rows 100000 -w select -n 1 >/dev/null
}
