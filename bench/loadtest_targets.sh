#!/usr/bin/env bash
# The targets of zhiyuan-loadtest (issue 6), measured on one private cluster holding the full
# synthetic province (zhiyuan-seed --kdf-cost test, CANDIDATES candidates):
#
#   wrk    loadgen_vs_wrk: GET /api/v1/ping, wrk -t1 -c64 and then zhiyuan-loadtest (ping
#          scenario, one thread) at wrk's measured rate, both pinned to LOAD_CPU with the server
#          on SERVER_CPU, for DURATION seconds each, in interleaved rounds. Both generators are
#          measured alike over the same window of their run (from 1 s after their load starts
#          to 1 s before it ends): the pings the server answered 200 (its own counter) per
#          CPU-second of the generator process (utime + stime from /proc/<pid>/stat). Each
#          round gives the ratio zhiyuan-loadtest / wrk; the target is the median of the rounds'
#          ratios (>= 1.0).
#   rss    rss_mib_full_province: the server's VmRSS after loading the full province, and after
#          the live-sessions scenario signed 100,000 distinct candidates in (<= 1024 MiB).
#   knee   knee_rps (find-knee: deadline-surge's mix in rate steps, knee where submit p99 breaks
#          30 ms), then deadline-surge's mix at half the knee for 60 s: p99 of every read and
#          of submissions (<= 10 ms and <= 30 ms). Each on a freshly started server after
#          WARMUP seconds of the mix (at 125/s, then at the half-knee rate), reported apart.
#   whole  whole_province_seconds and whole_province_lost: the province re-seeded, then every
#          candidate signs in, pledges and submits once (whole-province scenario; the rate
#          WHOLE_RATE replaces its phases when set), reconciled against the database.
#
# Every target line is printed from this run's own measurements. The script exits 1 after
# printing them when a figure is not a result: a receipt the generator could not read, a
# receipt lost, differing or applied twice, or a failed request where none may fail (wrk's
# and the generator's pings, the live-sessions sign-ins, every step of find-knee up to the knee,
# the half-knee run, the whole-province run; warm-ups and the steps past the knee may shed).
#
# usage: bench/loadtest_targets.sh [wrk] [rss] [knee] [whole]     (no argument: all four)
# env: BUILD_DIR (<repo>/build, with zhiyuan-server, zhiyuan-seed, zhiyuan-dbctl and
#      zhiyuan-loadtest built), VAR_DIR (BUILD_DIR/bench-loadtest-var), CANDIDATES (655000),
#      ROUNDS (3, wrk), DURATION (10 s, wrk), SERVER_CPU (0), LOAD_CPU (1), WHOLE_RATE (empty:
#      the scenario's phases), WHOLE_SECONDS (with WHOLE_RATE: a partial run of that many
#      seconds instead of the whole province), HALF_KNEE (empty: half the measured knee), WARMUP
#      (10 s; 0: none), OUT (BUILD_DIR/
#      bench-loadtest-out: JSON and HTML reports are kept there), LOADTEST_BIN (the generator to
#      measure; default BUILD_DIR/loadtest/zhiyuan-loadtest), HASH_THREADS (4: the server's
#      auth.hash_threads), SERVER_ARGS (more server options, e.g. '--database.read_threads 16'),
#      LOADTEST_ARGS (more generator options for rss, knee and whole, e.g. '--retries 10'),
#      KEEP_TMP=1 keeps the logs.
# Every process it starts is stopped on exit; all traffic stays on 127.0.0.1.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/bench/lib.sh"

modes=("$@")
((${#modes[@]})) || modes=(wrk rss knee whole)
for m in "${modes[@]}"; do
  case $m in
    wrk | rss | knee | whole) ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) bench_die "unknown mode '$m' (try --help)" ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-$repo/build}
