#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang (-DZHIYUAN_FUZZ=ON: fuzzer, ASan and
# UBSan everywhere) and runs each for SECONDS (default 60) on a copy of its seed corpus, one
# after another, then prints the issue's targets:
#
#   target fuzz_execs_total: N (goal >= 10000000)
#   target fuzz_crashes: N (goal = 0)
#
#   bench/fuzz.sh [SECONDS]      # BUILD_DIR (default build-fuzz), CXX (default clang++-14)
#
# A crash leaves its reproducer in $BUILD_DIR/fuzz-out/<harness>/ (crash-*, leak-*, timeout-*);
# add it to tests/fuzz/corpus/<harness>/ with the fix so that the ctest replay keeps it fixed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
build=${BUILD_DIR:-$here/build-fuzz}
cxx=${CXX:-clang++-14}
command -v "$cxx" >/dev/null || { echo "error: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

harnesses=()
for f in "$here"/tests/fuzz/*.cpp; do
  name=$(basename "$f" .cpp)
  [[ $name == replay_main ]] || harnesses+=("$name")
done

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DZHIYUAN_FUZZ=ON -DZHIYUAN_TESTS=OFF -DZHIYUAN_BENCH=OFF >"$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log" >&2; exit 1; }
ninja -C "$build" "${harnesses[@]/#/fuzz_}" >&2

total=0
crashes=0
for name in "${harnesses[@]}"; do
  out=$build/fuzz-out/$name
  work=$build/fuzz-corpus/$name
  rm -rf "$out"
  mkdir -p "$out" "$work"
  log=$out/fuzz.log
  # -rss_limit_mb and -max_len bound each harness; the timeout finds hangs.
  status=0
  (cd "$out" && "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "$work" "$here/tests/fuzz/corpus/$name" \
    >"$log" 2>&1) || status=$?
  execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log" | tail -1)
  found=$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [[ $status -ne 0 && $found -eq 0 ]]; then found=1; fi
  total=$((total + ${execs:-0}))
  crashes=$((crashes + found))
  printf '%-16s execs %10s  crashes %d  (%s)\n' "$name" "${execs:-0}" "$found" "$log"
done
echo "target fuzz_execs_total: $total (goal >= 10000000)"
echo "target fuzz_crashes: $crashes (goal = 0)"
[[ $crashes -eq 0 ]]
