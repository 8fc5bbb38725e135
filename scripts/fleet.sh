#!/usr/bin/env bash
# The loopback fleet (issue 17): etcd, two PostgreSQL 15 nodes under Patroni (synchronous
# standby), three zhiyuan-server nodes and HAProxy terminating TLS, all on 127.0.0.1.
#
#   scripts/fleet.sh up       install what is missing, start whatever is not running, load the
#                             demo province once, wait until every piece is healthy, print the URL
#   scripts/fleet.sh status   each piece: etcd health, patronictl list, each node's /readyz,
#                             HAProxy's view of the nodes
#   scripts/fleet.sh down     stop everything it started (pid files under var/fleet/run) and
#                             nothing else
#   scripts/fleet.sh install  only install the missing Debian packages
#
# The configuration comes from deploy/ (templates: @FLEET@ is the fleet directory, @PGROOT@ the
# PostgreSQL data root, @ROOT@ the repository, @SECRET_*@ generated passwords), rendered into
# var/fleet/etc/ on every `up`.
# env: FLEET_DIR (var/fleet), ZHIYUAN_BUILD_DIR (build), SEED_BIN (build/province/zhiyuan-seed),
#      FLEET_CANDIDATES (20000: the demo province's size,
#      loaded only into an empty database), FLEET_FILING_AT (empty: the real clock; an RFC 3339
#      instant such as 2023-06-30T12:00:00+08:00 shifts the nodes' filing clock there, as the
#      drills in tests/fleet/ do), FLEET_WAIT (120: seconds any one wait may take).
# Needs root (it installs packages and runs PostgreSQL as the postgres account). Loopback only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLEET_DIR=${FLEET_DIR:-$root/var/fleet}
BUILD_DIR=${ZHIYUAN_BUILD_DIR:-$root/build}
FLEET_CANDIDATES=${FLEET_CANDIDATES:-20000}
FLEET_FILING_AT=${FLEET_FILING_AT:-}
FLEET_WAIT=${FLEET_WAIT:-120}
SEED_BIN=${SEED_BIN:-$BUILD_DIR/province/zhiyuan-seed}
SERVER_BIN=${SERVER_BIN:-$BUILD_DIR/server/zhiyuan-server}
PG_BIN=/usr/lib/postgresql/15/bin

# Loopback ports (also written in deploy/; change both together).
ETCD_PORT=12379
PG_PORTS=(5441 5442)
PATRONI_PORTS=(8008 8009)
NODE_PORTS=(8081 8082 8083)
HTTPS_PORT=8443 HTTP_PORT=8080 DRILL_PORT=8090 STATS_PORT=8404

etc=$FLEET_DIR/etc run=$FLEET_DIR/run logs=$FLEET_DIR/log secrets=$FLEET_DIR/secrets

log() { printf 'fleet: %s\n' "$*" >&2; }
die() {
  printf 'fleet: error: %s\n' "$*" >&2
  exit 1
}

packages=(haproxy patroni python3-psycopg2 python3-etcd etcd-server etcd-client postgresql-15
  openssl curl util-linux)

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "packages: all ${#packages[@]} present"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "missing packages (${missing[*]}); run as root"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$logs/apt.log" 2>&1 ||
    { tail -n 20 "$logs/apt.log" >&2; die "apt-get install failed (log: $logs/apt.log)"; }
}


# --- waiting and processes -------------------------------------------------------------------

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every half second until it succeeds; dies
# naming WHAT after SECONDS.
wait_for() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what: not ready after ${seconds}s"
}

# Every process started here carries FLEET_PIECE=<fleet dir>:<name> in its environment, so that
# a pid file whose number was reused by some other process is never acted on.
marker() { echo "FLEET_PIECE=$FLEET_DIR:$1"; }

# pid_of NAME: the pid of the running piece NAME, or nothing.
pid_of() {
  local file=$run/$1.pid pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "$(marker "$1")" && echo "$pid"
  return 0
}