VAR_DIR=${VAR_DIR:-$BUILD_DIR/bench-loadtest-var}
OUT=${OUT:-$BUILD_DIR/bench-loadtest-out}
CANDIDATES=${CANDIDATES:-655000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
WHOLE_RATE=${WHOLE_RATE:-}
HALF_KNEE=${HALF_KNEE:-}
WARMUP=${WARMUP:-10}
HASH_THREADS=${HASH_THREADS:-4}
SERVER_ARGS=${SERVER_ARGS:-}
LOADTEST_ARGS=${LOADTEST_ARGS:-}

server_bin=$BUILD_DIR/server/zhiyuan-server
seed_bin=$BUILD_DIR/province/zhiyuan-seed
dbctl_bin=$BUILD_DIR/storage/zhiyuan-dbctl
loadtest_bin=${LOADTEST_BIN:-$BUILD_DIR/loadtest/zhiyuan-loadtest}
for b in "$server_bin" "$seed_bin" "$dbctl_bin" "$loadtest_bin"; do
  [[ -x $b ]] || bench_die "$b missing: build it first (cmake --build $BUILD_DIR)"
done
bench_require wrk curl taskset awk psql python3 getconf
((DURATION >= 4)) || bench_die "DURATION must be at least 4 s (1 s at each end is not measured)"
mkdir -p "$OUT"
scenarios=$repo/loadtest/scenarios

bench_init

# --- database and province -------------------------------------------------------------------
bench_start_cluster "$dbctl_bin" "$VAR_DIR"
url=$BENCH_DB_URL

seed_province() {
  bench_log "seeding $CANDIDATES candidates (test key-derivation cost)"
  local t0=$SECONDS
  "$seed_bin" --candidates "$CANDIDATES" --kdf-cost test --database-url "$url" --replace \
    >"$BENCH_TMP/seed.log" 2>&1 || { tail -n 20 "$BENCH_TMP/seed.log" >&2; bench_die "seed failed"; }
  psql "$url" -qAtc "CHECKPOINT" >/dev/null
  bench_log "seeded in $((SECONDS - t0)) s"
}
seeded=$(psql "$url" -qAtc "SELECT count(*) FROM candidates" 2>/dev/null || echo 0)
[[ $seeded == "$CANDIDATES" ]] || seed_province

# --- server ----------------------------------------------------------------------------------
# Formal filing of 本科批 is open at the server's clock; sign-in is not limited per address
# (every request comes from 127.0.0.1).
# PIN=1 pins it to SERVER_CPU (the wrk comparison); otherwise server, PostgreSQL and the
# generator share both CPUs as the scheduler likes.
server_pid=
port=
start_server() {
  port=$(bench_free_port 0)
  local offset=$(($(date -d '2023-06-30T12:00:00+08:00' +%s) - $(date +%s)))
  local cpus=0-$(($(nproc) - 1))
  ((${PIN:-0})) && cpus=$SERVER_CPU
  # shellcheck disable=SC2086  # SERVER_ARGS: words on purpose
  bench_spawn server taskset -c "$cpus" "$server_bin" --server.host 127.0.0.1 \
    --server.port "$port" --database.url "$url" \
    --filing.schedule_file "$repo/config/schedule.toml" --filing.clock_offset_seconds "$offset" \
    --server.drain_delay_ms 0 --auth.login_ip_per_minute 100000000 \
    --auth.receipt_key_file "$BENCH_TMP/receipt.key" "$@" $SERVER_ARGS
  server_pid=$BENCH_LAST_PID
  bench_wait_http "http://127.0.0.1:$port/readyz" 180 "$server_pid" ||
    { tail -n 20 "$BENCH_TMP/server.log" >&2; bench_die "server did not become ready"; }
}
stop_server() {
  [[ -n $server_pid ]] && bench_stop_spawned "$server_pid"
  server_pid=
}
rss_mib() { awk '/^VmRSS:/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"; }

# loadtest NAME ARGS…: zhiyuan-loadtest against the server, reports kept in $OUT/NAME.*
loadtest() {
  local name=$1
  shift
  local status=0
  # shellcheck disable=SC2086  # LOADTEST_ARGS: words on purpose
  "$loadtest_bin" --port "$port" --database-url "$url" --json "$OUT/$name.json" \
    --html "$OUT/$name.html" "$@" $LOADTEST_ARGS >"$OUT/$name.txt" 2>"$BENCH_TMP/$name.err" ||
    status=$?
  cat "$OUT/$name.txt" >&2
  # 1: a threshold broke, which is what find-knee looks for; check_run says what may not break.
  ((status <= 1)) || { cat "$BENCH_TMP/$name.err" >&2; bench_die "$name: zhiyuan-loadtest failed"; }
  return 0
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -a results=()
# "what failed" "count" pairs; any count but 0 fails the script once the targets are printed.
declare -a failures=()

# check_run NAME ERRORS: a run's receipts are sound (every one readable; when it reconciled,
# none lost, differing or duplicated); ERRORS=all: no request failed either, ERRORS=knee: none
# failed in the steps up to the knee.
check_run() {
  local name=$1 errors=$2 f=$OUT/$1.json
  failures+=("$name: unreadable receipts" "$(json "$f" 'd["unreadable_receipts"]')")
  failures+=("$name: receipts lost, differing or applied twice" "$(json "$f" \
    'sum(d["reconciliation"][k] for k in ("lost", "mismatched", "duplicates", "inconsistent")) if "reconciliation" in d else 0')")
  case $errors in
    all) failures+=("$name: failed requests" "$(json "$f" 'd["errors"] + d["setup_errors"]')") ;;
    knee) failures+=("$name: failed requests up to the knee" "$(json "$f" \
      'sum(p["errors"] + p["setup_errors"] for p in d["phases"][:(d["knee"]["last_held_phase"] + 1) if d["knee"]["last_held_phase"] is not None else 0])')") ;;
  esac
}

# --- wrk: generator rate per CPU-second ------------------------------------------------------
# Pings the server has answered 200 so far (its own counter; /metrics is another route).
pings_served() {
  curl -fsS "http://127.0.0.1:$port/metrics" |
    awk -v k='zhiyuan_http_requests_total{route="GET /api/v1/ping",status="200"} ' \
      'index($0, k) == 1 { n = $NF } END { print n + 0 }'
}

# measure_window PID: from 1 s after now (the generator's load has just started) to 1 s before
# its DURATION ends, the pings served and PID's CPU time; prints "requests cpu_seconds".
measure_window() {
  local pid=$1 n0 t0 n1 t1
  sleep 1
  n0=$(pings_served)
  t0=$(bench_proc_ticks "$pid")
  sleep $((DURATION - 2))
  n1=$(pings_served)
  t1=$(bench_proc_ticks "$pid")
  awk -v n=$((n1 - n0)) -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (t <= 0) exit 1; printf "%d %.2f\n", n, t / hz }'
}

