#!/usr/bin/env bash
# Installs the Debian 12 packages kopf builds with, when any is missing.
# Idempotent and silent when everything is there already.
#   libboost-dev          Boost.Asio (header-only) for the server and client
#   libfccp-dev           fast-cpp-csv-parser, reads the CSV segments back
#   antlr4 + runtime      the SQL parser generator and its C++ runtime
#   default-jre-headless  runs the antlr4 tool at build time
#   uuid-dev              linked by the ANTLR runtime's CMake targets
#   libfmt-dev            string formatting
#   doctest-dev           the test framework
#   libedit-dev           line editing and history in the shell (BSD licence)
#   cmake ninja-build g++ make   the build itself
#   ccache                caches compiled objects across builds
#   libbenchmark-dev      Google Benchmark, for the micro-benchmarks
#   libssl-dev            OpenSSL's libcrypto: PBKDF2, HMAC, SHA-256 and secure random
#                         bytes for SCRAM-SHA-256 authentication (protocol/auth.cc),
#                         SHA-256 checksums of backup files (cerebrum/backup.cc)
set -euo pipefail

packages=(cmake ninja-build g++ make ccache libboost-dev libfccp-dev antlr4 libantlr4-runtime-dev
          default-jre-headless uuid-dev libfmt-dev doctest-dev libedit-dev libbenchmark-dev
          libssl-dev)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "kopf: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
