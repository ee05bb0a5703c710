// Readers: ReadStream forward/backward with limits, ReadLog with type filters.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "test_util.h"

namespace crm::test {
namespace {

struct Expected {
  uint64_t position;
  uint64_t version;
  std::string text;
};

class ReadTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_)); }

  // Appends one note to `stream` and records where it went.
  void AppendOne(const std::string& stream) {
    std::string text = stream + " v" + std::to_string(expected_[stream].size() + 1);
    auto r = store_->Append(NoteRequest(stream, ExpectedVersion::Any(), {text}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    expected_[stream].push_back({r->last_position, r->streams[0].last_version, text});
  }

  // Reads `stream` and expects exactly `versions`, each matching what AppendOne recorded.
  void ExpectRead(const std::string& stream, uint64_t from_version, Direction dir,
                  uint64_t max_count, std::vector<uint64_t> versions) {
    SCOPED_TRACE(stream + " from " + std::to_string(from_version) +
                 (dir == Direction::kForward ? " forward" : " backward") + " max " +
                 std::to_string(max_count));
    ASSERT_OK_AND_ASSIGN(auto events,
                         Drain(store_->ReadStream(stream, from_version, dir, max_count)));
    ASSERT_EQ(events.size(), versions.size());
    for (size_t i = 0; i < events.size(); ++i) {
      EventView v = events[i].view();
      const Expected& want = expected_[stream][versions[i] - 1];
      EXPECT_EQ(v.stream(), stream);
      EXPECT_EQ(v.version(), versions[i]);
      EXPECT_EQ(v.position, want.position);
      EXPECT_EQ(v.envelope->stamp()->position(), want.position);
      EXPECT_EQ(NoteText(v), want.text);
    }
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::map<std::string, std::vector<Expected>> expected_;
};

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {  // inclusive, either direction
  std::vector<uint64_t> out;
  if (from <= to) {
    for (uint64_t v = from; v <= to; ++v) out.push_back(v);
  } else {
    for (uint64_t v = from; v >= to; --v) out.push_back(v);
  }
  return out;
}

TEST_F(ReadTest, StreamsInterleavedWithOthers) {
  for (int i = 1; i <= 60; ++i) {
    ASSERT_NO_FATAL_FAILURE(
        AppendOne(i % 3 == 0 ? "account-B" : (i % 7 == 0 ? "lead-C" : "account-A")));
  }
  const uint64_t a = expected_["account-A"].size();
  ASSERT_GT(a, 30u);
  ExpectRead("account-A", 1, Direction::kForward, UINT64_MAX, Range(1, a));
  ExpectRead("account-A", 5, Direction::kForward, 3, {5, 6, 7});
  ExpectRead("account-A", a - 1, Direction::kForward, 10, {a - 1, a});
  ExpectRead("account-A", 1, Direction::kForward, 1, {1});
  ExpectRead("account-A", a + 1, Direction::kForward, UINT64_MAX, {});
  ExpectRead("account-A", 3, Direction::kForward, 0, {});
  ExpectRead("account-A", 10, Direction::kBackward, 4, {10, 9, 8, 7});
  ExpectRead("account-A", 2, Direction::kBackward, UINT64_MAX, {2, 1});
  ExpectRead("account-A", UINT64_MAX, Direction::kBackward, 2, {a, a - 1});
  ExpectRead("account-A", UINT64_MAX, Direction::kBackward, UINT64_MAX, Range(a, 1));
  ExpectRead("account-A", a, Direction::kBackward, 3, {a, a - 1, a - 2});
  ExpectRead("account-B", 1, Direction::kForward, UINT64_MAX, Range(1, 20));
  ExpectRead("account-B", UINT64_MAX, Direction::kBackward, 5, Range(20, 16));
  ExpectRead("lead-C", 1, Direction::kForward, UINT64_MAX, Range(1, expected_["lead-C"].size()));
}

// Stream A is written in runs of 3, 1, 5, 2 and 4 events, interleaved with B; every start,
// direction and limit must read exactly the right versions.
TEST_F(ReadTest, EveryStartingPointAcrossMultiEventRuns) {
  uint64_t a = 0;
  for (int run : {3, 1, 5, 2, 4}) {
    ASSERT_NO_FATAL_FAILURE(AppendOne("account-B"));
    std::vector<std::string> texts;
    for (int i = 0; i < run; ++i) texts.push_back("account-A v" + std::to_string(a + i + 1));
    ASSERT_OK_AND_ASSIGN(AppendResult r, store_->Append(NoteRequest(
                                             "account-A", ExpectedVersion::Exactly(a), texts)));
    for (int i = 0; i < run; ++i) {
      expected_["account-A"].push_back({r.first_position + i, a + i + 1, texts[i]});
    }
    a += run;
  }
  ASSERT_EQ(a, 15u);
  for (uint64_t from = 0; from <= a + 2; ++from) {
    for (uint64_t max : {uint64_t{1}, uint64_t{2}, uint64_t{4}, uint64_t{7}, UINT64_MAX}) {
      std::vector<uint64_t> fwd, bwd;
      for (uint64_t v = std::max<uint64_t>(from, 1); v <= a && fwd.size() < max; ++v) {
        fwd.push_back(v);
      }
      for (uint64_t v = std::min(from, a); v >= 1 && bwd.size() < max; --v) bwd.push_back(v);
      ASSERT_NO_FATAL_FAILURE(ExpectRead("account-A", from, Direction::kForward, max, fwd));
      ASSERT_NO_FATAL_FAILURE(ExpectRead("account-A", from, Direction::kBackward, max, bwd));
    }
  }
}

TEST_F(ReadTest, EmptyStore) {
  EXPECT_EQ(store_->LastPosition(), 0u);
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  EXPECT_TRUE(log.empty());
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.last_position, 0u);
  EXPECT_EQ(stats.events, 0u);
  EXPECT_EQ(stats.streams, 0u);
  EXPECT_TRUE(stats.events_by_type.empty());
  EXPECT_TRUE(stats.by_kind.empty());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok()) << report.first_problem;
  EXPECT_EQ(report.events, 0u);
  EXPECT_EQ(report.last_position, 0u);
}

