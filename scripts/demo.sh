#!/usr/bin/env bash
# The main job, on real data: install what is missing, build, load the Maven CRM dataset (85
# accounts, 41 agents and managers, 8,800 deals of 2016-2017) into a fresh embedded database
# ./crm-data (or $CRM_DB) with tools/maven's converter and `crm exec`, add a day of CRM work on
# top of it, then show what users read: an account and its activity history, the pipeline now
# and as it stood on a past date, an audit query, a replay with its events/s, the log itself,
# an export, a resumable feed, its verification and statistics.
#
# The dataset is looked for in $CRM_MAVEN_DIR, then ../shared/data/maven-crm beside the clone,
# then downloaded from its public source (pinned commit, checked against SHA-256 sums).
# Re-running is safe: every command carries a command_id, so a repeat appends nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" --target crm crm-maven embed_example

export CRM_DB="${CRM_DB:-$PWD/crm-data}"
crm=build/cli/crm
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

# ---- the dataset -----------------------------------------------------------------------------
maven_files="accounts.csv products.csv sales_pipeline.csv sales_teams.csv"
maven_sums="7afe89404278290bc774d8d3f50f16abdc58ccfc6c4288bff23b74fc451abfef  accounts.csv
5fb985638d44d53fa3b36276372dd9f5c3d1897a85822c92668e1b47f43167c5  products.csv
02f44c2ccd46a1c7d7c1d2e568a7504c15560e11b3cdb330a0a8229a1a365421  sales_pipeline.csv
e97c6d82adc829c2d340f44425b05f0fd50f07e55d60414889e7630bef6da531  sales_teams.csv"
maven_url=https://raw.githubusercontent.com/ikebude/CRM-Sales-Analysis/3de0fb63e2ee8ec682539ae4f52657daa881716d

find_maven() {
  for d in "${CRM_MAVEN_DIR:-}" ../shared/data/maven-crm build/maven-crm; do
    if [ -n "$d" ] && [ -f "$d/sales_pipeline.csv" ]; then echo "$d"; return 0; fi
  done
  mkdir -p build/maven-crm
  for f in $maven_files; do
    if command -v curl >/dev/null; then curl -fsSL -o "build/maven-crm/$f" "$maven_url/$f" || return 1
    elif command -v wget >/dev/null; then wget -q -O "build/maven-crm/$f" "$maven_url/$f" || return 1
    else return 1; fi
  done
  (cd build/maven-crm && echo "$maven_sums" | sha256sum --check --quiet) || return 1
  echo build/maven-crm
}
if ! maven=$(find_maven); then
  rm -rf build/maven-crm
  echo "crm demo: the Maven CRM dataset is not at \$CRM_MAVEN_DIR or ../shared/data/maven-crm," \
       "and downloading it from $maven_url failed. Put the four CSV files in a directory and" \
       "run: CRM_MAVEN_DIR=DIR scripts/demo.sh" >&2
  exit 1
fi

# ---- load it ---------------------------------------------------------------------------------
step "crm init: create $CRM_DB and its first admin user"
$crm init
step "crm-maven $maven | crm exec: agents and managers as users, accounts with their hierarchy, every deal with its real dates and outcome, account-less deals as leads"
build/tools/maven/crm-maven "$maven" > build/maven-commands.jsonl
start=$(date +%s.%N)
$crm exec build/maven-commands.jsonl > build/maven-results.jsonl
end=$(date +%s.%N)
awk -v n="$(wc -l < build/maven-results.jsonl)" -v ok="$(grep -c '"ok":true' build/maven-results.jsonl)" \
    -v s="$start" -v e="$end" \
    'BEGIN { printf "%d commands, %d ok, in %.2f s (%.0f commands/s, durability sync)\n", n, ok, e - s, n / (e - s) }' >&2
loaded=$(tail -n 1 build/maven-results.jsonl | sed -n 's/.*"position":\([0-9]*\).*/\1/p')
step "crm exec scripts/demo.jsonl: a day of CRM work on top (the last two lines are refused on purpose: exit 1)"
$crm exec scripts/demo.jsonl || echo "(exit $?: the refused lines are the account-type rules at work)" >&2

# ---- what users read -------------------------------------------------------------------------
step "crm get account cancity: current state, with counters and revenue"
$crm get account cancity --format table
step "crm history cancity --limit 15: the account activity history (deals, contact, quote, order, invoice, ticket...)"
$crm history cancity --limit 15 --format table
step "crm list opportunity --owner darcel-schlecht --stage ClosedWon --limit 5"
$crm list opportunity --owner darcel-schlecht --stage ClosedWon --limit 5 --format table
step "crm report pipeline: now, and as it stood on 2017-03-31 (business time, from the deals' own dates)"
$crm report pipeline --format table
$crm report pipeline --as-of-business 2017-03-31T23:59:59Z --format table
step "crm audit account-cancity --field type: who changed the type, when, from what to what"
$crm audit account-cancity --field type --format table
step "crm get account cancity --as-of-business 2016-12-31T23:59:59Z: the account as it was then"
$crm get account cancity --as-of-business 2016-12-31T23:59:59Z --format table
if [ -n "$loaded" ]; then
  step "crm get account cancity --at $loaded: system time, the account before today's work (read from the nearest snapshot of its row)"
  $crm get account cancity --at "$loaded" --format table
fi
step "crm replay: rebuild every projection from the log (summary line: events, seconds, events/s); --verify: rebuild aside and compare"
$crm replay
$crm replay --verify
step "crm events --stream account-cancity --limit 3: the log itself"
$crm events --stream account-cancity --limit 3
step "crm export account --format csv > build/accounts.csv: every account, ready for a spreadsheet (first 4 lines)"
# Into a file, not `| head`: under pipefail, export killed by SIGPIPE when head exits would fail
# the demo (only events and feed treat a reader that goes away as a normal end).
$crm export account --format csv > build/accounts.csv
head -4 build/accounts.csv
step "crm feed warehouse --limit 2, twice, then --list: a resumable feed (the checkpoint lives in $CRM_DB/feeds/)"
$crm feed warehouse --reset >/dev/null
$crm feed warehouse --limit 2
$crm feed warehouse --limit 2
$crm feed --list
step "the embedding example (README): a program linking the library appends and reads back"
build/tests/embed_example
step "crm verify: every record, the hash chain, positions, stream versions, the index, the projections"
$crm verify
step "crm stats"
$crm stats
