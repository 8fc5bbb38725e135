#!/usr/bin/env bash
# Builds the two sanitizer builds and runs the whole suite in each, then prints the issue's
# targets (the number of ctest tests that failed, or were skipped because a setup failed):
#
#   target asan_failures: N (goal = 0)      # ASan + UBSan, GCC, build-asan
#   target tsan_failures: N (goal = 0)      # ThreadSanitizer, clang-14, build-tsan
#
#   bench/sanitize.sh [asan|tsan]...        # both when none is named; CTEST_ARGS adds ctest args
#
# Not in CI (it takes longer than CI's whole run, .ci/run): run it before resolving an issue
# that touches threads, memory or the transport, and record it in bench/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kinds=("$@")
[[ ${#kinds[@]} -gt 0 ]] || kinds=(asan tsan)
jobs=${JOBS:-2}

# ASan's leak check at exit and UBSan's reports both fail the process; TSan's reports too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

run_kind() {
  local kind=$1 dir flags
  case $kind in
    asan) dir=$here/build-asan flags=(-DZHIYUAN_ASAN=ON) ;;
    tsan) dir=$here/build-tsan flags=(-DZHIYUAN_TSAN=ON -DCMAKE_CXX_COMPILER=clang++-14) ;;
    *) echo "error: unknown kind '$kind' (asan or tsan)" >&2; return 2 ;;
  esac
  cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DZHIYUAN_BENCH=OFF "${flags[@]}" \
    >"$dir.cmake.log" 2>&1 || { cat "$dir.cmake.log" >&2; return 1; }
  ninja -C "$dir" -j "$jobs" >&2
  local log=$dir/sanitize-ctest.log
  # shellcheck disable=SC2086  # CTEST_ARGS is a word list
  ctest --test-dir "$dir" -j "$jobs" --output-on-failure ${CTEST_ARGS:-} >"$log" 2>&1 || true
  local failed skipped
  failed=$(grep -cE '^\s*[0-9]+ - .* \((Failed|SEGFAULT|Subprocess aborted|Timeout|Exception|Child aborted)' "$log" || true)
  skipped=$(grep -cE '^\s*[0-9]+ - .* \((Not Run|Skipped)\)' "$log" || true)
  grep -E 'tests passed|tests failed' "$log" >&2 || true
  grep -E '^\s*[0-9]+ - ' "$log" >&2 || true
  echo "target ${kind}_failures: $((failed + skipped)) (goal = 0)"
}

status=0
for kind in "${kinds[@]}"; do run_kind "$kind" || status=1; done
exit $status