TEST_F(ReadTest, MissingStreamReadsNothing) {
  ASSERT_NO_FATAL_FAILURE(AppendOne("account-A"));
  auto invalid = store_->ReadStream("", 1, Direction::kForward);
  EXPECT_EQ(invalid.status().code(), Code::kInvalidArgument);
  for (Direction d : {Direction::kForward, Direction::kBackward}) {
    auto reader = store_->ReadStream("account-nope", d == Direction::kForward ? 1 : UINT64_MAX, d);
    if (!reader.ok()) {
      EXPECT_EQ(reader.status().code(), Code::kNotFound) << reader.status().ToString();
      continue;
    }
    ASSERT_OK_AND_ASSIGN(auto events, Drain(**reader));
    EXPECT_TRUE(events.empty());
  }
}

TEST_F(ReadTest, OneAppendOfAThousandEvents) {
  for (int i = 0; i < 5; ++i) ASSERT_NO_FATAL_FAILURE(AppendOne("account-pre"));
  ASSERT_OK_AND_ASSIGN(
      AppendResult r,
      store_->Append(NoteRequest("account-big", ExpectedVersion::NoStream(), Texts("big ", 1000))));
  EXPECT_EQ(r.first_position, 6u);
  EXPECT_EQ(r.last_position, 1005u);
  EXPECT_EQ(r.streams[0].first_version, 1u);
  EXPECT_EQ(r.streams[0].last_version, 1000u);
  for (int i = 0; i < 5; ++i) ASSERT_NO_FATAL_FAILURE(AppendOne("account-post"));
  for (uint64_t v = 1; v <= 1000; ++v) {
    expected_["account-big"].push_back({5 + v, v, "big " + std::to_string(v - 1)});
  }
  ExpectRead("account-big", 1, Direction::kForward, UINT64_MAX, Range(1, 1000));
  ExpectRead("account-big", UINT64_MAX, Direction::kBackward, 10, Range(1000, 991));
  ExpectRead("account-big", 500, Direction::kForward, 3, {500, 501, 502});
  ExpectRead("account-big", 500, Direction::kBackward, 3, {500, 499, 498});
  ExpectRead("account-big", UINT64_MAX, Direction::kBackward, UINT64_MAX, Range(1000, 1));
  ExpectRead("account-post", 1, Direction::kForward, UINT64_MAX, {1, 2, 3, 4, 5});
  EXPECT_EQ(expected_["account-post"][0].position, 1006u);
  EXPECT_EQ(store_->LastPosition(), 1010u);
}

