// Concurrent appends: optimistic concurrency under races, gap-free positions across threads,
// group commits that reject one member without failing the others, concurrent duplicates.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace crm::test {
namespace {

constexpr int kThreads = 8;

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_)); }

  // Runs body(t) on kThreads threads and joins them.
  template <typename F>
  void RunThreads(F body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
    for (auto& th : threads) th.join();
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

struct Win {
  uint64_t expected;
  std::string text;
  AppendResult result;
};

// Every thread reads the version, then appends with exactly that version, until the stream has
// kTarget events. Each version must have exactly one winner.
TEST_F(ConcurrencyTest, RaceOnOneStreamWithExactVersions) {
  constexpr uint64_t kTarget = 400;
  const std::string stream = "account-hot";
  std::mutex mu;
  std::vector<Win> wins;
  std::atomic<int> conflicts{0};
  std::atomic<int> errors{0};
  RunThreads([&](int t) {
    for (int attempt = 0;; ++attempt) {
      auto v = store_->StreamVersion(stream);
      if (!v.ok()) {
        ++errors;
        return;
      }
      if (*v >= kTarget) return;
      std::string text = "t" + std::to_string(t) + "-" + std::to_string(attempt);
      auto r = store_->Append(NoteRequest(stream, ExpectedVersion::Exactly(*v), {text}));
      if (r.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        wins.push_back({*v, text, *r});
      } else if (r.status().code() == Code::kConcurrencyConflict) {
        ++conflicts;
      } else {
        ADD_FAILURE() << r.status().ToString();
        ++errors;
        return;
      }
    }
  });
  ASSERT_EQ(errors.load(), 0);
  ASSERT_EQ(wins.size(), kTarget);
  std::map<uint64_t, const Win*> by_version;
  std::set<uint64_t> positions;
  for (const Win& w : wins) {
    ASSERT_EQ(w.result.streams.size(), 1u);
    EXPECT_EQ(w.result.streams[0].first_version, w.expected + 1);
    EXPECT_EQ(w.result.streams[0].last_version, w.expected + 1);
    EXPECT_EQ(w.result.first_position, w.result.last_position);
    EXPECT_TRUE(by_version.emplace(w.expected + 1, &w).second)
        << "two winners for version " << w.expected + 1;
    EXPECT_TRUE(positions.insert(w.result.last_position).second);
  }
  ASSERT_OK_AND_ASSIGN(auto events, Drain(store_->ReadStream(stream, 1, Direction::kForward)));
  ASSERT_EQ(events.size(), kTarget);
  for (uint64_t v = 1; v <= kTarget; ++v) {
    EventView e = events[v - 1].view();
    ASSERT_EQ(e.version(), v);
    ASSERT_TRUE(by_version.count(v));
    EXPECT_EQ(NoteText(e), by_version[v]->text) << "version " << v;
    EXPECT_EQ(e.position, by_version[v]->result.last_position);
    EXPECT_EQ(e.position, v);  // the only stream
  }
  EXPECT_EQ(store_->LastPosition(), kTarget);
  RecordProperty("conflicts", conflicts.load());
}

// All threads append with the same expected version at the same moment: one winner per round.
TEST_F(ConcurrencyTest, LockstepRoundsHaveExactlyOneWinner) {
  constexpr int kRounds = 100;
  const std::string stream = "account-lockstep";
  std::vector<std::atomic<int>> winners(kRounds);
  std::vector<std::atomic<int>> losers(kRounds);
  std::barrier sync(kThreads);
  RunThreads([&](int t) {
    for (int round = 0; round < kRounds; ++round) {
      sync.arrive_and_wait();
      auto r = store_->Append(NoteRequest(stream, ExpectedVersion::Exactly(round),
                                          {"r" + std::to_string(round) + "t" + std::to_string(t)}));
      if (r.ok()) {
        ++winners[round];
        EXPECT_EQ(r->streams[0].last_version, static_cast<uint64_t>(round + 1));
      } else {
        EXPECT_EQ(r.status().code(), Code::kConcurrencyConflict) << r.status().ToString();
        ++losers[round];
      }
      sync.arrive_and_wait();  // the round is settled before anyone starts the next
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(winners[round].load(), 1) << "round " << round;
    EXPECT_EQ(losers[round].load(), kThreads - 1) << "round " << round;
  }
  EXPECT_EQ(store_->LastPosition(), static_cast<uint64_t>(kRounds));
  ASSERT_OK_AND_ASSIGN(uint64_t version, store_->StreamVersion(stream));
  EXPECT_EQ(version, static_cast<uint64_t>(kRounds));
}

TEST_F(ConcurrencyTest, DistinctStreamsAllSucceedWithGapFreePositions) {
  constexpr int kAppendsPerThread = 250;  // every 10th carries 3 events
  std::vector<std::vector<AppendResult>> results(kThreads);
  RunThreads([&](int t) {
    const std::string stream = "account-t" + std::to_string(t);
    uint64_t version = 0;
    for (int i = 0; i < kAppendsPerThread; ++i) {
      int n = i % 10 == 0 ? 3 : 1;
      auto r = store_->Append(
          NoteRequest(stream, ExpectedVersion::Exactly(version), Texts(stream + ":", n)));
      if (!r.ok()) {
        ADD_FAILURE() << stream << ": " << r.status().ToString();
        return;
      }
      version += n;
      results[t].push_back(*r);
    }
  });
  constexpr uint64_t kPerThread = kAppendsPerThread + 2 * (kAppendsPerThread / 10);
  constexpr uint64_t kTotal = kThreads * kPerThread;
  std::vector<uint64_t> positions;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(results[t].size(), static_cast<size_t>(kAppendsPerThread));
    uint64_t prev_last = 0, next_version = 1;
    for (const AppendResult& r : results[t]) {
      EXPECT_GT(r.first_position, prev_last) << "a thread's appends are ordered";
      EXPECT_EQ(r.streams[0].first_version, next_version);
      next_version = r.streams[0].last_version + 1;
      EXPECT_EQ(r.last_position - r.first_position,
                r.streams[0].last_version - r.streams[0].first_version);
      for (uint64_t p = r.first_position; p <= r.last_position; ++p) positions.push_back(p);
      prev_last = r.last_position;
    }
    EXPECT_EQ(next_version, kPerThread + 1);
  }
  std::sort(positions.begin(), positions.end());
  ASSERT_EQ(positions.size(), kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(positions[i], i + 1) << "gap or duplicate";
  EXPECT_EQ(store_->LastPosition(), kTotal);

  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), kTotal);
  std::map<std::string, uint64_t> versions;
  for (uint64_t i = 0; i < kTotal; ++i) {
    EventView v = log[i].view();
    ASSERT_EQ(v.position, i + 1);
    EXPECT_EQ(v.version(), ++versions[std::string(v.stream())]);
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok()) << report.first_problem;
}

// Threads 0-5 append valid events; thread 6 a multi-stream append with one conflicting stream;
// thread 7 a malformed request. Committed in the same groups, the bad ones must not hurt the good.
TEST_F(ConcurrencyTest, RejectedAppendInAGroupDoesNotFailNeighbours) {
  constexpr int kRounds = 60;
  ASSERT_OK(store_->Append(NoteRequest("account-fixed", ExpectedVersion::NoStream(), {"f"})));
  std::barrier sync(kThreads);
  std::atomic<int> good_failures{0};
  RunThreads([&](int t) {
    const std::string stream = "account-g" + std::to_string(t);
    for (int round = 0; round < kRounds; ++round) {
      sync.arrive_and_wait();
      if (t < 6) {
        auto r = store_->Append(
            NoteRequest(stream, ExpectedVersion::Exactly(round), {std::to_string(round)}));
        if (!r.ok()) {
          ++good_failures;
          ADD_FAILURE() << stream << " round " << round << ": " << r.status().ToString();
        }
      } else if (t == 6) {
        AppendRequest req;
        req.streams.push_back(Notes("account-bad", ExpectedVersion::Any(), {"never"}));
        req.streams.push_back(Notes("account-fixed", ExpectedVersion::Exactly(5), {"never"}));
        auto r = store_->Append(std::move(req));
        EXPECT_EQ(r.status().code(), Code::kConcurrencyConflict) << r.status().ToString();
      } else {
        auto r = store_->Append(NoteRequest("", ExpectedVersion::Any(), {"never"}));
        EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
      }
    }
  });
  EXPECT_EQ(good_failures.load(), 0);
  EXPECT_EQ(store_->LastPosition(), 1u + 6 * kRounds);
  for (int t = 0; t < 6; ++t) {
    ASSERT_OK_AND_ASSIGN(uint64_t v, store_->StreamVersion("account-g" + std::to_string(t)));
    EXPECT_EQ(v, static_cast<uint64_t>(kRounds));
  }
  ASSERT_OK_AND_ASSIGN(uint64_t bad, store_->StreamVersion("account-bad"));
  EXPECT_EQ(bad, 0u);
  ASSERT_OK_AND_ASSIGN(uint64_t fixed, store_->StreamVersion("account-fixed"));
  EXPECT_EQ(fixed, 1u);
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  EXPECT_EQ(log.size(), 1u + 6 * kRounds);
  for (const auto& e : log) EXPECT_NE(NoteText(e.view()), "never");
}

// Readers running beside appends always see a prefix of the log made of whole appends.
TEST_F(ConcurrencyTest, ReadersSeeWholeAppendsDuringWrites) {
  constexpr int kWriters = 4, kAppendsPerWriter = 150;
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        AppendRequest req;  // 2 streams x 2 events
        req.streams.push_back(
            Notes("account-w" + std::to_string(w), ExpectedVersion::Any(), {"a", "b"}));
        req.streams.push_back(Notes("contact-shared", ExpectedVersion::Any(), {"c", "d"}));
        EXPECT_OK(store_->Append(std::move(req)));
      }
      --writers_left;
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      do {  // at least once, even if the writers are already done
        auto log = Drain(store_->ReadLog(1));
        if (!log.ok()) {
          ADD_FAILURE() << log.status().ToString();
          return;
        }
        EXPECT_EQ(log->size() % 4, 0u) << "a partial append is visible";
        for (size_t i = 0; i < log->size(); ++i) {
          EventView v = (*log)[i].view();
          ASSERT_EQ(v.position, i + 1);
          ASSERT_EQ(v.envelope->command_id()->str(),
                    (*log)[i - i % 4].view().envelope->command_id()->str());
        }
        auto shared = Drain(store_->ReadStream("contact-shared", 1, Direction::kForward));
        ASSERT_TRUE(shared.ok()) << shared.status().ToString();
        EXPECT_EQ(shared->size() % 2, 0u);
        for (size_t i = 0; i < shared->size(); ++i) {
          ASSERT_EQ((*shared)[i].view().version(), i + 1);
        }
        ++reads;
      } while (writers_left.load() > 0);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->LastPosition(), 4u * kWriters * kAppendsPerWriter);
  EXPECT_GT(reads.load(), 0);
}

