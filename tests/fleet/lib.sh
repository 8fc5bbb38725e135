# shellcheck shell=bash
# Shared by the fleet drills (tests/fleet/*.sh); sourced, not run.
#
# Each drill brings the loopback fleet up (scripts/fleet.sh up) with the nodes' filing clock in
# 本科批's formal window, drives it with zhiyuan-loadtest through HAProxy's plain-HTTP drill
# frontend (127.0.0.1:8090: the generator has no TLS client), does its fault, checks every
# acknowledged submission against the current primary (the generator's reconciliation, through
# the multi-host read-write URL), prints its `target ...` lines with the command that measured
# them, and leaves the fleet up and whole again. Exit status: 0 when every target met its goal,
# 1 when one missed it, 2 when the drill could not run.
# env: DRILL_RATE (requests/s, 150), DRILL_SECONDS (60), FLEET_FILING_AT
#      (2023-06-30T12:00:00+08:00), LOADTEST_BIN (build/loadtest/zhiyuan-loadtest), DRILL_OUT
#      (var/fleet/drills/<drill>-<time>: reports, acks, logs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export FLEET_DIR=${FLEET_DIR:-$repo/var/fleet}
export FLEET_FILING_AT=${FLEET_FILING_AT:-2023-06-30T12:00:00+08:00}
BUILD_DIR=${ZHIYUAN_BUILD_DIR:-$repo/build}
LOADTEST_BIN=${LOADTEST_BIN:-$BUILD_DIR/loadtest/zhiyuan-loadtest}
DRILL_RATE=${DRILL_RATE:-150}
DRILL_SECONDS=${DRILL_SECONDS:-60}
DRILL_PORT=8090
# shellcheck disable=SC2034 # used by the drills
NODE_PORTS=(8081 8082 8083)
PATRONI_PORTS=(8008 8009)
export PGPASSFILE=$FLEET_DIR/secrets/pgpass
# The generator signs every simulated candidate in from 127.0.0.1, and HAProxy passes that one
# address on (PROXY v2): the per-address sign-in limit (600 a minute per node, meant for a
# school's network) would refuse most of a surge's sign-ins with 429. The drills' nodes lift it
# (scripts/fleet.sh hands its environment to the nodes it starts; drill_fleet_up checks).
export ZHIYUAN_AUTH_LOGIN_IP_PER_MINUTE=${ZHIYUAN_AUTH_LOGIN_IP_PER_MINUTE:-1000000}
# The drills' Python helpers leave no bytecode in the tree.
export PYTHONDONTWRITEBYTECODE=1
# The current primary, whichever node it is.
DRILL_DB_URL="host=127.0.0.1,127.0.0.1 port=5441,5442 target_session_attrs=read-write connect_timeout=3 dbname=zhiyuan user=zhiyuan_owner"
drill_name=$(basename "${BASH_SOURCE[1]}" .sh)
DRILL_OUT=${DRILL_OUT:-$FLEET_DIR/drills/$drill_name-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$DRILL_OUT"

drill_log() { printf '%s: %s\n' "$drill_name" "$*" >&2; }
drill_die() {
  printf '%s: error: %s\n' "$drill_name" "$*" >&2
  exit 2
}

# target NAME VALUE GOAL COMMAND: the issue's "Record as" line and the command that measured it.
# GOAL is "= N" or "<= N"; a missed goal (or no value) makes the drill exit 1 (drill_exit).
drill_missed=0
target() {
  printf 'target %s: %s (goal %s)\n  measured by: %s\n' "$1" "$2" "$3" "$4"
  local op=${3%% *} limit=${3##* }
  if ! awk -v v="$2" -v op="$op" -v l="$limit" 'BEGIN {
      if (v !~ /^[0-9.]+$/) exit 1
      exit !((op == "=" && v + 0 == l + 0) || (op == "<=" && v + 0 <= l + 0)) }'; then
    drill_missed=1
  fi
}
drill_exit() { exit "$drill_missed"; }

drill_fleet_up() {
  [[ -x $LOADTEST_BIN ]] || drill_die "$LOADTEST_BIN not found: build first (scripts/build.sh)"
  "$repo/scripts/fleet.sh" up >"$DRILL_OUT/fleet-up.log" 2>&1 ||
    { tail -n 5 "$DRILL_OUT/fleet-up.log" >&2; drill_die "scripts/fleet.sh up failed"; }
  local n i pid
  for i in 1 2 3; do
    pid=$(pid_of_piece "node$i")
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" |
      grep -qxF "ZHIYUAN_AUTH_LOGIN_IP_PER_MINUTE=$ZHIYUAN_AUTH_LOGIN_IP_PER_MINUTE" ||
      drill_die "node$i was started without the drills' sign-in limit (ZHIYUAN_AUTH_LOGIN_IP_PER_MINUTE): scripts/fleet.sh down, then run the drill again"
  done
  n=$(psql "$DRILL_DB_URL" -qAtc "SELECT count(*) FROM candidates") ||
    drill_die "cannot count candidates"
  ((n >= 20000)) || drill_die "the fleet's province has $n candidates; tests/fleet/surge.toml needs 20000"
}

# pid_of_piece NAME: the pid scripts/fleet.sh recorded for NAME, if that process still runs.
pid_of_piece() {
  local file=$FLEET_DIR/run/$1.pid pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "FLEET_PIECE=$FLEET_DIR:$1" && echo "$pid"
  return 0
}

# The Patroni member that is primary now (pg1 or pg2), or nothing.
current_primary() {
  local i
  for i in 0 1; do
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:${PATRONI_PORTS[i]}/primary" &&
      { echo "pg$((i + 1))"; return 0; }
  done
  return 0
}

# 401 answers a node has given so far (every one sends the generator to sign in again).
node_401s() {
  curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^zhiyuan_http_requests_total\{/ && /status="401"/ { n += $NF } END { printf "%d\n", n }'
}

# writer_counts PORT: a node's write path, "reconnects replayed_submissions committed_submissions"
# (counters since the node started; its /metrics).
writer_counts() {
  curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '
    /^zhiyuan_writer_reconnects_total / { r = $NF }
    /^zhiyuan_writer_operations_total\{/ && /kind="submit"/ && /status="replayed"/ { p += $NF }
    /^zhiyuan_writer_operations_total\{/ && /kind="submit"/ && /status="committed"/ { c += $NF }
    END { printf "%d %d %d\n", r, p, c }'
}

# surge NAME ARGS...: the drill's load; report in $DRILL_OUT/NAME.{json,txt,html}, acknowledged
# submissions in NAME.acks. Exit status 0 or 1 (a threshold broke) both count as a run.
surge() {
  local name=$1 status=0
  shift
  drill_log "load: $DRILL_RATE requests/s for $DRILL_SECONDS s through HAProxy 127.0.0.1:$DRILL_PORT"
  timeout $((DRILL_SECONDS + 300)) "$LOADTEST_BIN" --scenario "$repo/tests/fleet/surge.toml" \
    --port "$DRILL_PORT" --rate "$DRILL_RATE" --duration "$DRILL_SECONDS" \
    --database-url "$DRILL_DB_URL" --json "$DRILL_OUT/$name.json" --html "$DRILL_OUT/$name.html" \
    --acks "$DRILL_OUT/$name.acks" "$@" >"$DRILL_OUT/$name.txt" 2>"$DRILL_OUT/$name.err" || status=$?
  ((status <= 1)) || { tail -n 20 "$DRILL_OUT/$name.err" >&2; drill_die "zhiyuan-loadtest failed ($status)"; }
  grep -E "acked=|^threshold" "$DRILL_OUT/$name.txt" >&2 || true
}

# json FILE EXPR: a Python expression over the report `d`.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# The report's figures: lost acknowledged submissions, and errors by status over every action.
report_lost() { json "$1" "d['reconciliation']['lost'] if 'reconciliation' in d else 'none-reconciled'"; }
report_errors() {
  python3 - "$1" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
statuses = collections.Counter()
for a in d["actions"].values():
    for status, n in a["statuses"].items():
        if not status.startswith("2"):
            statuses[status] += n
    for what, n in a["transport_errors"].items():
        statuses[what] += n
print("errors=%d;" % d["errors"], "answers other than 2xx (404s of receipt_view are expected):",
      " ".join("%s:%d" % kv for kv in sorted(statuses.items())))
PY
}
