#!/usr/bin/env bash
# The run command: installs what is missing, builds, starts the private PostgreSQL under
# var/, loads a small demo province the first time, and serves on 127.0.0.1:8080.
# Ctrl-C drains and stops everything. Extra arguments go to zhiyuan-server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh
build=${ZHIYUAN_BUILD_DIR:-$root/build}
if [[ -x "$build/province/zhiyuan-seed" ]]; then
  "$build/province/zhiyuan-seed" --candidates "${ZHIYUAN_DEMO_CANDIDATES:-2000}" \
    --kdf-cost test --if-empty --var-dir "$root/var"
fi
exec "$build/server/zhiyuan-server" --config "$root/config/zhiyuan.toml" "$@"
