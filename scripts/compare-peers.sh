#!/usr/bin/env bash
# kopf side by side with the servers a user might pick instead, on this
# machine, in one sitting: the peer scripts of ../shared/peers (PostgreSQL
# via pgbench, Redis via redis-benchmark; MariaDB and SQLite on request),
# then kopf with kopf-bench on the same data, row counts, connections and
# pipeline depths. Writes a Markdown report with the ratios the project's
# targets are stated in.
#
#   scripts/compare-peers.sh                      # PEERS="pg redis", RUNS=3, DURATION=10
#   PEERS="pg redis mariadb sqlite" scripts/compare-peers.sh
#   RUNS=1 DURATION=3 scripts/compare-peers.sh    # a quick look, not for quoting
#
# Report: $KOPF_PEERS_BASE/results/COMPARE.md (default /tmp/kopf-peers/...).
# Every figure is a median of RUNS runs; kopf runs right after the peers,
# never at the same time, so they do not share the two cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
[ -f "$PEERS_DIR/lib.sh" ] || { echo "compare-peers: no peer scripts in $PEERS_DIR" >&2; exit 2; }
export RUNS="${RUNS:-3}" DURATION="${DURATION:-10}"
PEERS="${PEERS:-pg redis}"

make -C "$ROOT" --no-print-directory build
PEERS="$PEERS" bash "$PEERS_DIR/run_all.sh"

# The peers' helpers: record/summarize, the data files, RESULTS_DIR.
# shellcheck source=/dev/null
source "$PEERS_DIR/lib.sh"
gen_data
BIN="$ROOT/build/bin"
KOPF_DIR="$BASE/kopf"
rm -rf "$KOPF_DIR" && mkdir -p "$KOPF_DIR/import"
cp "$CSV_BULK" "$KOPF_DIR/import/bulk.csv"

# A durable kopfd (sync = always, the default) on a fresh data directory.
SERVER_PID=""
start_kopfd() {
  "$BIN/kopfd" --port 0 --data "$KOPF_DIR/data" --import-dir "$KOPF_DIR/import" \
    >"$KOPF_DIR/kopfd.out" 2>"$KOPF_DIR/kopfd.log" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 300); do
    PORT="$(sed -n 's/^kopfd listening on .*:\([0-9]*\)$/\1/p' "$KOPF_DIR/kopfd.out")"
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "kopfd did not start: $(cat "$KOPF_DIR/kopfd.log")"
    sleep 0.1
  done
  die "kopfd did not announce its port"
}
stop_kopfd() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" && wait "$SERVER_PID" || true; SERVER_PID=""; }
trap stop_kopfd EXIT

results_begin kopf
start_kopfd
log "kopf: kopfd on port $PORT, loading $ROWS rows"
"$BIN/kopf-bench" -p "$PORT" --rows "$ROWS" -w select -n 1 >/dev/null

# kopf_run WORKLOAD-NAME BENCH-WORKLOAD CONNS DEPTH RUN: one kopf-bench run,
# recorded like the peers' (ops/s, mean "-", p99 in ms).
kopf_run() {
  local name="$1" wl="$2" c="$3" p="$4" r="$5" line
  line="$("$BIN/kopf-bench" -p "$PORT" --rows "$ROWS" --no-load -w "$wl" -c "$c" -P "$p" \
            -T "$DURATION" | awk -F'|' -v w="$wl" '$2 ~ "^ *" w " *$" { print $6, $8 }')"
  [ -n "$line" ] || die "kopf-bench $wl -c $c -P $p printed no figures"
  read -r ops p99_us <<<"$line"
  record kopf "$name" "$c" "$r" "$ops" "-" "$(awk -v u="$p99_us" 'BEGIN { printf "%.3f", u / 1000 }')" \
    "kopf-bench -c $c -P $p, prepared statements, durable kopfd"
}

# kopf_bulk NAME COMMAND RUN WHAT: times one `kopf -c COMMAND` that loads
# the bulk file into a fresh kv_bulk and records its rows/s as NAME.
kopf_bulk() {
  local t0 t1 ms
  "$BIN/kopf" -p "$PORT" -q -c "DROP TABLE IF EXISTS kv_bulk" \
    -c "CREATE TABLE kv_bulk (id INT PRIMARY KEY, name TEXT, age INT, city TEXT)" >/dev/null
  t0="$(now)"
  "$BIN/kopf" -p "$PORT" -q -c "$2" >/dev/null
  t1="$(now)"
  ms="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')"
  record kopf "$1" 1 "$3" \
    "$(awk -v n="$BULK_ROWS" -v m="$ms" 'BEGIN { printf "%.0f", n / (m / 1000) }')" "$ms" "-" \
    "rows/s; mean = whole load in ms; $4"
}

