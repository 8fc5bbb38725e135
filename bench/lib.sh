# shellcheck shell=bash
# shellcheck disable=SC2034  # BENCH_DB_URL, BENCH_STATUS, … are read by the scripts that source it
# Shared helpers for the shell benchmarks under bench/. Source it; it defines functions only.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_init            # temp dir in $BENCH_TMP, EXIT/INT/TERM trap that stops what we started
#   bench_start_cluster DBCTL VAR_DIR  # private PostgreSQL, $BENCH_DB_URL; stopped by the trap
#   bench_spawn NAME CMD… # start CMD in the background, remember its pid, log to $BENCH_TMP/NAME.log
#   bench_stop PID        # SIGTERM, wait, then SIGKILL
#   bench_wait_spawned PID  # wait for a spawned process to end by itself; status in BENCH_STATUS
#   bench_fail_on_errors LABEL COUNT…  # exit 1 if any COUNT is not 0 (after the report is out)
#
# Every process a benchmark starts goes through bench_spawn so that the trap can stop it,
# whatever way the script ends.

BENCH_PIDS=()
BENCH_TMP=""

bench_log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
bench_die() {
  bench_log "error: $*"
  exit 1
}

bench_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || bench_die "'$tool' not found on PATH"
  done
}

# Sends SIGTERM, waits up to $2 seconds (default 15) for the process to exit, then SIGKILL.
# zhiyuan stops the embedded PostgreSQL it started on SIGTERM, so the grace period matters.
bench_stop() {
  local pid=$1 grace=${2:-15} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    bench_log "pid $pid ignored SIGTERM for ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${BENCH_PIDS[@]}"; do bench_stop "$pid"; done
  if [[ -n $BENCH_CLUSTER_VAR ]]; then
    "$BENCH_CLUSTER_DBCTL" --var-dir "$BENCH_CLUSTER_VAR" stop >/dev/null 2>&1 || true
  fi
  if [[ -n $BENCH_TMP && -d $BENCH_TMP ]]; then
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
      bench_log "kept $BENCH_TMP"
    else
      rm -rf -- "$BENCH_TMP"
    fi
  fi
  exit "$status"
}

bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/zhiyuan-bench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# bench_start_cluster DBCTL VAR_DIR: starts the private PostgreSQL cluster under VAR_DIR with
# zhiyuan-dbctl, sets BENCH_DB_URL, and has the EXIT trap stop it after every spawned process.
BENCH_CLUSTER_DBCTL=""
BENCH_CLUSTER_VAR=""
BENCH_DB_URL=""
bench_start_cluster() {
  BENCH_CLUSTER_DBCTL=$1 BENCH_CLUSTER_VAR=$2
  bench_log "starting the private cluster in $2"
  "$1" --var-dir "$2" start >"$BENCH_TMP/dbctl.log" 2>&1 ||
    { cat "$BENCH_TMP/dbctl.log" >&2; bench_die "zhiyuan-dbctl start failed"; }
  BENCH_DB_URL=$("$1" --var-dir "$2" url)
}

# bench_spawn NAME CMD…: runs CMD in the background with output in $BENCH_TMP/NAME.log and
# sets BENCH_LAST_PID. CMD must exec the real process (taskset does) so the pid is the server.
bench_spawn() {
  local name=$1
  shift
  "$@" >"$BENCH_TMP/$name.log" 2>&1 &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# Forgets a process started with bench_spawn (the EXIT trap no longer stops it).
bench_forget() {
  local pid=$1 i
  for i in "${!BENCH_PIDS[@]}"; do
    [[ ${BENCH_PIDS[$i]} == "$pid" ]] && unset 'BENCH_PIDS[i]'
  done
  BENCH_PIDS=("${BENCH_PIDS[@]}")
}

# Stops a process started with bench_spawn and forgets it.
bench_stop_spawned() {
  bench_stop "$1" "${2:-15}"
  bench_forget "$1"
}

# Waits for a process started with bench_spawn to exit by itself, forgets it and sets
# BENCH_STATUS to its exit status.
BENCH_STATUS=0
bench_wait_spawned() {
  BENCH_STATUS=0
  wait "$1" || BENCH_STATUS=$?
  bench_forget "$1"
}

# A TCP port on 127.0.0.1 that nothing listens on, not in the list of ports given.
bench_free_port() {
  local port taken
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 20000))
    taken=0
    for p in "$@"; do [[ $p == "$port" ]] && taken=1; done
    ((taken)) && continue
    if [[ -z $(ss -Htln "sport = :$port" 2>/dev/null) ]]; then
      echo "$port"
      return 0
    fi
  done
  bench_die "no free TCP port found"
}

