#!/usr/bin/env bash
# The system calls and context switches kopf-bench makes per request, and
# its CPU time per request, for several kopf-bench binaries run alternately
# against one kopfd: where the client's cost goes at few requests in
# flight, where the kernel's share dominates.
#
#   tools/bench/syscalls-bench-client.sh CxP ROUNDS KOPF_BENCH...
#   W=insert SYNC=always tools/bench/syscalls-bench-client.sh 8x1 5 OLD NEW
#
# Starts build/bin/kopfd (KOPFD=... for another; SYNC=always for fsync
# before each reply) and loads kv (100,000 rows), then ROUNDS times runs
# the workload W (default select) at CxP with each KOPF_BENCH in turn
# under `perf stat` with the syscall tracepoints, N requests a run
# (default 50,000). Prints each binary's medians per request: sendto,
# recvfrom (and those that found nothing: EAGAIN), epoll_wait, epoll_ctl,
# context switches, and CPU µs (task-clock, the whole process, connecting
# and preparing included).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPFD="${KOPFD:-$ROOT/build/bin/kopfd}"
[ $# -ge 3 ] || { echo "usage: $0 CxP ROUNDS KOPF_BENCH..." >&2; exit 2; }
CONFIG="$1" ROUNDS="$2"
shift 2
C="${CONFIG%x*}" P="${CONFIG#*x}"
N="${N:-50000}" W="${W:-select}"
. "$ROOT/tools/bench/wait-port.sh"
start_loaded_kopfd "$KOPFD" "$1"

EVENTS=(-e syscalls:sys_enter_sendto -e syscalls:sys_enter_recvfrom
        -e syscalls:sys_exit_recvfrom --filter 'ret == -11'
        -e syscalls:sys_enter_epoll_wait -e syscalls:sys_enter_epoll_ctl
        -e context-switches -e task-clock)
for (( r = 1; r <= ROUNDS; r++ )); do
  for BENCH in "$@"; do
    perf stat -x, -o "$DIR/perf" "${EVENTS[@]}" -- "$BENCH" -p "$PORT" --rows 100000 --no-load \
      -w "$W" -c "$C" -P "$P" -n "$N" >/dev/null
    # One line per run: the binary, then each count per request.
    awk -F, -v b="$BENCH" -v n="$N" '
      { v[$3] = $1 }
      END {
        printf "%s %.3f %.3f %.3f %.3f %.3f %.3f %.2f\n", b,
          v["syscalls:sys_enter_sendto"] / n, v["syscalls:sys_enter_recvfrom"] / n,
          v["syscalls:sys_exit_recvfrom"] / n, v["syscalls:sys_enter_epoll_wait"] / n,
          v["syscalls:sys_enter_epoll_ctl"] / n, v["context-switches"] / n,
          v["task-clock"] * 1000 / n
      }' "$DIR/perf" >>"$DIR/runs"
  done
done

echo "medians over $ROUNDS rounds, -w $W at $CONFIG (kopfd --sync ${SYNC:-none}), $N requests a run, per request:"
echo "kopf-bench  sendto  recvfrom  recvfrom_EAGAIN  epoll_wait  epoll_ctl  context_switches  cpu_us"
for BENCH in "$@"; do
  awk -v b="$BENCH" -f "$ROOT/tools/bench/median.awk" -f /dev/stdin "$DIR/runs" <<'AWK'
    $1 == b { for (f = 2; f <= 8; f++) col[f] = col[f] " " $f }
    END {
      printf "%s", b;
      for (f = 2; f <= 8; f++) printf "  %s", med(col[f]);
      printf "\n";
    }
AWK
done
