#!/usr/bin/env bash
# database.replica_url on the loopback fleet (issue 17): an office's statistics are read from the
# synchronous standby, the session check before them from the primary. Creates a viewer of the
# province (zhiyuan-admin), signs it in through HAProxy, sets its password, asks for the
# province's statistics, and counts the nodes' replica sessions (application_name
# zhiyuan_replica, deploy/zhiyuan/fleet.env) that did something since on each PostgreSQL node.
# Prints `replica_reads: standby N primary M` (expected: N >= 1, M = 0). Exit status 0 when so.
# usage: tests/fleet/replica_stats.sh     env: see tests/fleet/lib.sh
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ADMIN_BIN=${ADMIN_BIN:-$BUILD_DIR/server/zhiyuan-admin}
API="http://127.0.0.1:$DRILL_PORT/api/v1/admin"

drill_fleet_up
[[ -x $ADMIN_BIN ]] || drill_die "$ADMIN_BIN not found: build first"
primary=$(current_primary)
[[ -n $primary ]] || drill_die "no primary"
primary_port=$((5440 + ${primary#pg})) standby_port=$((5443 - ${primary#pg}))

province=$(psql "$DRILL_DB_URL" -qAtc "SELECT code FROM units WHERE id = 1")
user="drill.replica.$(date +%s)"
created=$("$ADMIN_BIN" --database-url "$DRILL_DB_URL" create --username "$user" --unit "$province" \
  --role viewer) || drill_die "zhiyuan-admin create failed"
password=$(sed -n 's/^password=//p' <<<"$created")

# json_field JSON NAME: a top-level string member.
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
sign_in() {
  curl -fsS --max-time 10 -H 'Content-Type: application/json' "$API/auth/login" \
    -d "{\"username\":\"$user\",\"password\":\"$1\"}"
}
token=$(json_field "$(sign_in "$password")" token) || drill_die "the viewer could not sign in"
new_password="Dr$(openssl rand -hex 5)x9"  # 14 characters: the rules allow 8-16
curl -fsS --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $token" "$API/me/password" \
  -d "{\"current_password\":\"$password\",\"new_password\":\"$new_password\"}" ||
  drill_die "the viewer could not set its password"
token=$(json_field "$(sign_in "$new_password")" token) || drill_die "the viewer could not sign in again"

# replica_sessions PORT SINCE: the nodes' replica sessions on that PostgreSQL node active since.
replica_sessions() {
  psql "host=127.0.0.1 port=$1 dbname=postgres user=postgres" -qAtc \
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'zhiyuan_replica'
     AND state_change >= '$2'::timestamptz"
}
since=$(psql "$DRILL_DB_URL" -qAtc "SELECT clock_timestamp()")
status=$(curl -sS --max-time 10 -o "$DRILL_OUT/stats.json" -w '%{http_code}' \
  -H "Authorization: Bearer $token" "$API/units/$province/stats?batch=undergrad")
drill_log "GET /api/v1/admin/units/$province/stats: $status $(head -c 120 "$DRILL_OUT/stats.json")"
on_standby=$(replica_sessions "$standby_port" "$since")
on_primary=$(replica_sessions "$primary_port" "$since")
echo "replica_reads: standby $on_standby primary $on_primary (primary $primary; statistics answered $status)"
echo "  measured by: tests/fleet/replica_stats.sh ($DRILL_OUT)"
[[ $status == 200 && $on_standby -ge 1 && $on_primary -eq 0 ]]
