// `crm replay` killed by SIGKILL mid-rebuild. A full rebuild ingests the projections as SST
// files, one per chunk of events, and moves the checkpoint from 0 to the end of the log only
// after the last one: the database as the kill left it holds exactly a fold of the events up to
// a chunk's end, every reader refuses those projections (never half a projection) and reports
// the rebuild's progress, and the next writable open starts the rebuild over: the projections
// then equal a fold of the whole log, byte for byte the rows from before the replay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "raw_db.h"
#include "replay_test_util.h"

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;

// Events per SST file of a full rebuild (engine/src/rebuild.cc, kIngestChunk).
constexpr uint64_t kIngestChunk = 32768;

struct Lag {
  uint64_t checkpoint = 0;
  uint64_t last = 0;
  uint64_t rebuilt = 0;  // how far the rebuild has folded, 0 if the refusal does not say
};

// What a refusal of lagging projections says, if it is one.
std::optional<Lag> LagOf(const Status& s) {
  static const std::regex re("up to position ([0-9]+) of ([0-9]+)");
  static const std::regex progress("has folded events 1\\.\\.([0-9]+) so far");
  std::smatch m;
  const std::string message = s.message();
  if (s.code() != Code::kNotSupported || !std::regex_search(message, m, re)) return std::nullopt;
  Lag lag{std::stoull(m[1]), std::stoull(m[2]), 0};
  if (std::regex_search(message, m, progress)) lag.rebuilt = std::stoull(m[1]);
  return lag;
}

TEST(ReplayCrashTest, ReplayKilledMidRebuildIsRefusedThenRebuiltByTheNextWriter) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  std::map<std::string, std::string> before;
  uint64_t last = 0;
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db, ReplayOptions(), &store));
    ASSERT_OK(EnsureAdminUser(*store));
    CommandExecutor exec(store.get());
    WorkloadGenerator gen(4242);
    RunWorkload(exec, gen, 110'000);
    last = store->LastPosition();
    ASSERT_OK_AND_ASSIGN(before, AllProjectionRows(*store));
  }
  ASSERT_GT(last, 3 * kIngestChunk) << "a rebuild of several files";

  // A follower watches the rebuild's progress; the kill comes once the first file after the
  // reset is ingested, i.e. mid-rebuild, whatever the machine's speed.
  std::unique_ptr<EventStore> follower;
  ASSERT_NO_FATAL_FAILURE(OpenStore(db, ReplayOptions(OpenMode::kFollower), &follower));
  ASSERT_OK(follower->ReadProjections());  // up to date before the replay

  auto child = ChildProcess::Start({CRM_BIN, "--db", db, "replay"});
  ASSERT_NE(child, nullptr);
  std::optional<Lag> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::optional<std::string> finished;
  while (std::chrono::steady_clock::now() < deadline) {
    // A catch-up racing the writer's flushes may fail now and then; the next one retries.
    if (!follower->CatchUp().ok()) continue;
    auto snapshot = follower->ReadProjections();
    if (!snapshot.ok()) {
      seen = LagOf(snapshot.status());
      ASSERT_TRUE(seen.has_value()) << "not a lag: " << snapshot.status().ToString();
      EXPECT_EQ(seen->checkpoint, 0u) << "a full rebuild moves its checkpoint only at the end";
      if (seen->rebuilt > 0) break;
    }
    if ((finished = child->ReadLine(milliseconds(1)))) break;
  }
  ASSERT_FALSE(finished.has_value())
      << "crm replay finished before the kill (" << *finished << "): make the log larger";
  ASSERT_TRUE(seen.has_value() && seen->rebuilt > 0) << "the rebuild never showed progress";
  child->Kill(SIGKILL);
  const int status = child->Wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "crm replay ended on its own before the kill (status " << status << ")";

  // As the kill left it.
  ASSERT_OK(follower->CatchUp());
  EXPECT_EQ(follower->LastPosition(), last) << "a replay appends nothing";
  auto refused = follower->ReadProjections();
  ASSERT_FALSE(refused.ok()) << "projections served although the rebuild was interrupted";
  auto lag = LagOf(refused.status());
  ASSERT_TRUE(lag.has_value()) << refused.status().ToString();
  EXPECT_EQ(lag->checkpoint, 0u);
  EXPECT_EQ(lag->last, last);
  const uint64_t rebuilt = lag->rebuilt;
  EXPECT_GE(rebuilt, seen->rebuilt);
  ASSERT_LT(rebuilt, last) << "the rebuild completed before the kill: make the log larger";
  EXPECT_THAT(refused.status().message(), HasSubstr("open the database for writing"));
  EXPECT_THAT(refused.status().message(), HasSubstr("it starts over"));
  auto reader = CrmReader::Open(*follower);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Code::kNotSupported);
  ProcessResult get = Crm(db, {"get", "account", "A1"});
  EXPECT_EQ(get.exit_code, 4) << Describe(get);
  ProcessResult history = Crm(db, {"history", "A1"});
  EXPECT_EQ(history.exit_code, 4) << Describe(history);
  ProcessResult verify = Crm(db, {"verify"});
  EXPECT_EQ(verify.exit_code, 5) << Describe(verify);
  EXPECT_THAT(verify.out, HasSubstr(R"("projections":{"ok":false,)"));

  // Never half a projection: the rows on disk are exactly a fold of the events up to the end of
  // the last file ingested: the one the progress names, or the next (the kill fell between its
  // ingestion and the progress record).
  const auto at_kill = ReadRawColumnFamily(db, "projections");
  {
    bool matched = false;
    for (uint64_t upto : {rebuilt, std::min(rebuilt + kIngestChunk, last)}) {
      ASSERT_OK_AND_ASSIGN(auto aside, follower->BuildProjectionsAside(MakeCrmProjector(), upto));
      EXPECT_EQ(aside->checkpoint(), upto);
      const auto folded = RowsOf(aside->reader());
      EXPECT_GT(folded.size(), 100u);
      if ((matched = at_kill == folded)) break;
    }
    EXPECT_TRUE(matched) << "the rows left by the kill are not a fold of events 1.." << rebuilt
                         << " (nor of the next file's events)";
  }
  follower.reset();

  // The next writer starts the rebuild over: events 1..last.
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  Options o = ReplayOptions();
  o.create_if_missing = false;
  o.projection_progress = [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
  std::unique_ptr<EventStore> store;
  ASSERT_NO_FATAL_FAILURE(OpenStore(db, o, &store));
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(last, last));
  EXPECT_FALSE(std::filesystem::exists(db + "/rebuild-sst")) << "the rebuild's files are left";
  ASSERT_OK_AND_ASSIGN(auto snapshot, store->ReadProjections());
  EXPECT_EQ(snapshot.checkpoint, last);
  const auto after = RowsOf(*snapshot.reader);
  snapshot.reader.reset();
  EXPECT_EQ(after.size(), before.size());
  EXPECT_TRUE(after == before) << "the resumed rebuild differs from the projections before";
  ASSERT_OK_AND_ASSIGN(ProjectionComparison cmp, CompareProjections(*store));
  EXPECT_TRUE(cmp.equal()) << cmp.first_family << " " << cmp.first_key << ": " << cmp.first_problem;
  EXPECT_EQ(cmp.position, last);
  store.reset();
  verify = Crm(db, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  get = Crm(db, {"get", "account", "A1"});
  EXPECT_EQ(get.exit_code, 0) << Describe(get);
}

}  // namespace
}  // namespace crm::test
