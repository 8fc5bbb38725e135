#!/usr/bin/env bash
# Durable formal submissions over HTTP (zhiyuan) against what PostgreSQL alone does with the
# same rows, all on one private PostgreSQL cluster:
#
#   (a) pgbench, one single-row upsert per transaction (PGBENCH_CLIENTS clients): a row shaped
#       like `applications` (candidate_id, batch, drill, version, choices, digest, prev_hash,
#       accepted_at, committed_at) into a scratch table, random candidate ids, choices taken
#       from real submitted forms (canonical encoding) → TPS;
#   (b) pgbench, 100 rows per transaction (`INSERT … SELECT FROM generate_series … ON CONFLICT
#       DO UPDATE`, disjoint id ranges per client, BATCH_CLIENTS clients) → rows/s;
#   (c) zhiyuan-submitter against zhiyuan-server: full 本科批 forms (45 groups × up to 6 majors,
#       as the catalog allows), each answered 201 only after COMMIT, each receipt fdatasync'ed
#       by the client, at maximum rate over CONNECTIONS keep-alive connections → submissions/s;
#       then again at half that rate → p99. The write path's batch sizes come from /metrics
#       (zhiyuan_writer_batch_size, the difference over each run).
#
# The ratios printed: target submit_vs_pgbench = c / a (goal >= 3) and
# target submit_vs_pg_batched = c / b (goal >= 0.3). Finally the receipts of the warm-up and both
# (c) runs are reconciled against the database. After the report the script exits 1 when a
# receipt is lost, differs or was applied twice, or a submitter run had requests that failed,
# gave up, got a receipt that does not match the form sent, or could not build their form.
#
# Nothing is pinned: on this 2-CPU machine PostgreSQL, the server and the load generator all
# need CPU, and any split starves one of them; pgbench (a light C client) and the submitter (an
# HTTP client building 45-group forms) both run on the same 2 CPUs as the database.
#
# usage: bench/submit_vs_pgbench.sh [--quick]
#   --quick   smoke run: 20,000 candidates, 5 s per measurement (env still overrides)
# env: BUILD_DIR (<repo>/build) with zhiyuan-server, zhiyuan-seed, zhiyuan-dbctl built;
#      SUBMITTER (BUILD_DIR/tests/crash/zhiyuan-submitter); VAR_DIR (BUILD_DIR/bench-submit-var:
#      the private cluster, started and stopped here); CANDIDATES seeded (100000);
#      USED candidates signing in and submitting (20000); DURATION seconds per measurement (20);
#      PGBENCH_CLIENTS (32); BATCH_CLIENTS (8); CONNECTIONS (256: the writers batch what is in
#      flight, so the maximum rate needs more requests in flight than pgbench needs clients);
#      WRITERS (server default); SERVER_ARGS more server options (e.g. '--writer.max_delay_us 500');
#      PERF=1 records a system-wide profile during the maximum-rate run (perf record -a -g, kept in
#      the logs directory with KEEP_TMP=1); KEEP_TMP=1 keeps logs;
#      PROFILE=1 loads pg_stat_statements (calls, plans, time per statement of each (c) run,
#      printed after the report) and logs checkpoints, lock waits, autovacuum runs and statements
#      of 100 ms or more (the cluster log's lines during the (c) runs are printed too); it also
#      prints the client's attempts slower than 250 ms, the server's slow_write lines (where a
#      slow write's time went) and writer warnings, and the latency of an fdatasync probe on
#      the cluster's file system during each (c) run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

quick=0
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) bench_die "unknown argument '$arg' (try --help)" ;;
  esac
done
if ((quick)); then
  CANDIDATES=${CANDIDATES:-20000} USED=${USED:-5000} DURATION=${DURATION:-5}
