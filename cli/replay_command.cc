#include "cli/replay_command.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "crm/replay.h"

namespace crm::cli {
namespace {

struct ReplayArgs {
  bool verify = false;
  std::string projection = "all";
};

int Fail(const Status& s) {
  spdlog::error("{}", s.message());
  return s.code() == Code::kNotSupported ? kExitUnavailable : ExitCodeFor(s);
}

int RunRebuild(const Globals& g) {
  auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kReadWrite));
  if (!store.ok()) return Fail(store.status());
  ProgressBar bar("replay");
  Status s = (*store)->RebuildProjections([&](uint64_t done, uint64_t total) {
    bar.Update(done, total);
  });
  bar.Finish();
  if (!s.ok()) return Fail(s);
  const double secs = bar.seconds();
  const uint64_t events = (*store)->LastPosition();
  LineOut out;
  JsonLine line(out);
  JsonWriter& w = line.w();
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("events");
  w.Uint64(events);
  w.Key("seconds");
  w.Double(static_cast<double>(static_cast<int64_t>(secs * 1000)) / 1000);
  w.Key("events_per_second");
  w.Uint64(secs > 0 ? static_cast<uint64_t>(double(events) / secs) : events);
  w.EndObject();
  out.EndLine();
  return kExitOk;
}

int RunVerify(const Globals& g, const std::string& only) {
  auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kFollower));
  if (!store.ok()) return Fail(store.status());
  ProgressBar bar("replay --verify");
  auto cmp = CompareProjections(**store, [&](uint64_t done, uint64_t total) {
    bar.Update(done, total);
  });
  bar.Finish();
  if (!cmp.ok()) return Fail(cmp.status());
  bool equal = true;
  LineOut out;
  JsonLine line(out);
  JsonWriter& w = line.w();
  w.StartObject();
  w.Key("position");
  w.Uint64(cmp->position);
  w.Key("projections");
  w.StartObject();
  for (const auto& f : cmp->families) {
    if (only != "all" && only != "crm" && f.name != only) continue;
    equal = equal && f.equal();
    w.Key(f.name.c_str());
    w.StartObject();
    w.Key("equal");
    w.Bool(f.equal());
    w.Key("live_rows");
    w.Uint64(f.live_rows);
    w.Key("rebuilt_rows");
    w.Uint64(f.rebuilt_rows);
    w.Key("live_digest");
    w.String(f.live_digest.c_str());
    w.Key("rebuilt_digest");
    w.String(f.rebuilt_digest.c_str());
    w.EndObject();
  }
  w.EndObject();
  const bool report_key = !cmp->equal() && (only == "all" || only == "crm" ||
                                            cmp->first_family == only);
  if (report_key) {
    w.Key("first_difference");
    w.StartObject();
    w.Key("projection");
    w.String(cmp->first_family.c_str());
    w.Key("key");
    w.String(cmp->first_key.c_str());
    w.Key("problem");
    w.String(cmp->first_problem.c_str());
    w.EndObject();
  }
  w.Key("ok");
  w.Bool(equal);
  w.EndObject();
  out.EndLine();
  if (!equal) {
    spdlog::error("the live projections differ from a rebuild from the log{}",
                  report_key ? ": " + cmp->first_family + " key " + cmp->first_key + " (" +
                                   cmp->first_problem + ")"
                             : std::string());
    return kExitCorruption;
  }
  return kExitOk;
}

}  // namespace

void AddReplayCommand(CLI::App& app, const Globals& g, Commands* commands) {
  auto a = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Rebuild the projections from the log (state, lists, history and snapshots are one "
      "projector, rebuilt together); --verify rebuilds them aside and compares with the live ones "
      "(exit 5 naming the first differing key)");
  cmd->add_flag("--verify", a->verify, "Rebuild aside and compare; change nothing");
  cmd->add_option("--projection", a->projection,
                  "all (default) or crm; with --verify also state, lists, history or snapshots "
                  "to compare only that one")
      ->check(CLI::IsMember({"all", "crm", "state", "lists", "history", "snapshots"}));
  (*commands)[cmd] = [&g, a]() -> int {
    if (!a->verify && a->projection != "all" && a->projection != "crm") {
      spdlog::error("state, lists, history and snapshots are folded together: `crm replay` rebuilds all of "
                    "them (--projection {} is for --verify)", a->projection);
      return kExitUsage;
    }
    return a->verify ? RunVerify(g, a->projection) : RunRebuild(g);
  };
}

}  // namespace crm::cli
