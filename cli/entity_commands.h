// Human-friendly subcommands generated from the command catalog (`crm account open ...`).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/log_commands.h"

namespace crm::cli {

void AddEntityCommands(CLI::App& app, const Globals& globals, Commands* commands);

}  // namespace crm::cli
