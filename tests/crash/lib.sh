# shellcheck shell=bash
# shellcheck disable=SC2034  # rounds, candidates, ... are read by the scripts that source this
# Shared parts of the crash tests (crash_test.sh, pg_restart_test.sh). Source it after
# `set -euo pipefail`; it defines functions and parses the common arguments:
#
#   --server BIN --seed BIN --dbctl BIN --submitter BIN   the four executables
#   --schedule FILE                                       config/schedule.toml (absolute path)
#   --work-dir DIR                                        private state (cluster, logs, acks)
#   --rounds K (3)   --candidates N (3000)   --connections C (32)
# env: CRASH_SEED: seed of $RANDOM (the kill instants); printed, so a failure can be replayed.
#
# Every process started here is recorded and killed by the EXIT trap, the private PostgreSQL
# cluster included (it is stopped with zhiyuan-dbctl).

crash_log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
crash_die() {
  crash_log "FAIL: $*"
  exit 1
}

server_bin="" seed_bin="" dbctl_bin="" submitter_bin="" schedule="" work=""
rounds=3 candidates=3000 connections=32

crash_parse_args() {
  while (($#)); do
    case $1 in
      --server) server_bin=$2 ;;
      --seed) seed_bin=$2 ;;
      --dbctl) dbctl_bin=$2 ;;
      --submitter) submitter_bin=$2 ;;
      --schedule) schedule=$2 ;;
      --work-dir) work=$2 ;;
      --rounds) rounds=$2 ;;
      --candidates) candidates=$2 ;;
      --connections) connections=$2 ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
      *) crash_die "unknown argument '$1' (try --help)" ;;
    esac
    shift 2
  done
  local b
  for b in "$server_bin" "$seed_bin" "$dbctl_bin" "$submitter_bin"; do
    [[ -x $b ]] || crash_die "executable '$b' missing (pass --server, --seed, --dbctl, --submitter)"
  done
  [[ -f $schedule ]] || crash_die "schedule file '$schedule' missing (--schedule)"
  [[ -n $work ]] || crash_die "--work-dir is required"
  schedule=$(cd "$(dirname "$schedule")" && pwd)/$(basename "$schedule")
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
}

# --- process bookkeeping ---------------------------------------------------------------------

crash_pids=()
cluster_started=0

# Sends SIGTERM, waits up to $2 seconds (default 20), then SIGKILL. Sets crash_status to the
# exit status (not printed: `wait` works only in the shell that started the process).
crash_status=0
crash_stop() {
  local pid=$1 grace=${2:-20} i status=0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || status=$?
    crash_status=$status
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    crash_log "pid $pid ignored SIGTERM for ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  crash_status=$status
}

crash_cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${crash_pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((cluster_started)); then
    "$dbctl_bin" --var-dir "$work/var" stop >/dev/null 2>&1 || true
  fi
  if ((status != 0)) && [[ -n $work ]]; then
    crash_log "logs kept in $work"
  fi
  exit "$status"
}

crash_init() {
  trap crash_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local seed=${CRASH_SEED:-$RANDOM}
  RANDOM=$seed
  crash_log "CRASH_SEED=$seed (set it to replay the same kill instants)"
}

crash_forget() {
  local pid=$1 i
  for i in "${!crash_pids[@]}"; do
    [[ ${crash_pids[$i]} == "$pid" ]] && unset 'crash_pids[i]'
  done
  crash_pids=("${crash_pids[@]}")
}

# --- database --------------------------------------------------------------------------------

db_url=""

