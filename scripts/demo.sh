#!/usr/bin/env bash
# The main job on an embedded default database: install what is missing, build, then create
# ./crm-data (or $CRM_DB) and show the log, its verification and its statistics.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" --target crm embed_example

export CRM_DB="${CRM_DB:-$PWD/crm-data}"
crm=build/cli/crm
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "crm init: create $CRM_DB and its first admin user"
$crm init
step "the embedding example (README): a program linking the library appends and reads back"
build/tests/embed_example
step "crm events --limit 3: the log itself"
$crm events --limit 3
step "crm verify: every record, the hash chain, positions, stream versions, the index"
$crm verify
step "crm stats"
$crm stats