# start NAME COMMAND...: starts COMMAND in its own session (so that `down` can find its
# children), output appended to log/NAME.log, pid in run/NAME.pid.
start() {
  local name=$1
  shift
  env "$(marker "$name")" setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

# stop NAME SECONDS: SIGTERM to the piece, SIGKILL after SECONDS; then to anything left in its
# process group (only processes carrying its marker).
stop() {
  local name=$1 seconds=$2 pid i p
  pid=$(pid_of "$name")
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) still running after ${seconds}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    for p in $(pgrep -g "$pid" 2>/dev/null || true); do
      if tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF "$(marker "$name")"; then
        kill -KILL "$p" 2>/dev/null || true
      fi
    done
    log "stopped $name ($pid)"
  fi
  rm -f "$run/$name.pid"
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# --- configuration ---------------------------------------------------------------------------

secret() {
  local file=$secrets/$1
  [[ -s $file ]] || (umask 077 && openssl rand -hex 24 >"$file")
  cat "$file"
}

make_secrets() {
  mkdir -p "$secrets"
  chmod 700 "$secrets"
  local super owner app
  super=$(secret superuser) owner=$(secret owner) app=$(secret app)
  secret replication >/dev/null
  # libpq's password file for the nodes, the seed, the drills and psql (PGPASSFILE).
  (umask 077 && printf '%s\n' "127.0.0.1:*:*:postgres:$super" \
    "127.0.0.1:*:zhiyuan:zhiyuan_owner:$owner" "127.0.0.1:*:zhiyuan:zhiyuan_app:$app" \
    >"$secrets/pgpass")
}

# The PostgreSQL data root: var/fleet/pg when the postgres account can reach it; otherwise (a
# clone under a private home directory) a directory under /var/lib/zhiyuan linked from there,
# as the embedded cluster does (storage/embedded_cluster.cpp).
PGROOT=
pick_pgroot() {
  local link=$FLEET_DIR/pg
  if [[ -L $link ]]; then
    PGROOT=$(readlink -f "$link")
  elif [[ -d $link ]] || setpriv --reuid=postgres --regid=postgres --clear-groups test -x "$FLEET_DIR"; then
    PGROOT=$link
  else
    PGROOT=/var/lib/zhiyuan/clusters/fleet-$(printf '%s' "$FLEET_DIR" | sha256sum | cut -c1-16)
    mkdir -p "$PGROOT"
    ln -sfn "$PGROOT" "$link"
  fi
  mkdir -p "$PGROOT/pg1" "$PGROOT/pg2" "$PGROOT/run"
  chown postgres:postgres "$PGROOT" "$PGROOT/pg1" "$PGROOT/pg2" "$PGROOT/run"
  chmod 700 "$PGROOT/pg1" "$PGROOT/pg2"
}

make_certificate() {
  local dir=$FLEET_DIR/tls
  [[ -s $dir/fleet.pem ]] && return 0
  mkdir -p "$dir"
  chmod 700 "$dir"
  log "generating a self-signed certificate for 127.0.0.1 and localhost (tls/fleet.pem)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=zhiyuan loopback fleet" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/fleet.key" -out "$dir/fleet.crt" >"$logs/openssl.log" 2>&1 ||
    die "openssl failed (log: $logs/openssl.log)"
  (umask 077 && cat "$dir/fleet.crt" "$dir/fleet.key" >"$dir/fleet.pem")
}

# render TEMPLATE OUTPUT: fills the placeholders of a deploy/ template.
render() {
  local super replication
  super=$(secret superuser) replication=$(secret replication)
  (umask 077 && sed -e "s#@FLEET@#$FLEET_DIR#g" -e "s#@ROOT@#$root#g" -e "s#@PGROOT@#$PGROOT#g" \
    -e "s#@SECRET_SUPERUSER@#$super#g" -e "s#@SECRET_REPLICATION@#$replication#g" \
    "$root/deploy/$1" >"$2")
}

render_all() {
  mkdir -p "$etc"
  render haproxy/haproxy.cfg "$etc/haproxy.cfg"
  render etcd/etcd.env "$etc/etcd.env"
  render zhiyuan/fleet.env "$etc/fleet.env"
  local i
  for i in 1 2 3; do render "zhiyuan/node-$i.env" "$etc/node-$i.env"; done
  # Patroni runs as postgres: its configuration (with the passwords) lives in the data root.
  for i in 1 2; do
    render "patroni/pg$i.yml" "$PGROOT/pg$i.yml"
    chown postgres:postgres "$PGROOT/pg$i.yml"
  done
  haproxy -c -f "$etc/haproxy.cfg" >"$logs/haproxy-check.log" 2>&1 ||
    { cat "$logs/haproxy-check.log" >&2; die "deploy/haproxy/haproxy.cfg does not check"; }
}

# Database URLs (passwords come from the password file).
db_hosts="host=127.0.0.1,127.0.0.1 port=${PG_PORTS[0]},${PG_PORTS[1]} target_session_attrs=read-write connect_timeout=3"
super_url="$db_hosts dbname=postgres user=postgres"
owner_url="$db_hosts dbname=zhiyuan user=zhiyuan_owner"

# --- pieces ----------------------------------------------------------------------------------

etcd_healthy() {
  ETCDCTL_API=3 etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" --dial-timeout=2s \
    endpoint health
}

up_etcd() {
  if [[ -z $(pid_of etcd) ]]; then
    log "starting etcd (127.0.0.1:$ETCD_PORT)"
    # shellcheck disable=SC2046
    start etcd env $(grep -E '^ETCD_' "$etc/etcd.env" | tr -d '"') etcd
  fi
  wait_for "$FLEET_WAIT" "etcd (log: $logs/etcd.log)" etcd_healthy
}

# The primary's and the synchronous standby's names, from Patroni's REST API ("" when none).
patroni_role_of() {
  local i
  for i in 0 1; do
    if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:${PATRONI_PORTS[i]}/$1"; then
      echo "pg$((i + 1))"
      return 0
    fi
  done
}
primary() { patroni_role_of primary; }
sync_standby() { patroni_role_of sync; }
has_primary() { [[ -n $(primary) ]]; }
replicated() { [[ -n $(primary) && -n $(sync_standby) ]]; }

# postmaster_pid N: the running postmaster of node pgN, or nothing.
postmaster_pid() {
  local file=$PGROOT/pg$1/data/postmaster.pid pid
  [[ -f $file ]] || return 0
  pid=$(head -n 1 "$file")
  [[ $pid =~ ^[0-9]+$ ]] && grep -q postgres "/proc/$pid/comm" 2>/dev/null && echo "$pid"
  return 0
}

up_patroni() {
  local i
  for i in 1 2; do
    [[ -n $(pid_of "pg$i") ]] && continue
    # A postmaster Patroni no longer watches (Patroni was killed): Patroni adopts a running
    # postmaster of its data directory, so it is left alone.
    log "starting Patroni pg$i (PostgreSQL 127.0.0.1:${PG_PORTS[i - 1]}, REST 127.0.0.1:${PATRONI_PORTS[i - 1]})"
    (cd "$PGROOT" && start "pg$i" setpriv --reuid=postgres --regid=postgres --init-groups \
      env HOME=/var/lib/postgresql patroni "$PGROOT/pg$i.yml")
  done
  # The first start runs initdb on one node and clones it onto the other (pg_basebackup).
  wait_for "$FLEET_WAIT" "a Patroni primary (logs: $logs/pg1.log, $logs/pg2.log)" has_primary
  wait_for "$FLEET_WAIT" "a synchronous standby (logs: $logs/pg1.log, $logs/pg2.log)" replicated
  log "PostgreSQL: primary $(primary), synchronous standby $(sync_standby)"
}

# Roles and database, on the primary (idempotent; passwords follow secrets/ on every up).
setup_database() {
  PGPASSFILE=$secrets/pgpass psql "$super_url" -v ON_ERROR_STOP=1 -qAt \
    -v owner_pw="$(secret owner)" -v app_pw="$(secret app)" >"$logs/setup-db.log" 2>&1 <<'SQL' ||
SELECT 'CREATE ROLE zhiyuan_owner LOGIN'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zhiyuan_owner') \gexec
-- The application role of migration 0009, created beforehand with a password of its own.
SELECT 'CREATE ROLE zhiyuan_app LOGIN'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zhiyuan_app') \gexec
ALTER ROLE zhiyuan_owner PASSWORD :'owner_pw';
ALTER ROLE zhiyuan_app PASSWORD :'app_pw';
SELECT 'CREATE DATABASE zhiyuan OWNER zhiyuan_owner'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'zhiyuan') \gexec
SQL
    { cat "$logs/setup-db.log" >&2; die "database setup failed"; }
}

