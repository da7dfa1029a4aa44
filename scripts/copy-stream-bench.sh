#!/usr/bin/env bash
# The shell's \copy against the server-side COPY FROM 'file', side by side
# in one sitting: starts a fresh kopfd on a temporary data directory, then
# ROUNDS times loads the same N-row 4-column CSV (id,name,age,city, as
# copy-bench.sh makes it) into a fresh table both ways, alternating which
# goes first, and exports it back both ways (COPY TO 'file' on the server,
# \copy to a local file); every export is compared with the input. With
# PostgreSQL installed (/usr/lib/postgresql/*/bin) it also times psql's
# \copy of the same file into a private cluster (fsync on, as in
# ../shared/peers/pg.sh), interleaved in the same rounds. Prints each round
# and the medians, and the median ratio \copy / server-side COPY.
#
#   scripts/copy-stream-bench.sh [BUILD_DIR]      (ROWS=1000000 ROUNDS=5 PG=1)
#
# Each load is one `kopf -c` (or `psql -c`) process, so each includes the
# connect; timings are wall-clock.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/copy-lib.sh"
build="$(cd "${1:-$root/build}" && pwd)"
rows="${ROWS:-1000000}"
rounds="${ROUNDS:-5}"
for tool in kopfd kopf; do
  [ -x "$build/bin/$tool" ] || { echo "copy-stream-bench.sh: $build/bin/$tool is missing" >&2; exit 2; }
done
pgbin=""
if [ "${PG:-1}" = 1 ]; then
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$pgbin" ] && [ -x "$pgbin/postgres" ] && command -v psql > /dev/null || pgbin=""
fi

work="$(mktemp -d /tmp/copy-stream-bench.XXXXXX)"
chmod 755 "$work"
server=""
pg_started=0
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "$pg_started" = 1 ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop > /dev/null 2>&1 || true
  fi
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/imports"
make_load_csv "$work/imports/load.csv" "$rows"
chmod 644 "$work/imports/load.csv"
chmod 755 "$work/imports"
echo "file: $rows rows, $(stat -c %s "$work/imports/load.csv") bytes"

start_kopfd "$build" "$work"
kopf() { "$build/bin/kopf" -p "$port" -c "$1" > /dev/null; }

if [ -n "$pgbin" ]; then
  pgport=$((20000 + RANDOM % 20000))
  mkdir -p "$work/pg" && chown postgres: "$work/pg"
  runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 \
    --locale=C > "$work/initdb.log" 2>&1
  printf "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = on\nsynchronous_commit = on\nshared_buffers = 512MB\nmax_wal_size = 4GB\n" \
    "$pgport" "$work/pg" >> "$work/pg/postgresql.conf"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start > /dev/null
  pg_started=1
  echo "PostgreSQL: $("$pgbin/postgres" --version)"
fi
psql_c() { psql -h 127.0.0.1 -p "$pgport" -U postgres -qX -v ON_ERROR_STOP=1 -c "$1" > /dev/null; }

# Runs "$@" and prints its wall time and the CPU seconds kopfd spent
# meanwhile (the steadier figure on a busy machine).
timed() {
  local t0 t1 c0 c1
  c0="$(server_cpu)"; t0="$(date +%s.%N)"
  "$@"
  t1="$(date +%s.%N)"; c1="$(server_cpu)"
  awk -v a="$t0" -v b="$t1" -v ca="$c0" -v cb="$c1" 'BEGIN { printf "%.3f %.2f", b - a, cb - ca }'
}

create="(id INT PRIMARY KEY, name TEXT, age INT, city TEXT)"
: > "$work/times"
for round in $(seq "$rounds"); do
  kopf "CREATE TABLE s$round $create"
  kopf "CREATE TABLE c$round $create"
  [ -n "$pgbin" ] && psql_c "CREATE TABLE p$round $create"
  server_in() { timed kopf "COPY s$round FROM 'load.csv'"; }
  client_in() { timed kopf "\\copy c$round from '$work/imports/load.csv'"; }
  if [ $((round % 2)) = 1 ]; then
    s="$(server_in)"; c="$(client_in)"
  else
    c="$(client_in)"; s="$(server_in)"
  fi
  p="- -"
  [ -n "$pgbin" ] && p="$(timed psql_c "\\copy p$round from '$work/imports/load.csv' with (format csv)")"
  so="$(timed kopf "COPY s$round TO 'out.csv'")"
  co="$(timed kopf "\\copy c$round to '$work/local-out.csv'")"
  cmp -s "$work/imports/load.csv" "$work/imports/out.csv" &&
    cmp -s "$work/imports/load.csv" "$work/local-out.csv" ||
    { echo "copy-stream-bench.sh: an export differs from the file loaded" >&2; exit 1; }
  kopf "DROP TABLE s$round"
  kopf "DROP TABLE c$round"
  [ -n "$pgbin" ] && psql_c "DROP TABLE p$round"
  # Columns: wall and kopfd CPU of COPY FROM file, \copy from, psql \copy
  # (wall only), COPY TO file, \copy to.
  echo "$s $c $p $so $co" | tee -a "$work/times" | awk -v r="$round" -v n="$rows" '{
    printf "round %d: COPY FROM file %.2f s (%d rows/s, kopfd CPU %.2f s) | \\copy from %.2f s (%d rows/s, kopfd CPU %.2f s)", r, $1, n / $1, $2, $3, n / $3, $4;
    if ($5 != "-") printf " | psql \\copy from %.2f s (%d rows/s)", $5, n / $5;
    printf " | COPY TO file %.2f s | \\copy to %.2f s\n", $7, $9 }'
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { awk -v k="$1" '{ print $k }' "$work/times" | median; }
ratio="$(awk '{ print $3 / $1 }' "$work/times" | median)"
cpu_ratio="$(awk '{ print ($2 > 0 ? $4 / $2 : 0) }' "$work/times" | median)"
awk -v n="$rows" -v s="$(col 1)" -v sc="$(col 2)" -v c="$(col 3)" -v cc="$(col 4)" \
    -v so="$(col 7)" -v co="$(col 9)" -v q="$ratio" -v qc="$cpu_ratio" 'BEGIN {
  printf "median of %d rounds: COPY FROM file %.2f s (%d rows/s, kopfd CPU %.2f s), \\copy from %.2f s (%d rows/s, kopfd CPU %.2f s)\n", '"$rounds"', s, n / s, sc, c, n / c, cc;
  printf "median ratio \\copy / COPY FROM file: wall %.2fx, kopfd CPU %.2fx\n", q, qc;
  printf "median: COPY TO file %.2f s, \\copy to %.2f s\n", so, co }'
if [ -n "$pgbin" ]; then
  pr="$(awk '{ print $3 / $5 }' "$work/times" | median)"
  awk -v n="$rows" -v p="$(col 5)" -v q="$pr" 'BEGIN {
    printf "median: psql \\copy from %.2f s (%d rows/s); ratio kopf \\copy / psql \\copy (time) %.2fx\n", p, n / p, q }'
fi
