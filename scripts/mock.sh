#!/usr/bin/env bash
# A mock of the zhiyuan API on loopback: Prism (web/node_modules, from the lockfile) serving the
# contract's own examples, so the web app's read-only screens run without a server or database.
# The contract is web/openapi.json, the snapshot of the served /openapi.json that
# tests/server/web_journey_test.cpp keeps current. Requests are validated against the contract
# (a bad one gets 422 from Prism); answers are the examples, never generated data.
#
# Usage: scripts/mock.sh [PORT] [CONTRACT]      (default 4010, web/openapi.json)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${1:-4010}
contract=${2:-$root/web/openapi.json}
prism=$root/web/node_modules/@stoplight/prism-cli/dist/index.js
if [[ ! -f $prism ]]; then
  echo "mock.sh: no Prism in web/node_modules; run: (cd web && npm ci)" >&2
  exit 2
fi
exec node "$prism" mock --host 127.0.0.1 --port "$port" --dynamic=false --errors=false "$contract"
