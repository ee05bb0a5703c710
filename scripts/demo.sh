#!/usr/bin/env bash
# The main job on an embedded default database: install what is missing, build, then create
# ./crm-data (or $CRM_DB), run a day of CRM work through `crm exec` (names from the Maven CRM
# dataset in ../shared/data/maven-crm), and show what a user reads (state, history, audit,
# reports), the log itself, its verification and its statistics.
# Re-running it is safe: every demo command carries a command_id, so repeats change nothing.
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
step "crm exec scripts/demo.jsonl: a day of CRM work (two lines are refused on purpose: exit 1)"
$crm exec scripts/demo.jsonl || echo "(exit $?: the refused lines are the account-type rules at work)" >&2
step "crm account add-note: the same commands, for people"
$crm --as anna account add-note --id isdom --text "Asked for a demo in Q1" --command-id demo-note-1
step "crm get account cancity: current state, with counters and revenue"
$crm get account cancity --format table
step "crm history cancity: the account activity history (its contacts, deals, tickets, invoices...)"
$crm history cancity --format table
step "crm list account --format table"
$crm list account --format table
step "crm audit account-cancity --field type: who changed the type, when, from what to what"
$crm audit account-cancity --field type --format table
step "crm report pipeline / tickets"
$crm report pipeline --format table
$crm report tickets --format table
step "time travel: cancity as of business time 2016-12-01 (before its deal was won)"
$crm get account cancity --as-of-business 2016-12-01T00:00:00Z --format table
step "crm replay: rebuild every projection from the log; --verify: rebuild aside and compare"
$crm replay
$crm replay --verify
step "crm events --stream account-cancity --limit 2: the log itself"
$crm events --stream account-cancity --limit 2
step "the embedding example (README): a program linking the library appends and reads back"
build/tests/embed_example
step "crm verify: every record, the hash chain, positions, stream versions, the index"
$crm verify
step "crm stats"
$crm stats
