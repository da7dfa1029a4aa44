# Sourced by the callgrind scripts: wait_port OUT ERR TRIES waits up to
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
