#!/usr/bin/env bash
# Builds the two sanitizer builds and runs the whole suite in each (both transports, the crash
# drills included), then prints the issue's targets (the number of ctest tests that failed, or
# were skipped because a setup failed):
#
#   target asan_failures: N (goal = 0)      # ASan + UBSan, clang-14, build-fuzz
#   target tsan_failures: N (goal = 0)      # ThreadSanitizer, clang-14, build-tsan
#
#   bench/sanitize.sh [asan|tsan]...        # both when none is named; CTEST_ARGS adds ctest args
#   # JOBS (default 2): ninja and ctest parallelism
#
# ASan + UBSan run in the fuzz build (-DZHIYUAN_FUZZ=ON with the tests: every library and test
# under -fsanitize=address,undefined plus libFuzzer's coverage hooks, which only the harnesses
# use), so one build serves bench/fuzz.sh and this script; the GCC build (-DZHIYUAN_ASAN=ON) is
# the same check by hand. Builds are niced and go through ccache when it is installed.
# Not in CI (each takes longer than CI's whole run, .ci/run): run it before resolving an issue
# that touches threads, memory or the transport, and record it in bench/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kinds=("$@")
[[ ${#kinds[@]} -gt 0 ]] || kinds=(asan tsan)
jobs=${JOBS:-2}

# ASan's leak check at exit and UBSan's reports both fail the process; TSan's reports too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
# Leaks proven to be libpqxx's own (each justified in the file) are suppressed, nothing else.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tests/tsan.supp}

run_kind() {
  local kind=$1 dir flags
  case $kind in
    asan)
      dir=$here/build-fuzz
      flags=(-DZHIYUAN_FUZZ=ON -DZHIYUAN_TESTS=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14)
      ;;
    tsan)
      dir=$here/build-tsan
      flags=(-DZHIYUAN_TSAN=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14)
      ;;
    *) echo "error: unknown kind '$kind' (asan or tsan)" >&2; return 2 ;;
  esac
  command -v ccache >/dev/null && flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  mkdir -p "$dir"
  cmake -S "$here" -B "$dir" -G Ninja -DZHIYUAN_BENCH=OFF "${flags[@]}" \
    >"$dir/cmake.log" 2>&1 || { cat "$dir/cmake.log" >&2; return 1; }
  nice -n 10 ninja -C "$dir" -j "$jobs" >&2
  local log=$dir/sanitize-ctest.log
  # Every report goes to a file per process (<kind>.<pid>): a server a test runs keeps its output
  # to the test, so a report that stops it would otherwise be lost.
  local reports=$dir/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  # Only the kind's own options name the path: TSan's runtime reads UBSAN_OPTIONS too.
  local env=(ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$reports/asan"
    UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$reports/ubsan")
  [[ $kind == asan ]] || env=(TSAN_OPTIONS="$TSAN_OPTIONS:log_path=$reports/tsan")
  # shellcheck disable=SC2086  # CTEST_ARGS is a word list
  env "${env[@]}" nice -n 10 ctest --test-dir "$dir" -j "$jobs" --output-on-failure ${CTEST_ARGS:-} \
    >"$log" 2>&1 || true
  local failed skipped
  failed=$(grep -cE '^\s*[0-9]+ - .* \((Failed|SEGFAULT|Subprocess aborted|Timeout|Exception|Child aborted)' "$log" || true)
  skipped=$(grep -cE '^\s*[0-9]+ - .* \((Not Run|Skipped)\)' "$log" || true)
  grep -E 'tests passed|tests failed' "$log" >&2 || true
  grep -E '^\s*[0-9]+ - ' "$log" >&2 || true
  local files
  files=$(find "$reports" -type f | wc -l)
  echo "sanitizer reports: $files file(s) in $reports" >&2
  [[ $files -eq 0 ]] || grep -h -m1 '^SUMMARY' "$reports"/* | sort | uniq -c >&2
  echo "target ${kind}_failures: $((failed + skipped)) (goal = 0)"
}

status=0
for kind in "${kinds[@]}"; do run_kind "$kind" || status=1; done
exit $status
