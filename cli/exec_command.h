// `crm exec` and `crm config set`: the CLI's write commands.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/log_commands.h"

namespace crm::cli {

void AddExecCommands(CLI::App& app, const Globals& globals, Commands* commands);

// Executes one JSON command as `crm exec` would and prints its result line; returns the exit code.
int RunOneCommand(const Globals& globals, const std::string& json);

}  // namespace crm::cli
