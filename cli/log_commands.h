// `crm init`, `crm events`, `crm verify`, `crm stats`: the log-level commands (SPEC §4).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "crm/event_store.h"

namespace crm::cli {

// Settings every command shares (the global options).
struct Globals {
  std::string db;        // --db, $CRM_DB, ./crm-data
  std::string user;      // --as, $CRM_USER, admin
  std::string durability = "sync";
  std::string log_level;  // --log-level, $CRM_LOG, warn
  Options StoreOptions(OpenMode mode) const;
};

// What to run for each subcommand once parsing (and logging setup) is done; returns the exit code.
using Commands = std::map<const CLI::App*, std::function<int()>>;

// Registers init, events, verify and stats on `app`.
void AddLogCommands(CLI::App& app, const Globals& globals, Commands* commands);

}  // namespace crm::cli
