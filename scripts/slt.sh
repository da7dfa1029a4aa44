#!/usr/bin/env bash
# Runs the whole sqllogictest corpus against kopf and prints the per-file
# pass rates (docs/CONFORMANCE.md). Builds nothing: build kopf-slt and kopfd
# first (`make build`, or `cmake --build BUILD --target kopf-slt kopfd`).
#
#   scripts/slt.sh [BUILD_DIR] [kopf-slt options, e.g. -v]
#
# BUILD_DIR defaults to ./build. Each file runs against its own kopfd on a
# fresh temporary data directory (spawn mode). Failures are expected while
# kopf grows, so the exit status is 0 unless the run itself breaks.
# KOPF_SLT_CORPUS overrides the corpus directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
if [ $# -gt 0 ]; then shift; fi
if [ ! -x "$build/bin/kopf-slt" ] || [ ! -x "$build/bin/kopfd" ]; then
  echo "slt.sh: $build/bin/kopf-slt or kopfd is missing; build them first" >&2
  exit 2
fi
build="$(cd "$build" && pwd)"
# Relative to the repository, so the table shows short paths.
cd "$root"
corpus="${KOPF_SLT_CORPUS:-../shared/sqllogictest/test}"
exec "$build/bin/kopf-slt" --spawn "$build/bin/kopfd" --allow-failures --summary "$@" "$corpus"