# Starts (or reuses) the private cluster under $work/var and loads a fresh small province.
crash_setup_database() {
  rm -f "$work"/acks-*.txt "$work"/*.log "$work/tokens.txt"
  cluster_started=1
  "$dbctl_bin" --var-dir "$work/var" start >"$work/dbctl.log" 2>&1 ||
    { cat "$work/dbctl.log" >&2; crash_die "zhiyuan-dbctl start failed"; }
  db_url=$("$dbctl_bin" --var-dir "$work/var" url)
  "$seed_bin" --candidates "$candidates" --kdf-cost test --database-url "$db_url" --replace \
    >"$work/seed.log" 2>&1 || { tail -n 20 "$work/seed.log" >&2; crash_die "zhiyuan-seed failed"; }
  crash_log "province of $candidates candidates loaded ($(grep -o 'province_load_seconds=.*' "$work/seed.log"))"
}

# The cluster's data directory (var/pg may link to a cluster kept elsewhere).
crash_pg_data() { readlink -f "$work/var/pg/data"; }

# pg_ctl of the cluster's major version, run as the cluster's owner.
crash_pg_ctl() {
  local data version bin owner
  data=$(crash_pg_data)
  version=$(cat "$data/PG_VERSION")
  bin=/usr/lib/postgresql/$version/bin/pg_ctl
  [[ -x $bin ]] || bin=$(command -v pg_ctl) || crash_die "pg_ctl not found"
  owner=$(stat -c %U "$data")
  if [[ $(id -un) == "$owner" ]]; then
    "$bin" -D "$data" "$@"
  else
    runuser -u "$owner" -- "$bin" -D "$data" "$@"
  fi
}

# --- server ----------------------------------------------------------------------------------

server_pid="" server_port=0 server_log="" server_starts=0

# An instant in the middle of 本科批's formal window, as an offset from now.
crash_clock_offset() {
  local target
  target=$(date -d '2023-06-30T12:00:00+08:00' +%s)
  echo $((target - $(date +%s)))
}

# crash_start_server PORT: starts zhiyuan-server (PORT 0: any) and waits for "listening".
# Every submitter connection comes from 127.0.0.1, so the per-address sign-in limit is lifted.
crash_start_server() {
  local port=$1 i
  server_starts=$((server_starts + 1))
  server_log="$work/server-$server_starts.log"
  : >"$server_log"
  "$server_bin" --server.port "$port" --database.url "$db_url" \
    --filing.schedule_file "$schedule" --filing.clock_offset_seconds "$(crash_clock_offset)" \
    --server.drain_delay_ms 0 --server.shutdown_timeout_ms 10000 \
    --auth.login_ip_per_minute 10000000 --auth.receipt_key_file "$work/receipt.key" \
    >"$server_log" 2>&1 &
  server_pid=$!
  crash_pids+=("$server_pid")
  for ((i = 0; i < 600; i++)); do
    server_port=$(grep -o '"event":"listening","address":"127.0.0.1:[0-9]*"' "$server_log" |
      grep -o '[0-9]*"$' | tr -d '"' || true)
    [[ -n $server_port ]] && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$server_log" >&2; crash_die "server exited at start"; }
    sleep 0.1
  done
  [[ -n $server_port ]] || crash_die "server did not listen within 60 s"
  crash_log "server $server_pid listening on $server_port"
}

crash_kill_server() {
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  crash_forget "$server_pid"
}

# Stops the server with SIGTERM; fails unless it exits 0 (drain and flush worked).
crash_stop_server() {
  crash_stop "$server_pid" 30
  local status=$crash_status
  crash_forget "$server_pid"
  ((status == 0)) || { tail -n 20 "$server_log" >&2; crash_die "server exited with $status on SIGTERM"; }
}

# Fails when the server is not running (it died on its own: a crash of the server itself).
crash_server_alive() {
  kill -0 "$server_pid" 2>/dev/null && return 0
  local status=0
  wait "$server_pid" 2>/dev/null || status=$?
  tail -n 20 "$server_log" >&2
  crash_die "server $server_pid died by itself (status $status; signal $((status - 128)) if > 128)"
}

# --- submitter -------------------------------------------------------------------------------

submitter_pid="" submitter_log="" submitter_out=""

# crash_start_submitter ROUND: continuous submissions (stopped by SIGTERM) into acks-ROUND.txt.
crash_start_submitter() {
  local round=$1
  submitter_log="$work/submitter-$round.log"
  submitter_out="$work/submitter-$round.out"
  "$submitter_bin" --database-url "$db_url" --port "$server_port" \
    --acks "$work/acks-$round.txt" --tokens "$work/tokens.txt" --schedule-file "$schedule" \
    --connections "$connections" --first-round $((round * 1000)) --duration 240 \
    --stop-grace 30 --give-up-after 60 --progress >"$submitter_out" 2>"$submitter_log" &
  submitter_pid=$!
  crash_pids+=("$submitter_pid")
}

# Receipts the submitter holds durably so far (its last progress line).
crash_acked() {
  local n
  n=$(grep -o 'acked=[0-9]*' "$submitter_log" 2>/dev/null | tail -n 1 | cut -d= -f2 || true)
  echo "${n:-0}"
}

# crash_wait_acks_above N SECONDS: waits until the submitter holds more than N receipts.
crash_wait_acks_above() {
  local floor=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    (($(crash_acked) > floor)) && return 0
    kill -0 "$submitter_pid" 2>/dev/null || { tail -n 20 "$submitter_log" "$submitter_out" >&2; crash_die "submitter exited early"; }
    sleep 0.2
  done
  tail -n 5 "$submitter_log" >&2
  crash_die "no new receipts within $2 s (held: $(crash_acked), waiting for more than $floor)"
}

# Stops the submitter; fails unless it exits 0. It exits 3 when a receipt did not answer the
# submission sent (another candidate, batch or form): such a receipt is never held, and the
# drill fails on it.
crash_stop_submitter() {
  crash_stop "$submitter_pid" 45
  local status=$crash_status
  crash_forget "$submitter_pid"
  grep '^result ' "$submitter_out" >&2 || true
  if ((status == 3)); then
    grep 'does not match\|unparsable receipt' "$submitter_log" | head -n 5 >&2 || true
    crash_die "submitter got receipts that do not answer its submissions (exit 3)"
  fi
  ((status == 0)) || { tail -n 20 "$submitter_log" >&2; crash_die "submitter exited with $status"; }
}

# crash_reconcile ROUND: prints the reconciliation line; fails on any loss or duplicate.
crash_reconcile() {
  local round=$1 line status=0
  line=$("$submitter_bin" --reconcile --database-url "$db_url" --acks "$work/acks-$round.txt" \
    2>"$work/reconcile-$round.log") || status=$?
  echo "round $round: $line"
  [[ $line == acked=* ]] || { cat "$work/reconcile-$round.log" >&2; crash_die "reconcile failed"; }
  local acked
  acked=$(grep -o 'acked=[0-9]*' <<<"$line" | cut -d= -f2)
  ((acked > 0)) || crash_die "round $round: no receipt held, nothing was tested"
  ((status == 0)) || { cat "$work/reconcile-$round.log" >&2; crash_die "round $round: $line"; }
}

# A random number of milliseconds in [lo, hi].
crash_random_ms() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }
crash_sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
