#!/usr/bin/env bash
# The whole test suite, from a clean clone: install what is missing, build, run CTest.
# Usage: scripts/test.sh [extra ctest args]   (e.g. -L soak for the long runs)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# Soak runs carry the "soak" label and are excluded unless asked for.
if [ "$#" -eq 0 ]; then set -- -LE soak; fi
ctest --test-dir build --output-on-failure -j"$jobs" "$@"
