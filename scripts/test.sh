#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, and runs the whole suite
# (unit tests, integration tests on a private PostgreSQL under build/, layering and format
# checks) with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh
build=${ZHIYUAN_BUILD_DIR:-$root/build}
ctest --test-dir "$build" --output-on-failure -j2 "$@"
