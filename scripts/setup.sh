#!/usr/bin/env bash
# Installs the Debian packages zhiyuan builds and runs with, only those missing; safe to run
# again. Needs root (or sudo) when something is missing. Extra package names may be given.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost1.81-dev liburing-dev libsimdjson-dev libpqxx-dev libjemalloc-dev libsodium-dev libssl-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev libgtest-dev libbenchmark-dev libargon2-dev
  postgresql-15 curl prometheus
  # deploy/monitoring/check.sh and scripts/zhiyuan-capacity (standard library only).
  python3
  # The web app's build and browser journeys (web/): Node.js, headless Chromium, CJK fonts.
  nodejs chromium fonts-noto-cjk
  "$@"
)
# npm comes with NodeSource's nodejs; Debian's nodejs needs Debian's npm beside it.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

# web/'s packages, exactly as web/package-lock.json pins them (the browser tests need them).
install_web() {
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  if [[ -f $root/web/package-lock.json ]] && command -v npm >/dev/null 2>&1; then
    (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major < 20)); then echo "setup: Node.js $major is older than web/ needs (20)" >&2; fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  install_web
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Only promtool is wanted from prometheus (deploy/monitoring/check.sh): where the package's
# postinst started the server (:9090), stop it and keep it from starting at boot.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  if [[ -d /run/systemd/system ]]; then
    $sudo systemctl disable --now prometheus.service
  elif [[ -x /etc/init.d/prometheus ]]; then
    $sudo /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
fi

install_web
