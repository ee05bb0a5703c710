// `crm export` and `crm import`: data in and out of the CRM (SPEC §4), CSV and JSON Lines.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/log_commands.h"

namespace crm::cli {

// `crm export <kind> [--format csv|jsonl]`: every entity of a kind, streamed, from a follower.
void AddExportCommand(CLI::App& app, const Globals& globals, Commands* commands);

// `crm import <kind> FILE.csv [--map SRC=FIELD]... [--on-duplicate skip|update|error]
// [--dry-run]`: CSV rows turned into commands (crm::ImportCsv), a per-row report and a summary.
void AddImportCommand(CLI::App& app, const Globals& globals, Commands* commands);

}  // namespace crm::cli
