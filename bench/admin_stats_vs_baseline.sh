#!/usr/bin/env bash
# Province-level admin statistics over a full synthetic province, against the baseline of
# counting the candidates' rows directly (what the counters replace), and (MODE=export or
# MODE=both) the whole province's streamed unfiled CSV export with the server's RSS before and
# after. Seeds the province into a private cluster, starts zhiyuan-server in the 本科批
# window, creates a province operator with zhiyuan-admin.
#
# Prints:  target admin_stats_province_ms: <median of RUNS> (goal <= 50)
#          baseline_direct_count_ms: <median of RUNS>
#          target unfiled_export_province_s: <seconds> (goal <= 5)   (MODE export|both)
#          candidates_import_city_s: <seconds> rows updated ...    (MODE import|all)
#            (the largest city's candidates re-imported with every score one point higher,
#            through POST /api/v1/admin/imports/candidates, then the same file again: no change)
#
# usage: bench/admin_stats_vs_baseline.sh
# env: BUILD_DIR (<repo>/build) with zhiyuan-server, zhiyuan-seed, zhiyuan-dbctl, zhiyuan-admin;
#      VAR_DIR (BUILD_DIR/bench-admin-var, started and stopped here); CANDIDATES (655000);
#      RUNS (21); MODE (stats | export | both | import | all; default both); SEED=0 reuses the
#      seeded data (an import run changes scores: reseed before comparing statistics runs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }

BUILD_DIR=$(cd "${BUILD_DIR:-$repo/build}" && pwd)
VAR_DIR=${VAR_DIR:-$BUILD_DIR/bench-admin-var}
CANDIDATES=${CANDIDATES:-655000}
RUNS=${RUNS:-21}
MODE=${MODE:-both}
SEED=${SEED:-1}
server_bin=$BUILD_DIR/server/zhiyuan-server
seed_bin=$BUILD_DIR/province/zhiyuan-seed
dbctl_bin=$BUILD_DIR/storage/zhiyuan-dbctl
admin_bin=$BUILD_DIR/server/zhiyuan-admin
for b in "$server_bin" "$seed_bin" "$dbctl_bin" "$admin_bin"; do
  [[ -x $b ]] || bench_die "$b missing: build it first (ninja -C $BUILD_DIR)"
done
bench_require psql curl awk date python3

bench_init

bench_start_cluster "$dbctl_bin" "$VAR_DIR"
url=$BENCH_DB_URL
if ((SEED)); then
  bench_log "seeding $CANDIDATES candidates (test key-derivation cost)"
  "$seed_bin" --candidates "$CANDIDATES" --kdf-cost test --database-url "$url" --replace \
    >"$BENCH_TMP/seed.log" 2>&1 || { tail -n 20 "$BENCH_TMP/seed.log" >&2; bench_die "seed failed"; }
fi
psql "$url" -qAtc "VACUUM ANALYZE" >/dev/null
province=$(psql "$url" -qAtc "SELECT id FROM units WHERE level = 0")
province_code=$(psql "$url" -qAtc "SELECT code FROM units WHERE level = 0")

port=$(bench_free_port 0)
offset=$(($(date -d '2023-06-30T12:00:00+08:00' +%s) - $(date +%s)))
bench_spawn server "$server_bin" --server.port "$port" --database.url "$url" \
  --filing.schedule_file "$repo/config/schedule.toml" --filing.clock_offset_seconds "$offset" \
  --server.drain_delay_ms 0 --admin.import_max_bytes 16777216 --admin.import_max_rows 200000
server_pid=$BENCH_LAST_PID
bench_wait_http "http://127.0.0.1:$port/readyz" 120 "$server_pid" ||
  { tail -n 20 "$BENCH_TMP/server.log" >&2; bench_die "server did not become ready"; }

# A province operator: created with a one-time password, then the forced change.
user=bench.admin.$$
role=operator
[[ $MODE == import || $MODE == all ]] && role=manager  # imports are the province managers'
once=$("$admin_bin" --database-url "$url" create --username "$user" --unit "$province_code" \
  --role "$role" | awk -F= '$1 == "password" {print $2}')
api=http://127.0.0.1:$port/api/v1/admin
json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
token=$(curl -fsS "$api/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"$once\"}" | json token)
curl -fsS -o /dev/null "$api/me/password" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  -d "{\"old_password\":\"$once\",\"new_password\":\"Bench2023xyz\"}"

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

