#!/usr/bin/env bash
# Where the time between two fsync rounds goes, for durable single-row
# inserts: a timeline of kopfd's fsync rounds while kopf-bench inserts.
#
#   tools/bench/round-timeline.sh [KOPFD] [CONNECTIONS]
#   tools/bench/round-timeline.sh /work/main/build/bin/kopfd 8
#
# Starts KOPFD (default build/bin/kopfd) with --sync always on a fresh data
# directory, runs `kopf-bench -w insert -c CONNECTIONS` (default 8) for
# 3 s, and records scheduler and system-call tracepoints of both processes
# with `perf record` for 0.3 s in the middle (needs root or
# perf_event_paranoid -1). Then, for every round, the time from the return
# of its fdatasync to each event of the chain that leads to the next one:
# the network thread woken by the round thread, the replies sent, the
# client's next INSERTs sent and received, the round thread woken, the next
# fdatasync. Prints the 25th, 50th and 75th percentile of each over the
# rounds, in µs, and counts per round. The round thread is the thread that
# calls fdatasync most, the network thread the kopfd thread that sends most
# (sendmsg for replies written from the queue, sendto for one sent at once).
# The tracepoints slow system calls down a little: compare builds with the
# same script, not with the rates of untraced runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPFD="${1:-$ROOT/build/bin/kopfd}"
CONNECTIONS="${2:-8}"
BENCH="$ROOT/build/bin/kopf-bench"
. "$ROOT/tools/bench/wait-port.sh"

DIR="$(mktemp -d)"
trap '[ -n "${KOPFD_PID:-}" ] && kill "$KOPFD_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT
: >"$DIR/out"
"$KOPFD" --port 0 --data "$DIR/data" --sync always >"$DIR/out" 2>"$DIR/log" &
KOPFD_PID=$!
PORT="$(wait_port "$DIR/out" "$DIR/log" 100)"
"$BENCH" -p "$PORT" -w insert -c 1 -T 1 --rows 1000 >/dev/null
"$BENCH" -p "$PORT" -w insert -c "$CONNECTIONS" -T 3 --no-load --rows 1000 >"$DIR/bench" &
BENCH_PID=$!
sleep 1.2
perf record -q -o "$DIR/perf.data" -p "$KOPFD_PID,$BENCH_PID" \
  -e sched:sched_switch,sched:sched_wakeup \
  -e syscalls:sys_enter_fdatasync,syscalls:sys_exit_fdatasync \
  -e syscalls:sys_enter_sendmsg,syscalls:sys_exit_recvfrom,syscalls:sys_enter_sendto \
  -e syscalls:sys_enter_pwrite64 -- sleep 0.3 >/dev/null 2>&1
wait "$BENCH_PID"
grep '^| insert' "$DIR/bench"
perf script -i "$DIR/perf.data" -F tid,time,event,trace 2>/dev/null >"$DIR/events"

# Lines look like: "  TID  SECONDS.MICROS:  syscalls:sys_enter_sendmsg: ...".
awk -v bench="$BENCH_PID" '
  { sub(/:$/, "", $2); sub(/:$/, "", $3) }
  NR == FNR { if ($3 ~ /enter_fdatasync/) fsyncs[$1]++; if ($1 != bench && $3 ~ /enter_send(msg|to)/) sends[$1]++; next }
  FNR == 1 {
    for (t in fsyncs) if (fsyncs[t] > fsyncs[rnd]) rnd = t
    for (t in sends) if (sends[t] > sends[net]) net = t
  }
  function at() { return ($2 - t0) * 1e6 }
  function first(name) { if (!(name in seen)) seen[name] = at() }
  function last(name) { seen[name] = at() }
  $1 == rnd && $3 ~ /exit_fdatasync/ {
    delete seen; t0 = $2; open = 1
    if (entered) seen["fdatasync itself (its duration)"] = ($2 - entered) * 1e6
    next
  }
  !open && $3 !~ /enter_fdatasync/ { next }
  $1 == rnd && $3 ~ /enter_fdatasync/ { entered = $2 }
  $1 == rnd && $3 ~ /enter_fdatasync/ && open {
    print "next fdatasync starts", at()
    for (name in seen) print name, seen[name]
    print "replies sent (count)", replies + 0; print "INSERTs received (count)", inserts + 0
    print "pwrite calls (count)", writes + 0
    replies = inserts = writes = 0; open = 0; next
  }
  $1 == rnd && $3 ~ /sched_wakeup/ && $0 ~ ("pid=" net " ") { first("network thread woken") }
  $1 == net && $3 ~ /enter_send(msg|to)/ { first("first reply sent"); last("last reply sent"); replies++ }
  $1 == bench && $3 ~ /enter_sendto/ { first("client sends its first INSERT"); last("client sends its last INSERT") }
  $1 == net && $3 ~ /exit_recvfrom/ { first("first INSERT received"); last("last INSERT received"); inserts++ }
  $3 ~ /enter_pwrite64/ { writes++ }
  $3 ~ /sched_wakeup/ && $0 ~ ("pid=" rnd " ") { last("round thread woken") }
' "$DIR/events" "$DIR/events" | sort -t' ' -k1,1 | awk '
  { value = $NF; $NF = ""; name = substr($0, 1, length($0) - 1)
    if (name != current) { flush(); current = name; n = 0 }
    v[++n] = value }
  function flush(   i, j, t) {
    if (n == 0) return
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    printf "%d\t%-32s p25 %7.0f  p50 %7.0f  p75 %7.0f  (%d rounds)\n", (current ~ /count/) * 1e6 + v[int(n * 0.5) + 1], current, v[int(n * 0.25) + 1], v[int(n * 0.5) + 1], v[int(n * 0.75) + 1], n
  }
  END { flush() }
' | sort -n | cut -f2-
kill "$KOPFD_PID"
wait "$KOPFD_PID" || true
KOPFD_PID=
grep -o 'group commit: .*' "$DIR/log" || true
