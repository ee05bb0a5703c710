#include "cli/log_commands.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "cli/event_printing.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "crm/commands.h"
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
  bool follow = false;
  std::string format = "jsonl";
};

int RunEvents(const Globals& g, const EventsArgs& args) {
  std::vector<fb::Payload> types;
  if (!ParseEventTypes(args.types, &types)) return kExitUsage;
  PumpOptions o;
  o.from = args.from;
  o.stream = args.stream;
  for (auto t : types) o.filter.Add(t);
  o.limit = args.limit;
  o.follow = args.follow;
  // One type: its payload fields as columns; none or several: the payload as one JSON column.
  std::optional<fb::Payload> csv_type;
  if (types.size() == 1) csv_type = types.front();
  EventFormatter formatter(args.format == "csv" ? EventFormat::kCsv : EventFormat::kJsonl,
                           csv_type);
  int code = kExitOk;
  auto store = OpenReader(g, &code);
  if (!store) return code;
  return WriteEventsToStdout(*store, formatter, o);
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
  auto* events = app.add_subcommand(
      "events", "Print the log: envelopes with decoded data, as JSON Lines or CSV");
  events->add_option("--from", args->from, "First position to print")->check(CLI::PositiveNumber);
  events->add_option("--stream", args->stream, "Only this stream (e.g. account-A1)");
  events->add_option("--type", args->types, "Only these event types (repeatable)")
      ->delimiter(',');
  events->add_option("--limit", args->limit, "Print at most N events")->check(CLI::PositiveNumber);
  events->add_flag("--follow", args->follow,
                   "After the last event, keep printing new ones as the writer appends them "
                   "(until SIGINT/SIGTERM, --limit, or the reader of stdout goes away)");
  events->add_option("--format", args->format,
                     "jsonl (default) or csv: a header row, the envelope's columns, then with "
                     "exactly one --type the payload's fields as columns (data.name, "
                     "data.billing_address.city, ...), else one `data` JSON column")
      ->check(CLI::IsMember({"jsonl", "csv"}));
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