load_province() {
  [[ -x $SEED_BIN ]] || die "$SEED_BIN not found: build first (scripts/build.sh) or set SEED_BIN"
  log "demo province: $FLEET_CANDIDATES candidates, loaded only into an empty database"
  PGPASSFILE=$secrets/pgpass timeout $((FLEET_WAIT * 5)) "$SEED_BIN" \
    --candidates "$FLEET_CANDIDATES" --kdf-cost test --if-empty --database-url "$owner_url" \
    >>"$logs/seed.log" 2>&1 || { tail -n 20 "$logs/seed.log" >&2; die "zhiyuan-seed failed"; }
  tail -n 1 "$logs/seed.log" >&2
}

node_ready() { http_ok "http://127.0.0.1:${NODE_PORTS[$1 - 1]}/readyz"; }

# The nodes' filing clock offset: fixed when the first node starts, so that every node (and a
# node restarted later) shares one filing clock.
clock_offset() {
  local file=$run/clock_offset_seconds running=0 i
  for i in 1 2 3; do [[ -n $(pid_of "node$i") ]] && running=1; done
  if ((running)) && [[ -f $file ]]; then
    if [[ -n $FLEET_FILING_AT && -f $run/filing_at && $(<"$run/filing_at") != "$FLEET_FILING_AT" ]]; then
      die "the nodes run with FLEET_FILING_AT='$(<"$run/filing_at")'; stop them first (scripts/fleet.sh down)"
    fi
    cat "$file"
    return 0
  fi
  local offset=0
  if [[ -n $FLEET_FILING_AT ]]; then
    offset=$(($(date -d "$FLEET_FILING_AT" +%s) - $(date +%s))) ||
      die "FLEET_FILING_AT='$FLEET_FILING_AT' is not a date"
  fi
  echo "$offset" >"$file"
  echo "$FLEET_FILING_AT" >"$run/filing_at"
  echo "$offset"
}

