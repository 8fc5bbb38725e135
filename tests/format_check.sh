#!/usr/bin/env bash
# Fails if any C++ file of ours is not formatted with the committed .clang-format.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
cf=$(command -v clang-format || command -v clang-format-14 || true)
if [[ -z $cf ]]; then
  echo "format_check: clang-format not installed (scripts/setup.sh installs it)"
  exit 1
fi
mapfile -t files < <(find core storage server province loadtest bench tests -name '*.cpp' -o -name '*.hpp' | sort)
bad=()
for f in "${files[@]}"; do
  "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'format_check: not formatted (run clang-format -i): %s\n' "${bad[@]}"
  exit 1
fi
echo "format_check: ${#files[@]} files ok"
