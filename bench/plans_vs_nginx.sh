#!/usr/bin/env bash
# GET /api/v1/plans?batch=undergrad&track=physics (the first page of 本科批 physics plans, an
# authenticated catalog read served from zhiyuan's per-snapshot response cache) against the same
# bytes served as a static file by nginx (one worker), on loopback, under the same keep-alive
# wrk load (same threads, connections, duration and request headers).
#
# nginx runs at its documented best for a static file (sendfile, tcp_nopush, open_file_cache);
# before 2026-12-07 it ran with none of them, which made it pay an open/fstat/read/close per
# request and made the old ratio (1.93) not comparable.
#
# zhiyuan (one I/O thread) runs on the seeded test province (zhiyuan-seed --candidates
# $CANDIDATES --kdf-cost test) in a private embedded cluster; the script signs in as the first
# candidate with a score (synthetic password, province/synthetic_passwords.hpp), fetches the page
# once, saves its exact bytes and has nginx serve them. Both servers stay up for the whole run,
# pinned to SERVER_CPU, and are measured one at a time in interleaved rounds (nginx, zhiyuan,
# nginx, …) with wrk pinned to LOAD_CPU; the median requests/s per target is compared.
#
# usage: bench/plans_vs_nginx.sh [--quick] [--no-build]
#   --quick     smoke run: 1 round of 2 s (env still overrides)
#   --no-build  use the existing build in BUILD_DIR
# env: ROUNDS (3), DURATION seconds (10), CONNECTIONS (64), WARMUP seconds (2), SERVER_CPU (0),
#      LOAD_CPU (1), IO (uring; or epoll: zhiyuan's --server.io), SRC_DIR (<repo>), BUILD_DIR
#      (SRC_DIR/build-bench), VAR_DIR (BUILD_DIR/bench-plans-var), CANDIDATES (2000),
#      KEEP_TMP=1 keeps logs and wrk output, PROFILE=1: after the rounds, where each server's
#      CPU time goes per request (perf cpu-clock by symbol, strace system calls; bench/lib.sh)
# Besides requests/s the table shows each server's CPU time per request (all its threads, from
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
IO=${IO:-uring}
CANDIDATES=${CANDIDATES:-2000}
SRC_DIR=$(cd "${SRC_DIR:-$repo}" && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build-bench}
VAR_DIR=${VAR_DIR:-$BUILD_DIR/bench-plans-var}
QUERY='batch=undergrad&track=physics'

bench_require nginx wrk curl taskset ss cmake ninja awk python3 psql cmp
bench_init

targets=(nginx zhiyuan)
declare -A port label rps p50 p99 cpu wrk_cpu errors pid response_bytes
label=([nginx]="nginx" [zhiyuan]="zhiyuan-$IO")
port[nginx]=$(bench_free_port)
port[zhiyuan]=$(bench_free_port "${port[nginx]}")

# --- build -----------------------------------------------------------------------------------
server_bin="$BUILD_DIR/server/zhiyuan-server"
seed_bin="$BUILD_DIR/province/zhiyuan-seed"
dbctl_bin="$BUILD_DIR/storage/zhiyuan-dbctl"
if ((build)); then
  bench_log "building into $BUILD_DIR"
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if ! { cmake -S "$SRC_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DZHIYUAN_TESTS=OFF -DZHIYUAN_BENCH=OFF "${launcher[@]}" &&
    ninja -C "$BUILD_DIR" zhiyuan-server zhiyuan-seed zhiyuan-dbctl; } \
    >"$BENCH_TMP/build.log" 2>&1; then
    tail -n 40 "$BENCH_TMP/build.log" >&2
    bench_die "build failed"
  fi
fi
for b in "$server_bin" "$seed_bin" "$dbctl_bin"; do
  [[ -x $b ]] || bench_die "$b missing (run without --no-build)"
done

# --- the province ----------------------------------------------------------------------------
# Seeded afresh into the private cluster, which is then stopped: zhiyuan starts it and stops it
# again on SIGTERM.
bench_log "seeding $CANDIDATES candidates into $VAR_DIR"
mkdir -p "$VAR_DIR"
{ "$dbctl_bin" --var-dir "$VAR_DIR" start &&
  timeout 300 "$seed_bin" --candidates "$CANDIDATES" --kdf-cost test --replace \
    --var-dir "$VAR_DIR"; } >"$BENCH_TMP/seed.log" 2>&1 ||
  { tail -n 20 "$BENCH_TMP/seed.log" >&2; "$dbctl_bin" --var-dir "$VAR_DIR" stop || true;
    bench_die "seeding failed"; }
