#!/usr/bin/env bash
# The io_uring ceiling before building the transport (issue 18, research note T0/T1): nginx
# `return 200`, zhiyuan's two Asio builds (uring, epoll) and the standalone liburing loop
# bench/uring_ping/ping_ring.cpp in each setup-flag combination {none, coop, defer} x {single-shot
# recv, multishot recv + provided-buffer ring}, all answering GET /api/v1/ping, under the same
# keep-alive wrk load, one at a time, freshly started, in interleaved rounds.
#
# Per target: requests/s, server CPU µs per request (all threads, /proc/<pid>/task/*/schedstat),
# rescheduling and function-call interrupts per request on SERVER_CPU (/proc/interrupts RES and
# CAL: the IPIs a completion raised on a busy CPU) and, from a separate short run under
# `strace -c -f`, syscalls per request (strace slows everything: only its counts are used).
#
# usage: bench/uring_ping_matrix.sh [--quick]
# env: ROUNDS (3), DURATION seconds (10), CONNECTIONS (64), WARMUP seconds (2), SERVER_CPU (0),
#      LOAD_CPU (1), VAR_DIR (<repo>/var), SRC_DIR (<repo>), whose build-bench-uring/ and
#      build-bench-epoll/ hold zhiyuan-server (missing ones are skipped), TARGETS (all),
#      STRACE (1; 0 skips the syscall counts), KEEP_TMP=1
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

if [[ ${1:-} == --quick ]]; then
  ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-2} WARMUP=${WARMUP:-1}
elif [[ -n ${1:-} ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-2}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
VAR_DIR=${VAR_DIR:-$repo/var}
SRC_DIR=$(cd "${SRC_DIR:-$repo}" && pwd)
STRACE=${STRACE:-1}

bench_require nginx wrk curl taskset ss awk g++ pkg-config
bench_init

ring_bin="$BENCH_TMP/ping_ring"
g++ -O2 -std=c++20 -o "$ring_bin" "$repo/bench/uring_ping/ping_ring.cpp" \
  $(pkg-config --cflags --libs liburing) || bench_die "ping_ring did not compile"

server_bin() { echo "$SRC_DIR/build-bench-$1/server/zhiyuan-server"; }
default_targets="nginx epoll uring"
for f in none coop defer; do for r in single multi; do default_targets+=" ring-$f-$r"; done; done
read -r -a targets <<<"${TARGETS:-$default_targets}"
kept=()
for t in "${targets[@]}"; do
  if [[ $t == uring || $t == epoll ]] && [[ ! -x $(server_bin "$t") ]]; then
    bench_log "skipping $t: $(server_bin "$t") missing"
    continue
  fi
  kept+=("$t")
done
targets=("${kept[@]}")

ngx="$BENCH_TMP/nginx"
port=$(bench_free_port)
bench_nginx_ping_conf "$ngx" "$port"
url="http://127.0.0.1:$port/api/v1/ping"

# Starts target $1 on SERVER_CPU; sets target_pid.
start_target() {
  local t=$1 cmd
  case $t in
    nginx) cmd=(nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log") ;;
    uring | epoll)
      cmd=("$(server_bin "$t")" --server.host 127.0.0.1 --server.port "$port"
        --server.io_threads 1 --server.drain_delay_ms 0 --database.var_dir "$VAR_DIR") ;;
    ring-*)
      local spec=${t#ring-}
      cmd=("$ring_bin" "$port" "${spec%-*}" "${spec#*-}") ;;
  esac
  bench_spawn "$t" taskset -c "$SERVER_CPU" "${cmd[@]}"
  target_pid=$BENCH_LAST_PID
  bench_wait_http "$url" 120 "$target_pid" ||
    { tail -n 20 "$BENCH_TMP/$t.log" >&2; bench_die "$t did not answer"; }
  [[ $(curl -fsS "$url") == '{"pong":true}' ]] || bench_die "$t answered another body"
}

# RES + CAL interrupts so far on SERVER_CPU.
ipis() {
  awk -v c=$((SERVER_CPU + 2)) '$1 == "RES:" || $1 == "CAL:" {s += $c} END {print s}' \
    /proc/interrupts
}

