#!/usr/bin/env bash
# Drill 1 of issue 17: kill -9 one zhiyuan node mid-surge. HAProxy takes it out (the next
# connection fails and is redispatched; the health check marks it down); its candidates' next
# requests go to the other nodes. Measures
#   fleet_node_kill_lost              acknowledged submissions missing afterwards (goal 0)
#   fleet_resignins_after_node_kill   401 answers of the surviving nodes after the kill: each
#                                     sends a candidate to sign in again (goal 0; needs sessions
#                                     in the database, which the nodes do not have yet)
# and the generator's errors (goal: only requests in flight at the kill). Then restarts the node.
# usage: tests/fleet/node_kill.sh     env: KILL_AT (20 s), VICTIM (1: node 1, port 8081),
#        see tests/fleet/lib.sh
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KILL_AT=${KILL_AT:-20}
VICTIM=${VICTIM:-1}

drill_fleet_up
drill_log "victim: node$VICTIM (127.0.0.1:${NODE_PORTS[VICTIM - 1]}); output in $DRILL_OUT"
surge surge --fault "$KILL_AT:$repo/tests/fleet/fault.sh kill-node $VICTIM $DRILL_OUT"
[[ -f $DRILL_OUT/kill_at ]] || drill_die "the fault did not run (see $DRILL_OUT/surge.txt)"

resignins=0
while read -r node at_kill; do
  now=$(node_401s "${NODE_PORTS[${node#node} - 1]}")
  resignins=$((resignins + now - at_kill))
done <"$DRILL_OUT/401_at_kill"
drill_log "load errors: $(report_errors "$DRILL_OUT/surge.json")"

"$repo/scripts/fleet.sh" up >"$DRILL_OUT/fleet-restore.log" 2>&1 ||
  { tail -n 5 "$DRILL_OUT/fleet-restore.log" >&2; drill_die "could not restart node$VICTIM"; }
drill_log "node$VICTIM restarted"

cmd="tests/fleet/node_kill.sh (DRILL_RATE=$DRILL_RATE DRILL_SECONDS=$DRILL_SECONDS KILL_AT=$KILL_AT VICTIM=$VICTIM; $DRILL_OUT)"
target fleet_node_kill_lost "$(report_lost "$DRILL_OUT/surge.json")" "= 0" "$cmd"
target fleet_resignins_after_node_kill "$resignins" "= 0" "$cmd"
drill_exit
