# Shared by copy-bench.sh and copy-stream-bench.sh; sourced, not run.

# make_load_csv FILE ROWS: the bulk-load CSV both scripts use, N rows of
# id,name,age,city as ../shared/peers/lib.sh generates them.
make_load_csv() {
  awk -v n="$2" 'BEGIN {
    split("Berlin,Paris,London,Madrid,Rome,Vienna,Prague,Warsaw,Lisbon,Oslo", c, ",");
    for (i = 1; i <= n; i++) printf "%d,name_%d,%d,%s\n", i, i, 18 + (i * 7) % 80, c[1 + i % 10];
  }' > "$1"
}

# start_kopfd BUILD WORK: starts BUILD/bin/kopfd on a free port with its
# data under WORK/data and WORK/imports as import directory; sets `server`
# (its pid, for the caller's cleanup) and `port`.
start_kopfd() {
  "$1/bin/kopfd" --port 0 --data "$2/data" --import-dir "$2/imports" \
    > "$2/listen" 2> "$2/log" &
  server=$!
  while ! grep -q listening "$2/listen" 2>/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$2/log" >&2; exit 1; }
    sleep 0.1
  done
  port="$(grep -o '[0-9]*$' "$2/listen")"
}

# server_cpu: the CPU seconds kopfd (`server`) has used so far.
server_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$server/stat"; }
