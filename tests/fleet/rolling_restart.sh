#!/usr/bin/env bash
# Drill 3 of issue 17: restart all three nodes one after the other during a surge: SIGTERM
# (/readyz turns 503 "draining", HAProxy takes the node out within 1.25 s, the node closes its
# listener after 2 s, finishes in-flight requests, flushes its writes, exits 0), start it again
# (scripts/fleet.sh up), wait until HAProxy has it UP, next node. Measures
#   fleet_rolling_restart_lost           acknowledged submissions missing afterwards (goal 0)
#   fleet_rolling_restart_unretried_errors  errors the generator got after its own retries of
#                                        503/429 + Retry-After (goal 0)
# and, per node, the time to stop, the connections it had to drop, and the time until it is back.
# usage: tests/fleet/rolling_restart.sh   env: ROLL_AT (15 s into the load), see tests/fleet/lib.sh
#        (DRILL_SECONDS defaults to 90 here: three restarts must fit in the load)
# shellcheck source=lib.sh
DRILL_SECONDS=${DRILL_SECONDS:-90}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROLL_AT=${ROLL_AT:-15}

drill_fleet_up
drill_log "output in $DRILL_OUT"

roll() {
  sleep "$ROLL_AT"
  local i pid t0 dropped
  for i in 1 2 3; do
    pid=$(pid_of_piece "node$i")
    [[ -n $pid ]] || { drill_log "node$i is not running"; return 1; }
    t0=$SECONDS
    kill -TERM "$pid"
    # The node is not our child: wait for it to go (drain 2 s + in-flight + flush), bounded.
    while kill -0 "$pid" 2>/dev/null && ((SECONDS - t0 < 40)); do sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { drill_log "node$i did not stop within 40 s"; return 1; }
    dropped=$(grep -o '"event":"shutdown_finished","connections_dropped":"[0-9]*"' \
      "$FLEET_DIR/log/node$i.log" | tail -n 1 | grep -o '[0-9]*"$' | tr -d '"')
    drill_log "node$i stopped after $((SECONDS - t0)) s (connections dropped: ${dropped:-?}); starting it again"
    "$repo/scripts/fleet.sh" up >>"$DRILL_OUT/fleet-roll.log" 2>&1 ||
      { drill_log "scripts/fleet.sh up failed (see $DRILL_OUT/fleet-roll.log)"; return 1; }
    drill_log "node$i back in rotation $((SECONDS - t0)) s after its SIGTERM"
  done
}
roll &
roller=$!
surge surge
wait "$roller" || drill_die "the rolling restart failed"

drill_log "load errors: $(report_errors "$DRILL_OUT/surge.json")"
cmd="tests/fleet/rolling_restart.sh (DRILL_RATE=$DRILL_RATE DRILL_SECONDS=$DRILL_SECONDS ROLL_AT=$ROLL_AT; $DRILL_OUT)"
target fleet_rolling_restart_lost "$(report_lost "$DRILL_OUT/surge.json")" "= 0" "$cmd"
target fleet_rolling_restart_unretried_errors "$(json "$DRILL_OUT/surge.json" "d['errors']")" "= 0" "$cmd"
drill_exit