// The same command sent by every thread at once is appended once; everyone gets its result.
TEST_F(ConcurrencyTest, ConcurrentDuplicatesAppendOnce) {
  constexpr int kRounds = 20;
  std::barrier sync(kThreads);
  std::vector<std::vector<AppendResult>> results(kRounds, std::vector<AppendResult>(kThreads));
  RunThreads([&](int t) {
    for (int round = 0; round < kRounds; ++round) {
      AppendRequest req = NoteRequest("account-dup", ExpectedVersion::Any(), {"x", "y"});
      req.command_id = "cmd-dup-" + std::to_string(round);
      sync.arrive_and_wait();
      auto r = store_->Append(std::move(req));
      if (!r.ok()) {
        ADD_FAILURE() << r.status().ToString();
        continue;
      }
      results[round][t] = *r;
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    int originals = 0;
    for (const AppendResult& r : results[round]) {
      originals += r.duplicate ? 0 : 1;
      EXPECT_EQ(r.first_position, 2u * round + 1) << "round " << round;
      EXPECT_EQ(r.last_position, 2u * round + 2) << "round " << round;
      EXPECT_EQ(r.command_id, "cmd-dup-" + std::to_string(round));
    }
    EXPECT_EQ(originals, 1) << "round " << round;
  }
  EXPECT_EQ(store_->LastPosition(), 2u * kRounds);
}

}  // namespace
}  // namespace crm::test
