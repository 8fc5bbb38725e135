#!/usr/bin/env bash
# Validates the capacity model (scripts/zhiyuan-capacity, docs/capacity.md) against measured
# runs, and compares two loadtest shards with one run over the same requests (issue 22).
#
#   calibrate On one private cluster with a seeded province (test key-derivation cost): the CPU
#             of the server and of the whole PostgreSQL cluster (utime + stime from /proc, reaped
#             backends included) idle for IDLE seconds, then under four one-kind mixes (sign-ins;
#             formal submissions; draft saves and favourites; deadline-surge's reads) at each of
#             CAL_RATES, and deadline-surge's whole mix at each of MIX_RATES (total rates that
#             bracket the validation's), for CAL_DURATION (MIX_DURATION) seconds each, PASSES times (the second
#             in reverse order). The requests the server answered in each window
#             are counted by kind from its /metrics (the sign-ins, pledges and draft reads a
#             generator sends first included); bench/capacity_fit.py solves the CPU per request of
#             each kind and a per-request cost that fades as the total rate rises by least
#             squares (docs/capacity.md), in reference units: every window also reads the CPU per
#             unit of a fixed reference workload running beside them (zhiyuan-capacity-probe,
#             bench/capacity_probe.cpp, about 2.4% of a CPU), and each window's CPU is converted
#             to the calibration's average machine state by it (docs/capacity.md, "Reference
#             units"). UPDATE=1 writes the result into bench/capacity_inputs.json.
#   validate  deadline-surge's mix at each of RATES for DURATION seconds; zhiyuan-capacity --rate
#             predicts the cores of both from the rates of each kind the server answered (the
#             achieved mix, not the scenario's weights) with the calibrated inputs (this run's,
#             else INPUTS, default bench/capacity_inputs.json) and the window's own probe reading
#             (--probe-us: the machine's state now against the inputs' reference); prints
#             predicted vs measured and `target capacity_model_error_pct` (the largest error).
#   capacity  calibrate and validate: the one-kind windows, then deadline-surge's calibration
#             and validation windows in turn (MIX_RATES[0], RATES[0], MIX_RATES[1], …: each
#             validation window between the calibration windows that bracket its rate), and with
#             PASSES=2 a second calibration pass in reverse (ABBA).
#             A window opens once the generator has read its accounts and closes when it has
#             stopped; its reconciliation runs after the window (--acks, --reconcile-acks).
#   shard     deadline-surge's mix at SHARD_RATE for SHARD_DURATION seconds, SHARD_CYCLES times
#             ABBA: one run (A), the same requests from two concurrent generators `--shard 1/2`
#             and `--shard 2/2` merged (B), B again, A again; every generator one thread pinned to
#             SHARD_CPU. Two `target shard_merge_p99_diff_pct` lines: exact, each merged report's
#             p99 against the p99 over the union of the latencies its shards recorded request by
#             request (--latencies): what the merge itself adds; live, |mean p99(B) − mean
#             p99(A)| / mean p99(A): whether two generators measure what one does (the A runs'
#             own spread is printed as the noise).
#
# usage: bench/capacity_check.sh [calibrate] [validate] [capacity] [shard]  (no argument: capacity shard)
# env: BUILD_DIR (<repo>/build), VAR_DIR (BUILD_DIR/bench-capacity-var), CANDIDATES (20000),
#      CAL_RATES ("30 120"), MIX_RATES ("30 100 240"), CAL_DURATION (20 s), MIX_DURATION (40 s),
#      MIX_WEIGHT (10: a deadline-surge window weighs as much as ten one-kind windows in the fit),
#      PASSES (1), RATES ("60 180"), DURATION (60 s), IDLE (10),
#      WARMUP (20 s of deadline-surge at WARMUP_RATE, 100/s, before the capacity modes),
#      INPUTS, SHARD_RATE (40), SHARD_DURATION (40 s), SHARD_CYCLES (2), SHARD_CPU (the last),
#      UPDATE (0), KEEP_TMP=1 keeps the logs. Everything stays on
#      127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/bench/lib.sh"

