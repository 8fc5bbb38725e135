#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang (-DZHIYUAN_FUZZ=ON: fuzzer, ASan and
# UBSan everywhere) and runs each for SECONDS (default 60) on a copy of its seed corpus, JOBS
# (default 2) harnesses at a time, then prints the issue's targets for this run:
#
#   target fuzz_execs_total: N (goal >= 10000000)
#   target fuzz_crashes: N (goal = 0)
#
#   bench/fuzz.sh [SECONDS] [HARNESS]...   # every harness when none is named
#   bench/fuzz.sh --build-only             # build (niced), run nothing: do it outside the lock
#   bench/fuzz.sh --run-only [SECONDS] …   # run what is built (the build may be busy elsewhere)
#   # BUILD_DIR (default build-fuzz), CXX (default clang++-14), JOBS (default 2)
#
# Runs on several lock holds add up: each keeps its work corpus in $BUILD_DIR/fuzz-corpus/, so
# a later run goes on from what an earlier one found; sum the execs of the runs honestly.
# A crash leaves its reproducer in $BUILD_DIR/fuzz-out/<harness>/ (crash-*, leak-*, timeout-*);
# add it to tests/fuzz/corpus/<harness>/ with the fix so that the ctest replay keeps it fixed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_only=0 run_only=0
case ${1:-} in
  --build-only) build_only=1 && shift ;;
  --run-only) run_only=1 && shift ;;
esac
seconds=${1:-60}
[[ $# -gt 0 ]] && shift
build=${BUILD_DIR:-$here/build-fuzz}
cxx=${CXX:-clang++-14}
jobs=${JOBS:-2}
command -v "$cxx" >/dev/null || { echo "error: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

harnesses=("$@")
if [[ ${#harnesses[@]} -eq 0 ]]; then
  for f in "$here"/tests/fuzz/*.cpp; do
    name=$(basename "$f" .cpp)
    [[ $name == replay_main ]] || harnesses+=("$name")
  done
fi
for name in "${harnesses[@]}"; do
  [[ -f $here/tests/fuzz/$name.cpp ]] || { echo "error: no harness tests/fuzz/$name.cpp" >&2; exit 2; }
done

# The first configure leaves the tests out; bench/sanitize.sh asan turns them on in the same
# build, and a later configure here keeps that.
if [[ $run_only -eq 0 ]]; then
  configure=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DZHIYUAN_FUZZ=ON -DZHIYUAN_BENCH=OFF)
  [[ -f $build/CMakeCache.txt ]] || configure+=(-DZHIYUAN_TESTS=OFF)
  command -v ccache >/dev/null && configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  mkdir -p "$build"
  cmake -S "$here" -B "$build" -G Ninja "${configure[@]}" >"$build/cmake.log" 2>&1 ||
    { cat "$build/cmake.log" >&2; exit 1; }
  # Niced: the build must not compete with a benchmark holding the CPUs.
  nice -n 10 ninja -C "$build" -j "$jobs" "${harnesses[@]/#/fuzz_}" >&2
fi
[[ $build_only -eq 0 ]] || exit 0

# One harness: fuzz it, then print "name execs crashes log".
fuzz_one() {
  local name=$1 out=$build/fuzz-out/$1 work=$build/fuzz-corpus/$1
  rm -rf "$out"
  mkdir -p "$out" "$work"
  local log=$out/fuzz.log status=0
  # -rss_limit_mb and -max_len bound each harness; the timeout finds hangs.
  (cd "$out" && "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "$work" "$here/tests/fuzz/corpus/$name" \
    >"$log" 2>&1) || status=$?
  local execs found
  execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log" | tail -1)
  found=$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [[ $status -ne 0 && $found -eq 0 ]]; then found=1; fi
  echo "$name ${execs:-0} $found $log"
}
export -f fuzz_one
export build here seconds

total=0
crashes=0
while read -r name execs found log; do
  total=$((total + execs))
  crashes=$((crashes + found))
  printf '%-16s execs %10s  crashes %d  (%s)\n' "$name" "$execs" "$found" "$log"
done < <(printf '%s\n' "${harnesses[@]}" | xargs -P "$jobs" -I{} bash -c 'fuzz_one "$@"' _ {})
echo "target fuzz_execs_total: $total (goal >= 10000000; ${#harnesses[@]} harnesses x ${seconds} s, $jobs at a time)"
echo "target fuzz_crashes: $crashes (goal = 0)"
[[ $crashes -eq 0 ]]
