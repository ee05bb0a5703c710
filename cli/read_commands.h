// `crm get`, `crm list`, `crm history`, `crm audit`, `crm report`: reads of the projections
// (SPEC §4), from a follower so they run beside a writer process.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/log_commands.h"

namespace crm::cli {

void AddReadCommands(CLI::App& app, const Globals& globals, Commands* commands);

}  // namespace crm::cli