fi
BUILD_DIR=$(cd "${BUILD_DIR:-$repo/build}" && pwd)
SUBMITTER=${SUBMITTER:-$BUILD_DIR/tests/crash/zhiyuan-submitter}
VAR_DIR=${VAR_DIR:-$BUILD_DIR/bench-submit-var}
CANDIDATES=${CANDIDATES:-100000}
USED=${USED:-20000}
DURATION=${DURATION:-20}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-32}
BATCH_CLIENTS=${BATCH_CLIENTS:-8}
CONNECTIONS=${CONNECTIONS:-256}
WRITERS=${WRITERS:-}
SERVER_ARGS=${SERVER_ARGS:-}

server_bin=$BUILD_DIR/server/zhiyuan-server
seed_bin=$BUILD_DIR/province/zhiyuan-seed
dbctl_bin=$BUILD_DIR/storage/zhiyuan-dbctl
for b in "$server_bin" "$seed_bin" "$dbctl_bin" "$SUBMITTER"; do
  [[ -x $b ]] || bench_die "$b missing: build it first (ninja -C $BUILD_DIR)"
done
if ! command -v pgbench >/dev/null 2>&1; then
  bench_log "pgbench missing; installing postgresql-contrib"
  apt-get install -y postgresql-contrib >/dev/null || bench_die "could not install pgbench"
fi
bench_require pgbench psql curl awk date

bench_init

# --- database and province -------------------------------------------------------------------
bench_start_cluster "$dbctl_bin" "$VAR_DIR"
url=$BENCH_DB_URL
bench_log "seeding $CANDIDATES candidates (test key-derivation cost)"
"$seed_bin" --candidates "$CANDIDATES" --kdf-cost test --database-url "$url" --replace \
  >"$BENCH_TMP/seed.log" 2>&1 || { tail -n 20 "$BENCH_TMP/seed.log" >&2; bench_die "seed failed"; }
psql "$url" -qAtc "CHECKPOINT" >/dev/null
if [[ ${PROFILE:-0} == 1 ]]; then
  psql "$url" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';
ALTER SYSTEM SET track_io_timing = on;
ALTER SYSTEM SET track_wal_io_timing = on;
ALTER SYSTEM SET log_checkpoints = on;
ALTER SYSTEM SET log_lock_waits = on;
ALTER SYSTEM SET deadlock_timeout = '100ms';
ALTER SYSTEM SET log_autovacuum_min_duration = 0;
ALTER SYSTEM SET log_min_duration_statement = '100ms';
SQL
  "$dbctl_bin" --var-dir "$VAR_DIR" stop >>"$BENCH_TMP/dbctl.log" 2>&1
  "$dbctl_bin" --var-dir "$VAR_DIR" start >>"$BENCH_TMP/dbctl.log" 2>&1 ||
    { cat "$BENCH_TMP/dbctl.log" >&2; bench_die "restart with pg_stat_statements failed"; }
  psql "$url" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
ALTER SYSTEM SET pg_stat_statements.track = 'all';
ALTER SYSTEM SET pg_stat_statements.track_planning = on;
SELECT pg_reload_conf();
SQL
fi
pg_log=$(readlink -f "$VAR_DIR/pg/postgresql.log")

# --- server ----------------------------------------------------------------------------------
port=$(bench_free_port 0)
offset=$(($(date -d '2023-06-30T12:00:00+08:00' +%s) - $(date +%s)))
server_args=(--server.port "$port" --database.url "$url"
  --filing.schedule_file "$repo/config/schedule.toml" --filing.clock_offset_seconds "$offset"
  --server.drain_delay_ms 0 --auth.hash_threads 2 --auth.login_ip_per_minute 100000000)
[[ -n $WRITERS ]] && server_args+=(--writer.writers "$WRITERS")
# shellcheck disable=SC2206  # words on purpose: extra server options
[[ -n $SERVER_ARGS ]] && server_args+=($SERVER_ARGS)
bench_spawn server "$server_bin" "${server_args[@]}"
server_pid=$BENCH_LAST_PID
bench_wait_http "http://127.0.0.1:$port/readyz" 60 "$server_pid" ||
  { tail -n 20 "$BENCH_TMP/server.log" >&2; bench_die "server did not become ready"; }

