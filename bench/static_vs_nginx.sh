#!/usr/bin/env bash
# The web app's main bundle (web/dist/assets/app-*.js, its .gz variant) from zhiyuan (one I/O
# thread, served from memory by server/web/) against the same file from nginx (one worker,
# gzip_static), on loopback, under the same keep-alive wrk load with Accept-Encoding: gzip.
#
# Like bench/ping_vs_nginx.sh: servers pinned to SERVER_CPU, wrk to LOAD_CPU, one target at a
# time in interleaved rounds, the median requests/s compared, with the server's CPU time per
# request (from /proc) beside it. Both must send the same bytes.
#
# usage: bench/static_vs_nginx.sh [--quick]
# env: ROUNDS (3), DURATION seconds (10), CONNECTIONS (64), WARMUP seconds (2), SERVER_CPU (0),
#      LOAD_CPU (1), VAR_DIR (<repo>/var), ZHIYUAN_BIN (<repo>/build/server/zhiyuan-server),
#      PROFILE=1: in the last round, where each server's CPU time goes per request (perf
#      cpu-clock by symbol, strace system calls; bench/lib.sh bench_profile)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

if [[ ${1:-} == --quick ]]; then ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-2} WARMUP=${WARMUP:-1}; fi
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-2}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
VAR_DIR=${VAR_DIR:-$repo/var}
server_bin=${ZHIYUAN_BIN:-$repo/build/server/zhiyuan-server}
# The server takes every ZHIYUAN_* variable for a setting and refuses unknown ones.
unset ZHIYUAN_BIN

bench_require nginx wrk curl taskset node awk
bench_init
[[ -x $server_bin ]] || bench_die "$server_bin missing (build first)"
node "$repo/web/build.mjs" >&2
dist="$repo/web/dist"
bundle=$(cd "$dist" && ls assets/app-*.js)

targets=(nginx zhiyuan)
declare -A port rps p50 p99 cpu wrk_cpu errors bytes
used=()
for t in "${targets[@]}"; do
  port[$t]=$(bench_free_port "${used[@]}")
  used+=("${port[$t]}")
done

ngx="$BENCH_TMP/nginx"
# nginx at its documented best for a static file, as in bench/plans_vs_nginx.sh (before
# 2026-12-07 it ran without sendfile and open_file_cache).
bench_nginx_conf "$ngx" <<EOF
$(bench_nginx_static_tuning)
    types { text/javascript js; }
    server {
        listen 127.0.0.1:${port[nginx]};
        root $dist;
        gzip_static on;
        etag on;
        location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
EOF

url_of() { echo "http://127.0.0.1:${port[$1]}/$bundle"; }

start_target() {
  local t=$1 r=$2
  if [[ $t == nginx ]]; then
    bench_spawn "nginx-r$r" taskset -c "$SERVER_CPU" nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log"
    target_pid=$BENCH_LAST_PID
    bench_wait_http "$(url_of nginx)" 10 "$target_pid" || bench_die "nginx did not start"
  else
    bench_spawn "zhiyuan-r$r" taskset -c "$SERVER_CPU" "$server_bin" --server.host 127.0.0.1 \
      --server.port "${port[zhiyuan]}" --server.io_threads 1 --server.drain_delay_ms 0 \
      --server.web_root "$dist" --database.var_dir "$VAR_DIR"
    target_pid=$BENCH_LAST_PID
    bench_wait_http "http://127.0.0.1:${port[zhiyuan]}/readyz" 120 "$target_pid" ||
      { tail -n 30 "$BENCH_TMP/zhiyuan-r$r.log" >&2; bench_die "zhiyuan did not become ready"; }
  fi
}

for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${targets[@]}"; do
    start_target "$t" "$r"
    curl -fsS -H 'Accept-Encoding: gzip' -o "$BENCH_TMP/body-$t" "$(url_of "$t")"
    cmp -s "$BENCH_TMP/body-$t" "$dist/$bundle.gz" || bench_die "$t did not send the .gz bytes"
    bytes[$t]=$(wc -c <"$BENCH_TMP/body-$t")
    ((WARMUP > 0)) && taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" \
      -H 'Accept-Encoding: gzip' "$(url_of "$t")" >/dev/null
    out="$BENCH_TMP/wrk-$t-r$r.txt"
    cpu0=$(bench_cpu_ns "$target_pid")
    # wrk's own CPU: when it, not the server, limits the rate, requests/s follow its cost.
    bench_children_cpu
    wrk0=$BENCH_CHILDREN_US
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
      -H 'Accept-Encoding: gzip' "$(url_of "$t")" >"$out"
    bench_children_cpu
    wrk1=$BENCH_CHILDREN_US
    cpu1=$(bench_cpu_ns "$target_pid")
    ((r == ROUNDS)) && bench_profile "$t" "$target_pid" taskset -c "$LOAD_CPU" wrk -t1 \
      -c"$CONNECTIONS" -d"${DURATION}s" --latency -H 'Accept-Encoding: gzip' "$(url_of "$t")"
    bench_stop_spawned "$target_pid"
    read -r v l50 l99 e n < <(bench_parse_wrk <"$out") || { cat "$out" >&2; bench_die "bad wrk output"; }
    rps[$t]+=" $v"
    p50[$t]+=" $l50"
    p99[$t]+=" $l99"
    cpu[$t]+=" $(awk -v d=$((cpu1 - cpu0)) -v n="$n" 'BEGIN {printf "%.2f", d / 1000 / n}')"
    wrk_cpu[$t]+=" $(awk -v d=$((wrk1 - wrk0)) -v n="$n" 'BEGIN {printf "%.2f", d / n}')"
    errors[$t]=$((${errors[$t]:-0} + e))
    bench_log "round $r/$ROUNDS $t: $v req/s, p50 ${l50}us, p99 ${l99}us, errors $e"
  done
done

# shellcheck disable=SC2086  # the per-round lists split on purpose
ratio=$(awk -v a="$(bench_median ${rps[zhiyuan]})" -v b="$(bench_median ${rps[nginx]})" \
  'BEGIN {printf "%.2f", a / b}')
echo
echo "static_vs_nginx: GET /$bundle (gzip, ${bytes[nginx]} bytes), wrk -t1 -c$CONNECTIONS," \
  "$ROUNDS round(s) x ${DURATION}s, servers on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU," \
  "$(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$repo" rev-parse --short HEAD)"
echo
echo "| target | median req/s | p50 | p99 | server CPU/req | wrk CPU/req | per-round req/s | errors |"
echo "|---|---:|---:|---:|---:|---:|---|---:|"
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  printf '| %s | %.0f | %.0f us | %.0f us | %.2f us | %.2f us | %s | %s |\n' "$t" \
    "$(bench_median ${rps[$t]})" "$(bench_median ${p50[$t]})" "$(bench_median ${p99[$t]})" \
    "$(bench_median ${cpu[$t]})" "$(bench_median ${wrk_cpu[$t]})" \
    "$(printf '%.0f ' ${rps[$t]} | sed 's/ $//')" "${errors[$t]}"
done
echo
echo "target static_vs_nginx: $ratio (zhiyuan req/s over nginx's, goal >= 1.0)"
bench_fail_on_errors "nginx errors" "${errors[nginx]}" "zhiyuan errors" "${errors[zhiyuan]}"