start_node() {
  local i=$1 offset=$2
  log "starting zhiyuan node $i (127.0.0.1:${NODE_PORTS[i - 1]})"
  (
    set -a
    # shellcheck disable=SC1090,SC1091
    source "$etc/fleet.env"
    # shellcheck disable=SC1090,SC1091
    source "$etc/node-$i.env"
    set +a
    export ZHIYUAN_FILING_CLOCK_OFFSET_SECONDS=$offset
    cd "$root"
    start "node$i" "$SERVER_BIN" --config "$root/config/zhiyuan.toml"
  )
}

up_nodes() {
  [[ -x $SERVER_BIN ]] || die "$SERVER_BIN not found: build first (scripts/build.sh)"
  local offset i
  offset=$(clock_offset)
  for i in 1 2 3; do
    [[ -n $(pid_of "node$i") ]] && continue
    start_node "$i" "$offset"
    # The first node creates the fleet's receipt key; the others must find it, not race to
    # create their own.
    [[ -s $secrets/receipt.key ]] || wait_for "$FLEET_WAIT" "node $i (log: $logs/node$i.log)" node_ready "$i"
  done
  for i in 1 2 3; do
    wait_for "$FLEET_WAIT" "node $i /readyz (log: $logs/node$i.log)" node_ready "$i"
  done
}

# HAProxy's view of the nodes: "n1 UP" lines from its statistics (CSV: pxname,svname,…,status
# is field 18).
haproxy_servers() {
  curl -fsS --max-time 2 "http://127.0.0.1:$STATS_PORT/stats;csv" |
    awk -F, '$1 == "zhiyuan" && $2 ~ /^n[0-9]$/ { print $2, $18, "sessions_now=" $5, "sessions_total=" $8, "check=" $37 }'
}
haproxy_all_up() { [[ $(haproxy_servers | awk '$2 == "UP"' | wc -l) -eq 3 ]]; }

up_haproxy() {
  local old sum
  old=$(pid_of haproxy)
  # What HAProxy loads: its configuration and the certificate (replaced to install the
  # province's).
  sum=$(cat "$etc/haproxy.cfg" "$FLEET_DIR/tls/fleet.pem" | sha256sum)
  if [[ -z $old ]]; then
    log "starting HAProxy (https://127.0.0.1:$HTTPS_PORT, redirect :$HTTP_PORT, drills :$DRILL_PORT, stats :$STATS_PORT)"
    start haproxy haproxy -f "$etc/haproxy.cfg" -db
  elif [[ $sum != "$(cat "$run/haproxy.sum" 2>/dev/null)" ]]; then
    # A new process takes over the listeners, the old one finishes its connections and exits.
    # The stick table starts empty (deploy/haproxy/haproxy.cfg).
    log "reloading HAProxy (configuration or certificate changed; session stickiness is re-learned)"
    start haproxy haproxy -f "$etc/haproxy.cfg" -db -sf "$old"
  fi
  echo "$sum" >"$run/haproxy.sum"
  wait_for "$FLEET_WAIT" "HAProxy with every node UP (log: $logs/haproxy.log)" haproxy_all_up
}

# --- commands --------------------------------------------------------------------------------

