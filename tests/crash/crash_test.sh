#!/usr/bin/env bash
# Crash test of the durable write path: a receipt (201) must survive SIGKILL of the server.
#
# Starts a private PostgreSQL under the work dir, loads a small synthetic province, and per
# round: starts zhiyuan-server, runs zhiyuan-submitter continuously (full 本科批 forms, one
# Idempotency-Key per candidate and round, every receipt fdatasync'ed into acks-ROUND.txt),
# SIGKILLs the server at a random instant 2-6 s into the submissions, restarts it on the same
# port (the submitter retries its pending requests with the same keys and bodies until it is
# back), checks that receipts flow again, stops submitter and server, and reconciles the
# receipts against the database: every held receipt must be there with its digest (lost=0,
# mismatched=0) and no request may have been applied twice (duplicates=0).
#
# usage: tests/crash/crash_test.sh --server BIN --seed BIN --dbctl BIN --submitter BIN
#          --schedule config/schedule.toml --work-dir DIR [--rounds 3] [--candidates 3000]
#          [--connections 32]
# env: CRASH_SEED replays the kill instants of an earlier run (it is printed at the start).
set -euo pipefail
# shellcheck source=tests/crash/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

crash_parse_args "$@"
crash_init
crash_setup_database

for ((round = 1; round <= rounds; round++)); do
  crash_start_server 0
  port=$server_port
  crash_start_submitter "$round"
  crash_wait_acks_above 0 60
  delay=$(crash_random_ms 2000 6000)
  crash_sleep_ms "$delay"
  crash_server_alive
  before=$(crash_acked)
  crash_kill_server
  crash_log "round $round: SIGKILL after ${delay} ms of submissions (receipts held: $before)"
  # The server comes back on the same port while the submitter keeps retrying.
  crash_sleep_ms "$(crash_random_ms 0 1000)"
  crash_start_server "$port"
  [[ $server_port == "$port" ]] || crash_die "restarted server listens on $server_port, not $port"
  after_restart=$(crash_acked)
  crash_wait_acks_above "$after_restart" 60
  sleep 2
  crash_server_alive
  crash_stop_submitter
  crash_stop_server
  crash_reconcile "$round"
done
crash_log "crash test passed: $rounds rounds"
