#!/usr/bin/env bash
# Drill 2 of issue 17: kill -9 the PostgreSQL primary (its Patroni and its postmaster: the
# machine dies) mid-surge. Patroni promotes the synchronous standby; the nodes' writers
# reconnect through the multi-host URL. Measures
#   fleet_primary_kill_lost   acknowledged submissions missing from the new primary (goal 0)
#   fleet_write_recovery_s    seconds from the kill until the first write sent after it is
#                             acknowledged (a sign-in every 100 ms through HAProxy; goal <= 15)
#   fleet_primary_kill_doubled  acknowledged candidates' history rows beyond one per
#                             Idempotency-Key, plus broken hash chains (the reconciliation's
#                             duplicates + inconsistent; goal 0)
# and how the nodes' writers got there: reconnects through the multi-host URL, the batches
# whose COMMIT was in doubt (a writer's connection died with it unanswered, per the nodes' logs)
# and the submissions answered from their idempotency record when re-run on the new primary.
# then brings the killed member back (scripts/fleet.sh up: Patroni rewinds it into a standby).
# usage: tests/fleet/primary_kill.sh     env: KILL_AT (20 s into the load), see tests/fleet/lib.sh
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KILL_AT=${KILL_AT:-20}

drill_fleet_up
before=$(current_primary)
[[ -n $before ]] || drill_die "no primary before the drill"
drill_log "primary before: $before; output in $DRILL_OUT"

psql "$DRILL_DB_URL" -qAtc "SELECT exam_no FROM candidates ORDER BY candidate_id DESC LIMIT 200" \
  >"$DRILL_OUT/probe_exam_nos"
python3 "$repo/tests/fleet/write_probe.py" --port "$DRILL_PORT" \
  --exam-nos "$DRILL_OUT/probe_exam_nos" --out "$DRILL_OUT/probe.txt" \
  --stop-file "$DRILL_OUT/probe.stop" --max-seconds $((DRILL_SECONDS + 120)) &
probe=$!

for i in 1 2 3; do echo "node$i $(writer_counts "${NODE_PORTS[i - 1]}")"; done >"$DRILL_OUT/writers_before"
log_lines_before=()
for i in 1 2 3; do log_lines_before+=("$(wc -l <"$FLEET_DIR/log/node$i.log")"); done
surge surge --fault "$KILL_AT:$repo/tests/fleet/fault.sh kill-primary $DRILL_OUT"
for i in 1 2 3; do echo "node$i $(writer_counts "${NODE_PORTS[i - 1]}")"; done >"$DRILL_OUT/writers_after"
# The writers' own account of the failover, from the log lines written during the load.
for i in 1 2 3; do
  tail -n +"$((log_lines_before[i - 1] + 1))" "$FLEET_DIR/log/node$i.log" |
    grep -E 'writer [0-9]+: (connection lost|connect failed)' | sed "s/^/node$i /"
done >"$DRILL_OUT/writer_log" || true
touch "$DRILL_OUT/probe.stop"
wait "$probe" || drill_die "write probe failed"
[[ -f $DRILL_OUT/kill_at ]] || drill_die "the fault did not run (see $DRILL_OUT/surge.txt)"

killed=$(<"$DRILL_OUT/killed_member")
after=$(current_primary)
drill_log "killed $killed; primary now: ${after:-none}"

# From the probe: the first write sent after the kill and acknowledged.
recovery=$(awk -v k="$(<"$DRILL_OUT/kill_at")" '
  $1 >= k && $3 == 200 { if (!found || $2 < best) best = $2; found = 1 }
  $1 >= k && $3 != 200 { failed++ }
  END { if (found) printf "%.1f\n", best - k; else print "none" ; print failed + 0 > "/dev/stderr" }
' "$DRILL_OUT/probe.txt" 2>"$DRILL_OUT/probe_failed")
drill_log "probe: $(wc -l <"$DRILL_OUT/probe.txt") sign-ins, $(<"$DRILL_OUT/probe_failed") failed after the kill"
drill_log "load errors: $(report_errors "$DRILL_OUT/surge.json")"
drill_log "writers (reconnects, submissions replayed from their key, committed; deltas over the load):" \
  "$(paste "$DRILL_OUT/writers_before" "$DRILL_OUT/writers_after" |
    awk '{ printf "%s %d/%d/%d  ", $1, $6 - $2, $7 - $3, $8 - $4 }')"
drill_log "writer log lines during the load: $(grep -c 'connection lost' "$DRILL_OUT/writer_log" || true) connection lost" \
  "(COMMIT in doubt: $(grep -c 'while committing' "$DRILL_OUT/writer_log" || true))," \
  "$(grep -c 'connect failed' "$DRILL_OUT/writer_log" || true) reconnect attempts refused; see $DRILL_OUT/writer_log"
doubled=$(json "$DRILL_OUT/surge.json" "d['reconciliation']['duplicates'] + d['reconciliation']['inconsistent'] if 'reconciliation' in d else 'none-reconciled'")

# Bring the killed member back as a standby; time it.
t0=$SECONDS
"$repo/scripts/fleet.sh" up >"$DRILL_OUT/fleet-restore.log" 2>&1 ||
  { tail -n 5 "$DRILL_OUT/fleet-restore.log" >&2; drill_die "could not bring $killed back"; }
drill_log "$killed back as synchronous standby after $((SECONDS - t0)) s"

cmd="tests/fleet/primary_kill.sh (DRILL_RATE=$DRILL_RATE DRILL_SECONDS=$DRILL_SECONDS KILL_AT=$KILL_AT; $DRILL_OUT)"
target fleet_primary_kill_lost "$(report_lost "$DRILL_OUT/surge.json")" "= 0" "$cmd"
target fleet_write_recovery_s "$recovery" "<= 15" "$cmd"
target fleet_primary_kill_doubled "$doubled" "= 0" "$cmd"
drill_exit
