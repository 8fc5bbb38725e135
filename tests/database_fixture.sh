#!/usr/bin/env bash
# ctest fixture for the integration tests: starts the private PostgreSQL under VAR_DIR (or
# reuses it), applies migrations, and loads a small synthetic province afresh.
# Usage: database_fixture.sh DBCTL SEED VAR_DIR
set -euo pipefail
dbctl=$1 seed=$2 var=$3
"$dbctl" --var-dir "$var" start >/dev/null
"$seed" --candidates 2000 --kdf-cost test --replace --var-dir "$var"