for (( r = 1; r <= RUNS; r++ )); do
  log "kopf: run $r/$RUNS"
  kopf_run point_select select 1 1 "$r"
  kopf_run point_select select 8 1 "$r"
  kopf_run point_select_pipeline16 select 8 16 "$r"
  kopf_run range_select_100 range 1 1 "$r"
  kopf_run insert_sync_commit insert 1 1 "$r"
  kopf_run insert_sync_commit insert 8 1 "$r"
  # Bulk load of the same 1,000,000-row file into a fresh table: COPY FROM
  # a server-side file, and the shell's \copy (COPY FROM STDIN), which is
  # how psql's \copy loads it into PostgreSQL.
  kopf_bulk "bulk_load_${BULK_ROWS}_copy" "COPY kv_bulk FROM 'bulk.csv'" "$r" \
    "COPY FROM a server-side file into a table with PK"
  kopf_bulk "bulk_load_${BULK_ROWS}_client_copy" "\\copy kv_bulk from '$KOPF_DIR/import/bulk.csv'" \
    "$r" "the shell's \\copy (COPY FROM STDIN) into a table with PK"
done
stop_kopfd

# The ratios the targets are stated in: kopf's median over the peer's.
ratio() { # ratio KOPF-WORKLOAD CONNS PEER PEER-WORKLOAD PEER-CONNS LABEL
  cat "$RESULTS_DIR"/*.raw.tsv | awk -F'\t' -v kw="$1" -v kc="$2" -v p="$3" -v pw="$4" -v pc="$5" \
      -v label="$6" '
    function med(s,   a, n, i, j, t) {
      n = split(s, a, " "); if (n == 0) return 0;
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
    }
    $1 == "kopf" && $2 == kw && $3 == kc { k = k " " $5 }
    $1 == p && $2 == pw && $3 == pc { q = q " " $5 }
    END {
      if (k == "" || q == "") { printf "| %s | - | - | - |\n", label; exit }
      printf "| %s | %.0f | %.0f | %.2fx |\n", label, med(k), med(q), med(k) / med(q);
    }'
}

{
  echo "# kopf and its peers, one sitting"
  echo
  machine_info | sed 's/^/- /'
  echo "- runs per workload: $RUNS (median), ${DURATION}s each; $ROWS rows in kv; peers: $PEERS"
  echo "- command: \`RUNS=$RUNS DURATION=$DURATION PEERS=\"$PEERS\" scripts/compare-peers.sh\`"
  echo
  echo "| comparison | kopf ops/s | peer ops/s | kopf / peer |"
  echo "|---|---:|---:|---:|"
  ratio point_select 1 postgresql point_select 1 "point select by key, 1 connection, vs PostgreSQL"
  ratio point_select 8 postgresql point_select 8 "point select by key, 8 connections, vs PostgreSQL"
  ratio point_select_pipeline16 8 redis-aof-everysec GET_pipeline16 8 \
    "point select, 8 connections x 16 pipelined, vs Redis GET -P 16"
  ratio range_select_100 1 postgresql range_select_100 1 "range of 100 rows, 1 connection, vs PostgreSQL"
  ratio insert_sync_commit 1 postgresql insert_sync_commit 1 \
    "durable single-row INSERT, 1 connection, vs PostgreSQL synchronous_commit=on"
  ratio insert_sync_commit 8 postgresql insert_sync_commit 8 \
    "durable single-row INSERT, 8 connections, vs PostgreSQL synchronous_commit=on"
  ratio insert_sync_commit 8 redis-aof-always SET 8 "durable single-row INSERT, 8 connections, vs Redis SET (aof always)"
  ratio "bulk_load_${BULK_ROWS}_copy" 1 postgresql "bulk_load_${BULK_ROWS}_copy" 1 \
    "bulk load of $BULK_ROWS rows (rows/s), vs PostgreSQL \\copy"
  ratio "bulk_load_${BULK_ROWS}_client_copy" 1 postgresql "bulk_load_${BULK_ROWS}_copy" 1 \
    "bulk load of $BULK_ROWS rows (rows/s), kopf \\copy vs PostgreSQL \\copy"
  echo
  echo "## kopf"
  echo
  summarize "$RESULTS_DIR/kopf.raw.tsv"
  echo
  for p in $PEERS; do cat "$RESULTS_DIR/$p.md"; echo; done
} > "$RESULTS_DIR/COMPARE.md"
log "report: $RESULTS_DIR/COMPARE.md"
cat "$RESULTS_DIR/COMPARE.md"