submitter=("$SUBMITTER" --database-url "$url" --port "$port" --tokens "$BENCH_TMP/tokens.txt"
  --schedule-file "$repo/config/schedule.toml" --candidates "$USED" --connections "$CONNECTIONS")

# Sign-in of every candidate used, and a short warm-up whose forms feed the pgbench scripts.
bench_log "signing in $USED candidates and warming up"
"${submitter[@]}" --acks "$BENCH_TMP/acks-warmup.txt" --first-round 1 --rounds 1 \
  --max-requests 2000 --duration 60 >"$BENCH_TMP/warmup.out" 2>"$BENCH_TMP/warmup.err" ||
  { cat "$BENCH_TMP/warmup.err" >&2; bench_die "warm-up failed"; }
grep '^login:' "$BENCH_TMP/warmup.out" >&2

# --- (a) and (b): PostgreSQL alone -----------------------------------------------------------
psql "$url" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DROP TABLE IF EXISTS bench_submit, bench_forms;
CREATE TABLE bench_submit (
  candidate_id  bigint NOT NULL,
  batch         smallint NOT NULL,
  drill         boolean NOT NULL DEFAULT false,
  version       bigint NOT NULL,
  choices       text NOT NULL,
  digest        bytea NOT NULL,
  prev_hash     bytea,
  accepted_at   timestamptz NOT NULL,
  committed_at  timestamptz NOT NULL,
  PRIMARY KEY (candidate_id, batch, drill)
);
CREATE TABLE bench_forms (id integer PRIMARY KEY, choices text NOT NULL, digest bytea NOT NULL);
INSERT INTO bench_forms
SELECT row_number() OVER (), choices, digest FROM application_history LIMIT 1000;
SQL
forms=$(psql "$url" -qAtc "SELECT count(*) FROM bench_forms")
form_bytes=$(psql "$url" -qAtc "SELECT round(avg(length(choices))) FROM bench_forms")
((forms > 0)) || bench_die "no submitted forms to copy"

cat >"$BENCH_TMP/one.sql" <<SQL
\set cid random(1, $CANDIDATES)
\set fid random(1, $forms)
INSERT INTO bench_submit AS t (candidate_id, batch, version, choices, digest, prev_hash,
                               accepted_at, committed_at)
SELECT :cid, 1, 1, f.choices, f.digest, NULL, now(), clock_timestamp()
FROM bench_forms f WHERE f.id = :fid
ON CONFLICT (candidate_id, batch, drill) DO UPDATE
SET version = t.version + 1, prev_hash = t.digest, choices = excluded.choices,
    digest = excluded.digest, accepted_at = excluded.accepted_at,
    committed_at = excluded.committed_at;
SQL
slice=$((CANDIDATES / BATCH_CLIENTS))
((slice > 100)) || bench_die "CANDIDATES too small for BATCH_CLIENTS"
cat >"$BENCH_TMP/batch.sql" <<SQL
\set base :client_id * $slice + random(1, $((slice - 100)))
INSERT INTO bench_submit AS t (candidate_id, batch, version, choices, digest, prev_hash,
                               accepted_at, committed_at)
SELECT :base + i, 1, 1, f.choices, f.digest, NULL, now(), clock_timestamp()
FROM generate_series(0, 99) AS i JOIN bench_forms f ON f.id = (:base + i) % $forms + 1
ON CONFLICT (candidate_id, batch, drill) DO UPDATE
SET version = t.version + 1, prev_hash = t.digest, choices = excluded.choices,
    digest = excluded.digest, accepted_at = excluded.accepted_at,
    committed_at = excluded.committed_at;
SQL

pgbench_tps() { awk '/^tps = / {print $3; exit}' "$1"; }

