// Subscriptions: catch up from behind, then follow live appends, exactly once and in order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "test_util.h"

namespace crm::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_)); }

  // Appends `n` events to stream "account-s<k>" with text "<stream>:<version>"; k cycles over 7
  // streams; every 500th append is a 100-event batch to one stream instead.
  Status AppendTracked(int n) {
    int done = 0;
    for (int i = 0; done < n; ++i) {
      std::string stream = "account-s" + std::to_string(i % 7);
      int count = (i % 500 == 499 && n - done >= 100) ? 100 : 1;
      std::vector<std::string> texts;
      for (int j = 1; j <= count; ++j) {
        texts.push_back(stream + ":" + std::to_string(versions_[stream] + j));
      }
      auto r =
          store_->Append(NoteRequest(stream, ExpectedVersion::Exactly(versions_[stream]), texts));
      if (!r.ok()) return r.status();
      versions_[stream] += count;
      done += count;
    }
    return Status::Ok();
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::map<std::string, uint64_t> versions_;  // only the appending thread touches it
};

TEST_F(SubscriptionTest, CatchesUpThenFollowsLiveAppendsExactlyOnce) {
  constexpr uint64_t kBefore = 2000, kLive = 5000, kTotal = kBefore + kLive;
  ASSERT_OK(AppendTracked(kBefore));
  ASSERT_EQ(store_->LastPosition(), kBefore);

  ASSERT_OK_AND_ASSIGN(auto sub, store_->Subscribe(1));
  EXPECT_EQ(sub->next_position(), 1u);
  Status writer_status;
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    writer_status = AppendTracked(kLive);
    writer_done = true;
  });

  std::map<std::string, uint64_t> seen_versions;
  uint64_t expected = 1;
  auto last_progress = Clock::now();
  while (expected <= kTotal) {
    auto next = sub->Next(milliseconds(200));
    if (!next.ok()) {
      ADD_FAILURE() << "at " << expected << ": " << next.status().ToString();
      break;
    }
    if (!next->has_value()) {
      if (Clock::now() - last_progress > std::chrono::seconds(20)) {
        ADD_FAILURE() << "stalled at position " << expected << ", writer done=" << writer_done;
        break;
      }
      continue;
    }
    last_progress = Clock::now();
    const EventView& e = **next;
    ASSERT_EQ(e.position, expected) << "out of order or duplicated";
    std::string stream(e.stream());
    uint64_t version = ++seen_versions[stream];
    ASSERT_EQ(e.version(), version) << stream;
    ASSERT_EQ(NoteText(e), stream + ":" + std::to_string(version));
    ++expected;
    EXPECT_EQ(sub->next_position(), expected);
  }
  writer.join();
  ASSERT_OK(writer_status);
  EXPECT_EQ(expected, kTotal + 1);
  EXPECT_EQ(store_->LastPosition(), kTotal);
  // Nothing more to deliver.
  ASSERT_OK_AND_ASSIGN(auto extra, sub->Next(milliseconds(50)));
  EXPECT_FALSE(extra.has_value());
}

TEST_F(SubscriptionTest, StartsInTheMiddleAndWaitsAtTheEnd) {
  ASSERT_OK(AppendTracked(100));
  ASSERT_OK_AND_ASSIGN(auto sub, store_->Subscribe(50));
  for (uint64_t p = 50; p <= 100; ++p) {
    ASSERT_OK_AND_ASSIGN(auto e, sub->Next(milliseconds(1000)));
    ASSERT_TRUE(e.has_value()) << "missing " << p;
    EXPECT_EQ(e->position, p);
  }
  auto start = Clock::now();
  ASSERT_OK_AND_ASSIGN(auto none, sub->Next(milliseconds(100)));
  EXPECT_FALSE(none.has_value());
  EXPECT_GE(Clock::now() - start, milliseconds(90)) << "Next() waits for the timeout";
  EXPECT_EQ(sub->next_position(), 101u);

  ASSERT_OK(store_->Append(NoteRequest("account-late", ExpectedVersion::NoStream(), {"late"})));
  ASSERT_OK_AND_ASSIGN(auto late, sub->Next(milliseconds(2000)));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->position, 101u);
  EXPECT_EQ(NoteText(*late), "late");
}

TEST_F(SubscriptionTest, WakesUpPromptlyOnAppend) {
  ASSERT_OK_AND_ASSIGN(auto sub, store_->Subscribe(1));
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_OK(store_->Append(NoteRequest("account-w", ExpectedVersion::Any(), {"w"})));
  });
  auto start = Clock::now();
  ASSERT_OK_AND_ASSIGN(auto e, sub->Next(milliseconds(5000)));
  auto waited = Clock::now() - start;
  writer.join();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->position, 1u);
  EXPECT_LT(waited, milliseconds(2000)) << "the subscriber is notified, not polling slowly";
}

TEST_F(SubscriptionTest, TypeFilterSkipsOtherTypes) {
  for (int p = 1; p <= 20; ++p) {
    AppendRequest req;
    StreamEvents s;
    if (p % 4 == 0) {
      s.stream = "user-u" + std::to_string(p);
      s.events.push_back(User("u" + std::to_string(p), "N", fb::UserRole::viewer));
    } else {
      s.stream = "account-A";
      s.events.push_back(Note("n"));
    }
    req.streams.push_back(std::move(s));
    ASSERT_OK(store_->Append(std::move(req)));
  }
  ASSERT_OK_AND_ASSIGN(auto sub,
                       store_->Subscribe(6, TypeFilter::Only({fb::Payload::UserCreated})));
  for (uint64_t want : {8, 12, 16, 20}) {
    ASSERT_OK_AND_ASSIGN(auto e, sub->Next(milliseconds(1000)));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->position, want);
    EXPECT_EQ(e->type(), fb::Payload::UserCreated);
  }
  ASSERT_OK(store_->Append(NoteRequest("account-A", ExpectedVersion::Any(), {"skip me"})));
  AppendRequest req;
  StreamEvents s;
  s.stream = "user-last";
  s.events.push_back(User("last", "L", fb::UserRole::admin));
  req.streams.push_back(std::move(s));
  ASSERT_OK(store_->Append(std::move(req)));
  ASSERT_OK_AND_ASSIGN(auto e, sub->Next(milliseconds(2000)));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->position, 22u);
  EXPECT_EQ(e->stream(), "user-last");
}

}  // namespace
}  // namespace crm::test