run_wrk() {
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${1}s" --latency "$url"
}

declare -A rps cpu irq sys errors
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${targets[@]}"; do
    start_target "$t"
    ((WARMUP > 0)) && run_wrk "$WARMUP" >/dev/null
    cpu0=$(bench_cpu_ns "$target_pid")
    i0=$(ipis)
    run_wrk "$DURATION" >"$BENCH_TMP/wrk.txt"
    i1=$(ipis)
    cpu1=$(bench_cpu_ns "$target_pid")
    bench_stop_spawned "$target_pid"
    read -r v _ _ e n < <(bench_parse_wrk <"$BENCH_TMP/wrk.txt") || bench_die "bad wrk output"
    c=$(awk -v d=$((cpu1 - cpu0)) -v n="$n" 'BEGIN {printf "%.2f", d / 1000 / n}')
    q=$(awk -v d=$((i1 - i0)) -v n="$n" 'BEGIN {printf "%.3f", d / n}')
    rps[$t]+=" $v"
    cpu[$t]+=" $c"
    irq[$t]+=" $q"
    errors[$t]=$((${errors[$t]:-0} + e))
    bench_log "round $r/$ROUNDS $t: $v req/s, ${c} us/req, ${q} IPIs/req, errors $e"
  done
done

# Syscalls per request: one short run per target under strace (counts only).
if ((STRACE)); then
  for t in "${targets[@]}"; do
    start_target "$t"
    # Attached after start-up (the server's start and an nginx master's fork are not counted).
    # shellcheck disable=SC2207
    traced=($(cat /proc/"$target_pid"/task/*/children 2>/dev/null) "$target_pid")
    strace_args=()
    for p in "${traced[@]}"; do strace_args+=(-p "$p"); done
    bench_spawn "strace-$t" strace -c -f -o "$BENCH_TMP/strace-$t.txt" "${strace_args[@]}"
    strace_pid=$BENCH_LAST_PID
    sleep 1
    run_wrk 3 >"$BENCH_TMP/wrk-strace.txt"
    kill -INT "$strace_pid"
    bench_wait_spawned "$strace_pid"
    bench_stop_spawned "$target_pid"
    read -r _ _ _ _ n < <(bench_parse_wrk <"$BENCH_TMP/wrk-strace.txt") || n=0
    total=$(awk '$NF == "total" {print $4}' "$BENCH_TMP/strace-$t.txt")
    top=$(awk -v n="$n" 'NR > 2 && $NF != "total" && $1 !~ /^-/ && n > 0 {
            k = ($5 ~ /^[0-9]+$/) ? $6 : $5; printf "%s %.2f\n", k, $4 / n }' \
      "$BENCH_TMP/strace-$t.txt" | sort -k2 -g -r | head -n 3 | paste -sd, -)
    sys[$t]=$(awk -v s="${total:-0}" -v n="$n" 'BEGIN {printf "%.2f", n ? s / n : 0}')
    sys[$t]+=" ($top)"
  done
fi

declare -A med
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  med[$t]=$(bench_median ${rps[$t]})
done
echo
echo "uring_ping_matrix: GET /api/v1/ping, wrk -t1 -c$CONNECTIONS, $ROUNDS round(s) x" \
  "${DURATION}s, servers on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU, Linux $(uname -r)," \
  "$(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| target | median req/s | vs nginx | server CPU/req | IPIs/req | syscalls/req (top 3) |" \
  "per-round CPU/req | errors |"
echo "|---|---:|---:|---:|---:|---|---|---:|"
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  printf '| %s | %.0f | %.2f | %.2f us | %s | %s | %s | %s |\n' "$t" "${med[$t]}" \
    "$(awk -v a="${med[$t]}" -v b="${med[nginx]:-${med[$t]}}" 'BEGIN {print a / b}')" \
    "$(bench_median ${cpu[$t]})" "$(bench_median ${irq[$t]})" "${sys[$t]:-n/a}" \
    "$(echo ${cpu[$t]})" "${errors[$t]}"
done
error_counts=()
for t in "${targets[@]}"; do error_counts+=("$t errors" "${errors[$t]}"); done
bench_fail_on_errors "${error_counts[@]}"