# bench_wait_http URL SECONDS PID: waits until URL answers 2xx, or fails if PID exits first.
bench_wait_http() {
  local url=$1 pid=$3 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# Converts a wrk duration ("312.00us", "1.23ms", "2.00s") to microseconds.
bench_to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000;
    else if (u == "m") f = 60000000; else f = -1;
    if (f < 0) { print "nan"; exit } printf "%.1f\n", n * f }'
}

# Parses `wrk --latency` output on stdin into "rps p50_us p99_us errors requests".
bench_parse_wrk() {
  local out rps p50 p99 errs n
  out=$(cat)
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  n=$(awk '/ requests in / {print $1}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  # Socket errors and non-2xx answers would make a broken server look fast.
  errs=$(awk '/Socket errors:/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10}
              /Non-2xx or 3xx responses:/ {s += $5} END {print s + 0}' <<<"$out")
  [[ -n $rps && -n $p50 && -n $p99 && -n $n ]] || return 1
  echo "$rps $(bench_to_us "$p50") $(bench_to_us "$p99") $errs $n"
}

# CPU time in nanoseconds used so far by PID's threads and its child processes' threads (an
# nginx master's workers). On a shared machine this is steadier than requests/s: it does not
# count the time a server spends waiting for the CPU.
bench_cpu_ns() {
  local pid=$1 total=0 p t ns _
  local pids=("$pid")
  # shellcheck disable=SC2207  # pids are plain numbers
  pids+=($(cat /proc/"$pid"/task/*/children 2>/dev/null))
  for p in "${pids[@]}"; do
    for t in /proc/"$p"/task/*/schedstat; do
      read -r ns _ 2>/dev/null <"$t" && total=$((total + ns))
    done
  done
  echo "$total"
}

# CPU time in clock ticks (getconf CLK_TCK per second) used so far by PID's threads: utime +
# stime of /proc/PID/stat. Two readings of it bracket what a process spent in between, whatever
# the process is, so two programs compared this way are measured alike.
# The command name in parentheses may hold spaces: fields are counted after its ") ".
bench_proc_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# The machine's CPU so far, from /proc/stat's "cpu" line: user nice system idle iowait irq
# softirq steal, in clock ticks. bench_machine_cpu BEFORE AFTER SECONDS prints what the machine spent in
# between by kind, as shares of one CPU per second of wall time: what else grew beside the
# processes a run measures (softirq: the kernel's network work, whoever's packets; steal: the
# hypervisor's other guests).
bench_cpu_stat() { awk '/^cpu /{print $2, $3, $4, $5, $6, $7, $8, $9; exit}' /proc/stat; }
bench_machine_cpu() {
  local seconds=$3
  awk -v b="$1" -v a="$2" -v s="$seconds" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    split("user nice system idle iowait irq softirq steal", k, " ")
    out = ""
    for (i = 1; i <= 8; i++) out = out sprintf("%s%s %.1f%%", (i > 1 ? ", " : ""), k[i], (y[i] - x[i]) / hz / s * 100)
    print out
  }'
}

# bench_fail_on_errors LABEL COUNT [LABEL COUNT]…: exits 1 when any COUNT is not 0. A run with
# failed requests or receipts measured something else than its target says; call it after
# the report is printed, so the figures stay visible, but the script fails.
bench_fail_on_errors() {
  local failed=0
  while (($# >= 2)); do
    if [[ $2 != 0 ]]; then
      bench_log "error: $1: $2"
      failed=1
    fi
    shift 2
  done
  ((failed == 0)) || bench_die "errors during the run: its figures are not a result"
}

# Median of the numbers given as arguments.
bench_median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# bench_nginx_conf DIR: writes DIR/nginx.conf for one nginx worker (access log off, keep-alive
# as long as wrk's, temporary files under DIR) whose http block ends with the directives and
# server block read from stdin, and checks it with `nginx -t`. Every *_vs_nginx.sh uses it, so
# the reference differs between scripts only in what it serves.
bench_nginx_conf() {
  local dir=$1
  mkdir -p "$dir"
  {
    cat <<CONF
daemon off;
worker_processes 1;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
CONF
    cat
    echo "}"
  } >"$dir/nginx.conf"
  nginx -t -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/nginx-t.log" 2>&1 ||
    { cat "$dir/nginx-t.log" >&2; bench_die "nginx rejected its configuration"; }
}

# bench_nginx_static_tuning: nginx's documented static-file configuration, for an http block
# that serves files: the body goes out by sendfile(2) with the headers coalesced into its first
# segment, and the file's descriptor, size and mtime are cached instead of an
# open/fstat/close per request.
bench_nginx_static_tuning() {
  cat <<'CONF'
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
CONF
}

# bench_nginx_ping_conf DIR PORT: nginx answering GET /api/v1/ping with zhiyuan's body
# (`return 200`) on 127.0.0.1:PORT.
bench_nginx_ping_conf() {
  bench_nginx_conf "$1" <<CONF
    server {
        listen 127.0.0.1:$2;
        location = /api/v1/ping {
            default_type application/json;
            return 200 '{"pong":true}';
        }
    }
CONF
}

# bench_profile NAME PID CMD…: with PROFILE=1 (else it does nothing), where PID's CPU time goes
# per request under the wrk load CMD runs (CMD prints wrk's output): perf samples every thread
# of PID (cpu-clock, no hardware counters needed) during one run of CMD, strace counts PID's
# system calls during a second one. Prints µs per request by symbol (samples × period / the
# run's requests) and system calls per request, and keeps both in $BENCH_TMP/profile-NAME.*.
# strace slows the server down: its run is for counts only, never for rates.
BENCH_PROFILE_HZ=${BENCH_PROFILE_HZ:-4999}

# bench_traced_run TRACER_PID FILE CMD…: runs the wrk run CMD into FILE while the tracer just
# started records, then stops the tracer (SIGINT: it writes what it has) and waits for it; sets
# BENCH_TRACED_N to the run's requests. Not in $(…): only this shell can wait for the tracer.
BENCH_TRACED_N=0
bench_traced_run() {
  local tracer=$1 file=$2
  shift 2
  sleep 0.5
  "$@" >"$file"
  kill -INT "$tracer"
  wait "$tracer" || true
  BENCH_TRACED_N=$(bench_parse_wrk <"$file" | awk '{print $5}')
}

bench_profile() {
  [[ ${PROFILE:-0} == 1 ]] || return 0
  local name=$1 out="$BENCH_TMP/profile-$1" n pids
  # An nginx master's workers are its children: they are the ones that serve.
  pids=$(cat /proc/"$2"/task/*/children 2>/dev/null | tr -s ' ' ',' | sed 's/^,//; s/,$//')
  pids=$2${pids:+,$pids}
  shift 2
  bench_require perf strace
  perf record -e cpu-clock -F "$BENCH_PROFILE_HZ" -p "$pids" -o "$out.perf" >"$out.perf.log" 2>&1 &
  bench_traced_run $! "$out.wrk" "$@"
  n=$BENCH_TRACED_N
  {
    echo "profile $name: $n requests, cpu-clock at $BENCH_PROFILE_HZ Hz; us/req by symbol:"
    perf report -i "$out.perf" --stdio --no-children --sort dso,sym -F overhead,sample,dso,sym \
      2>"$out.report.log" | awk -v n="$n" -v hz="$BENCH_PROFILE_HZ" '
        /^#/ || NF < 4 { next }
        { us = $2 / hz * 1e6 / n; total += us; printf "%8.3f us  %s\n", us, $0 }
        END { printf "%8.3f us  total sampled\n", total }' | sort -rg | head -45 || true
  } >"$out.txt"
  # strace -f follows the threads; each -p names one process.
  # shellcheck disable=SC2046  # one word per -p option
  strace -c -f $(tr , '\n' <<<"$pids" | sed 's/^/-p /') -o "$out.strace" 2>/dev/null &
  bench_traced_run $! "$out.strace-wrk" "$@"
  n=$BENCH_TRACED_N
  {
    echo "profile $name: system calls per request ($n requests under strace):"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
        printf "%8.3f  %s\n", $4 / n, $NF }' "$out.strace" | sort -rg | head -12
  } >>"$out.txt"
  cat "$out.txt" >&2
}

# Sets BENCH_CHILDREN_US to the CPU time (user + system, µs) used so far by the processes this
# shell waited for: read before and after a wrk run, the difference is wrk's own CPU, which
# shows when the load generator, not the server, limits the rate. Call it in the script's own
# shell (not in $(…)): `times` in a subshell counts that subshell's children.
BENCH_CHILDREN_US=0
bench_children_cpu() {
  times >"$BENCH_TMP/times"
  BENCH_CHILDREN_US=$(awk 'NR == 2 {
      n = split($0, f, " "); s = 0
      for (i = 1; i <= n; i++) { split(f[i], p, "m"); s += p[1] * 60 + p[2] }
      printf "%.0f\n", s * 1e6 }' "$BENCH_TMP/times")
}
