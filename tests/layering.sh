#!/usr/bin/env bash
# The layering rule of STYLE.md: core/ includes only the standard library and core/;
# storage/ never includes server/; loadtest/ never includes server/, and its runner side never
# includes storage/ or libpqxx; server/ has no SQL; server/http/ (the transport) includes no
# handler and no storage; server/candidate/ and server/admin/ include nothing of each other.
# Fails listing every offending line.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
fail=0

std_headers=" algorithm any array atomic barrier bit bitset cassert cctype cerrno cfloat charconv
chrono cinttypes climits clocale cmath compare complex concepts condition_variable coroutine
csetjmp csignal cstdarg cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar cwctype deque
exception execution expected filesystem format forward_list fstream functional future
initializer_list iomanip ios iosfwd iostream istream iterator latch limits list locale map
memory memory_resource mutex new numbers numeric optional ostream queue random ranges ratio
regex scoped_allocator semaphore set shared_mutex source_location span sstream stack
stdexcept stop_token streambuf string string_view syncstream system_error thread tuple
type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector
version "
std_headers=" $(tr -s '[:space:]' ' ' <<<"$std_headers") "

while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -E 's/.*#include[[:space:]]*[<"]([^">]+)[">].*/\1/' <<<"$line")
  if [[ $line == *'#include "'* ]]; then
    [[ $inc == core/* ]] && continue
  elif [[ $std_headers == *" $inc "* ]]; then
    continue
  fi
  echo "layering: $file includes $inc (core/ may use only the standard library and core/)"
  fail=1
done < <(grep -rHE '^[[:space:]]*#[[:space:]]*include' core --include='*.hpp' --include='*.cpp' || true)

# core/ is pure: no threads, locks or atomics (concurrency belongs to server/).
if grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(mutex|shared_mutex|thread|atomic|condition_variable|future|stop_token|latch|barrier|semaphore)>' \
    core --include='*.hpp' --include='*.cpp'; then
  echo "layering: core/ includes a concurrency header (locks and threads belong to server/)"
  fail=1
fi

# core/ must not read the clock itself: time comes in as a value.
if grep -rnE '(system_clock|steady_clock|high_resolution_clock)::now|[^_]time\(' core \
    --include='*.hpp' --include='*.cpp'; then
  echo "layering: core/ reads the clock (pass time in as a value)"
  fail=1
fi

if grep -rnE '#[[:space:]]*include[[:space:]]*"server/' storage; then
  echo "layering: storage/ must not include server/"
  fail=1
fi
if grep -rnE '#[[:space:]]*include[[:space:]]*"server/' loadtest; then
  echo "layering: loadtest/ talks to the server over HTTP only"
  fail=1
fi
# storage/'s statements are its own: the tools call its functions (storage::reconcile) instead.
tools=()
for dir in loadtest province; do [[ -d $dir ]] && tools+=("$dir"); done
if grep -rnE '#[[:space:]]*include[[:space:]]*"storage/sql' "${tools[@]}"; then
  echo "layering: loadtest/ and province/ call storage/'s functions, never its SQL (storage/sql*)"
  fail=1
fi
# The run itself speaks HTTP only: the runner side of loadtest/ never reaches the database
# (preparing forms, reconciling and reporting may, through storage/'s interfaces).
runner_side=(runner http_connection scenario histogram client tally actions faults)
for name in "${runner_side[@]}"; do
  for file in loadtest/"$name".hpp loadtest/"$name".cpp; do
    [[ -f $file ]] || continue
    if grep -nHE '#[[:space:]]*include[[:space:]]*("storage/|<pqxx)' "$file"; then
      echo "layering: $file is the load generator's runner side: no storage/ and no libpqxx"
      fail=1
    fi
  done
done
# server/ calls storage/'s interfaces but never speaks SQL itself: no libpqxx includes.
if grep -rnE '#[[:space:]]*include[[:space:]]*<pqxx' server; then
  echo "layering: server/ must not include libpqxx (SQL lives in storage/)"
  fail=1
fi

# server/http/ is the transport: it knows no handler and no storage. It includes only itself
# and core/ (handlers reach it through the route table and the request context).
if grep -rnE '#[[:space:]]*include[[:space:]]*"(server/(candidate|admin)/|storage/)' server/http; then
  echo "layering: server/http/ must not include server/candidate/, server/admin/ or storage/"
  fail=1
fi
if grep -rnE '#[[:space:]]*include[[:space:]]*"server/' server/http | grep -vE '"server/http/'; then
  echo "layering: server/http/ includes only server/http/ (and core/)"
  fail=1
fi

# The two audiences' handlers stand apart: what both need lives at server/ or in server/http/.
if grep -rnE '#[[:space:]]*include[[:space:]]*"server/admin/' server/candidate; then
  echo "layering: server/candidate/ must not include server/admin/"
  fail=1
fi
if grep -rnE '#[[:space:]]*include[[:space:]]*"server/candidate/' server/admin; then
  echo "layering: server/admin/ must not include server/candidate/"
  fail=1
fi

[[ $fail == 0 ]] && echo "layering: ok"
exit $fail