TEST(TypeFilterTest, AcceptsWhatItWasGiven) {
  TypeFilter all;
  EXPECT_TRUE(all.all());
  EXPECT_TRUE(all.Accepts(fb::Payload::UserCreated));
  EXPECT_TRUE(all.Accepts(fb::Payload::AccountNoteAdded));
  TypeFilter notes = TypeFilter::Only({fb::Payload::AccountNoteAdded});
  EXPECT_FALSE(notes.all());
  EXPECT_TRUE(notes.Accepts(fb::Payload::AccountNoteAdded));
  EXPECT_FALSE(notes.Accepts(fb::Payload::UserCreated));
  notes.Add(fb::Payload::UserCreated);
  EXPECT_TRUE(notes.Accepts(fb::Payload::UserCreated));
}

// "Only these types" with no types accepts nothing (not everything).
TEST(TypeFilterTest, OnlyNothingAcceptsNothing) {
  TypeFilter none = TypeFilter::Only({});
  EXPECT_FALSE(none.all());
  EXPECT_FALSE(none.Accepts(fb::Payload::UserCreated));
  EXPECT_FALSE(none.Accepts(fb::Payload::AccountNoteAdded));
}

class ReadLogTest : public ::testing::Test {
 protected:
  // 30 appends: position p is a UserCreated on "user-u<p>" when p % 5 == 0, else a note on
  // "account-A".
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_));
    for (int p = 1; p <= 30; ++p) {
      AppendRequest req;
      StreamEvents s;
      s.expected = ExpectedVersion::Any();
      if (p % 5 == 0) {
        s.stream = "user-u" + std::to_string(p);
        s.events.push_back(User("u" + std::to_string(p), "User", fb::UserRole::sales));
      } else {
        s.stream = "account-A";
        s.events.push_back(Note("note " + std::to_string(p)));
      }
      req.streams.push_back(std::move(s));
      auto r = store_->Append(std::move(req));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->last_position, static_cast<uint64_t>(p));
    }
  }

  std::vector<uint64_t> Positions(uint64_t from, TypeFilter filter) {
    std::vector<uint64_t> out;
    auto events = Drain(store_->ReadLog(from, filter));
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (!events.ok()) return out;
    for (const auto& e : *events) {
      EventView v = e.view();
      EXPECT_EQ(v.position, v.envelope->stamp()->position());
      EXPECT_TRUE(filter.Accepts(v.type()));
      if (v.type() == fb::Payload::AccountNoteAdded) {
        EXPECT_EQ(NoteText(v), "note " + std::to_string(v.position));
      }
      out.push_back(e.position);
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(ReadLogTest, WholeLogAndFromAPosition) {
  std::vector<uint64_t> all;
  for (uint64_t p = 1; p <= 30; ++p) all.push_back(p);
  EXPECT_EQ(Positions(1, {}), all);
  EXPECT_EQ(Positions(28, {}), (std::vector<uint64_t>{28, 29, 30}));
  EXPECT_EQ(Positions(30, {}), (std::vector<uint64_t>{30}));
  EXPECT_TRUE(Positions(31, {}).empty());
  EXPECT_TRUE(Positions(1000, {}).empty());
}

TEST_F(ReadLogTest, TypeFilter) {
  EXPECT_EQ(Positions(1, TypeFilter::Only({fb::Payload::UserCreated})),
            (std::vector<uint64_t>{5, 10, 15, 20, 25, 30}));
  EXPECT_EQ(Positions(11, TypeFilter::Only({fb::Payload::UserCreated})),
            (std::vector<uint64_t>{15, 20, 25, 30}));
  EXPECT_EQ(Positions(21, TypeFilter::Only({fb::Payload::AccountNoteAdded})),
            (std::vector<uint64_t>{21, 22, 23, 24, 26, 27, 28, 29}));
  EXPECT_EQ(
      Positions(29, TypeFilter::Only({fb::Payload::UserCreated, fb::Payload::AccountNoteAdded})),
      (std::vector<uint64_t>{29, 30}));
}

TEST_F(ReadLogTest, ReaderViewsStayValidUntilNext) {
  ASSERT_OK_AND_ASSIGN(auto reader, store_->ReadLog(1));
  ASSERT_OK_AND_ASSIGN(std::optional<EventView> first, reader->Next());
  ASSERT_TRUE(first.has_value());
  RecordedEvent owned = first->ToOwned();
  EXPECT_EQ(owned.position, 1u);
  EXPECT_EQ(owned.bytes, std::string(first->bytes));
  EXPECT_EQ(NoteText(owned.view()), "note 1");
  EXPECT_EQ(owned.view().hash(), first->hash());
}

TEST_F(ReadLogTest, StatsCountByTypeAndKind) {
  ASSERT_OK_AND_ASSIGN(StoreStats s, store_->Stats());
  EXPECT_EQ(s.last_position, 30u);
  EXPECT_EQ(s.events, 30u);
  EXPECT_EQ(s.streams, 7u);  // account-A + 6 users
  ASSERT_EQ(s.events_by_type.size(), 2u);
  EXPECT_EQ(s.events_by_type[0], (std::pair<std::string, uint64_t>{"AccountNoteAdded", 24}));
  EXPECT_EQ(s.events_by_type[1], (std::pair<std::string, uint64_t>{"UserCreated", 6}));
  ASSERT_EQ(s.by_kind.size(), 2u);
  EXPECT_EQ(s.by_kind[0].kind, "account");
  EXPECT_EQ(s.by_kind[0].streams, 1u);
  EXPECT_EQ(s.by_kind[0].events, 24u);
  EXPECT_EQ(s.by_kind[1].kind, "user");
  EXPECT_EQ(s.by_kind[1].streams, 6u);
  EXPECT_EQ(s.by_kind[1].events, 6u);
  EXPECT_GT(s.bytes_on_disk, 0u);
}

TEST_F(ReadLogTest, VerifyAHealthyLog) {
  ASSERT_OK_AND_ASSIGN(VerifyReport v, store_->Verify());
  EXPECT_TRUE(v.ok()) << v.first_problem;
  EXPECT_EQ(v.events, 30u);
  EXPECT_EQ(v.streams, 7u);
  EXPECT_EQ(v.last_position, 30u);
  EXPECT_EQ(v.bad_records, 0u);
  EXPECT_EQ(v.first_bad_position, 0u);
  EXPECT_EQ(v.first_problem, "");
}

// A reader sees the stream as of its first Next(), including a stream created after the reader.
TEST_F(ReadTest, ReaderCreatedBeforeItsStreamSeesIt) {
  ASSERT_OK_AND_ASSIGN(auto reader, store_->ReadStream("account-late", 1, Direction::kForward));
  ASSERT_NO_FATAL_FAILURE(AppendOne("account-late"));
  ASSERT_OK_AND_ASSIGN(auto events, Drain(*reader));
  EXPECT_EQ(events.size(), 1u);
}

}  // namespace
}  // namespace crm::test
