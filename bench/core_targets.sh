#!/usr/bin/env bash
# The domain core's targets (issue 3), printed from the tools' own output:
#
#   province  target province_load_seconds: zhiyuan-seed's own `province_load_seconds=` (generation,
#             hashing, COPY and commit) for CANDIDATES candidates at test key-derivation cost,
#             loaded into a private cluster (goal <= 60)
#   validate  target validate_full_form_us: the median CPU time of REPETITIONS repetitions of
#             core_bench's validate_full_form (a full 45-group 本科批 form), in us (goal <= 10)
#
# Exits 1 when a tool fails or prints no figure.
#
# usage: bench/core_targets.sh [province] [validate]     (no argument: both)
# env: BUILD_DIR (<repo>/build, with zhiyuan-seed, zhiyuan-dbctl and bench/core/core_bench);
#      VAR_DIR (BUILD_DIR/bench-core-var: the private cluster, started and stopped here);
#      CANDIDATES (655000); REPETITIONS (3); KEEP_TMP=1 keeps the logs.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

modes=("$@")
((${#modes[@]})) || modes=(province validate)
for m in "${modes[@]}"; do
  case $m in
    province | validate) ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) bench_die "unknown mode '$m' (try --help)" ;;
  esac
done
BUILD_DIR=$(cd "${BUILD_DIR:-$repo/build}" && pwd)
VAR_DIR=${VAR_DIR:-$BUILD_DIR/bench-core-var}
CANDIDATES=${CANDIDATES:-655000}
REPETITIONS=${REPETITIONS:-3}
seed_bin=$BUILD_DIR/loadtest/zhiyuan-seed
dbctl_bin=$BUILD_DIR/storage/zhiyuan-dbctl
core_bench=$BUILD_DIR/bench/core/core_bench
for b in "$seed_bin" "$dbctl_bin" "$core_bench"; do
  [[ -x $b ]] || bench_die "$b missing: build it first (ninja -C $BUILD_DIR)"
done
bench_require awk python3
bench_init

mode_province() {
  bench_start_cluster "$dbctl_bin" "$VAR_DIR"
  bench_log "seeding $CANDIDATES candidates (test key-derivation cost)"
  "$seed_bin" --candidates "$CANDIDATES" --kdf-cost test --database-url "$BENCH_DB_URL" \
    --replace >"$BENCH_TMP/seed.log" 2>&1 || { tail -n 20 "$BENCH_TMP/seed.log" >&2; bench_die "seed failed"; }
  cat "$BENCH_TMP/seed.log" >&2
  local seconds
  seconds=$(awk -F= '$1 == "province_load_seconds" { s = $2 } END { print s }' "$BENCH_TMP/seed.log")
  [[ -n $seconds ]] || bench_die "zhiyuan-seed printed no province_load_seconds"
  echo "target province_load_seconds: $(printf '%.1f' "$seconds") (goal <= 60)  [$CANDIDATES candidates]"
}

mode_validate() {
  "$core_bench" --benchmark_filter='validate_full_form$' --benchmark_repetitions="$REPETITIONS" \
    --benchmark_report_aggregates_only=true --benchmark_format=json \
    >"$BENCH_TMP/validate.json" 2>"$BENCH_TMP/validate.err" ||
    { cat "$BENCH_TMP/validate.err" >&2; bench_die "core_bench failed"; }
  local us
  # The median's CPU time, converted to us whatever unit the benchmark reports in.
  us=$(python3 -c '
import json, sys
scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
runs = json.load(open(sys.argv[1]))["benchmarks"]
median = [b for b in runs if b.get("aggregate_name") == "median"] or runs
print("%.2f" % (median[0]["cpu_time"] * scale[median[0]["time_unit"]]))' "$BENCH_TMP/validate.json") ||
    bench_die "core_bench printed no validate_full_form figure"
  echo "target validate_full_form_us: $us (goal <= 10)  [median CPU time of $REPETITIONS repetitions]"
}

for m in "${modes[@]}"; do
  bench_log "=== $m"
  "mode_$m"
done
