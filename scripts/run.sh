#!/usr/bin/env bash
# `make run`: starts kopfd on ./data (unless one already serves that port)
# and opens the kopf shell against it. The server started here stops when
# the shell exits. KOPF_PORT overrides the port (default 5433).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${KOPF_PORT:-5433}"
bin=build/bin
mkdir -p data

if "$bin/kopf" -p "$port" -c "SHOW TABLES" >/dev/null 2>&1; then
  echo "kopf: using the server already listening on 127.0.0.1:$port" >&2
  exec "$bin/kopf" -p "$port" "$@"
fi

log=data/kopfd.log
"$bin/kopfd" --port "$port" --data data 2>>"$log" >data/kopfd.out &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
# Wait for the server to say it listens (it prints one line when ready).
for _ in $(seq 1 100); do
  if grep -q "listening on" data/kopfd.out 2>/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then
    echo "kopf: kopfd failed to start; see $log" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "kopf: $(cat data/kopfd.out) (log: $log)" >&2
"$bin/kopf" -p "$port" "$@"
