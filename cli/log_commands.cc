#include "cli/log_commands.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "crm/commands.h"
#include "crm/event_json.h"
#include "crm/projections.h"
#include "crm/replay.h"

namespace crm::cli {
namespace {

Options StoreOptionsFor(const Globals& g, OpenMode mode) { return g.StoreOptions(mode); }

// Opens for reading beside any running writer. Logs the reason and returns nullptr on failure.
std::unique_ptr<EventStore> OpenReader(const Globals& g, int* exit_code) {
  auto store = EventStore::Open(g.db, StoreOptionsFor(g, OpenMode::kFollower));
  if (!store.ok()) {
    spdlog::error("{}", store.status().message());
    *exit_code = ExitCodeFor(store.status());
    return nullptr;
  }
  return std::move(store).value();
}

int RunInit(const Globals& g) {
  auto opened = EventStore::Open(g.db, StoreOptionsFor(g, OpenMode::kReadWrite));
  if (!opened.ok()) {
    spdlog::error("{}", opened.status().message());
    return ExitCodeFor(opened.status());
  }
  auto& store = *opened.value();
  auto created = EnsureAdminUser(store);
  if (!created.ok()) {
    spdlog::error("creating the admin user: {}", created.status().ToString());
    return ExitCodeFor(created.status());
  }
  LineOut out;
  JsonLine line(out);
  JsonWriter& w = line.w();
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("created");
  w.Bool(*created);
  w.Key("last_position");
  w.Uint64(store.LastPosition());
  w.Key("db");
  w.String(g.db.c_str());
  w.EndObject();
  out.EndLine();
  return kExitOk;
}

struct EventsArgs {
  uint64_t from = 1;
  std::string stream;
  std::vector<std::string> types;
  uint64_t limit = 0;  // 0: no limit
};

// Parses type names into a filter; an unknown name is a usage error naming the valid ones.
std::optional<TypeFilter> ParseTypes(const std::vector<std::string>& names) {
  TypeFilter filter;
  for (const auto& name : names) {
    bool found = false;
    for (auto t : fb::EnumValuesPayload()) {
      if (t != fb::Payload::NONE && name == fb::EnumNamePayload(t)) {
        filter.Add(t);
        found = true;
      }
    }
    if (!found) {
      std::string valid;
      for (auto t : fb::EnumValuesPayload()) {
        if (t == fb::Payload::NONE) continue;
        valid += (valid.empty() ? "" : ", ") + std::string(fb::EnumNamePayload(t));
      }
      spdlog::error("unknown event type '{}'; valid types: {}", name, valid);
      return std::nullopt;
    }
  }
  return filter;
}

int RunEvents(const Globals& g, const EventsArgs& args) {
  auto filter = ParseTypes(args.types);
  if (!filter) return kExitUsage;
  int code = kExitOk;
  auto store = OpenReader(g, &code);
  if (!store) return code;
  auto reader = args.stream.empty()
                    ? store->ReadLog(args.from, *filter)
                    : store->ReadStream(args.stream, 1, Direction::kForward);
  if (!reader.ok()) {
    spdlog::error("{}", reader.status().message());
    return ExitCodeFor(reader.status());
  }
  LineOut out;
  uint64_t printed = 0;
  while (args.limit == 0 || printed < args.limit) {
    auto next = (*reader)->Next();
    if (!next.ok()) {
      // Never skip silently: a feed must not lose an event. Resume with --from past it.
      out.Flush();
      spdlog::error("{}", next.status().message());
      return ExitCodeFor(next.status());
    }
    if (!next->has_value()) break;
    const EventView& e = **next;
    if (!args.stream.empty() && (e.position < args.from || !filter->Accepts(e.type()))) continue;
    AppendEventJson(e, &out.buffer());
    out.EndLine();
    ++printed;
  }
  return kExitOk;
}

int RunVerify(const Globals& g) {
  int code = kExitOk;
  auto store = OpenReader(g, &code);
  if (!store) return code;
  auto report = store->Verify();
  if (!report.ok()) {
    spdlog::error("{}", report.status().message());
    return ExitCodeFor(report.status());
  }
  // The projections must reflect exactly the log: no lag, no other version.
  auto projections = store->ReadProjections();
  const bool projections_ok = projections.ok() && projections->checkpoint == store->LastPosition();
  LineOut out;
  JsonLine line(out);
  JsonWriter& w = line.w();
  w.StartObject();
  w.Key("ok");
  w.Bool(report->ok() && projections_ok);
  w.Key("events");
  w.Uint64(report->events);
  w.Key("streams");
  w.Uint64(report->streams);
  w.Key("last_position");
  w.Uint64(report->last_position);
  w.Key("bad_records");
  w.Uint64(report->bad_records);
  w.Key("projections");
  w.StartObject();
  w.Key("ok");
  w.Bool(projections_ok);
  if (projections.ok()) {
    w.Key("checkpoint");
    w.Uint64(projections->checkpoint);
  } else {
    w.Key("problem");
    w.String(projections.status().message().c_str());
  }
  w.EndObject();
  if (!report->ok()) {
    w.Key("first_bad_position");
    if (report->first_bad_position) {
      w.Uint64(report->first_bad_position);
    } else {
      w.Null();
    }
    w.Key("problem");
    w.String(report->first_problem.c_str());
  }
  w.EndObject();
  out.EndLine();
  if (!report->ok()) {
    spdlog::error("verification failed: {}", report->first_problem);
    return kExitCorruption;
  }
  if (!projections_ok) {
    spdlog::error("the projections do not reflect the log: {}",
                  projections.ok() ? "checkpoint " + std::to_string(projections->checkpoint)
                                   : projections.status().message());
    return kExitCorruption;
  }
  return kExitOk;
}

int RunStats(const Globals& g) {
  int code = kExitOk;
  auto store = OpenReader(g, &code);
  if (!store) return code;
  auto stats = store->Stats();
  if (!stats.ok()) {
    spdlog::error("{}", stats.status().message());
    return ExitCodeFor(stats.status());
  }
  LineOut out;
  JsonLine line(out);
  JsonWriter& w = line.w();
  w.StartObject();
  w.Key("last_position");
  w.Uint64(stats->last_position);
  w.Key("events");
  w.Uint64(stats->events);
  w.Key("streams");
  w.Uint64(stats->streams);
  w.Key("unreadable_events");
  w.Uint64(stats->unreadable);
  w.Key("events_by_type");
  w.StartObject();
  for (const auto& [type, n] : stats->events_by_type) {
    w.Key(type.c_str());
    w.Uint64(n);
  }
  w.EndObject();
  w.Key("by_kind");
  w.StartObject();
  for (const auto& k : stats->by_kind) {
    w.Key(k.kind.c_str());
    w.StartObject();
    w.Key("streams");
    w.Uint64(k.streams);
    w.Key("events");
    w.Uint64(k.events);
    w.EndObject();
  }
  w.EndObject();
  w.Key("idempotency_keys");
  w.Uint64(stats->idempotency_keys);
  w.Key("bytes_on_disk");
  w.Uint64(stats->bytes_on_disk);
  w.Key("live_sst_bytes");
  w.Uint64(stats->live_sst_bytes);
  w.EndObject();
  out.EndLine();
  return stats->unreadable ? kExitCorruption : kExitOk;
}

}  // namespace

Options Globals::StoreOptions(OpenMode mode) const {
  Options o;
  o.mode = mode;
  o.durability = durability == "nosync" ? Durability::kNoSync : Durability::kSync;
  o.projector = MakeCrmProjector();
  o.upcaster = MakeCrmUpcaster();
  if (mode == OpenMode::kReadWrite) {
    // A rebuild on open (new projector version, or a log written without projections).
    auto bar = std::make_shared<ProgressBar>("rebuilding projections");
    o.projection_progress = [bar](uint64_t done, uint64_t total) {
      bar->Update(done, total);
      if (done == total) bar->Finish();
    };
  }
  return o;
}

void AddLogCommands(CLI::App& app, const Globals& g, Commands* commands) {
  auto* init = app.add_subcommand(
      "init", "Create the database (if missing) and its first admin user");
  (*commands)[init] = [&g] { return RunInit(g); };

  auto args = std::make_shared<EventsArgs>();
  auto* events = app.add_subcommand("events", "Print the log as JSON Lines envelopes");
  events->add_option("--from", args->from, "First position to print")->check(CLI::PositiveNumber);
  events->add_option("--stream", args->stream, "Only this stream (e.g. account-A1)");
  events->add_option("--type", args->types, "Only these event types (repeatable)")
      ->delimiter(',');
  events->add_option("--limit", args->limit, "Print at most N events")->check(CLI::PositiveNumber);
  (*commands)[events] = [&g, args] { return RunEvents(g, *args); };

  auto* verify = app.add_subcommand(
      "verify",
      "Check the log: records verify, hash chain intact, positions and stream versions "
      "gap-free, index agrees. Exit 5 naming the first bad position");
  (*commands)[verify] = [&g] { return RunVerify(g); };

  auto* stats = app.add_subcommand(
      "stats", "Counts by event type and stream kind, last position, size on disk");
  (*commands)[stats] = [&g] { return RunStats(g); };
}

}  // namespace crm::cli
