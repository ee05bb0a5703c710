// crm: the command-line client of the crm engine. Argument parsing and formatting only; every
// decision is made by the library.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>

#include "cli/exit_codes.h"
#include "cli/entity_commands.h"
#include "cli/exec_command.h"
#include "cli/feed_command.h"
#include "cli/log_commands.h"
#include "cli/read_commands.h"
#include "cli/replay_command.h"
#include "cli/transfer_commands.h"

namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// Operator logs: stderr only, level from --log-level / $CRM_LOG (default warn).
bool SetUpLogging(const std::string& level_name) {
  auto level = spdlog::level::from_str(level_name);
  if (level == spdlog::level::off && level_name != "off") return false;
  auto logger = spdlog::stderr_color_mt("crm");
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
  spdlog::set_pattern("%^crm: %l:%$ %v");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace crm::cli;
  // A reader that closes its end of stdout early (`crm list … | head`) gives EPIPE, which each
  // command handles as the end of its output, instead of killing crm mid-way.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "crm - an event-sourced CRM engine. Every change is an event appended to a log in RocksDB;\n"
      "everything else is derived from it. Output is JSON Lines on stdout; logs go to stderr.\n"
      "Exit codes: 0 ok, 1 rejected, 2 usage, 3 not found, 4 database busy or unreadable,\n"
      "5 corruption."};
  app.require_subcommand(1);
  app.fallthrough();

  Globals g;
  g.db = EnvOr("CRM_DB", "./crm-data");
  g.user = EnvOr("CRM_USER", "admin");
  g.log_level = EnvOr("CRM_LOG", "warn");
  app.add_option("--db", g.db, "Database directory (default: $CRM_DB, then ./crm-data)");
  app.add_option("--as", g.user, "Run as this user (default: $CRM_USER, then admin)");
  app.add_option("--durability", g.durability,
                 "sync: an acknowledged write is on disk (default); nosync: in the OS cache, "
                 "for bulk loads")
      ->check(CLI::IsMember({"sync", "nosync"}));
  app.add_option("--log-level", g.log_level,
                 "trace, debug, info, warn, error, critical or off (default: $CRM_LOG, then warn)");

  Commands commands;
  AddLogCommands(app, g, &commands);
  AddExecCommands(app, g, &commands);
  AddEntityCommands(app, g, &commands);
  AddReadCommands(app, g, &commands);
  AddReplayCommand(app, g, &commands);
  AddExportCommand(app, g, &commands);
  AddImportCommand(app, g, &commands);
  AddFeedCommand(app, g, &commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (app.get_subcommands().empty() && !app.remaining().empty()) {
      std::fprintf(stderr, "crm: unknown command '%s' (see crm --help)\n",
                   app.remaining().front().c_str());
    } else {
      app.exit(e);
    }
    return kExitUsage;
  }
  if (!SetUpLogging(g.log_level)) {
    std::fprintf(stderr, "crm: unknown log level '%s'\n", g.log_level.c_str());
    return kExitUsage;
  }
  // The innermost selected subcommand runs ("config set" -> set).
  const CLI::App* selected = &app;
  while (!selected->get_subcommands().empty()) selected = selected->get_subcommands().front();
  if (auto it = commands.find(selected); it != commands.end()) return it->second();
  return kExitUsage;
}
