// Replay equals live: the projections maintained inline by the writer over a large random
// workload equal a rebuild folded aside (CompareProjections, every family); two rebuilds are
// byte-identical to each other and to the live rows; a database whose projections were built by
// another projector version is rebuilt on the writer's open, reporting its progress.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <iostream>

#include "raw_db.h"
#include "replay_test_util.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;

class ReplayEquivalenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.Sub("db");
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, ReplayOptions(), &store_));
    ASSERT_OK(EnsureAdminUser(*store_));
    exec_ = std::make_unique<CommandExecutor>(store_.get());
  }

  // The event types a workload must have produced for the comparison to mean something.
  void ExpectEveryKindOfEvent() {
    ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
    std::map<std::string, uint64_t> by_type(stats.events_by_type.begin(),
                                            stats.events_by_type.end());
    for (const char* type :
         {"AccountOpened", "AccountUpdated", "AccountTypeChanged", "AccountAssigned",
          "AccountDeactivated", "AccountReactivated", "AccountNoteAdded", "AccountRevenueRecorded",
          "ContactCreated", "ContactUpdated", "ContactLinked", "LeadCreated", "LeadUpdated",
          "LeadQualified", "LeadDisqualified", "LeadConverted", "OpportunityOpened",
          "OpportunityStageChanged", "OpportunityWon", "OpportunityLost", "TicketOpened",
          "TicketAssigned", "TicketStatusChanged", "TicketResolved", "TicketClosed",
          "TicketReopened", "TicketCommented", "ActivityLogged", "ActivityCompleted",
          "ActivityCanceled", "QuoteCreated", "QuoteAccepted", "OrderPlaced", "InvoiceIssued",
          "InvoicePaid"}) {
      EXPECT_GT(by_type[type], 20u) << "the workload produced too few " << type << " events";
    }
  }

  TempDir dir_;
  std::string db_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<CommandExecutor> exec_;
};

// 1. Replay equals live after >= 50,000 random commands executed in ExecuteBatch groups.
TEST_F(ReplayEquivalenceTest, ReplayEqualsLiveAfterARandomWorkload) {
  WorkloadGenerator gen(20240501);
  const auto start = std::chrono::steady_clock::now();
  WorkloadStats stats = RunWorkload(*exec_, gen, 50'000);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("workload_seconds", std::to_string(secs));
  ASSERT_GE(stats.commands, 50'000u);
  // Mostly successes; the rejections are business rules, roles and lifecycle violations.
  EXPECT_GT(stats.ok, stats.commands * 6 / 10) << "too many rejections to exercise the projector";
  EXPECT_GT(stats.rejected, 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectEveryKindOfEvent());
  const uint64_t last = store_->LastPosition();
  EXPECT_GT(last, stats.ok);
  std::string codes;
  for (const auto& [code, n] : stats.rejections_by_code) codes += code + "=" + std::to_string(n) + " ";
  RecordProperty("rejections", codes);
  std::cout << "[          ] " << stats.ok << " commands ok, rejected: " << codes << ", "
            << last << " events in " << secs << " s\n";

  ASSERT_OK_AND_ASSIGN(ProjectionComparison cmp, CompareProjections(*store_));
  EXPECT_EQ(cmp.position, last);
  EXPECT_TRUE(cmp.equal()) << cmp.first_family << " " << cmp.first_key << ": " << cmp.first_problem;
  EXPECT_EQ(cmp.first_key, "");
  std::vector<std::string> names;
  for (const auto& f : cmp.families) {
    names.push_back(f.name);
    EXPECT_TRUE(f.equal()) << f.name << ": live " << f.live_rows << " rows " << f.live_digest
                           << ", rebuilt " << f.rebuilt_rows << " rows " << f.rebuilt_digest;
    // Snapshots are few: one per 64 changes of a row.
    EXPECT_GT(f.live_rows, f.name == "snapshots" ? 10u : 1000u) << f.name;
    EXPECT_EQ(f.live_rows, f.rebuilt_rows) << f.name;
    EXPECT_EQ(f.live_digest.size(), 64u) << f.name;
    EXPECT_EQ(f.live_digest, f.rebuilt_digest) << f.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"state", "lists", "history", "snapshots"}));

  // The digests cover every row: the row counts are those of the live column family.
  ASSERT_OK_AND_ASSIGN(auto rows, AllProjectionRows(*store_));
  uint64_t total = 0;
  for (const auto& f : cmp.families) total += f.live_rows;
  EXPECT_EQ(total, rows.size());

  // Notes name their mentions in the history (v2 payloads, projector v2).
  size_t with_mentions = 0;
  ASSERT_OK_AND_ASSIGN(auto reader, CrmReader::Open(*store_));
  ASSERT_OK_AND_ASSIGN(auto accounts, reader->List(ListQuery{"account", {}, 50, ""}));
  for (const Doc& a : accounts) {
    ASSERT_OK_AND_ASSIGN(auto history, reader->History(StreamName("account", Tx(a, "account_id")), 0, 0));
    for (const Doc& h : history) {
      if (Tx(h, "summary").find("; mentions ") != std::string::npos) ++with_mentions;
    }
  }
  EXPECT_GT(with_mentions, 0u);
}

