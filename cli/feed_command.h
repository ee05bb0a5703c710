// `crm feed`: the log for a named consumer, resuming after its stored checkpoint (SPEC §4),
// plus `--list` and `--reset [--to P]`. Checkpoints: crm/consumer_checkpoints.h.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/log_commands.h"

namespace crm::cli {

void AddFeedCommand(CLI::App& app, const Globals& globals, Commands* commands);

}  // namespace crm::cli