mode_wrk() {
  PIN=1 start_server --server.io_threads 1
  local r ratios=() wrk_rates=() lt_rates=() lines=()
  for ((r = 1; r <= ROUNDS; r++)); do
    local pid window wrk_n wrk_cpu rate wrk_errors
    bench_spawn "wrk-$r" taskset -c "$LOAD_CPU" wrk -t1 -c64 -d"${DURATION}s" --latency \
      "http://127.0.0.1:$port/api/v1/ping"
    pid=$BENCH_LAST_PID
    window=$(measure_window "$pid") || bench_die "wrk round $r: no CPU time measured"
    read -r wrk_n wrk_cpu <<<"$window"
    bench_wait_spawned "$pid"
    ((BENCH_STATUS == 0)) || { cat "$BENCH_TMP/wrk-$r.log" >&2; bench_die "wrk exited with $BENCH_STATUS"; }
    local _rps _p50 _p99 total
    read -r _rps _p50 _p99 wrk_errors total < <(bench_parse_wrk <"$BENCH_TMP/wrk-$r.log") ||
      { cat "$BENCH_TMP/wrk-$r.log" >&2; bench_die "bad wrk output"; }
    failures+=("wrk round $r: socket errors or non-2xx answers" "$wrk_errors")
    # The generator is offered wrk's own rate over its whole run.
    rate=$(awk -v n="$total" -v d="$DURATION" 'BEGIN { printf "%.0f", n / d }')
    wrk_rates+=("$(awk -v n="$wrk_n" -v c="$wrk_cpu" 'BEGIN { printf "%.0f", n / c }')")

    local lt_n lt_cpu
    bench_spawn "ping-$r" taskset -c "$LOAD_CPU" "$loadtest_bin" --port "$port" \
      --database-url "$url" --scenario "$scenarios/ping.toml" --threads 1 --rate "$rate" \
      --duration "$DURATION" --no-reconcile --json "$OUT/ping-$r.json"
    pid=$BENCH_LAST_PID
    # Its load starts once it has loaded its candidate and printed the scenario line.
    local deadline=$((SECONDS + 300))
    until grep -q '^scenario ping:' "$BENCH_TMP/ping-$r.log"; do
      if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
        cat "$BENCH_TMP/ping-$r.log" >&2
        bench_die "zhiyuan-loadtest did not start its run"
      fi
      sleep 0.05
    done
    window=$(measure_window "$pid") || bench_die "loadtest round $r: no CPU time measured"
    read -r lt_n lt_cpu <<<"$window"
    bench_wait_spawned "$pid"
    cp "$BENCH_TMP/ping-$r.log" "$OUT/ping-$r.txt"
    # 1: a threshold broke; the achieved ratio may, when the generator cannot keep wrk's rate.
    ((BENCH_STATUS <= 1)) || { cat "$OUT/ping-$r.txt" >&2; bench_die "zhiyuan-loadtest exited with $BENCH_STATUS"; }
    check_run "ping-$r" all
    lt_rates+=("$(awk -v n="$lt_n" -v c="$lt_cpu" 'BEGIN { printf "%.0f", n / c }')")
    ratios+=("$(awk -v a="${lt_rates[-1]}" -v b="${wrk_rates[-1]}" 'BEGIN { printf "%.2f", a / b }')")
    lines+=("| $r | $rate | $wrk_n | $wrk_cpu | ${wrk_rates[-1]} | $lt_n | $lt_cpu | ${lt_rates[-1]} | ${ratios[-1]} |")
  done
  stop_server
  local ratio
  ratio=$(printf '%s\n' "${ratios[@]}" | median)
  results+=("target loadgen_vs_wrk: $(printf '%.2f' "$ratio") (goal >= 1.0)  [median of $ROUNDS rounds: ${ratios[*]}]")
  {
    echo "| round | wrk req/s | wrk pings | wrk CPU s | wrk pings per CPU-s | loadtest pings | loadtest CPU s | loadtest pings per CPU-s | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${lines[@]}"
    echo "medians: wrk $(printf '%s\n' "${wrk_rates[@]}" | median), zhiyuan-loadtest" \
      "$(printf '%s\n' "${lt_rates[@]}" | median) pings per CPU-second; ratio $ratio"
  } | tee "$OUT/wrk-table.md" >&2
}