# CPU time (clock ticks) of the cluster: the postmaster, the children it has reaped (cutime,
# cstime: backends of closed connections) and its live children. Steadier than rates on a
# shared machine, and it tells where a submission's cost goes.
pg_data=$(readlink -f "$VAR_DIR/pg/data")
pg_ticks() {
  local pm child total=0
  pm=$(head -n 1 "$pg_data/postmaster.pid")
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  # shellcheck disable=SC2013  # pids, one word each
  for child in $(cat /proc/"$pm"/task/*/children 2>/dev/null); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)
# us_per_op TICKS OPS: microseconds of CPU per operation.
us_per_op() { awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN {printf "%.0f", n ? t * 1e6 / hz / n : 0}'; }

bench_log "(a) pgbench: 1-row upserts, $PGBENCH_CLIENTS clients, ${DURATION}s"
t0=$(pg_ticks)
pgbench -n -M prepared -c "$PGBENCH_CLIENTS" -j 2 -T "$DURATION" -f "$BENCH_TMP/one.sql" "$url" \
  >"$BENCH_TMP/pgbench-one.log" 2>&1 || { cat "$BENCH_TMP/pgbench-one.log" >&2; bench_die "pgbench (a) failed"; }
tps_a=$(pgbench_tps "$BENCH_TMP/pgbench-one.log")
pg_a=$(us_per_op $(($(pg_ticks) - t0)) "$(awk '/^number of transactions actually processed/ {print $NF}' "$BENCH_TMP/pgbench-one.log")")
lat_a=$(awk '/^latency average/ {print $4; exit}' "$BENCH_TMP/pgbench-one.log")

bench_log "(b) pgbench: 100-row upserts, $BATCH_CLIENTS clients, ${DURATION}s"
t0=$(pg_ticks)
pgbench -n -M prepared -c "$BATCH_CLIENTS" -j 2 -T "$DURATION" -f "$BENCH_TMP/batch.sql" "$url" \
  >"$BENCH_TMP/pgbench-batch.log" 2>&1 || { cat "$BENCH_TMP/pgbench-batch.log" >&2; bench_die "pgbench (b) failed"; }
tps_b=$(pgbench_tps "$BENCH_TMP/pgbench-batch.log")
rows_b=$(awk -v t="$tps_b" 'BEGIN {printf "%.0f", t * 100}')
pg_b=$(us_per_op $(($(pg_ticks) - t0)) $((100 * $(awk '/^number of transactions actually processed/ {print $NF}' "$BENCH_TMP/pgbench-batch.log"))))
lat_b=$(awk '/^latency average/ {print $4; exit}' "$BENCH_TMP/pgbench-batch.log")
psql "$url" -qAtc "DROP TABLE bench_submit, bench_forms; CHECKPOINT" >/dev/null

# --- (c): zhiyuan ----------------------------------------------------------------------------
metrics() {
  curl -fsS "http://127.0.0.1:$port/metrics" |
    grep -E '^zhiyuan_writer_(batch_size|commit_seconds)|^zhiyuan_http_request_duration_seconds_bucket\{route="[^"]*/applications/\{batch\}"'
}

# server_p99 BEFORE AFTER: the server's own p99 of the submission route between two /metrics
# snapshots (request parsed → answer ready), as the upper bound of its histogram bucket: what
# the client's p99 owes to the server, the rest being transport and the client itself.
server_p99() {
  # The route label holds a space: the key is the line without its last field.
  awk '{ key = $0; sub(/ [^ ]*$/, "", key) }
    FNR == NR { before[key] = $NF; next }
    key ~ /^zhiyuan_http_request_duration_seconds_bucket/ {
      le = key; sub(/.*le="/, "", le); sub(/".*/, "", le)
      n[le] = $NF - before[key]; les[++k] = le
    }
    END {
      total = n["+Inf"]
      for (i = 1; i <= k; i++) if (total && n[les[i]] >= 0.99 * total) {
        printf "<= %s s (%d requests)", les[i], total; exit
      }
      printf "n/a"
    }' "$1" "$2"
}

# batch_histogram BEFORE AFTER: the batch-size distribution between two /metrics snapshots.
batch_histogram() {
  awk 'FNR == NR { before[$1] = $2; next } { after[$1] = $2 }
    END {
      n = 0
      for (k in after) if (k ~ /^zhiyuan_writer_batch_size_bucket\{/) {
        le = k; sub(/.*le="/, "", le); sub(/".*/, "", le)
        c = after[k] - before[k]; les[++n] = le; cum[le] = c
      }
      # Sort bucket bounds numerically (+Inf last).
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
        a = les[i] == "+Inf" ? 1e308 : les[i] + 0; b = les[j] == "+Inf" ? 1e308 : les[j] + 0
        if (b < a) { t = les[i]; les[i] = les[j]; les[j] = t }
      }
      count = after["zhiyuan_writer_batch_size_count"] - before["zhiyuan_writer_batch_size_count"]
      sum = after["zhiyuan_writer_batch_size_sum"] - before["zhiyuan_writer_batch_size_sum"]
      cc = after["zhiyuan_writer_commit_seconds_count"] - before["zhiyuan_writer_commit_seconds_count"]
      cs = after["zhiyuan_writer_commit_seconds_sum"] - before["zhiyuan_writer_commit_seconds_sum"]
      printf "transactions=%d operations=%d mean=%.1f commit_mean_ms=%.2f |", count, sum,
        count ? sum / count : 0, cc ? 1000 * cs / cc : 0
      prev = 0
      for (i = 1; i <= n; i++) {
        c = cum[les[i]] - prev; prev = cum[les[i]]
        if (c > 0) printf " <=%s: %.1f%%", les[i], count ? 100 * c / count : 0
      }
      printf "\n"
    }' "$1" "$2"
}

# fsync_probe FILE OUT: until killed, appends 8 kB to FILE with fdatasync every 20 ms (on the
# cluster's file system, as a WAL flush does) and at SIGTERM writes the count and latency
# percentiles to OUT: the disk's own share of a COMMIT's time during a run.
fsync_probe() {
  exec python3 - "$1" "$2" <<'PY'
import os, signal, sys, time
path, out = sys.argv[1], sys.argv[2]
lat = []
def done(*_):
    lat.sort()
    n = len(lat)
    pick = lambda q: lat[min(n - 1, int(q * n))] * 1000 if n else 0
    with open(out, "w") as f:
        f.write(f"fdatasync probe: n={n} p50_ms={pick(0.5):.1f} p99_ms={pick(0.99):.1f} "
                f"max_ms={(lat[-1] * 1000 if n else 0):.1f}\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
block = b"x" * 8192
for _ in range(100000):
    if os.lseek(fd, 0, os.SEEK_CUR) > 64 << 20:
        os.lseek(fd, 0, os.SEEK_SET)
    t = time.monotonic()
    os.write(fd, block)
    os.fdatasync(fd)
    lat.append(time.monotonic() - t)
    time.sleep(0.02)
done()
PY
}

result_field() { grep '^result ' "$1" | grep -o " $2=[0-9.]*" | head -n 1 | cut -d= -f2; }

# run_c NAME FIRST_ROUND [SUBMITTER OPTIONS…]: one submitter run. CPU and WAL are counted from
# the start of its submit phase (its --ready-file), so that its own start (reading the catalog,
# candidates and current versions from the database) is not charged to the submissions.
run_c() {
  local name=$1 first_round=$2
  shift 2
  metrics >"$BENCH_TMP/metrics-$name-before.txt"
  local pg0 sv0 acked wal0 pg1 sv1 wal1 log0 sub_pid ready=$BENCH_TMP/ready-$name
  local perf_pid='' slow=() server_log0
  log0=$(stat -c %s "$pg_log")
  server_log0=$(stat -c %s "$BENCH_TMP/server.log")
  if [[ ${PROFILE:-0} == 1 ]]; then
    psql "$url" -qAtc "SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')" >/dev/null
    # Each attempt answered in more than 250 ms, as the client saw it (the server logs its
    # own view of the same requests as slow_write: where the time went).
    slow=(--slow-ms 250)
  fi
  "${submitter[@]}" --acks "$BENCH_TMP/acks-$name.txt" --first-round "$first_round" \
    --ready-file "$ready" --duration "$DURATION" "${slow[@]}" "$@" >"$BENCH_TMP/submit-$name.out" \
    2>"$BENCH_TMP/submit-$name.err" &
  sub_pid=$!
  while [[ ! -e $ready ]] && kill -0 "$sub_pid" 2>/dev/null; do sleep 0.01; done
  pg0=$(pg_ticks)
  wal0=$(psql "$url" -qAtc "SELECT pg_current_wal_insert_lsn()")
  sv0=$(bench_proc_ticks "$server_pid")
  if [[ ${PERF:-0} == 1 && $name == max ]]; then
    perf record -a -g -F 499 -o "$BENCH_TMP/perf.data" \
      >"$BENCH_TMP/perf.log" 2>&1 &
    perf_pid=$!
  fi
  local probe_pid=
  if [[ ${PROFILE:-0} == 1 ]]; then
    fsync_probe "$VAR_DIR/fsync-probe" "$BENCH_TMP/fsync-$name.txt" &
    probe_pid=$!
  fi
  wait "$sub_pid" || { cat "$BENCH_TMP/submit-$name.err" >&2; bench_die "submitter ($name) failed"; }
  if [[ -n $probe_pid ]]; then
    kill -TERM "$probe_pid"
    wait "$probe_pid" || true
    rm -f "$VAR_DIR/fsync-probe"
  fi
  pg1=$(pg_ticks)
  sv1=$(bench_proc_ticks "$server_pid")
  wal1=$(psql "$url" -qAtc "SELECT pg_current_wal_insert_lsn()")
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
  fi
  metrics >"$BENCH_TMP/metrics-$name-after.txt"
  if [[ ${PROFILE:-0} == 1 ]]; then
    {
      echo "pg_stat_statements, ($name) run: calls, plans, total and mean ms, rows, statement"
      psql "$url" -qAtF ' | ' -c "SELECT calls, plans, round(total_exec_time::numeric, 1),
        round(mean_exec_time::numeric, 3), rows,
        left(regexp_replace(query, '\s+', ' ', 'g'), 90)
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 14"
      psql "$url" -qAtc "SELECT 'WAL fsyncs: ' || wal_sync || ', mean ' ||
        round((wal_sync_time / greatest(wal_sync, 1))::numeric, 2) || ' ms; WAL writes: ' ||
        wal_write || ', records ' || wal_records FROM pg_stat_wal"
      cat "$BENCH_TMP/fsync-$name.txt" 2>/dev/null || true
      psql "$url" -qAtc "SELECT 'applications updates so far: ' || n_tup_upd || ', HOT ' ||
        n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'applications'"
      echo "cluster log during the ($name) run:"
      tail -c +"$((log0 + 1))" "$pg_log" | { grep -v '^\s' || true; } | cut -c1-200 | head -n 40
      echo "attempts slower than 250 ms at the client: $(grep -c '^slow ' "$BENCH_TMP/submit-$name.err")"
      { grep '^slow ' "$BENCH_TMP/submit-$name.err" || true; } | head -n 10 || true
      tail -c +"$((server_log0 + 1))" "$BENCH_TMP/server.log" >"$BENCH_TMP/server-$name.log"
      echo "the server's slow writes (handler start to answer >= 250 ms), per second, then the slowest:"
      { grep slow_write "$BENCH_TMP/server-$name.log" || true; } |
        awk -F'"ts":"' '{print substr($2, 12, 8)}' | uniq -c | head -n 20 || true
      { grep slow_write "$BENCH_TMP/server-$name.log" || true; } | sort -t'"' -k20 -rn |
        cut -c1-300 | head -n 3 || true
      echo "the server's other warnings:"
      { grep -v '"level":"info"' "$BENCH_TMP/server-$name.log" || true; } | grep -v slow_write |
        cut -c1-300 | head -n 20 || true
    } >"$BENCH_TMP/profile-$name.txt"
  fi
  acked=$(result_field "$BENCH_TMP/submit-$name.out" acked)
  cpu_pg[$name]=$(us_per_op $((pg1 - pg0)) "$acked")
  cpu_server[$name]=$(us_per_op $((sv1 - sv0)) "$acked")
  wal_per_op[$name]=$(psql "$url" -qAtc \
    "SELECT round(pg_wal_lsn_diff('$wal1', '$wal0') / greatest($acked, 1))")
  cpu_client[$name]=$(awk -v s="$(result_field "$BENCH_TMP/submit-$name.out" cpu_s)" -v n="$acked" \
    'BEGIN {printf "%.0f", n ? s * 1e6 / n : 0}')
  grep '^result ' "$BENCH_TMP/submit-$name.out" >&2
}
declare -A cpu_pg cpu_server cpu_client wal_per_op

bench_log "(c) zhiyuan: durable submissions at maximum rate, $CONNECTIONS connections, ${DURATION}s"
run_c max 1000
rate_c=$(result_field "$BENCH_TMP/submit-max.out" rate)
p50_c=$(result_field "$BENCH_TMP/submit-max.out" p50_ms)
p99_c=$(result_field "$BENCH_TMP/submit-max.out" p99_ms)
sp99_c=$(result_field "$BENCH_TMP/submit-max.out" service_p99_ms)
hist_max=$(batch_histogram "$BENCH_TMP/metrics-max-before.txt" "$BENCH_TMP/metrics-max-after.txt")

half=$(awk -v r="$rate_c" 'BEGIN {printf "%.0f", r / 2}')
bench_log "(c/2) zhiyuan at $half submissions/s"
# Open loop: enough connections that a slow moment does not queue requests in the client.
run_c half 2000 --rate "$half" --connections $((CONNECTIONS * 4))
rate_h=$(result_field "$BENCH_TMP/submit-half.out" rate)
p50_h=$(result_field "$BENCH_TMP/submit-half.out" p50_ms)
p99_h=$(result_field "$BENCH_TMP/submit-half.out" p99_ms)
sp99_h=$(result_field "$BENCH_TMP/submit-half.out" service_p99_ms)
hist_half=$(batch_histogram "$BENCH_TMP/metrics-half-before.txt" "$BENCH_TMP/metrics-half-after.txt")

# Every request of every submitter run ended in a receipt for the form it sent, and every
# receipt is in the database: otherwise the rates above are not those of durable submissions.
reconcile=()
error_counts=()
for name in warmup submit-max submit-half; do
  for field in failed gave_up receipt_mismatch gen_failed; do
    value=$(result_field "$BENCH_TMP/$name.out" "$field")
    error_counts+=("$name: $field" "${value:-no result line}")
  done
done
for name in warmup max half; do
  status=0
  line=$("$SUBMITTER" --reconcile --database-url "$url" --acks "$BENCH_TMP/acks-$name.txt" \
    2>"$BENCH_TMP/reconcile-$name.err") || status=$?
  reconcile+=("$name: $line")
  if [[ $line != acked=* ]]; then
    cat "$BENCH_TMP/reconcile-$name.err" >&2
    ((status)) || status="exit 0 without a reconciliation line"
  fi
  error_counts+=("reconcile $name: $line" "$status")
done

ratio_a=$(awk -v c="$rate_c" -v a="$tps_a" 'BEGIN {printf "%.2f", c / a}')
ratio_b=$(awk -v c="$rate_c" -v b="$rows_b" 'BEGIN {printf "%.2f", c / b}')
load=$(cut -d' ' -f1-3 /proc/loadavg)
# The issue's CPU targets: pgbench (a)'s PostgreSQL CPU per one-row transaction over the whole
# (server + PostgreSQL) CPU of a durable submission, and half rate against maximum rate.
cpu_ratio=$(awk -v a="$pg_a" -v p="${cpu_pg[max]}" -v s="${cpu_server[max]}" \
  'BEGIN {printf "%.2f", p + s ? a / (p + s) : 0}')
cpu_half_ratio=$(awk -v hp="${cpu_pg[half]}" -v hs="${cpu_server[half]}" -v p="${cpu_pg[max]}" \
  -v s="${cpu_server[max]}" 'BEGIN {printf "%.2f", p + s ? (hp + hs) / (p + s) : 0}')

cat <<EOF

| run | what | rate | p50 | p99 | p99 per attempt | CPU/op: PostgreSQL | server | client |
|---|---|---:|---:|---:|---:|---:|---:|---:|
| (a) pgbench | 1-row upsert per transaction, $PGBENCH_CLIENTS clients | $(printf '%.0f' "$tps_a") TPS | avg ${lat_a} ms | | | ${pg_a} us | | |
| (b) pgbench | 100-row upsert per transaction, $BATCH_CLIENTS clients | $rows_b rows/s ($(printf '%.0f' "$tps_b") TPS) | avg ${lat_b} ms | | | ${pg_b} us | | |
| (c) zhiyuan | durable formal submission over HTTP, max rate, $CONNECTIONS connections | $(printf '%.0f' "$rate_c") /s | ${p50_c} ms | ${p99_c} ms | ${sp99_c} ms | ${cpu_pg[max]} us | ${cpu_server[max]} us | ${cpu_client[max]} us |
| (c/2) zhiyuan | same at $half /s target, open loop, $((CONNECTIONS * 4)) connections | $(printf '%.0f' "$rate_h") /s | ${p50_h} ms | ${p99_h} ms | ${sp99_h} ms | ${cpu_pg[half]} us | ${cpu_server[half]} us | ${cpu_client[half]} us |

target submit_vs_pgbench: $ratio_a (goal >= 3)
target submit_vs_pg_batched: $ratio_b (goal >= 0.3)
target submit_cpu_vs_pgbench: $cpu_ratio (goal >= 3)
target submit_server_cpu_us: ${cpu_server[max]} (goal <= 50)
target submit_pg_cpu_us: ${cpu_pg[max]} (goal <= 60)
target submit_p99_ms_at_half_max: ${p99_h} (goal <= 30)
target submit_cpu_half_vs_max: $cpu_half_ratio (goal <= 1.5)
WAL per submission: ${wal_per_op[max]} bytes (c), ${wal_per_op[half]} bytes (c/2)

server p99, submission route (parsed to answer ready): (c) $(server_p99 "$BENCH_TMP/metrics-max-before.txt" "$BENCH_TMP/metrics-max-after.txt"), (c/2) $(server_p99 "$BENCH_TMP/metrics-half-before.txt" "$BENCH_TMP/metrics-half-after.txt")
writer batch sizes (c):   $hist_max
writer batch sizes (c/2): $hist_half
forms: $forms real canonical encodings, avg $form_bytes bytes; candidates seeded $CANDIDATES, used $USED
reconcile: ${reconcile[*]}
load average at the end: $load; $(nproc) CPUs; nothing pinned
EOF
[[ ${PROFILE:-0} == 1 ]] && cat "$BENCH_TMP/profile-max.txt" "$BENCH_TMP/profile-half.txt"
bench_fail_on_errors "${error_counts[@]}"
