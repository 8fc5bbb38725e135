#!/usr/bin/env bash
# ctest loadtest_smoke: starts zhiyuan-server on the test database at an instant when formal
# filing of 本科批 is open, runs zhiyuan-loadtest with the smoke scenario against it, stops the
# server. Fails when the load test exits non-zero (a broken threshold) or the server does not
# start. Every wait is bounded.
# Usage: smoke.sh SERVER LOADTEST DBCTL VAR_DIR SOURCE_DIR
set -euo pipefail
server=$1 loadtest=$2 dbctl=$3 var=$4 src=$5

url=$("$dbctl" --var-dir "$var" url)
offset=$(($(date -d '2023-06-30T10:00:00+08:00' +%s) - $(date +%s)))
log=$(mktemp)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT

# The smoke run signs in far more often than a person would; lift the per-address limit.
"$server" --server.port 0 --database.url "$url" --server.drain_delay_ms 0 \
  --filing.schedule_file "$src/config/schedule.toml" --filing.clock_offset_seconds "$offset" \
  --auth.common_passwords_file "$src/config/common-passwords.txt" \
  --auth.receipt_key_file "$var/receipt.key" --auth.login_ip_per_minute 10000000 \
  >"$log" 2>&1 &
server_pid=$!

port=
for _ in $(seq 600); do
  port=$(grep -o '"event":"listening","address":"[^"]*"' "$log" | head -1 |
    sed -E 's/.*:([0-9]+)"$/\1/' || true)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "loadtest_smoke: the server did not start; its output:" >&2
  cat "$log" >&2
  exit 1
fi

status=0
timeout 90 "$loadtest" --scenario "$src/loadtest/scenarios/smoke.toml" --port "$port" \
  --database-url "$url" --threads 1 || status=$?
if [[ $status -ne 0 ]]; then
  echo "loadtest_smoke: zhiyuan-loadtest exited with $status; server output (tail):" >&2
  tail -20 "$log" >&2
fi
exit "$status"