# --- rss: full province and 100,000 live sessions --------------------------------------------
mode_rss() {
  start_server --auth.hash_threads "$HASH_THREADS"
  local before after hwm
  before=$(rss_mib "$server_pid")
  bench_log "server RSS with the full province loaded: $before MiB"
  loadtest live-sessions --scenario "$scenarios/live-sessions.toml" --threads 1 --retries 10
  check_run live-sessions all
  after=$(rss_mib "$server_pid")
  hwm=$(hwm_mib "$server_pid")
  local live
  live=$(psql "$url" -qAtc "SELECT count(*) FROM sessions WHERE revoked_at IS NULL" 2>/dev/null ||
    echo "?")
  stop_server
  results+=("target rss_mib_full_province: $hwm (goal <= 1024)  [peak VmHWM; VmRSS $after MiB after $live live sessions]")
  echo "rss: province loaded $before MiB; after 100,000 sign-ins $after MiB (peak $hwm MiB); live session rows: $live" |
    tee "$OUT/rss.txt" >&2
}

# --- knee and half the knee ------------------------------------------------------------------
mode_knee() {
  start_server --auth.hash_threads "$HASH_THREADS"
  # A freshly started server answers its first second or two slowly (connections, pools and
  # caches warming): WARMUP seconds of the same mix at 125/s first, reported apart, keep that
  # out of the steps.
  if ((WARMUP > 0)); then
    loadtest find-knee-warmup --scenario "$scenarios/deadline-surge.toml" --threads 1 \
      --rate 125 --duration "$WARMUP"
    check_run find-knee-warmup none
  fi
  loadtest find-knee --scenario "$scenarios/find-knee.toml" --threads 1
  check_run find-knee knee
  local knee
  knee=$(json "$OUT/find-knee.json" 'd.get("knee", {}).get("knee_rps", 0)')
  results+=("target knee_rps: $knee (report)")
  local half=${HALF_KNEE:-$(awk -v k="$knee" 'BEGIN { printf "%.0f", k / 2 }')}
  ((half > 0)) || bench_die "no knee found (submissions broke their limit in the first step)"
  stop_server
  start_server --auth.hash_threads "$HASH_THREADS"
  # The same warm-up, at the half-knee rate.
  if ((WARMUP > 0)); then
    loadtest half-knee-warmup --scenario "$scenarios/deadline-surge.toml" --threads 1 \
      --rate "$half" --duration "$WARMUP"
    check_run half-knee-warmup none
  fi
  loadtest half-knee --scenario "$scenarios/deadline-surge.toml" --threads 1 --rate "$half" \
    --duration 60
  check_run half-knee all
  stop_server
  local reads submit
  reads=$(json "$OUT/half-knee.json" \
    'max(v["latency"]["p99_ms"] for k, v in d["actions"].items() if k in ("schedule","plans_browse","plans_page","scores","receipt_view"))')
  submit=$(json "$OUT/half-knee.json" 'd["actions"]["submit"]["latency"]["p99_ms"]')
  results+=("target p99_read_ms_at_half_knee: $reads (goal <= 10)")
  results+=("target p99_submit_ms_at_half_knee: $submit (goal <= 30)")
}