"$dbctl_bin" --var-dir "$VAR_DIR" stop >>"$BENCH_TMP/seed.log" 2>&1

# --- zhiyuan ---------------------------------------------------------------------------------
bench_spawn zhiyuan taskset -c "$SERVER_CPU" "$server_bin" --server.io "$IO" --server.host 127.0.0.1 \
  --server.port "${port[zhiyuan]}" --server.io_threads 1 --server.drain_delay_ms 0 \
  --database.var_dir "$VAR_DIR" --filing.schedule_file "$SRC_DIR/config/schedule.toml"
pid[zhiyuan]=$BENCH_LAST_PID
if ! bench_wait_http "http://127.0.0.1:${port[zhiyuan]}/readyz" 120 "${pid[zhiyuan]}"; then
  tail -n 30 "$BENCH_TMP/zhiyuan.log" >&2
  bench_die "zhiyuan did not become ready within 120 s"
fi

# Sign in as the first candidate with an exam score.
url=$("$dbctl_bin" --var-dir "$VAR_DIR" url)
exam_no=$(psql "$url" -Atc \
  "SELECT exam_no FROM candidates WHERE score IS NOT NULL ORDER BY candidate_id LIMIT 1")
[[ $exam_no =~ ^[0-9]{14}$ ]] || bench_die "no candidate with a score in the province"
# The synthetic login password (province/synthetic_passwords.hpp, derivation version 1).
password=$(python3 - "$exam_no" <<'EOF'
import sys
h = 0xcbf29ce484222325
for c in ("login:" + sys.argv[1]).encode():
    h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
x = h ^ 0x7a68697975616e31
x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & 0xFFFFFFFFFFFFFFFF
x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & 0xFFFFFFFFFFFFFFFF
x ^= x >> 31
out = "Dl"
for kind in "LLDLLDLL":
    alphabet = "abcdefghjkmnpqrstuvwxyz" if kind == "L" else "23456789"
    out += alphabet[x % len(alphabet)]
    x //= len(alphabet)
print(out)
EOF
)
token=$(curl -fsS --max-time 30 -H 'Content-Type: application/json' \
  -d "{\"exam_no\":\"$exam_no\",\"password\":\"$password\"}" \
  "http://127.0.0.1:${port[zhiyuan]}/api/v1/auth/login" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
  bench_die "sign-in as $exam_no failed"
auth="Authorization: Bearer $token"

# The page's exact bytes, for nginx.
ngx="$BENCH_TMP/nginx"
mkdir -p "$ngx/www"
curl -fsS --max-time 10 -H "$auth" -o "$ngx/www/plans.json" \
  "http://127.0.0.1:${port[zhiyuan]}/api/v1/plans?$QUERY" || bench_die "fetching the page failed"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d["groups"]) > 0' \
  "$ngx/www/plans.json" || bench_die "the page holds no groups"

# --- nginx -----------------------------------------------------------------------------------
bench_nginx_conf "$ngx" <<EOF
$(bench_nginx_static_tuning)
    server {
        listen 127.0.0.1:${port[nginx]};
        root $ngx/www;
        location = /api/v1/plans {
            default_type application/json;
            try_files /plans.json =404;
        }
    }
EOF
bench_spawn nginx taskset -c "$SERVER_CPU" nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log"
pid[nginx]=$BENCH_LAST_PID
bench_wait_http "http://127.0.0.1:${port[nginx]}/api/v1/plans?$QUERY" 10 "${pid[nginx]}" ||
  { cat "$BENCH_TMP/nginx.log" "$ngx/error.log" >&2; bench_die "nginx did not start"; }

url_of() { echo "http://127.0.0.1:${port[$1]}/api/v1/plans?$QUERY"; }

# The comparison is only fair if both send the same body with the same type.
check_response() {
  local t=$1 body="$BENCH_TMP/body-$1" head="$BENCH_TMP/head-$1" type
  curl -fsS --max-time 10 -H "$auth" -D "$head" -o "$body" "$(url_of "$t")"
  type=$(awk -F': *' 'tolower($1) == "content-type" {sub(/\r$/, "", $2); print $2}' "$head")
  [[ $type == application/json* ]] || bench_die "$t answered Content-Type '$type'"
  cmp -s "$body" "$ngx/www/plans.json" || bench_die "$t's body differs from the saved page"
  response_bytes[$t]=$(($(wc -c <"$head") + $(wc -c <"$body")))
}

