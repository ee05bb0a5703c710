// The log's own invariants: gap-free positions, the hash chain, timestamps, event ids, and
// persistence across reopen.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "test_util.h"

namespace crm::test {
namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_)); }

  // A mix of single, multi-event and multi-stream appends: 1 + 5 + (2+3) + 1*10 = 21 events.
  void AppendMix() {
    ASSERT_OK(store_->Append(NoteRequest("account-A", ExpectedVersion::Any(), {"one"})));
    ASSERT_OK(store_->Append(NoteRequest("account-B", ExpectedVersion::Any(), Texts("b", 5))));
    AppendRequest multi;
    multi.streams.push_back(Notes("account-A", ExpectedVersion::Any(), Texts("a", 2)));
    multi.streams.push_back(Notes("contact-C", ExpectedVersion::Any(), Texts("c", 3)));
    ASSERT_OK(store_->Append(std::move(multi)));
    for (int i = 0; i < 10; ++i) {
      ASSERT_OK(store_->Append(
          NoteRequest("lead-" + std::to_string(i % 3), ExpectedVersion::Any(), {"l"})));
    }
  }

  // Checks positions 1..n, the hash chain and per-stream versions over the whole log.
  void CheckChain(uint64_t n) {
    ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
    ASSERT_EQ(log.size(), n);
    Sha256Digest prev = ZeroDigest();
    std::map<std::string, uint64_t> versions;
    for (uint64_t i = 0; i < n; ++i) {
      EventView v = log[i].view();
      SCOPED_TRACE("position " + std::to_string(i + 1));
      EXPECT_EQ(v.position, i + 1);
      EXPECT_EQ(v.envelope->stamp()->position(), i + 1);
      EXPECT_EQ(v.prev_hash(), prev);
      EXPECT_EQ(v.hash(), ExpectedHash(v)) << "hash != SHA256(prev_hash || bytes, hash zeroed)";
      EXPECT_NE(v.hash(), ZeroDigest());
      EXPECT_EQ(v.version(), ++versions[std::string(v.stream())]);
      prev = v.hash();
    }
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(LogTest, HashChainLinksEveryEvent) {
  ASSERT_NO_FATAL_FAILURE(AppendMix());
  EXPECT_EQ(store_->LastPosition(), 21u);
  ASSERT_NO_FATAL_FAILURE(CheckChain(21));
}

TEST_F(LogTest, FirstEventHasZeroPrevHash) {
  ASSERT_OK(store_->Append(NoteRequest("account-A", ExpectedVersion::Any(), {"x"})));
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(Hex(log[0].view().prev_hash()), std::string(64, '0'));
  EXPECT_EQ(log[0].view().hash(), ExpectedHash(log[0].view()));
}

TEST_F(LogTest, EventIdsAreUniqueAndNonZero) {
  ASSERT_NO_FATAL_FAILURE(AppendMix());
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  std::set<std::string> ids;
  for (const auto& e : log) {
    const auto* id = e.view().envelope->event_id()->bytes();
    std::string s(reinterpret_cast<const char*>(id->data()), 16);
    EXPECT_NE(s, std::string(16, '\0'));
    EXPECT_TRUE(ids.insert(s).second) << "duplicate event_id at " << e.position;
  }
}

TEST_F(LogTest, RecordedAtIsNowAndNonDecreasing) {
  const int64_t before = NowUs();
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(store_->Append(NoteRequest("account-" + std::to_string(i % 4), ExpectedVersion::Any(),
                                         Texts("t", 1 + i % 3))));
  }
  const int64_t after = NowUs();
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), 199u);  // 100 appends of 1 + i % 3 events
  int64_t last = 0;
  for (const auto& e : log) {
    EventView v = e.view();
    EXPECT_GE(v.recorded_at_us(), last) << "at position " << v.position;
    EXPECT_GE(v.recorded_at_us(), before - 1000);
    EXPECT_LE(v.recorded_at_us(), after + 1000);
    EXPECT_EQ(v.occurred_at_us(), v.recorded_at_us()) << "occurred_at defaults to recorded_at";
    last = v.recorded_at_us();
  }
}

TEST_F(LogTest, OccurredAtHonoursASuppliedValue) {
  const int64_t kJan2020 = 1577836800LL * 1000000;  // 2020-01-01T00:00:00Z
  ASSERT_OK(store_->Append(NoteRequest("account-A", ExpectedVersion::Any(), {"now"})));
  AppendRequest req;
  req.streams.push_back(Notes("account-A", ExpectedVersion::Any(), {"old1", "old2"}));
  req.streams.push_back(Notes("account-B", ExpectedVersion::Any(), {"old3"}));
  req.occurred_at_us = kJan2020 + 123;
  const int64_t before = NowUs();
  ASSERT_OK(store_->Append(std::move(req)));
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].view().occurred_at_us(), log[0].view().recorded_at_us());
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(log[i].view().occurred_at_us(), kJan2020 + 123);
    EXPECT_GE(log[i].view().recorded_at_us(), before - 1000) << "recorded_at is system time";
  }
}

TEST_F(LogTest, ReopenContinuesPositionsVersionsAndChain) {
  ASSERT_NO_FATAL_FAILURE(AppendMix());
  ASSERT_OK_AND_ASSIGN(auto before, Drain(store_->ReadLog(1)));
  const Sha256Digest last_hash = before.back().view().hash();
  store_.reset();

  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_));
  EXPECT_EQ(store_->LastPosition(), 21u);
  for (auto [stream, version] : std::vector<std::pair<std::string, uint64_t>>{
           {"account-A", 3}, {"account-B", 5}, {"contact-C", 3}, {"lead-0", 4}, {"lead-2", 3}}) {
    ASSERT_OK_AND_ASSIGN(uint64_t v, store_->StreamVersion(stream));
    EXPECT_EQ(v, version) << stream;
  }
  ASSERT_OK_AND_ASSIGN(auto after, Drain(store_->ReadLog(1)));
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].bytes, before[i].bytes);

  ASSERT_OK_AND_ASSIGN(
      AppendResult r,
      store_->Append(NoteRequest("account-A", ExpectedVersion::Exactly(3), {"after reopen"})));
  EXPECT_EQ(r.first_position, 22u);
  EXPECT_EQ(r.streams[0].first_version, 4u);
  ASSERT_OK_AND_ASSIGN(auto tail, Drain(store_->ReadLog(22)));
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].view().prev_hash(), last_hash);
  EXPECT_GE(tail[0].view().recorded_at_us(), before.back().view().recorded_at_us());
  ASSERT_NO_FATAL_FAILURE(CheckChain(22));

  ASSERT_OK_AND_ASSIGN(VerifyReport v, store_->Verify());
  EXPECT_TRUE(v.ok()) << v.first_problem;
  EXPECT_EQ(v.events, 22u);
  EXPECT_EQ(v.streams, 6u);
  EXPECT_EQ(v.last_position, 22u);
}

TEST_F(LogTest, SyncDurabilityAppendsAndReports) {
  store_.reset();
  Options o = FastOptions();
  o.durability = Durability::kSync;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), o, &store_));
  EXPECT_EQ(store_->durability(), Durability::kSync);
  EXPECT_EQ(store_->path(), dir_.path());
  ASSERT_OK_AND_ASSIGN(
      AppendResult r,
      store_->Append(NoteRequest("account-A", ExpectedVersion::NoStream(), Texts("s", 3))));
  EXPECT_EQ(r.last_position, 3u);
}

}  // namespace
}  // namespace crm::test