cmd_up() {
  [[ $(id -u) -eq 0 ]] || die "run as root: PostgreSQL runs as the postgres account"
  mkdir -p "$etc" "$run" "$logs"
  install_missing
  make_secrets
  pick_pgroot
  make_certificate
  render_all
  up_etcd
  up_patroni
  setup_database
  load_province
  up_nodes
  up_haproxy
  log "up. https://127.0.0.1:$HTTPS_PORT/ (self-signed: curl --cacert $FLEET_DIR/tls/fleet.crt);" \
    "plain HTTP for zhiyuan-loadtest: http://127.0.0.1:$DRILL_PORT; stats: http://127.0.0.1:$STATS_PORT/stats"
  echo "https://127.0.0.1:$HTTPS_PORT/"
}

cmd_down() {
  mkdir -p "$run"
  [[ -d $FLEET_DIR/pg ]] && PGROOT=$(readlink -f "$FLEET_DIR/pg")
  stop haproxy 10
  # The nodes drain (drain_delay + shutdown_timeout + flush) in parallel.
  local i
  for i in 1 2 3; do stop "node$i" 35 & done
  wait
  # The standby first: stopping the primary first would make the standby take over.
  local p
  p=$(primary || true)
  for i in 1 2; do [[ pg$i == "$p" ]] || stop "pg$i" 60; done
  [[ -n $p ]] && stop "$p" 60
  # A postmaster left behind by a Patroni that was killed (drills): stopped by its owner.
  if [[ -n $PGROOT ]]; then
    for i in 1 2; do
      if [[ -n $(postmaster_pid "$i") ]]; then
        log "stopping the postmaster of pg$i that Patroni left"
        setpriv --reuid=postgres --regid=postgres --init-groups \
          "$PG_BIN/pg_ctl" stop -D "$PGROOT/pg$i/data" -m fast -t 30 >/dev/null 2>&1 ||
          setpriv --reuid=postgres --regid=postgres --init-groups \
            "$PG_BIN/pg_ctl" stop -D "$PGROOT/pg$i/data" -m immediate -t 10 >/dev/null 2>&1 || true
      fi
    done
  fi
  stop etcd 10
  sweep
  log "down"
}

# Anything still carrying this fleet's marker (e.g. an HAProxy that a reload replaced and that
# is still finishing connections): SIGKILL.
sweep() {
  local env p
  for env in /proc/[0-9]*/environ; do
    p=${env#/proc/}
    p=${p%/environ}
    if tr '\0' '\n' 2>/dev/null <"$env" | grep -q "^FLEET_PIECE=$FLEET_DIR:"; then
      log "left over: $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80)): SIGKILL"
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
}

cmd_status() {
  local bad=0 i code etcd_ok=0
  [[ -d $FLEET_DIR/pg ]] && PGROOT=$(readlink -f "$FLEET_DIR/pg")
  running() { local p; p=$(pid_of "$1"); echo "${p:-not running}"; }
  echo "== etcd (pid $(running etcd))"
  if etcd_healthy >"$logs/status-etcd.txt" 2>&1; then etcd_ok=1; else bad=1; fi
  sed 's/^/  /' "$logs/status-etcd.txt" | tail -n 1
  echo "== Patroni (pg1 pid $(running pg1), pg2 pid $(running pg2))"
  if ((etcd_ok)) && [[ -n $PGROOT && -f $PGROOT/pg1.yml ]]; then
    timeout 15 patronictl -c "$PGROOT/pg1.yml" list 2>&1 | sed 's/^/  /' || bad=1
  else
    echo "  patronictl needs etcd; Patroni's REST API says:"
    for i in 0 1; do
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${PATRONI_PORTS[i]}/health" || true)
      echo "  pg$((i + 1)) 127.0.0.1:${PATRONI_PORTS[i]}/health=${code/#000/no answer}"
    done
    bad=1
  fi
  echo "== zhiyuan nodes"
  for i in 1 2 3; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${NODE_PORTS[i - 1]}/readyz" || true)
    echo "  node$i 127.0.0.1:${NODE_PORTS[i - 1]} pid $(running "node$i") /readyz=${code/#000/no answer}"
    [[ $code == 200 ]] || bad=1
  done
  echo "== HAProxy (pid $(running haproxy)): https://127.0.0.1:$HTTPS_PORT, drills http://127.0.0.1:$DRILL_PORT"
  haproxy_servers 2>/dev/null | sed 's/^/  /' || true
  haproxy_all_up 2>/dev/null || bad=1
  if ((bad == 0)); then echo "fleet: healthy"; else echo "fleet: NOT healthy"; fi
  return "$bad"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  install)
    mkdir -p "$logs"
    install_missing
    ;;
  *) die "usage: scripts/fleet.sh up|down|status|install" ;;
esac
