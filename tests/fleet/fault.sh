#!/usr/bin/env bash
# The drills' faults, run by zhiyuan-loadtest (--fault 'SECONDS:COMMAND') or by a drill:
#   fault.sh kill-node N OUT      kill -9 zhiyuan node N; first records in OUT/kill_at the
#                                 instant and in OUT/401_at_kill the other nodes' 401 counts
#   fault.sh kill-primary OUT     kill -9 the PostgreSQL primary's Patroni and postmaster (the
#                                 machine dies: nothing of that node renews its leader key);
#                                 OUT/kill_at and OUT/killed_member record when and which
# Acts only on processes scripts/fleet.sh started (their pid files and environment marker).
set -euo pipefail
FLEET_DIR=${FLEET_DIR:?FLEET_DIR must be set (tests/fleet/lib.sh exports it)}
ports=(8081 8082 8083)

piece_pid() {
  local file=$FLEET_DIR/run/$1.pid pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "FLEET_PIECE=$FLEET_DIR:$1" && echo "$pid"
  return 0
}
count_401() {
  curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^zhiyuan_http_requests_total\{/ && /status="401"/ { n += $NF } END { printf "%d\n", n }'
}

case ${1:-} in
  kill-node)
    n=$2 out=$3
    pid=$(piece_pid "node$n")
    [[ -n $pid ]] || { echo "fault.sh: node$n is not running" >&2; exit 1; }
    for i in 1 2 3; do
      ((i == n)) || echo "node$i $(count_401 "${ports[i - 1]}")"
    done >"$out/401_at_kill"
    date +%s.%N >"$out/kill_at"
    kill -KILL "$pid"
    ;;
  kill-primary)
    out=$2 member=
    for i in 1 2; do
      curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$((8007 + i))/primary" && member=pg$i
    done
    [[ -n $member ]] || { echo "fault.sh: no primary" >&2; exit 1; }
    patroni=$(piece_pid "$member")
    postmaster=$(head -n 1 "$FLEET_DIR/pg/$member/data/postmaster.pid")
    date +%s.%N >"$out/kill_at"
    echo "$member" >"$out/killed_member"
    kill -KILL ${patroni:+"$patroni"} "$postmaster"
    ;;
  *)
    echo "usage: fault.sh kill-node N OUT | kill-primary OUT" >&2
    exit 2
    ;;
esac