if [[ $MODE != export && $MODE != import ]]; then
  bench_log "province statistics: $RUNS requests"
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$api/units/$province/stats"
  for _ in $(seq "$RUNS"); do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
      "$api/units/$province/stats?batch=undergrad"
  done | awk '{printf "%.2f\n", $1 * 1000}' >"$BENCH_TMP/stats.ms"
  bench_log "baseline: the same figures counted from the candidates' rows"
  for _ in $(seq "$RUNS"); do
    psql "$url" -qAt -c '\timing on' -c "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1
      FROM applications a WHERE a.candidate_id = c.candidate_id AND a.batch = 1 AND NOT a.drill)),
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM window_logins w WHERE w.candidate_id =
      c.candidate_id AND w.batch = 1)) FROM candidates c WHERE c.eligible & 2 <> 0" |
      awk '/^Time:/ {print $2}'
  done >"$BENCH_TMP/baseline.ms"
  echo "target admin_stats_province_ms: $(median <"$BENCH_TMP/stats.ms") (goal <= 50)"
  echo "baseline_direct_count_ms: $(median <"$BENCH_TMP/baseline.ms")"
fi

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
if [[ $MODE == export || $MODE == both || $MODE == all ]]; then
  before=$(rss)
  bench_log "whole-province unfiled CSV export"
  # Not in a process substitution: a failed export must stop the script, not time as 0 s.
  timing=$(curl -fsS -o "$BENCH_TMP/unfiled.csv" -w '%{time_total} %{size_download}\n' \
    -H "Authorization: Bearer $token" "$api/units/$province/unfiled?format=csv&batch=undergrad")
  read -r seconds bytes <<<"$timing"
  rows=$(($(wc -l <"$BENCH_TMP/unfiled.csv") - 1))
  ((rows > 0)) || bench_die "the unfiled export holds no candidate"
  after=$(rss)
  echo "target unfiled_export_province_s: $(printf '%.2f' "$seconds") (goal <= 5)"
  echo "unfiled_export_rows: $rows bytes: $bytes server_rss_kb before: $before after: $after"
fi

if [[ $MODE == import || $MODE == all ]]; then
  city=$(psql "$url" -qAtc "SELECT city_id FROM candidates GROUP BY city_id
    ORDER BY count(*) DESC LIMIT 1")
  bench_log "the largest city's candidates as candidates.csv, every score one point higher"
  psql "$url" -qAt >"$BENCH_TMP/candidates.csv" -c "COPY (SELECT c.exam_no, c.name,
    c.id_number, s.code AS school_code, (ARRAY['regular','arts','sports'])[c.category + 1]
    AS category, (ARRAY['physics','history'])[c.track + 1] AS track,
    array_to_string(ARRAY(SELECT n FROM unnest(ARRAY['chemistry','biology','politics',
    'geography']) WITH ORDINALITY AS x(n, i) WHERE c.electives & (1 << (i::int - 1)) <> 0), '+')
    AS electives, CASE WHEN c.score IS NOT NULL THEN least(c.score + 1, 750) END AS score, c.rank, array_to_string(ARRAY(SELECT n FROM
    unnest(ARRAY['early_undergrad','undergrad','early_vocational','vocational','special_type'])
    WITH ORDINALITY AS x(n, i) WHERE c.eligible & (1 << (i::int - 1)) <> 0), '+') AS eligible
    FROM candidates c JOIN units s ON s.id = c.school_id WHERE c.city_id = $city
    ORDER BY c.candidate_id) TO STDOUT WITH (FORMAT csv, HEADER)"
  rows=$(($(wc -l <"$BENCH_TMP/candidates.csv") - 1))
  bytes=$(stat -c %s "$BENCH_TMP/candidates.csv")
  before=$(rss)
  for pass in changed unchanged; do
    timing=$(curl -sS -o "$BENCH_TMP/import.json" -w '%{time_total} %{http_code}\n' \
      -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
      --data-binary @"$BENCH_TMP/candidates.csv" "$api/imports/candidates")
    read -r seconds status <<<"$timing"
    [[ $status == 200 ]] || { cat "$BENCH_TMP/import.json" >&2; bench_die "import answered $status"; }
    echo "candidates_import_city_s ($pass): $(printf '%.2f' "$seconds") rows: $rows bytes: $bytes" \
      "answer: $(cat "$BENCH_TMP/import.json")"
  done
  echo "server_rss_kb before: $before after: $(rss)"
fi