# --- whole province --------------------------------------------------------------------------
mode_whole() {
  seed_province
  start_server --auth.hash_threads "$HASH_THREADS"
  local args=(--scenario "$scenarios/whole-province.toml" --threads 1)
  if [[ -n $WHOLE_RATE ]]; then
    local seconds=${WHOLE_SECONDS:-$(awk -v n="$CANDIDATES" -v r="$WHOLE_RATE" \
      'BEGIN { printf "%.1f", n / r + 1 }')}
    args+=(--rate "$WHOLE_RATE" --duration "$seconds")
  fi
  loadtest whole-province "${args[@]}"
  check_run whole-province all
  stop_server
  local acked committed elapsed lost
  acked=$(json "$OUT/whole-province.json" 'd["reconciliation"]["acked"]')
  lost=$(json "$OUT/whole-province.json" 'd["reconciliation"]["lost"]')
  elapsed=$(json "$OUT/whole-province.json" '"%.1f" % d["elapsed_s"]')
  committed=$(psql "$url" -qAtc "SELECT count(DISTINCT candidate_id) FROM applications WHERE NOT drill")
  # The generator files 本科批 for every candidate it can build a form for (eligible for the
  # batch, with a group its subjects allow); the run ends when that pool is used up, which the
  # one arrival that found no candidate left tells.
  local pool_done fileable
  pool_done=$(json "$OUT/whole-province.json" 'd["actions"]["submit"]["no_idle_candidate"] > 0 and d["elapsed_s"] < d["phases_s"]')
  fileable=$(json "$OUT/whole-province.json" 'd["actions"]["submit"]["sent"]')
  if [[ $pool_done == True ]] && ((committed == fileable)); then
    results+=("target whole_province_seconds: $elapsed (goal <= 60)  [every candidate with a 本科批 form: $committed of $CANDIDATES candidates committed, $acked receipts; 655,000 at that rate: $(awk -v c="$committed" -v e="$elapsed" 'BEGIN { printf "%.0f", 655000 * e / c }') s]")
  elif ((committed < CANDIDATES)); then
    results+=("whole_province (partial run): $committed of $CANDIDATES candidates committed in $elapsed s, $acked receipts; at that rate the province takes $(awk -v n="$CANDIDATES" -v c="$committed" -v e="$elapsed" 'BEGIN { printf "%.0f", n * e / c }') s")
  else
    results+=("target whole_province_seconds: $elapsed (goal <= 60)  [$committed candidates committed, $acked receipts]")
  fi
  results+=("target whole_province_lost: $lost (goal = 0)")
}

for m in "${modes[@]}"; do
  bench_log "=== $m"
  "mode_$m"
done
printf '%s\n' "${results[@]}" | tee "$OUT/targets.txt"
bench_fail_on_errors "${failures[@]}"
