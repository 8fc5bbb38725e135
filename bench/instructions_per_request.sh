#!/usr/bin/env bash
# User-space instructions per request of zhiyuan-server for one GET path, counted by callgrind:
# deterministic, so a change of a few percent shows on this shared, noisy machine where CPU time
# per request moves by ±20% between rounds. Two runs of N1 and N2 keep-alive requests from one
# client; (I(N2) - I(N1)) / (N2 - N1) cancels the start-up. The kernel's share (system calls,
# loopback TCP) is not counted: compare transports and servers with the *_vs_nginx scripts.
#
# usage: bench/instructions_per_request.sh [PATH] [N1] [N2]
#        (PATH default /api/v1/ping; the web app's files need server.web_root, set below)
# env: ZHIYUAN_BIN (<repo>/build/server/zhiyuan-server), VAR_DIR (<repo>/var: the private
#      cluster the server starts or uses), ACCEPT_ENCODING (gzip), PORT (18778)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${1:-/api/v1/ping} n1=${2:-1000} n2=${3:-4000}
bin=${ZHIYUAN_BIN:-$repo/build/server/zhiyuan-server}
var=${VAR_DIR:-$repo/var}
port=${PORT:-18778}
unset ZHIYUAN_BIN
command -v valgrind >/dev/null || { echo "error: valgrind missing (apt-get install valgrind)" >&2; exit 2; }
[[ -x $bin ]] || { echo "error: $bin missing (build first)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zhiyuan-instr.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run() {
  local n=$1 out=$tmp/cg.$1 vpid
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --server.host 127.0.0.1 \
    --server.port "$port" --server.io_threads 1 --server.drain_delay_ms 0 \
    --database.var_dir "$var" --server.web_root "$repo/web/dist" >"$out.log" 2>&1 &
  vpid=$!
  for _ in $(seq 600); do
    curl -sf "127.0.0.1:$port/readyz" >/dev/null && break
    kill -0 "$vpid" 2>/dev/null || { tail -5 "$out.log" >&2; exit 1; }
    sleep 0.5
  done
  python3 - "$port" "$target" "$n" "${ACCEPT_ENCODING:-gzip}" <<'PY'
import http.client, sys
port, target, n, enc = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", target, headers={"Accept-Encoding": enc})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
  # The counts so far, dumped before the server stops (a shutdown under valgrind is slow).
  callgrind_control -d "$vpid" >/dev/null 2>&1
  for _ in $(seq 120); do compgen -G "$out.*" >/dev/null && break; sleep 0.5; done
  kill -TERM "$vpid"
  for _ in $(seq 60); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$vpid" 2>/dev/null || true
  wait "$vpid" 2>/dev/null || true
  grep -hE '^(summary|totals):' "$out".* | head -1 | awk '{print $2}'
}
i1=$(run "$n1")
i2=$(run "$n2")
echo "instructions_per_request: $target $(((i2 - i1) / (n2 - n1))) (I($n1)=$i1 I($n2)=$i2, $(git -C "$repo" rev-parse --short HEAD))"
