// `crm replay [--verify]`: rebuild the projections from the log, or rebuild them aside and
// compare with the live ones.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/log_commands.h"

namespace crm::cli {

void AddReplayCommand(CLI::App& app, const Globals& globals, Commands* commands);

}  // namespace crm::cli
