#!/usr/bin/env bash
# The crash drills' targets (issue 4), printed from the drills' own reconciliation: runs
# tests/crash/crash_test.sh (SIGKILL of zhiyuan-server under load) and
# tests/crash/pg_restart_test.sh (immediate restart of PostgreSQL under load) through ctest,
# as CI does, and from each drill's lines "round K: acked=N present=P lost=L mismatched=M
# duplicates=D" prints
#
#   target crash_test_lost: <L summed over the rounds> (goal = 0)
#   target pg_restart_lost: <L summed over the rounds> (goal = 0)
#
# Exits 1 after printing them when a drill failed, reconciled no round, or any receipt is
# lost, differs from the form sent or was applied twice.
#
# usage: bench/crash_drills.sh [crash_test] [pg_restart_test]     (no argument: both)
# env: BUILD_DIR (<repo>/build, built with the tests: zhiyuan-submitter and the crash ctests);
#      CRASH_SEED replays the kill instants of an earlier run (the drills print theirs);
#      KEEP_TMP=1 keeps the ctest logs.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

drills=("$@")
((${#drills[@]})) || drills=(crash_test pg_restart_test)
for d in "${drills[@]}"; do
  case $d in
    crash_test | pg_restart_test) ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) bench_die "unknown drill '$d' (try --help)" ;;
  esac
done
BUILD_DIR=$(cd "${BUILD_DIR:-$repo/build}" && pwd)
bench_require ctest awk
bench_init

declare -A target_of=([crash_test]=crash_test_lost [pg_restart_test]=pg_restart_lost)
results=()
failures=()
for d in "${drills[@]}"; do
  log=$BENCH_TMP/$d.log
  bench_log "=== crash.$d"
  status=0
  # -V shows the drill's own output (ctest prefixes each line with the test's number).
  ctest --test-dir "$BUILD_DIR" -R "^crash\.$d\$" -V >"$log" 2>&1 || status=$?
  grep -E 'round [0-9]+: ' "$log" | sed -E 's/^[0-9]+: //' >&2 || true # none: counted below
  read -r rounds acked lost mismatched duplicates < <(awk '
    match($0, /round [0-9]+: acked=[0-9]+ present=[0-9]+ lost=[0-9]+ mismatched=[0-9]+ duplicates=[0-9]+/) {
      split(substr($0, RSTART, RLENGTH), f, /[ =]/)
      n++; acked += f[4]; lost += f[8]; mismatched += f[10]; duplicates += f[12]
    }
    END { printf "%d %d %d %d %d\n", n, acked, lost, mismatched, duplicates }' "$log")
  if grep -q "No tests were found" "$log"; then
    bench_die "ctest has no test crash.$d in $BUILD_DIR (configured with the tests?)"
  fi
  if ((rounds == 0)); then
    tail -n 30 "$log" >&2
    results+=("crash.$d: no round reconciled (ctest exit $status)")
    failures+=("crash.$d: rounds reconciled" "none")
    continue
  fi
  results+=("target ${target_of[$d]}: $lost (goal = 0)  [$rounds rounds, $acked receipts; mismatched $mismatched, duplicates $duplicates]")
  failures+=("crash.$d: lost" "$lost" "crash.$d: mismatched" "$mismatched"
    "crash.$d: duplicates" "$duplicates" "crash.$d: ctest exit status" "$status")
  ((status == 0)) || tail -n 30 "$log" >&2
done
printf '%s\n' "${results[@]}"
bench_fail_on_errors "${failures[@]}"
