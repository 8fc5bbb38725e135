#!/usr/bin/env bash
# Installs the Debian packages zhiyuan builds and runs with, only those missing; safe to run
# again. Needs root (or sudo) when something is missing. Extra package names may be given.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost1.81-dev liburing-dev libsimdjson-dev libpqxx-dev libjemalloc-dev libsodium-dev libssl-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev libgtest-dev libbenchmark-dev libargon2-dev
  postgresql-15 curl
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
