#!/usr/bin/env bash
# PostgreSQL restart test of the durable write path: the server must ride out an immediate
# restart of its database (crash recovery included) by itself, and lose no receipt.
#
# Like crash_test.sh, but instead of killing the server, each round runs
# `pg_ctl restart -m immediate` on the cluster (as its owner) at a random instant 2-6 s into
# the submissions while the server keeps running. Its writers must reconnect on their own and
# receipts must flow again; then submitter and server are stopped (the server must exit 0)
# and the receipts are reconciled: lost=0, mismatched=0, duplicates=0.
#
# usage: tests/crash/pg_restart_test.sh --server BIN --seed BIN --dbctl BIN --submitter BIN
#          --schedule config/schedule.toml --work-dir DIR [--rounds 3] [--candidates 3000]
#          [--connections 32]
# env: CRASH_SEED replays the restart instants of an earlier run (it is printed at the start).
set -euo pipefail
# shellcheck source=tests/crash/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

crash_parse_args "$@"
crash_init
crash_setup_database

for ((round = 1; round <= rounds; round++)); do
  crash_start_server 0
  crash_start_submitter "$round"
  crash_wait_acks_above 0 60
  delay=$(crash_random_ms 2000 6000)
  crash_sleep_ms "$delay"
  before=$(crash_acked)
  crash_pg_ctl restart -m immediate -w -t 60 -l "$work/var/pg/postgresql.log" >"$work/pg_ctl-$round.log" 2>&1 ||
    { cat "$work/pg_ctl-$round.log" >&2; crash_die "pg_ctl restart failed"; }
  crash_log "round $round: PostgreSQL restarted (immediate) after ${delay} ms of submissions (receipts held: $before)"
  after_restart=$(crash_acked)
  crash_wait_acks_above "$after_restart" 60
  sleep 2
  crash_server_alive
  crash_stop_submitter
  crash_stop_server
  crash_reconcile "$round"
done
crash_log "PostgreSQL restart test passed: $rounds rounds"