modes=("$@")
((${#modes[@]})) || modes=(capacity shard)
for m in "${modes[@]}"; do
  case $m in
    calibrate | validate | capacity | shard) ;;
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
CAL_RATES=${CAL_RATES:-"30 120"}
CAL_DURATION=${CAL_DURATION:-20}
MIX_RATES=${MIX_RATES:-"30 100 240"}
MIX_DURATION=${MIX_DURATION:-40}
MIX_WEIGHT=${MIX_WEIGHT:-10}
PASSES=${PASSES:-1}
IDLE=${IDLE:-10}
RATES=${RATES:-"60 180"}
SHARD_RATE=${SHARD_RATE:-40}
SHARD_DURATION=${SHARD_DURATION:-40}
SHARD_CYCLES=${SHARD_CYCLES:-2}
SHARD_CPU=${SHARD_CPU:-$(($(nproc) - 1))}
DURATION=${DURATION:-60}
inputs=${INPUTS:-$repo/bench/capacity_inputs.json}
UPDATE=${UPDATE:-0}
WARMUP=${WARMUP:-20}
WARMUP_RATE=${WARMUP_RATE:-100}

server_bin=$BUILD_DIR/server/zhiyuan-server
seed_bin=$BUILD_DIR/province/zhiyuan-seed
dbctl_bin=$BUILD_DIR/storage/zhiyuan-dbctl
loadtest_bin=$BUILD_DIR/loadtest/zhiyuan-loadtest
probe_bin=$BUILD_DIR/bench/zhiyuan-capacity-probe
capacity=$repo/scripts/zhiyuan-capacity
for b in "$server_bin" "$seed_bin" "$dbctl_bin" "$loadtest_bin" "$probe_bin"; do
  [[ -x $b ]] || bench_die "$b missing: build it first (cmake --build $BUILD_DIR)"
done
bench_require curl awk psql python3 getconf taskset
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
# The reference workload, co-measured in every window: its CPU per unit of fixed work is the
# machine's state (what other processes leave of the caches and cores), the unit the model's
# costs are expressed in (docs/capacity.md, "Reference units").
bench_spawn probe "$probe_bin" --out "$BENCH_TMP/probe.txt" --seconds 7200
probe_pid=$BENCH_LAST_PID
# probe_reading: "units near_ns far_ns total_ns" so far (a line read half-written fails its
# checksum).
probe_reading() {
  local i u n f t c
  for ((i = 0; i < 100; i++)); do
    read -r u n f t c <"$BENCH_TMP/probe.txt" 2>/dev/null || true
    [[ -n ${c:-} && $c == $((u + n + f + t)) ]] && { echo "$u $n $f $t"; return; }
    kill -0 "$probe_pid" 2>/dev/null || bench_die "the capacity probe stopped"
    sleep 0.01
  done
  bench_die "no reading from the capacity probe"
}

# Voluntary context switches (the times a thread slept and was woken) of PID's threads, and of
# the cluster's postmaster and live children: how often the processes woke, which costs CPU
# that depends on what the CPU ran meanwhile (recorded beside the CPU, not used by the fit).
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n + 0}'; }
pg_switches() {
  local pm
  pm=$(head -n 1 "$pg_data/postmaster.pid")
  # shellcheck disable=SC2046
  cat /proc/"$pm"/status $(sed 's|[0-9][0-9]*|/proc/&/status|g' /proc/"$pm"/task/*/children 2>/dev/null) 2>/dev/null |
    awk '/^voluntary_ctxt_switches/ {n += $2} END {print n + 0}'
}

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
# Requests the server answered, by kind: "all sign_in submit write read submit_201" (a write is
# any other POST, PUT, PATCH or DELETE; a read any GET or HEAD; the scrapes not counted).
served() {
  curl -fsS "http://127.0.0.1:$port/metrics" | awk '
    /^zhiyuan_http_requests_total\{/ && !/route="GET \/metrics"/ {
      n = $NF; all += n
      if (index($0, "route=\"POST /api/v1/auth/login\"")) login += n
      else if (index($0, "route=\"POST /api/v1/applications/{batch}\"")) {
        submit += n
        if (index($0, "status=\"201\"")) created += n
      } else if ($0 ~ /route="(POST|PUT|PATCH|DELETE) /) write += n
      else read += n
    }
    END { printf "%d %d %d %d %d %d\n", all, login, submit, write, read, created }'
}
snapshot() {
  local s
  s=$(served)
  echo "$(date +%s.%N) $(bench_proc_ticks "$server_pid") $(pg_ticks) $s" \
    "$(psql "$url" -qAtc "SELECT pg_current_wal_insert_lsn()")" \
    "$(psql "$url" -qAtc "SELECT pg_total_relation_size('application_history')")" "$(probe_reading)" \
    "$(switches "$server_pid")" "$(pg_switches)"
}
# window BEFORE AFTER: "seconds server_cpu_s pg_cpu_s requests sign_ins submits writes reads
# submits_201 wal_bytes history_bytes probe_units probe_near_s probe_far_s probe_total_s
# server_switches pg_switches" (bench/capacity_fit.py reads this shape).
window() {
  local wal
  wal=$(psql "$url" -qAtc "SELECT pg_wal_lsn_diff('$(awk '{print $10}' <<<"$2")', '$(awk '{print $10}' <<<"$1")')")
  awk -v hz="$hz" -v w="$wal" -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    printf "%.3f %.3f %.3f", y[1] - x[1], (y[2] - x[2]) / hz, (y[3] - x[3]) / hz
    for (i = 4; i <= 9; i++) printf " %d", y[i] - x[i]
    printf " %d %d %d %.6f %.6f", w, y[11] - x[11], y[12] - x[12], (y[13] - x[13]) / 1e9, (y[14] - x[14]) / 1e9
    printf " %.6f %d %d\n", (y[15] - x[15]) / 1e9, y[16] - x[16], y[17] - x[17] }'
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

# measure NAME SCENARIO RATE SECONDS: the scenario's mix at RATE; prints "NAME " and the window
# (see `window`). The window opens once the generator has read its accounts from the database
# and closes when it has stopped; its reconciliation runs after (neither is the server's load).
measure() {
  local name=$1 scen=$2 rate=$3 secs=$4 before after pid rc=0 i
  bench_log "$name: $(basename "$scen" .toml) at ${rate}/s for ${secs}s"
  "$loadtest_bin" --scenario "$scen" --port "$port" --database-url "$url" --rate "$rate" \
    --duration "$secs" --no-reconcile --acks "$BENCH_TMP/$name.acks" \
    --json "$BENCH_TMP/$name.json" >"$BENCH_TMP/$name.txt" 2>"$BENCH_TMP/$name.err" &
  pid=$!
  for ((i = 0; i < 2400; i++)); do
    grep -q '^scenario ' "$BENCH_TMP/$name.txt" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  before=$(snapshot)
  wait "$pid" || rc=$?
  after=$(snapshot)
  ((rc <= 1)) || { cat "$BENCH_TMP/$name.err" >&2; bench_die "$name: zhiyuan-loadtest failed"; }
  "$loadtest_bin" --reconcile-acks "$BENCH_TMP/$name.acks" --database-url "$url" \
    >"$BENCH_TMP/$name.reconcile" 2>&1 || bench_die "$name: acknowledged submissions missing"
  echo "$name $(window "$before" "$after")"
}

# cal_scenario KIND MIX: deadline-surge with only MIX (TOML lines) in its [mix].
cal_scenario() {
  local out=$BENCH_TMP/cal-$1.toml
  awk -v mix="$2" '/^\[mix\]/ { print; print mix; skip = 1; next }
    /^\[/ { skip = 0 } !skip' "$scenario" >"$out"
  echo "$out"
}

declare -A cal_mixes=(
  [sign-in]='login = 1'
  [submit]='submit = 1'
  [write]=$'draft_save = 20\nfavorite_put = 6'
  [read]=$'schedule = 3\nplans_browse = 20\nplans_page = 12\nscores = 4\nreceipt_view = 8'
)

cal_idle() {
  local before after
  bench_log "idle for ${IDLE}s"
  before=$(snapshot)
  sleep "$IDLE"
  after=$(snapshot)
  echo "idle $(window "$before" "$after")" >"$BENCH_TMP/cal.txt"
}

# cal_pass PASS forward|reverse: each kind's mix at each of CAL_RATES, then deadline-surge's
# whole mix at each of MIX_RATES (total rates around the validation's, so that the cost that
# fades as the total rate rises is measured where it is used), in that order or the reverse one:
# a second pass after the validation runs (PASSES=2, ABBA) puts the machine's drift as much
# into the calibration as into the validation, and its repeats show the noise.
cal_pass() {
  local items=() i kind rate scen
  for rate in $CAL_RATES; do
    for kind in sign-in submit write read; do items+=("$kind $rate"); done
  done
  for rate in $MIX_RATES; do items+=("mix $rate"); done
  for ((i = 0; i < ${#items[@]}; i++)); do
    [[ $2 == reverse ]] && read -r kind rate <<<"${items[${#items[@]} - 1 - i]}" ||
      read -r kind rate <<<"${items[i]}"
    if [[ $kind == mix ]]; then scen=$scenario; else scen=$(cal_scenario "$kind" "${cal_mixes[$kind]}"); fi
    measure "cal-$kind-$rate-$1" "$scen" "$rate" "$([[ $kind == mix ]] && echo "$MIX_DURATION" || echo "$CAL_DURATION")" \
      >>"$BENCH_TMP/cal.txt"
  done
}

cal_fit() {
  local windows=$BENCH_TMP/cal.txt
  printf '{"date": "%s", "mix_weight": %s, "command": "%s", "load_average": "%s"}\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$MIX_WEIGHT" \
    "UPDATE=$UPDATE CANDIDATES=$CANDIDATES CAL_RATES='$CAL_RATES' MIX_RATES='$MIX_RATES' CAL_DURATION=$CAL_DURATION MIX_DURATION=$MIX_DURATION MIX_WEIGHT=$MIX_WEIGHT PASSES=$PASSES bench/capacity_check.sh ${modes[*]}" \
    "$(uptime | sed 's/.*load average: //')" >"$BENCH_TMP/meta.json"
  echo "capacity model calibrated: each kind's mix at $CAL_RATES/s and deadline-surge at $MIX_RATES/s offered (${CAL_DURATION}s, ${MIX_DURATION}s each), $PASSES pass(es)" \
    "(window: name seconds server_s postgresql_s requests sign-ins submits writes reads 201s WAL_B history_B probe_units probe_near_s probe_far_s probe_total_s server_switches pg_switches):"
  sed 's/^/  /' "$windows"
  python3 "$repo/bench/capacity_fit.py" fit "$repo/bench/capacity_inputs.json" "$BENCH_TMP/capacity_inputs.json" \
    "$windows" "$BENCH_TMP/meta.json"
  inputs=$BENCH_TMP/capacity_inputs.json
  if ((UPDATE)); then
    cp "$inputs" "$repo/bench/capacity_inputs.json"
    echo "  written to bench/capacity_inputs.json"
  fi
}

mode_calibrate() {
  cal_idle
  cal_pass 1 forward
  ((PASSES < 2)) || cal_pass 2 reverse
  cal_fit
}

val_runs() {
  local rate
  : >"$BENCH_TMP/val.txt"
  for rate in $RATES; do measure "val-$rate" "$scenario" "$rate" "$DURATION" >>"$BENCH_TMP/val.txt"; done
}

val_check() {
  local windows=$BENCH_TMP/val.txt lines worst
  echo "capacity model validated on deadline-surge at $RATES/s offered, ${DURATION}s each (inputs: $inputs):"
  sed 's/^/  window /' "$windows"
  lines=$(python3 "$repo/bench/capacity_fit.py" check "$capacity" "$inputs" "$windows")
  echo "$lines" | sed '$d'
  worst=$(echo "$lines" | tail -n 1)
  if ((UPDATE)); then
    python3 "$repo/bench/capacity_fit.py" mix "$repo/bench/capacity_inputs.json" "$windows"
  fi
  targets+=("target capacity_model_error_pct: $worst (goal <= 20)   # deadline-surge at $RATES/s offered, ${DURATION}s each; inputs $(basename "$inputs") measured $(json "$inputs" 'd["measured"]["date"]')")
}

mode_validate() {
  val_runs
  val_check
}

# The one-kind calibration windows, then deadline-surge's calibration and validation windows
# taken in turn (MIX_RATES[0], RATES[0], MIX_RATES[1], RATES[1], …): CPU time per request on
# this shared VM moves by 15-25% within minutes with what else runs (bench/RESULTS.md), so
# each validation window is measured between the calibration windows that bracket it; then
# (a calibration pass in reverse,) the fit and the check.
mode_capacity() {
  local mix val i saved=$MIX_RATES
  read -ra mix <<<"$MIX_RATES"
  read -ra val <<<"$RATES"
  cal_idle
  MIX_RATES="" cal_pass 1 forward
  : >"$BENCH_TMP/val.txt"
  for ((i = 0; i < ${#mix[@]} || i < ${#val[@]}; i++)); do
    ((i >= ${#mix[@]})) || measure "cal-mix-${mix[i]}-1" "$scenario" "${mix[i]}" "$MIX_DURATION" >>"$BENCH_TMP/cal.txt"
    ((i >= ${#val[@]})) || measure "val-${val[i]}" "$scenario" "${val[i]}" "$DURATION" >>"$BENCH_TMP/val.txt"
  done
  MIX_RATES=$saved
  ((PASSES < 2)) || cal_pass 2 reverse
  cal_fit
  val_check
}
pct_of() { json "$1" "d['overall']['$2']"; }

# generator ARGS…: zhiyuan-loadtest with one thread pinned to SHARD_CPU, the same for the single
# run and for each shard, so that neither form gets more or other CPU than the other.
generator() { taskset -c "$SHARD_CPU" "$loadtest_bin" --threads 1 "$@"; }

# run_single NAME: the mix at SHARD_RATE from one generator.
run_single() {
  local rc=0
  generator --scenario "$scenario" --port "$port" --database-url "$url" --rate "$SHARD_RATE" \
    --duration "$SHARD_DURATION" --latencies "$BENCH_TMP/$1.lat" --json "$BENCH_TMP/$1.json" \
    >"$BENCH_TMP/$1.txt" 2>&1 || rc=$?
  ((rc <= 1)) || { cat "$BENCH_TMP/$1.txt" >&2; bench_die "$1: zhiyuan-loadtest failed"; }
}

# run_shards NAME: the same requests from two concurrent generators (each request's latency kept
# in NAME-K.lat), merged into NAME.json.
run_shards() {
  local name=$1 k pids=() rc
  for k in 1 2; do
    generator --scenario "$scenario" --port "$port" --database-url "$url" \
      --rate "$SHARD_RATE" --duration "$SHARD_DURATION" --shard "$k/2" \
      --latencies "$BENCH_TMP/$name-$k.lat" \
      --json "$BENCH_TMP/$name-$k.json" >"$BENCH_TMP/$name-$k.txt" 2>&1 &
    pids+=($!)
  done
  for k in "${pids[@]}"; do
    rc=0
    wait "$k" || rc=$?
    ((rc <= 1)) || bench_die "$name: a shard failed"
  done
  rc=0
  "$loadtest_bin" merge "$BENCH_TMP/$name-1.json" "$BENCH_TMP/$name-2.json" --scenario "$scenario" \
    --database-url "$url" --json "$BENCH_TMP/$name.json" >"$BENCH_TMP/$name.txt" 2>&1 || rc=$?
  ((rc <= 1)) || { cat "$BENCH_TMP/$name.txt" >&2; bench_die "$name: merge failed"; }
}

mode_shard() {
  local cycle runs=() r
  bench_log "shard check: ${SHARD_CYCLES} x ABBA (one run, two shards, two shards, one run) at" \
    "${SHARD_RATE}/s, ${SHARD_DURATION}s each, generators pinned to CPU $SHARD_CPU"
  for ((cycle = 1; cycle <= SHARD_CYCLES; cycle++)); do
    run_single "single-$cycle-a"
    run_shards "sharded-$cycle-a"
    run_shards "sharded-$cycle-b"
    run_single "single-$cycle-b"
    runs+=("single-$cycle-a" "sharded-$cycle-a" "sharded-$cycle-b" "single-$cycle-b")
  done
  echo "shard check at ${SHARD_RATE}/s for ${SHARD_DURATION}s per run, ${SHARD_CYCLES} x ABBA, one generator thread per process pinned to CPU $SHARD_CPU (overall latency of every request, ms):"
  for r in "${runs[@]}"; do
    echo "  $r: sent $(json "$BENCH_TMP/$r.json" 'd["sent"]'), errors $(json "$BENCH_TMP/$r.json" 'd["errors"]'), p50 $(pct_of "$BENCH_TMP/$r.json" p50_ms), p90 $(pct_of "$BENCH_TMP/$r.json" p90_ms), p99 $(pct_of "$BENCH_TMP/$r.json" p99_ms)"
  done
  local figures
  figures=$(python3 - "$BENCH_TMP" "${runs[@]}" <<'EOF2'
import json, math, os, sys
tmp, runs = sys.argv[1], sys.argv[2:]
p99 = {r: json.load(open(os.path.join(tmp, r + ".json")))["overall"]["p99_ms"] for r in runs}
single = [p99[r] for r in runs if r.startswith("single")]
sharded = [p99[r] for r in runs if r.startswith("sharded")]
mean = lambda v: sum(v) / len(v)
live = abs(mean(sharded) - mean(single)) / mean(single) * 100
noise = (max(single) - min(single)) / mean(single) * 100
# Exact form: each merged report's p99 against the p99 over the union of the latencies its two
# shards recorded, request by request (the smallest value with >= 99% of them at or below it).
def lat(r):
    files = [f"{r}-{k}.lat" for k in (1, 2)] if r.startswith("sharded") else [r + ".lat"]
    return [int(x) for f in files for x in open(os.path.join(tmp, f))]
def p99_of(v):
    v = sorted(v)
    return v[max(1, math.ceil(0.99 * len(v))) - 1] / 1000
worst = 0.0
for r in runs:
    if not r.startswith("sharded"):
        continue
    exact, merged = p99_of(lat(r)), p99[r]
    diff = abs(merged - exact) / exact * 100
    worst = max(worst, diff)
    print(f"  exact {r}: {len(lat(r))} recorded latencies, p99 of their union {exact:.3f} ms, merged report p99 {merged:.3f} ms ({diff:.3f}%)", file=sys.stderr)
# Pooled: the p99 over every request of the single runs against the p99 over every request of
# the sharded runs (the same requests each run), steadier than the mean of per-run p99s.
pooled_single = p99_of([x for r in runs if r.startswith("single") for x in lat(r)])
pooled_sharded = p99_of([x for r in runs if r.startswith("sharded") for x in lat(r)])
pooled = abs(pooled_sharded - pooled_single) / pooled_single * 100
print(f"  pooled: p99 over the single runs' requests {pooled_single:.3f} ms, over the sharded runs' {pooled_sharded:.3f} ms ({pooled:.1f}%)", file=sys.stderr)
print(f"{worst:.3f} {live:.1f} {noise:.1f} {mean(single):.3f} {mean(sharded):.3f} {pooled:.1f} {pooled_single:.3f} {pooled_sharded:.3f}")
EOF2
  )
  read -r exact live noise single sharded pooled pooled_single pooled_sharded <<<"$figures"
  targets+=("target shard_merge_p99_diff_pct: $exact (goal <= 1)   # exact: merged two-shard p99 vs the p99 over the union of the same recorded requests, worst of $((2 * SHARD_CYCLES)) merged runs")
  targets+=("target shard_merge_p99_diff_pct: $live (goal <= 1)   # live: mean p99 of $((2 * SHARD_CYCLES)) merged two-shard runs ($sharded ms) vs $((2 * SHARD_CYCLES)) single runs ($single ms) at ${SHARD_RATE}/s, ABBA; the single runs alone spread $noise%")
  targets+=("target shard_merge_p99_diff_pct: $pooled (goal <= 1)   # live, pooled: p99 over all $((2 * SHARD_CYCLES)) merged runs' requests ($pooled_sharded ms) vs all $((2 * SHARD_CYCLES)) single runs' ($pooled_single ms)")
}

# The caches, the relations' hot pages and the full-page images after the start's CHECKPOINT
# warm up before anything is measured (the cluster checkpoints every 15 min on its own: not
# within one run of this script).
if [[ " ${modes[*]} " =~ " "(calibrate|validate|capacity)" " ]]; then
  measure warm-up "$scenario" "$WARMUP_RATE" "$WARMUP" >/dev/null
fi
for m in "${modes[@]}"; do "mode_$m"; done
echo "load average at the end: $(uptime | sed 's/.*load average: //')"
printf '%s\n' "${targets[@]}"
echo "command: CANDIDATES=$CANDIDATES CAL_RATES='$CAL_RATES' MIX_RATES='$MIX_RATES' PASSES=$PASSES CAL_DURATION=$CAL_DURATION MIX_DURATION=$MIX_DURATION MIX_WEIGHT=$MIX_WEIGHT RATES='$RATES' DURATION=$DURATION SHARD_RATE=$SHARD_RATE SHARD_DURATION=$SHARD_DURATION SHARD_CYCLES=$SHARD_CYCLES bench/capacity_check.sh ${modes[*]}"