# Both get the Authorization header, so the requests are the same size; nginx ignores it.
run_wrk() {
  local t=$1 secs=$2
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${secs}s" --latency -H "$auth" "$(url_of "$t")"
}

bench_log "ports: nginx ${port[nginx]}, zhiyuan ${port[zhiyuan]}; servers on CPU $SERVER_CPU," \
  "wrk on CPU $LOAD_CPU; $ROUNDS round(s) x ${DURATION}s, $CONNECTIONS connections;" \
  "page of $(wc -c <"$ngx/www/plans.json") bytes"
for t in "${targets[@]}"; do check_response "$t"; done
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${targets[@]}"; do
    ((WARMUP > 0)) && run_wrk "$t" "$WARMUP" >/dev/null
    out="$BENCH_TMP/wrk-$t-r$r.txt"
    cpu0=$(bench_cpu_ns "${pid[$t]}")
    # wrk's own CPU: when it, not the server, limits the rate, requests/s follow its cost.
    bench_children_cpu
    wrk0=$BENCH_CHILDREN_US
    run_wrk "$t" "$DURATION" >"$out"
    bench_children_cpu
    wrk1=$BENCH_CHILDREN_US
    cpu1=$(bench_cpu_ns "${pid[$t]}")
    read -r v l50 l99 e n < <(bench_parse_wrk <"$out") ||
      { cat "$out" >&2; bench_die "bad wrk output"; }
    c=$(awk -v d=$((cpu1 - cpu0)) -v n="$n" 'BEGIN {printf "%.2f", d / 1000 / n}')
    rps[$t]+=" $v"
    p50[$t]+=" $l50"
    p99[$t]+=" $l99"
    cpu[$t]+=" $c"
    wrk_cpu[$t]+=" $(awk -v d=$((wrk1 - wrk0)) -v n="$n" 'BEGIN {printf "%.2f", d / n}')"
    errors[$t]=$((${errors[$t]:-0} + e))
    bench_log "round $r/$ROUNDS ${label[$t]}: $v req/s, p50 ${l50}us, p99 ${l99}us," \
      "server CPU ${c}us/req, errors $e"
  done
done
for t in "${targets[@]}"; do bench_profile "${label[$t]}" "${pid[$t]}" run_wrk "$t" "$DURATION"; done
# The bodies are still the same after the load.
for t in "${targets[@]}"; do check_response "$t"; done

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
echo "plans_vs_nginx: GET /api/v1/plans?$QUERY ($(wc -c <"$ngx/www/plans.json")-byte body)," \
  "wrk -t1 -c$CONNECTIONS, $ROUNDS round(s) x ${DURATION}s (+${WARMUP}s warm-up)," \
  "servers on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"
echo "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')," \
  "Linux $(uname -r), ${cpu_model:-unknown CPU}, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)," \
  "load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "zhiyuan $SRC_DIR ($(git -C "$SRC_DIR" rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
echo
echo "| target | median req/s | p50 | p99 | vs nginx | server CPU/req | wrk CPU/req |" \
  "response bytes | per-round req/s | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  printf '| %s | %.0f | %.0f us | %.0f us | %s | %.2f us | %.2f us | %s | %s | %s |\n' \
    "${label[$t]}" "${med[$t]}" "$(bench_median ${p50[$t]})" "$(bench_median ${p99[$t]})" \
    "${ratio[$t]}" "$(bench_median ${cpu[$t]})" "$(bench_median ${wrk_cpu[$t]})" \
    "${response_bytes[$t]}" \
    "$(printf '%.0f ' ${rps[$t]} | sed 's/ $//')" "${errors[$t]}"
done
echo
echo "target plans_vs_nginx: ${ratio[zhiyuan]} (goal >= 1.5)"
# Socket errors or non-2xx answers make a server look faster than it is: the run fails.
error_counts=()
for t in "${targets[@]}"; do
  error_counts+=("${label[$t]} socket errors or non-2xx answers" "${errors[$t]}")
done
bench_fail_on_errors "${error_counts[@]}"
