#!/usr/bin/env bash
# GET /api/v1/ping from zhiyuan (one build, one I/O thread, on each transport: --server.io uring
# and epoll) against the same bytes from nginx (one worker), all on loopback, under the same
# keep-alive wrk load.
#
# The servers run pinned to SERVER_CPU, wrk to LOAD_CPU. Targets are measured one at a time,
# each freshly started, in interleaved rounds (nginx, uring, epoll, nginx, …) so that noise on
# this shared machine hits all of them alike; the median requests/s per target is compared.
#
# usage: bench/ping_vs_nginx.sh [--quick] [--no-build]
#   --quick     smoke run: 1 round of 2 s (env still overrides)
#   --no-build  use the existing build in BUILD_DIR
# env: ROUNDS (3), DURATION seconds (10), CONNECTIONS (64), WARMUP seconds (2),
#      SERVER_CPU (0), LOAD_CPU (1), VAR_DIR (<repo>/var), KEEP_TMP=1 keeps logs and wrk output,
#      SRC_DIR (<repo>): the source tree to build and measure, e.g. an unpacked `git archive`
#      of a commit when the working tree is mid-edit; BUILD_DIR (SRC_DIR/build-bench),
#      PROFILE=1: after the last round's run, where each server's CPU time goes per request
#      (perf cpu-clock by symbol, strace system calls; bench/lib.sh bench_profile)
# Besides requests/s the table shows the server's CPU time per request (all its threads, from
# /proc/<pid>/task/*/schedstat), which on a shared machine is steadier than requests/s.
# Exits 1 after the report when any run had socket errors or non-2xx answers.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

build=1
quick=0
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) bench_die "unknown argument '$arg' (try --help)" ;;
  esac
done

if ((quick)); then
  ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-2} WARMUP=${WARMUP:-1}
fi
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-2}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
VAR_DIR=${VAR_DIR:-$repo/var}
SRC_DIR=$(cd "${SRC_DIR:-$repo}" && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build-bench}

bench_require nginx wrk curl taskset ss cmake ninja awk
bench_init

targets=(nginx uring epoll)
declare -A port label rps p50 p99 cpu errors
label=([nginx]="nginx" [uring]="zhiyuan-uring" [epoll]="zhiyuan-epoll")
used=()
for t in "${targets[@]}"; do
  port[$t]=$(bench_free_port "${used[@]}")
  used+=("${port[$t]}")
done

# --- build -----------------------------------------------------------------------------------
server_bin() { echo "$BUILD_DIR/server/zhiyuan-server"; }

if ((build)); then
  bench_log "building into $BUILD_DIR"
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if ! { cmake -S "$SRC_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DZHIYUAN_TESTS=OFF -DZHIYUAN_BENCH=OFF "${launcher[@]}" && ninja -C "$BUILD_DIR" zhiyuan-server; } \
    >"$BENCH_TMP/build.log" 2>&1; then
    tail -n 40 "$BENCH_TMP/build.log" >&2
    bench_die "build failed"
  fi
fi
[[ -x $(server_bin) ]] || bench_die "$(server_bin) missing (run without --no-build)"

# --- nginx configuration ---------------------------------------------------------------------
ngx="$BENCH_TMP/nginx"
bench_nginx_ping_conf "$ngx" "${port[nginx]}"

# --- one target at a time --------------------------------------------------------------------
url_of() { echo "http://127.0.0.1:${port[$1]}/api/v1/ping"; }

# Starts target $1 for round $2 on SERVER_CPU and waits until it answers; sets target_pid.
start_target() {
  local t=$1 r=$2
  case $t in
    nginx)
      bench_spawn "nginx-r$r" taskset -c "$SERVER_CPU" \
        nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log"
      target_pid=$BENCH_LAST_PID
      bench_wait_http "$(url_of nginx)" 10 "$target_pid" ||
        { cat "$BENCH_TMP/nginx-r$r.log" "$ngx/error.log" >&2; bench_die "nginx did not start"; }
      ;;
    uring | epoll)
      bench_spawn "$t-r$r" taskset -c "$SERVER_CPU" "$(server_bin)" --server.io "$t" \
        --server.host 127.0.0.1 --server.port "${port[$t]}" --server.io_threads 1 \
        --server.drain_delay_ms 0 --database.var_dir "$VAR_DIR"
      target_pid=$BENCH_LAST_PID
      if ! bench_wait_http "http://127.0.0.1:${port[$t]}/readyz" 120 "$target_pid"; then
        tail -n 30 "$BENCH_TMP/$t-r$r.log" >&2
        if kill -0 "$target_pid" 2>/dev/null; then
          bench_die "zhiyuan ($t) did not become ready within 120 s"
        fi
        local status=0
        wait "$target_pid" || status=$?
        bench_die "zhiyuan ($t) exited with status $status before it was ready"
      fi
      ;;
  esac
}

