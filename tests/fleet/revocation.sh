#!/usr/bin/env bash
# Drill 4 of issue 17: logout on node A, the same token on node B refused within 1 s, p99 over
# TRIALS (1000) trials, straight to the nodes (tests/fleet/revocation.py says how).
# usage: tests/fleet/revocation.sh     env: TRIALS (1000), see tests/fleet/lib.sh
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TRIALS=${TRIALS:-1000}

drill_fleet_up
# Candidates of their own: the top of the province, one per trial.
psql "$DRILL_DB_URL" -qAtc "SELECT exam_no FROM candidates ORDER BY candidate_id DESC LIMIT $TRIALS" \
  >"$DRILL_OUT/exam_nos"
status=0
timeout $((TRIALS * 6 + 60)) python3 "$repo/tests/fleet/revocation.py" --exam-nos "$DRILL_OUT/exam_nos" \
  --trials "$TRIALS" | tee "$DRILL_OUT/revocation.txt" || status=$?
exit "$status"
