#!/usr/bin/env bash
# Validates the capacity model (scripts/zhiyuan-capacity, docs/capacity.md) against measured
# runs, and compares two loadtest shards with one run over the same requests (issue 22).
#
#   capacity  On one private cluster with a seeded province (test key-derivation cost): CPU of
#             the server and of PostgreSQL (utime + stime from /proc, the cluster's reaped
#             backends included) idle for IDLE seconds and under deadline-surge's mix at the two
#             CAL_RATES (calibration: cores = fixed + requests/s x CPU per request, a line
#             through the two runs for each; WAL and history
#             bytes per submission; the sign-in and submission shares the server saw), then at
#             each of RATES (validation). For each validation run, zhiyuan-capacity --rate
#             <requests/s the server answered> predicts the cores of both; the script prints
#             predicted vs measured and `target capacity_model_error_pct` (the largest error).
#             UPDATE=1 writes the calibration into bench/capacity_inputs.json.
#   shard     deadline-surge's mix at SHARD_RATE for DURATION seconds, ABBA: one run (A), the same
#             requests from two concurrent generators `--shard 1/2` and `--shard 2/2` merged
#             (B), B again, A again: `target shard_merge_p99_diff_pct` is |mean p99(B) − mean
#             p99(A)| / mean p99(A); the two A runs' difference is printed as the noise.
#
# usage: bench/capacity_check.sh [capacity] [shard]     (no argument: both)
# env: BUILD_DIR (<repo>/build), VAR_DIR (BUILD_DIR/bench-capacity-var), CANDIDATES (20000),
#      CAL_RATES ("50 200"), RATES ("100 150"), SHARD_RATE (100), DURATION (30 s per run), IDLE (10),
#      UPDATE (0), KEEP_TMP=1 keeps the logs. Everything stays on 127.0.0.1; every process it
#      starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/bench/lib.sh"

modes=("$@")
((${#modes[@]})) || modes=(capacity shard)
for m in "${modes[@]}"; do
  case $m in
    capacity | shard) ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) bench_die "unknown mode '$m' (try --help)" ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-$repo/build}
VAR_DIR=${VAR_DIR:-$BUILD_DIR/bench-capacity-var}
CANDIDATES=${CANDIDATES:-20000}
CAL_RATES=${CAL_RATES:-"50 200"}
IDLE=${IDLE:-10}
RATES=${RATES:-"100 150"}
SHARD_RATE=${SHARD_RATE:-100}
DURATION=${DURATION:-30}
UPDATE=${UPDATE:-0}

server_bin=$BUILD_DIR/server/zhiyuan-server
seed_bin=$BUILD_DIR/province/zhiyuan-seed
dbctl_bin=$BUILD_DIR/storage/zhiyuan-dbctl
loadtest_bin=$BUILD_DIR/loadtest/zhiyuan-loadtest
capacity=$repo/scripts/zhiyuan-capacity
for b in "$server_bin" "$seed_bin" "$dbctl_bin" "$loadtest_bin"; do
  [[ -x $b ]] || bench_die "$b missing: build it first (cmake --build $BUILD_DIR)"
done
bench_require curl awk psql python3 getconf
bench_init
hz=$(getconf CLK_TCK)

bench_start_cluster "$dbctl_bin" "$VAR_DIR"
url=$BENCH_DB_URL
seeded=$(psql "$url" -qAtc "SELECT count(*) FROM candidates" 2>/dev/null || echo 0)
if [[ $seeded != "$CANDIDATES" ]]; then
  bench_log "seeding $CANDIDATES candidates (test key-derivation cost)"
  "$seed_bin" --candidates "$CANDIDATES" --kdf-cost test --database-url "$url" --replace \
    >"$BENCH_TMP/seed.log" 2>&1 || { tail -n 20 "$BENCH_TMP/seed.log" >&2; bench_die "seed failed"; }
fi
psql "$url" -qAtc "CHECKPOINT" >/dev/null

# deadline-surge's mix over the seeded candidates (the scenario names the full province).
scenario=$BENCH_TMP/deadline-surge.toml
sed "s/^count = .*/count = $CANDIDATES/" "$repo/loadtest/scenarios/deadline-surge.toml" >"$scenario"