// 2. Two replays are byte-identical, to each other and to the rows maintained inline.
TEST_F(ReplayEquivalenceTest, TwoReplaysAreByteIdenticalAndEqualLive) {
  WorkloadGenerator gen(777);
  RunWorkload(*exec_, gen, 12'000, 256);
  const uint64_t last = store_->LastPosition();
  ASSERT_OK_AND_ASSIGN(auto live, AllProjectionRows(*store_));
  ASSERT_GT(live.size(), 5'000u);

  std::vector<std::pair<uint64_t, uint64_t>> calls;
  ASSERT_OK(store_->RebuildProjections([&](uint64_t done, uint64_t total) {
    calls.emplace_back(done, total);
  }));
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(last, last));
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_LE(calls[i - 1].first, calls[i].first);
  ASSERT_OK_AND_ASSIGN(auto first, store_->ReadProjections());
  EXPECT_EQ(first.checkpoint, last);
  const auto first_rows = RowsOf(*first.reader);
  first.reader.reset();

  ASSERT_OK(store_->RebuildProjections());
  ASSERT_OK_AND_ASSIGN(auto second, store_->ReadProjections());
  EXPECT_EQ(second.checkpoint, last);
  const auto second_rows = RowsOf(*second.reader);
  second.reader.reset();

  EXPECT_EQ(first_rows.size(), live.size());
  EXPECT_TRUE(first_rows == second_rows) << "two rebuilds differ";
  EXPECT_TRUE(first_rows == live) << "a rebuild differs from the rows maintained inline";
  // Nothing was appended by a rebuild, and the writer still works afterwards (the projections
  // follow the next append).
  EXPECT_EQ(store_->LastPosition(), last);
  ExecResult r = exec_->Execute(Cmd("OpenAccount").S("account_id", "AFTER").S("name", "After").str());
  ASSERT_TRUE(r.ok) << r.line;
  ASSERT_OK_AND_ASSIGN(auto reader, CrmReader::Open(*store_));
  EXPECT_EQ(reader->position(), last + 1);
  ASSERT_OK_AND_ASSIGN(auto after, reader->Get("account", "AFTER"));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(J(*after, "name"), "\"After\"");
}

// A rebuild takes the writer's leadership: appends from another thread wait for it and are then
// folded on top; the result equals a fold of the whole log.
TEST_F(ReplayEquivalenceTest, AppendsDuringARebuildWaitAndAreFolded) {
  WorkloadGenerator gen(31337);
  RunWorkload(*exec_, gen, 10'000);
  const uint64_t before = store_->LastPosition();
  std::atomic<bool> started{false}, finished{false};
  WorkloadStats writer_stats;
  std::thread writer([&] {
    CommandExecutor exec(store_.get());
    WorkloadGenerator other(4711, "w");
    for (int round = 0; round < 200; ++round) {
      std::vector<std::string> lines;
      for (int i = 0; i < 64; ++i) lines.push_back(other.Next());
      std::vector<std::string_view> views(lines.begin(), lines.end());
      for (const ExecResult& r : exec.ExecuteBatch(views)) {
        ++writer_stats.commands;
        writer_stats.ok += r.ok;
        EXPECT_EQ(r.line.find("STORAGE_ERROR"), std::string::npos) << r.line;
      }
      started = true;
    }
    finished = true;
  });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool overlapped = !finished;
  Status rebuilt = store_->RebuildProjections();
  writer.join();
  ASSERT_OK(rebuilt);
  EXPECT_TRUE(overlapped) << "the writer finished before the rebuild started: lengthen it";
  EXPECT_GT(writer_stats.ok, writer_stats.commands / 2);
  const uint64_t last = store_->LastPosition();
  EXPECT_GT(last, before + 5'000);
  ASSERT_OK_AND_ASSIGN(auto snapshot, store_->ReadProjections());
  EXPECT_EQ(snapshot.checkpoint, last);
  snapshot.reader.reset();
  ASSERT_OK_AND_ASSIGN(ProjectionComparison cmp, CompareProjections(*store_));
  EXPECT_EQ(cmp.position, last);
  EXPECT_TRUE(cmp.equal()) << cmp.first_family << " " << cmp.first_key << ": " << cmp.first_problem;
}

// Folding aside: beyond the log is an error; 0 is the whole log; up to a past position, the rows
// the live projections had when the log ended there.
TEST_F(ReplayEquivalenceTest, BuildProjectionsAsideBounds) {
  WorkloadGenerator gen(5);
  RunWorkload(*exec_, gen, 2'000);
  const uint64_t last = store_->LastPosition();
  auto beyond = store_->BuildProjectionsAside(MakeCrmProjector(), last + 1);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), Code::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto whole, store_->BuildProjectionsAside(MakeCrmProjector(), 0));
  EXPECT_EQ(whole->checkpoint(), last);
  ASSERT_OK_AND_ASSIGN(auto live, AllProjectionRows(*store_));
  EXPECT_TRUE(RowsOf(whole->reader()) == live);
  // A prefix: exactly the rows the live projections had when the log ended there.
  TempDir other;
  std::unique_ptr<EventStore> small;
  ASSERT_NO_FATAL_FAILURE(OpenStore(other.Sub("db"), ReplayOptions(), &small));
  ASSERT_OK(EnsureAdminUser(*small));
  CommandExecutor exec(small.get());
  WorkloadGenerator same(5);
  RunWorkload(exec, same, 1'000);
  const uint64_t half = small->LastPosition();
  ASSERT_OK_AND_ASSIGN(auto half_live, AllProjectionRows(*small));
  RunWorkload(exec, same, 1'000);
  ASSERT_OK_AND_ASSIGN(auto prefix, small->BuildProjectionsAside(MakeCrmProjector(), half));
  EXPECT_EQ(prefix->checkpoint(), half);
  EXPECT_TRUE(RowsOf(prefix->reader()) == half_live);
}

// 8. A database whose meta names another projector version is rebuilt on the writer's open;
// projection_progress ends with (total, total). Before that, readers refuse the projections.
TEST_F(ReplayEquivalenceTest, AnotherProjectorVersionIsRebuiltOnTheWritersOpen) {
  WorkloadGenerator gen(99);
  RunWorkload(*exec_, gen, 20'000);
  const uint64_t last = store_->LastPosition();
  ASSERT_GT(last, 2 * 8192u) << "enough events for several progress calls";
  ASSERT_OK_AND_ASSIGN(auto live, AllProjectionRows(*store_));
  exec_.reset();
  store_.reset();

  // As a previous release left it: projector version 1.
  ASSERT_EQ(GetRawKey(db_, "meta", "projection.version"), std::to_string(kProjectorVersion));
  ASSERT_EQ(GetRawKey(db_, "meta", "projection.name"), std::string(kProjectorName));
  ASSERT_TRUE(PutRawKey(db_, "meta", "projection.version", "1"));

  {
    std::unique_ptr<EventStore> follower;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, ReplayOptions(OpenMode::kFollower), &follower));
    auto snapshot = follower->ReadProjections();
    ASSERT_FALSE(snapshot.ok());
    EXPECT_EQ(snapshot.status().code(), Code::kNotSupported);
    EXPECT_THAT(snapshot.status().message(), HasSubstr("v1"));
    auto reader = CrmReader::Open(*follower);
    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.status().code(), Code::kNotSupported);
  }
  ProcessResult get = Crm(db_, {"get", "account", "A1"});
  EXPECT_EQ(get.exit_code, 4) << Describe(get);

  std::vector<std::pair<uint64_t, uint64_t>> calls;
  Options o = ReplayOptions();
  o.create_if_missing = false;
  o.projection_progress = [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store_));
  ASSERT_GE(calls.size(), 3u) << "progress every 8192 events and once at the end";
  EXPECT_EQ(calls.back(), std::make_pair(last, last));
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second, last);
    if (i > 0) {
      EXPECT_LT(calls[i - 1].first, calls[i].first);
    }
  }
  ASSERT_OK_AND_ASSIGN(auto snapshot, store_->ReadProjections());
  EXPECT_EQ(snapshot.checkpoint, last);
  EXPECT_TRUE(RowsOf(*snapshot.reader) == live) << "the rebuild differs from the old rows";
  snapshot.reader.reset();
  store_.reset();
  EXPECT_EQ(GetRawKey(db_, "meta", "projection.version"), std::to_string(kProjectorVersion));

  // A reopen has nothing to rebuild or catch up: no progress at all.
  calls.clear();
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store_));
  EXPECT_TRUE(calls.empty()) << calls.size() << " progress calls on a clean open";
  store_.reset();
  ProcessResult verify = Crm(db_, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
}

}  // namespace
}  // namespace crm::test
