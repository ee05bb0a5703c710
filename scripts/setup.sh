#!/usr/bin/env bash
# Installs the Debian 12 packages crm needs to build, test and benchmark.
# Idempotent: only missing packages are installed. Needs root or sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  librocksdb-dev            # the storage engine
  libflatbuffers-dev flatbuffers-compiler   # event encoding (runtime + flatc, same version)
  libspdlog-dev             # operator logging
  libgtest-dev libgmock-dev # tests
  libbenchmark-dev          # bench/
  rapidjson-dev             # JSON (fast writer, validating parser)
  libhowardhinnant-date-dev # RFC 3339 dates
  libcli11-dev              # command-line parsing
  libssl-dev                # SHA-256 (OpenSSL EVP)
  uuid-dev                  # event ids (libuuid)
  libcsv-dev                # CSV reading and writing
  libjemalloc-dev           # the allocator of the crm binary and the benchmarks
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present" >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
