#include "cli/feed_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "cli/event_printing.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "crm/consumer_checkpoints.h"

namespace crm::cli {
namespace {

constexpr uint64_t kDefaultBatch = 1000;

// Test-only fault hook: with CRM_FAULT_FEED_KILL_AFTER_BATCH=N the process SIGKILLs itself
// after the N-th batch has been written out and flushed, before its checkpoint is saved -- the
// crash window of at-least-once delivery, made deterministic for tests/feed_test.cc.
uint64_t KillAfterBatch() {
  const char* v = std::getenv("CRM_FAULT_FEED_KILL_AFTER_BATCH");
  return v ? std::strtoull(v, nullptr, 10) : 0;
}

struct FeedArgs {
  std::string consumer;
  bool list = false;
  bool reset = false;
  uint64_t to = 0;
  uint64_t limit = 0;
  uint64_t batch = kDefaultBatch;
  bool follow = false;
  std::string format = "jsonl";
  std::string header = "auto";  // CSV header row: auto (from the start only), always, never
  // Which options were given (for the combinations that make no sense).
  CLI::Option* to_opt = nullptr;
  CLI::Option* limit_opt = nullptr;
  CLI::Option* batch_opt = nullptr;
  CLI::Option* format_opt = nullptr;
  CLI::Option* follow_opt = nullptr;
  CLI::Option* header_opt = nullptr;
};

int Usage(const std::string& message) {
  spdlog::error("{}", message);
  return kExitUsage;
}

int Fail(const Status& s) {
  spdlog::error("{}", s.message());
  return ExitCodeFor(s);
}

// The argument combinations: the usage exit code (logged) for a bad one.
std::optional<int> CheckArgs(const FeedArgs& a) {
  const bool reading = a.limit_opt->count() || a.batch_opt->count() || a.format_opt->count() ||
                       a.header_opt->count() ||
                       a.follow_opt->count();
  if (a.list) {
    if (!a.consumer.empty() || a.reset || a.to_opt->count() || reading) {
      return Usage("--list takes no consumer and no other option");
    }
    return std::nullopt;
  }
  if (a.consumer.empty()) return Usage("name a consumer (crm feed CONSUMER), or use --list");
  if (Status s = ConsumerCheckpoints::ValidateName(a.consumer); !s.ok()) return Usage(s.message());
  if (a.to_opt->count() && !a.reset) return Usage("--to goes with --reset");
  if (a.reset && reading) return Usage("--reset takes only --to");
  return std::nullopt;
}

int RunList(EventStore& store, ConsumerCheckpoints& checkpoints) {
  auto consumers = checkpoints.List();
  if (!consumers.ok()) return Fail(consumers.status());
  const uint64_t last = store.LastPosition();
  LineOut out;
  for (const auto& c : *consumers) {
    JsonLine line(out);
    JsonWriter& w = line.w();
    w.StartObject();
    w.Key("consumer");
    w.String(c.consumer.c_str());
    w.Key("checkpoint");
    w.Uint64(c.position);
    w.Key("last_position");
    w.Uint64(last);
    w.Key("lag");
    w.Uint64(last > c.position ? last - c.position : 0);
    w.EndObject();
    out.EndLine();
  }
  return kExitOk;
}

int RunReset(EventStore& store, ConsumerCheckpoints& checkpoints, const FeedArgs& a) {
  if (a.to > store.LastPosition()) {
    return Usage("--to " + std::to_string(a.to) + " is beyond the end of the log (last position " +
                 std::to_string(store.LastPosition()) + ")");
  }
  auto lease = checkpoints.Acquire(a.consumer);
  if (!lease.ok()) return Fail(lease.status());
  // A reset is also the repair of an unreadable checkpoint: its old value is then unknown.
  auto previous = (*lease)->Load();
  if (Status s = (*lease)->Save(a.to); !s.ok()) return Fail(s);
  LineOut out;
  JsonLine line(out);
  JsonWriter& w = line.w();
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("consumer");
  w.String(a.consumer.c_str());
  w.Key("checkpoint");
  w.Uint64(a.to);
  w.Key("previous");
  if (previous.ok()) {
    w.Uint64(*previous);
  } else {
    w.Null();
  }
  w.EndObject();
  out.EndLine();
  return kExitOk;
}

int RunFeed(EventStore& store, ConsumerCheckpoints& checkpoints, const FeedArgs& a) {
  auto lease = checkpoints.Acquire(a.consumer);
  if (!lease.ok()) return Fail(lease.status());
  auto checkpoint = (*lease)->Load();
  if (!checkpoint.ok()) return Fail(checkpoint.status());
  if (*checkpoint > store.LastPosition()) {
    if (Status s = store.CatchUp(); !s.ok()) return Fail(s);
    if (*checkpoint > store.LastPosition()) {
      // Delivered events are gone from the log (a nosync writer and a machine crash, or another
      // database in this directory): resuming would silently skip the next appends.
      return Fail(Status::Corruption(
          "consumer '" + a.consumer + "' was delivered up to position " +
          std::to_string(*checkpoint) + " but the log ends at " +
          std::to_string(store.LastPosition()) + "; check the database, then `crm feed " +
          a.consumer + " --reset --to POSITION`"));
    }
  }
  PumpOptions o;
  o.from = *checkpoint + 1;
  o.limit = a.limit;
  o.follow = a.follow;
  o.batch = a.batch;
  // `auto`: a header only for a consumer that starts at the beginning, so that the runs of a
  // consumer appended to one file (crm feed x --format csv >> x.csv) make one CSV table.
  o.header = a.header == "always" || (a.header == "auto" && *checkpoint == 0);
  EventFormatter formatter(a.format == "csv" ? EventFormat::kCsv : EventFormat::kJsonl);
  const uint64_t kill_after = KillAfterBatch();
  uint64_t batches = 0;
  ConsumerCheckpoints::Lease& l = **lease;
  return WriteEventsToStdout(store, formatter, o, [&](FdOutput& out, uint64_t last) -> Status {
    // The batch is written to stdout; make it durable too when stdout is a file.
    if (out.Sync() != FdOutput::State::kOk) {
      return Status::IOError("syncing the output: " + out.error());
    }
    if (kill_after != 0 && ++batches == kill_after) ::kill(::getpid(), SIGKILL);
    return l.Save(last);
  });
}

int Run(const Globals& g, const FeedArgs& a) {
  if (auto usage = CheckArgs(a)) return *usage;
  auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kFollower));
  if (!store.ok()) return Fail(store.status());
  ConsumerCheckpoints checkpoints(g.db);
  if (a.list) return RunList(**store, checkpoints);
  if (a.reset) return RunReset(**store, checkpoints, a);
  return RunFeed(**store, checkpoints, a);
}

}  // namespace

