#!/usr/bin/env bash
# ctest loadtest_smoke: starts zhiyuan-server on the test database at an instant when formal
# filing of 本科批 is open, runs zhiyuan-loadtest with the smoke scenario against it (with one
# fault: the server frozen by SIGSTOP for 0.3 s at second 3), stops the server. Fails
# when the load test exits non-zero (a failed request, a lost or differing receipt), the
# server does not start, the fault did not run, or the reports lack what they must hold. It
# checks correctness, not speed: the smoke scenario's only threshold is its error rate (0), as
# a shared CI machine's latency says nothing about the code. Every wait is bounded.
# Usage: smoke.sh SERVER LOADTEST DBCTL VAR_DIR SOURCE_DIR
set -euo pipefail
server=$1 loadtest=$2 dbctl=$3 var=$4 src=$5

url=$("$dbctl" --var-dir "$var" url)
offset=$(($(date -d '2023-06-30T10:00:00+08:00' +%s) - $(date +%s)))
log=$(mktemp)
out=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -f "$log"
  if [[ -n ${KEEP_SMOKE_OUT:-} ]]; then cp -r "$out"/. "$KEEP_SMOKE_OUT"/; fi
  rm -rf "$out"
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
  --database-url "$url" --threads 1 --json "$out/report.json" --html "$out/report.html" \
  --acks "$out/acks.txt" \
  --fault "3:kill -STOP $server_pid && sleep 0.3; kill -CONT $server_pid" | tee "$out/stdout" ||
  status=${PIPESTATUS[0]}
fail() {
  echo "loadtest_smoke: $*" >&2
  exit 1
}
if [[ $status -ne 0 ]]; then
  echo "loadtest_smoke: zhiyuan-loadtest exited with $status; server output (tail):" >&2
  tail -20 "$log" >&2
  exit "$status"
fi
# The gate is the error rate, and only that: a latency or rate limit would make CI fail on a
# busy machine.
grep -qE '^threshold error_rate: 0\.0000 \(<= 0\.0000\) ok$' "$out/stdout" ||
  fail "the run's error rate was not checked against 0"
if grep -E '^threshold ' "$out/stdout" | grep -qv '^threshold error_rate: '; then
  fail "the smoke scenario gates on more than errors: $(grep -E '^threshold ' "$out/stdout" | tr '\n' ' ')"
fi
# Every acknowledged submission was found in the database, and there was at least one.
line=$(grep -E '^acked=[0-9]+ present=[0-9]+ lost=0 mismatched=0 duplicates=0$' "$out/stdout") ||
  fail "no clean reconciliation line"
acked=$(sed -E 's/^acked=([0-9]+) present=([0-9]+).*/\1/' <<<"$line")
present=$(sed -E 's/^acked=([0-9]+) present=([0-9]+).*/\2/' <<<"$line")
((acked >= 2 && acked == present)) || fail "reconciliation (at least 2 receipts expected): $line"
[[ $(wc -l <"$out/acks.txt") -eq $acked ]] || fail "acks file does not hold $acked receipts"
# The fault ran, at its second, and succeeded.
grep -qE '"faults":\[\{"at_s":3,"started_s":3\.[0-9]+,"seconds":0\.[3-9][0-9]*,"exit_status":0,' \
  "$out/report.json" || fail "the fault is not in the JSON report as run: $(grep -o '"faults":[^]]*' "$out/report.json")"
# The HTML report is one self-contained file with its charts.
[[ $(grep -o '<svg' "$out/report.html" | wc -l) -ge 3 ]] || fail "the HTML report lacks its charts"
if grep -qE '(src|href)="(https?:)?//' "$out/report.html"; then
  fail "the HTML report refers to outside resources"
fi
# Sign-ins and pledges done before an action are timed on their own (the action's latency
# starts at their answer): the smoke run signs candidates in before their first action, so the
# setup histogram holds samples, at most one per setup request.
setup_requests=$(grep -o '"setup_requests":[0-9]*' "$out/report.json" | head -1 | cut -d: -f2)
setup_timed=$(grep -o '"setup_latency":{"count":[0-9]*' "$out/report.json" | cut -d: -f3)
((setup_requests > 0 && setup_timed > 0 && setup_timed <= setup_requests)) ||
  fail "setup requests $setup_requests, timed setups '$setup_timed'"
grep -q '^(setup) ' "$out/stdout" || fail "the summary table lacks the (setup) row"
# A receipt whose version the database does not hold is lost, one whose hash differs is
# mismatched: the reconciler must say so and fail.
awk 'NR == 1 { $3 = $3 + 1000 } NR == 2 { $4 = "00" substr($4, 3) } { print }' "$out/acks.txt" \
  >"$out/tampered.txt"
tamper_status=0
"$loadtest" --reconcile-acks "$out/tampered.txt" --database-url "$url" >"$out/tampered.out" ||
  tamper_status=$?
((tamper_status == 1)) || fail "tampered acks: exit $tamper_status, expected 1"
grep -qE "^acked=$acked present=$((acked - 2)) lost=1 mismatched=1 " "$out/tampered.out" ||
  fail "tampered acks not detected: $(tail -1 "$out/tampered.out")"
# Only sharded runs carry every acknowledgement in their JSON (shard_data, for the merge).
if grep -q '"shard_data"' "$out/report.json"; then fail "an unsharded report carries shard_data"; fi
# --shard K/N and merge: two shards at once (every other candidate, half the rate each); the
# merge adds their histograms and counters, concatenates their acknowledgements and reconciles
# them once, against the scenario's thresholds.
shard_pids=()
for k in 1 2; do
  timeout 90 "$loadtest" --scenario "$src/loadtest/scenarios/smoke.toml" --port "$port" \
    --database-url "$url" --threads 1 --shard "$k/2" --no-reconcile --json "$out/shard$k.json" \
    >"$out/shard$k.out" 2>&1 &
  shard_pids+=($!)
done
for p in "${shard_pids[@]}"; do
  wait "$p" || fail "a shard failed: $(tail -n 3 "$out"/shard*.out)"
done
merge_status=0
"$loadtest" merge "$out/shard1.json" "$out/shard2.json" \
  --scenario "$src/loadtest/scenarios/smoke.toml" --database-url "$url" \
  --json "$out/merged.json" --html "$out/merged.html" >"$out/merged.out" || merge_status=$?
((merge_status == 0)) || fail "merge exited $merge_status: $(tail -n 5 "$out/merged.out")"
answered() { grep -o '"overall":{"count":[0-9]*' "$1" | head -1 | cut -d: -f3; }
acks_in() { grep -o '"acks":\[[^]]*\]' "$1" | grep -o '"[0-9]\{14\} [^"]*"' | wc -l; }
a1=$(answered "$out/shard1.json") a2=$(answered "$out/shard2.json") am=$(answered "$out/merged.json")
((a1 > 0 && a2 > 0 && am == a1 + a2)) || fail "merged $am answers, shards $a1 + $a2"
k1=$(acks_in "$out/shard1.json") k2=$(acks_in "$out/shard2.json")
merged_line=$(grep -E "^acked=$((k1 + k2)) present=$((k1 + k2)) lost=0 mismatched=0 duplicates=0$" \
  "$out/merged.out") || fail "merged reconciliation, $k1 + $k2 acks: $(grep '^acked=' "$out/merged.out")"
grep -qE '^threshold error_rate: 0\.0000 \(<= 0\.0000\) ok$' "$out/merged.out" ||
  fail "the merged run's error rate was not checked against 0"
echo "loadtest_smoke: ok ($line; tampered acks detected; shards merged: $merged_line)"