# The comparison is only fair if every server sends the same body with the same type.
check_response() {
  local t=$1 body="$BENCH_TMP/body-$1" head="$BENCH_TMP/head-$1" type
  curl -fsS -D "$head" -o "$body" "$(url_of "$t")"
  type=$(awk -F': *' 'tolower($1) == "content-type" {sub(/\r$/, "", $2); print $2}' "$head")
  [[ $type == application/json* ]] || bench_die "$t answered Content-Type '$type'"
  if [[ $t == nginx ]]; then
    [[ $(cat "$body") == '{"pong":true}' ]] || bench_die "nginx body is '$(cat "$body")'"
  else
    cmp -s "$body" "$BENCH_TMP/body-nginx" ||
      bench_die "$t body '$(cat "$body")' differs from nginx's '$(cat "$BENCH_TMP/body-nginx")'"
  fi
  response_bytes[$t]=$(($(wc -c <"$head") + $(wc -c <"$body")))
}
declare -A response_bytes

run_wrk() {
  local t=$1 secs=$2
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${secs}s" --latency "$(url_of "$t")"
}

bench_log "ports: nginx ${port[nginx]}, uring ${port[uring]}, epoll ${port[epoll]}; servers on" \
  "CPU $SERVER_CPU, wrk on CPU $LOAD_CPU; $ROUNDS round(s) x ${DURATION}s, $CONNECTIONS connections"
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${targets[@]}"; do
    start_target "$t" "$r"
    check_response "$t"
    ((WARMUP > 0)) && run_wrk "$t" "$WARMUP" >/dev/null
    out="$BENCH_TMP/wrk-$t-r$r.txt"
    cpu0=$(bench_cpu_ns "$target_pid")
    run_wrk "$t" "$DURATION" >"$out"
    cpu1=$(bench_cpu_ns "$target_pid")
    ((r == ROUNDS)) && bench_profile "${label[$t]}" "$target_pid" run_wrk "$t" "$DURATION"
    bench_stop_spawned "$target_pid"
    read -r v l50 l99 e n < <(bench_parse_wrk <"$out") ||
      { cat "$out" >&2; bench_die "bad wrk output"; }
    c=$(awk -v d=$((cpu1 - cpu0)) -v n="$n" 'BEGIN {printf "%.2f", d / 1000 / n}')
    rps[$t]+=" $v"
    p50[$t]+=" $l50"
    p99[$t]+=" $l99"
    cpu[$t]+=" $c"
    errors[$t]=$((${errors[$t]:-0} + e))
    bench_log "round $r/$ROUNDS ${label[$t]}: $v req/s, p50 ${l50}us, p99 ${l99}us," \
      "server CPU ${c}us/req, errors $e"
  done
done

# --- report ----------------------------------------------------------------------------------
declare -A med ratio
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086  # word splitting of the per-round lists is intended
  med[$t]=$(bench_median ${rps[$t]})
done
for t in "${targets[@]}"; do
  ratio[$t]=$(awk -v a="${med[$t]}" -v b="${med[nginx]}" 'BEGIN {printf "%.2f", a / b}')
done

cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "ping_vs_nginx: GET /api/v1/ping, wrk -t1 -c$CONNECTIONS, $ROUNDS round(s) x ${DURATION}s" \
  "(+${WARMUP}s warm-up), servers on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"
echo "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')," \
  "Linux $(uname -r), ${cpu_model:-unknown CPU}, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), zhiyuan $SRC_DIR ($(git -C "$SRC_DIR" rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
echo
echo "| target | median req/s | p50 | p99 | vs nginx | server CPU/req | response bytes |" \
  "per-round req/s | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---:|"
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  printf '| %s | %.0f | %.0f us | %.0f us | %s | %.2f us | %s | %s | %s |\n' "${label[$t]}" \
    "${med[$t]}" "$(bench_median ${p50[$t]})" "$(bench_median ${p99[$t]})" "${ratio[$t]}" \
    "$(bench_median ${cpu[$t]})" "${response_bytes[$t]}" \
    "$(printf '%.0f ' ${rps[$t]} | sed 's/ $//')" "${errors[$t]}"
done
echo
echo "target ping_vs_nginx: ${ratio[uring]} (goal >= 1.05)"
echo "target ping_vs_nginx_epoll: ${ratio[epoll]}"
# shellcheck disable=SC2086
echo "target ping_cpu_us_per_req: $(bench_median ${cpu[uring]}) (goal <= nginx's" \
  "$(bench_median ${cpu[nginx]}); epoll $(bench_median ${cpu[epoll]}))"
# Socket errors or non-2xx answers make a server look faster than it is: the run fails.
error_counts=()
for t in "${targets[@]}"; do
  error_counts+=("${label[$t]} socket errors or non-2xx answers" "${errors[$t]}")
done
bench_fail_on_errors "${error_counts[@]}"