port=$(bench_free_port 0)
offset=$(($(date -d '2023-06-30T12:00:00+08:00' +%s) - $(date +%s)))
bench_spawn server "$server_bin" --server.host 127.0.0.1 --server.port "$port" \
  --database.url "$url" --filing.schedule_file "$repo/config/schedule.toml" \
  --filing.clock_offset_seconds "$offset" --server.drain_delay_ms 0 \
  --auth.login_ip_per_minute 100000000 --auth.receipt_key_file "$BENCH_TMP/receipt.key"
server_pid=$BENCH_LAST_PID
bench_wait_http "http://127.0.0.1:$port/readyz" 180 "$server_pid" ||
  { tail -n 20 "$BENCH_TMP/server.log" >&2; bench_die "server did not become ready"; }

# CPU ticks of the cluster: the postmaster, its reaped children and its live children.
pg_data=$(readlink -f "$VAR_DIR/pg/data")
pg_ticks() {
  local pm child total
  pm=$(head -n 1 "$pg_data/postmaster.pid")
  total=$(sed 's/.*) //' "/proc/$pm/stat" | awk '{print $12 + $13 + $14 + $15}')
  for child in $(cat /proc/"$pm"/task/*/children 2>/dev/null); do
    total=$((total + $(sed 's/.*) //' "/proc/$child/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
  done
  echo "$total"
}
# Requests the server answered, by the route groups the model needs: "all login submit".
served() {
  curl -fsS "http://127.0.0.1:$port/metrics" | awk '
    /^zhiyuan_http_requests_total\{/ && !/route="GET \/metrics"/ {
      all += $NF
      if (index($0, "route=\"POST /api/v1/auth/login\"")) login += $NF
      if (index($0, "route=\"POST /api/v1/applications/{batch}\"") && index($0, "status=\"201\"")) submit += $NF
    }
    END { printf "%d %d %d\n", all, login, submit }'
}
snapshot() {
  local s
  s=$(served)
  echo "$(date +%s.%N) $(bench_proc_ticks "$server_pid") $(pg_ticks) $s" \
    "$(psql "$url" -qAtc "SELECT pg_current_wal_insert_lsn()")" \
    "$(psql "$url" -qAtc "SELECT pg_total_relation_size('application_history')")"
}
# window BEFORE AFTER: "seconds server_cpu_s pg_cpu_s requests logins submits wal_bytes history_bytes"
window() {
  local t0 s0 p0 a0 l0 u0 w0 h0 t1 s1 p1 a1 l1 u1 w1 h1 wal
  read -r t0 s0 p0 a0 l0 u0 w0 h0 <<<"$1"
  read -r t1 s1 p1 a1 l1 u1 w1 h1 <<<"$2"
  wal=$(psql "$url" -qAtc "SELECT pg_wal_lsn_diff('$w1', '$w0')")
  awk -v t=$(echo "$t1 - $t0" | bc) -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v hz="$hz" \
    -v a=$((a1 - a0)) -v l=$((l1 - l0)) -v u=$((u1 - u0)) -v w="$wal" -v h=$((h1 - h0)) \
    'BEGIN { printf "%.3f %.3f %.3f %d %d %d %d %d\n", t, s / hz, p / hz, a, l, u, w, h }'
}
run_mix() { # NAME RATE [ARGS…]: the mix at RATE for DURATION seconds, report kept in BENCH_TMP
  local name=$1 rate=$2
  shift 2
  "$loadtest_bin" --scenario "$scenario" --port "$port" --database-url "$url" --rate "$rate" \
    --duration "$DURATION" --json "$BENCH_TMP/$name.json" "$@" >"$BENCH_TMP/$name.txt" \
    2>"$BENCH_TMP/$name.err" || {
    (($? <= 1)) || { cat "$BENCH_TMP/$name.err" >&2; bench_die "$name: zhiyuan-loadtest failed"; }
  }
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
declare -a targets=()

# measure NAME RATE: the mix at RATE; prints the window (see `window`).
measure() {
  local before after
  bench_log "$1: the mix at ${2}/s for ${DURATION}s"
  before=$(snapshot)
  run_mix "$1" "$2"
  after=$(snapshot)
  window "$before" "$after"
}

mode_capacity() {
  local rate cal=() val=() before after
  bench_log "idle for ${IDLE}s"
  before=$(snapshot)
  sleep "$IDLE"
  after=$(snapshot)
  cal+=("0 $(window "$before" "$after")")
  for rate in $CAL_RATES; do cal+=("$rate $(measure "cal-$rate" "$rate")"); done
  for rate in $RATES; do val+=("$rate $(measure "val-$rate" "$rate")"); done
  local inputs=$BENCH_TMP/capacity_inputs.json
  printf '%s\n' "${cal[@]}" >"$BENCH_TMP/cal.txt"
  python3 - "$repo/bench/capacity_inputs.json" "$inputs" "$BENCH_TMP/cal.txt" "$CAL_RATES" \
    "$DURATION" "$CANDIDATES" "$(uptime | sed 's/.*load average: //')" <<'EOF2'
import datetime, json, sys
base, out, cal, rates, duration, candidates, load = sys.argv[1:]
d = json.load(open(base))
runs = [[float(x) for x in line.split()] for line in open(cal) if line.strip()]
idle = runs.pop(0)  # offered 0: the idle window
# Each run: offered, seconds, server_s, pg_s, requests, logins, submits, wal, history.
# cores = fixed + requests/s x CPU per request, a line through the two calibration runs for the
# server and for PostgreSQL. The fixed part is more than the idle CPU: batching makes the cost
# per request fall as the rate rises, and the line takes that in over the calibrated range.
def line(col):
    (x1, y1), (x2, y2) = [(r[4] / r[1], r[col] / r[1]) for r in runs[:2]]
    slope = (y2 - y1) / (x2 - x1)
    return y1 - slope * x1, slope
total = lambda i: sum(r[i] for r in runs)
for key in ("fixed_cores", "idle_cores", "cpu_us", "server_us_per_request", "postgresql_us_per_request"):
    d.pop(key, None)
d["fixed_cores"], d["us_per_request"] = {}, {}
d["idle_cores"] = {"server": idle[2] / idle[1], "postgresql": idle[3] / idle[1]}
for name, col in (("server", 2), ("postgresql", 3)):
    d["fixed_cores"][name], slope = line(col)
    d["us_per_request"][name] = slope * 1e6
d["login_share"] = total(5) / total(4)
d["submit_share"] = total(6) / total(4)
d.pop("wal_bytes_per_submission", None)
d["wal_bytes_per_request"] = total(7) / total(4)
d["history_bytes_per_submission"] = total(8) / max(total(6), 1)
d["measured"] = {
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    "command": f"UPDATE=1 CANDIDATES={candidates} CAL_RATES='{rates}' DURATION={duration} bench/capacity_check.sh capacity",
    "calibration_runs": [{"offered": r[0], "seconds": r[1], "requests": r[4], "sign_ins": r[5],
                          "server_cpu_s": r[2], "postgresql_cpu_s": r[3], "submissions": r[6]}
                         for r in [idle] + runs],
    "load_average": load,
}
json.dump(d, open(out, "w"), indent=2)
open(out, "a").write("\n")
EOF2
  ((UPDATE)) && cp "$inputs" "$repo/bench/capacity_inputs.json"
  local worst=0 lines=() line
  for line in "${val[@]}"; do
    local offered t server pg requests logins _ served_rate sign_in_rate predicted
    read -r offered t server pg requests logins _ <<<"$line"
    served_rate=$(awk -v n="$requests" -v t="$t" 'BEGIN { printf "%.2f", n / t }')
    sign_in_rate=$(awk -v n="$logins" -v t="$t" 'BEGIN { printf "%.2f", n / t }')
    predicted=$("$capacity" --inputs "$inputs" --rate "$served_rate" --sign-in-rate "$sign_in_rate" --json)
    lines+=("$(python3 - "$predicted" "$t" "$server" "$pg" "$offered" "$served_rate" "$sign_in_rate" <<'EOF2'
import json, sys
p = json.loads(sys.argv[1])
t, server, pg = (float(x) for x in sys.argv[2:5])
ms, mp = server / t, pg / t
es = (p["server_cores"] - ms) / ms * 100
ep = (p["postgresql_cores"] - mp) / mp * 100
et = (p["server_cores"] + p["postgresql_cores"] - ms - mp) / (ms + mp) * 100
print(f"{sys.argv[5]:>6}/s offered, {sys.argv[6]:>8}/s served ({sys.argv[7]}/s sign-ins): zhiyuan predicted "
      f"{p['server_cores']:.3f} measured {ms:.3f} cores ({es:+.1f}%); PostgreSQL predicted "
      f"{p['postgresql_cores']:.3f} measured {mp:.3f} ({ep:+.1f}%); both {et:+.1f}% "
      f"|err| {max(abs(es), abs(ep)):.1f}")
EOF2
    )")
  done
  echo "capacity model, calibrated at $CAL_RATES/s offered (inputs: $inputs$( ((UPDATE)) && echo ", copied to bench/capacity_inputs.json")):"
  printf '  calibration (offered, s, server CPU s, PostgreSQL CPU s, requests, sign-ins, submissions, WAL B, history B): %s\n' "${cal[@]}"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); u=d['us_per_request']; f=d['fixed_cores']; i=d['idle_cores']; print('  line: server %.0f us/request + %.3f cores (idle %.3f), PostgreSQL %.0f us/request + %.3f cores (idle %.3f); sign-in share %.3f; WAL %.0f B/request, history %.0f B/submission' % (u['server'], f['server'], i['server'], u['postgresql'], f['postgresql'], i['postgresql'], d['login_share'], d['wal_bytes_per_request'], d['history_bytes_per_submission']))" "$inputs"
  local l
  for l in "${lines[@]}"; do
    echo "  $l"
    worst=$(awk -v w="$worst" -v e="${l##*|err| }" 'BEGIN { print (e > w) ? e : w }')
  done
  targets+=("target capacity_model_error_pct: $worst (goal <= 20)   # validation runs at $RATES/s offered, calibrated at $CAL_RATES/s")
}

pct_of() { json "$1" "d['overall']['$2']"; }

# run_shards NAME: the same requests from two concurrent generators, merged into NAME.json.
run_shards() {
  local name=$1 k pids=()
  for k in 1 2; do
    "$loadtest_bin" --scenario "$scenario" --port "$port" --database-url "$url" \
      --rate "$SHARD_RATE" --duration "$DURATION" --shard "$k/2" \
      --json "$BENCH_TMP/$name-$k.json" >"$BENCH_TMP/$name-$k.txt" 2>&1 &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || (($? <= 1)) || bench_die "$name: a shard failed"; done
  "$loadtest_bin" merge "$BENCH_TMP/$name-1.json" "$BENCH_TMP/$name-2.json" --scenario "$scenario" \
    --database-url "$url" --json "$BENCH_TMP/$name.json" >"$BENCH_TMP/$name.txt" 2>&1 ||
    (($? <= 1)) || { cat "$BENCH_TMP/$name.txt" >&2; bench_die "$name: merge failed"; }
}

mode_shard() {
  bench_log "shard check, ABBA: one run, two shards, two shards, one run; ${SHARD_RATE}/s, ${DURATION}s each"
  run_mix single-1 "$SHARD_RATE"
  run_shards sharded-1
  run_shards sharded-2
  run_mix single-2 "$SHARD_RATE"
  echo "shard check at ${SHARD_RATE}/s for ${DURATION}s, ABBA (overall latency of every request, ms):"
  local r
  for r in single-1 sharded-1 sharded-2 single-2; do
    echo "  $r: sent $(json "$BENCH_TMP/$r.json" 'd["sent"]'), errors $(json "$BENCH_TMP/$r.json" 'd["errors"]'), p50 $(pct_of "$BENCH_TMP/$r.json" p50_ms), p90 $(pct_of "$BENCH_TMP/$r.json" p90_ms), p99 $(pct_of "$BENCH_TMP/$r.json" p99_ms)"
  done
  local figures
  figures=$(python3 - "$BENCH_TMP" <<'EOF2'
import json, sys, os
p99 = {r: json.load(open(os.path.join(sys.argv[1], r + ".json")))["overall"]["p99_ms"]
       for r in ("single-1", "sharded-1", "sharded-2", "single-2")}
single = (p99["single-1"] + p99["single-2"]) / 2
sharded = (p99["sharded-1"] + p99["sharded-2"]) / 2
noise = abs(p99["single-1"] - p99["single-2"]) / single * 100
print(f"{abs(sharded - single) / single * 100:.1f} {noise:.1f}")
EOF2
  )
  targets+=("target shard_merge_p99_diff_pct: ${figures% *} (goal <= 1)   # live, ${SHARD_RATE}/s, mean of 2 merged vs mean of 2 single runs; the two single runs differ by ${figures#* }%")
}

for m in "${modes[@]}"; do "mode_$m"; done
echo "load average at the end: $(uptime | sed 's/.*load average: //')"
printf '%s\n' "${targets[@]}"
echo "command: bench/capacity_check.sh ${modes[*]}   (CANDIDATES=$CANDIDATES DURATION=$DURATION)"