void AddFeedCommand(CLI::App& app, const Globals& g, Commands* commands) {
  auto a = std::make_shared<FeedArgs>();
  auto* cmd = app.add_subcommand(
      "feed",
      "The log for a named consumer: events after its stored checkpoint, which advances only "
      "once a batch has been written to stdout and flushed (at-least-once). Checkpoints live in "
      "<db>/feeds/");
  cmd->add_option("consumer", a->consumer,
                  "Consumer name: 1-64 letters, digits, '_' or '-', starting with a letter or digit");
  cmd->add_flag("--list", a->list,
                "One JSON line per consumer: its checkpoint, the log's last position, the lag");
  cmd->add_flag("--reset", a->reset,
                "Set the consumer's checkpoint (default 0: the next run starts at the beginning)");
  a->to_opt = cmd->add_option("--to", a->to,
                              "With --reset: the last position counted as delivered (the next "
                              "run starts after it)");
  a->limit_opt = cmd->add_option("--limit", a->limit, "Deliver at most N events")
                     ->check(CLI::PositiveNumber);
  a->batch_opt = cmd->add_option("--batch", a->batch,
                                 "Events per batch: flush stdout, then save the checkpoint "
                                 "(default 1000; a crash re-delivers at most one batch)")
                     ->check(CLI::PositiveNumber);
  a->format_opt = cmd->add_option("--format", a->format,
                                  "jsonl (default) or csv (envelope columns and a `data` JSON "
                                  "column)")
                      ->check(CLI::IsMember({"jsonl", "csv"}));
  a->header_opt = cmd->add_option("--header", a->header,
                                  "CSV header row: auto (default: only when the consumer starts "
                                  "at the beginning, so runs appended to one file make one "
                                  "table), always or never")
                      ->check(CLI::IsMember({"auto", "always", "never"}));
  a->follow_opt = cmd->add_flag("--follow", a->follow,
                                "Keep delivering new events as the writer appends them");
  (*commands)[cmd] = [&g, a] { return Run(g, *a); };
}

}  // namespace crm::cli
