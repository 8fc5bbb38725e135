#!/usr/bin/env bash
# ctest fixture for the integration tests: starts the private PostgreSQL under VAR_DIR (or
# reuses it), applies migrations, and loads a small synthetic province afresh.
# Usage: database_fixture.sh DBCTL SEED VAR_DIR
set -euo pipefail
dbctl=$1 seed=$2 var=$3
"$dbctl" --var-dir "$var" start >/dev/null
"$seed" --candidates 2000 --kdf-cost test --replace --var-dir "$var"
# The per-address sign-in budgets belong to no candidate, so --replace keeps them; a test on a
# late clock (sign_in_abuse) leaves 127.0.0.1 spent until then, and a rerun on this cluster got 429s.
psql -X -q -h "$(cd "$var" && pwd)/pg/run" -U postgres -d zhiyuan -c "TRUNCATE sign_in_addresses"
