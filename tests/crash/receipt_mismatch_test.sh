#!/usr/bin/env bash
# The crash drills prove what their names say only if a receipt that does not answer the
# submission sent fails them. This test runs zhiyuan-submitter against a real server twice on
# the same candidates:
#   1. with --test-wrong-digest: every receipt names a form other than the one expected, as a
#      server that stored another form would. The submitter must exit 3, report
#      receipt_mismatch=N for its N submissions and hold none of those receipts (its acks file
#      stays empty), so that crash_stop_submitter, and with it both drills, fails;
#   2. as the drills run it: every receipt matches, exit 0, all N held and reconciled.
#
# usage: tests/crash/receipt_mismatch_test.sh --server BIN --seed BIN --dbctl BIN --submitter BIN
#          --schedule config/schedule.toml --work-dir DIR [--candidates 300]
set -euo pipefail
# shellcheck source=tests/crash/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

candidates=300
crash_parse_args "$@"
crash_init
crash_setup_database
crash_start_server 0

used=20
# submit_once ROUND [ARGS...]: one submission for each of $used candidates; sets status.
submit_once() {
  local round=$1
  shift
  status=0
  "$submitter_bin" --database-url "$db_url" --port "$server_port" --acks "$work/acks-$round.txt" \
    --tokens "$work/tokens.txt" --schedule-file "$schedule" --candidates "$used" --rounds 1 \
    --first-round "$round" --duration 60 "$@" >"$work/submitter-$round.out" \
    2>"$work/submitter-$round.log" || status=$?
  grep '^result ' "$work/submitter-$round.out" >&2 || true
}
result_field() { grep '^result ' "$work/submitter-$1.out" | grep -o " $2=[0-9]*" | cut -d= -f2; }

submit_once 1 --test-wrong-digest
((status == 3)) || { tail -n 20 "$work/submitter-1.log" >&2; crash_die "a mismatched receipt left the submitter with status $status, not 3"; }
[[ $(result_field 1 receipt_mismatch) == "$used" ]] || crash_die "receipt_mismatch is not $used"
[[ $(result_field 1 acked) == 0 ]] || crash_die "mismatched receipts were held"
[[ ! -s $work/acks-1.txt ]] || crash_die "mismatched receipts were written to the acks file"
grep -q 'does not match the request' "$work/submitter-1.log" || crash_die "no mismatch was named"
crash_log "wrong digest: the submitter failed (exit 3), $used receipts mismatched, none held"

submit_once 2
((status == 0)) || { tail -n 20 "$work/submitter-2.log" >&2; crash_die "control run exited with $status"; }
[[ $(result_field 2 receipt_mismatch) == 0 ]] || crash_die "control run: receipts mismatched"
[[ $(result_field 2 acked) == "$used" ]] || crash_die "control run: not every receipt held"
crash_reconcile 2
crash_stop_server
crash_log "receipt mismatch test passed"
