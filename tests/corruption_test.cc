// Damaged records planted with raw RocksDB must be found by Verify() and reported (not crashed on)
// by readers, which then continue past them.
#include <flatbuffers/flatbuffers.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "raw_db.h"
#include "test_util.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kEvents = 100;
constexpr uint64_t kBad = 42;  // even: on stream "account-E" as version 21

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store));
    ASSERT_NO_FATAL_FAILURE(AppendAlternating(*store, kEvents));
    ASSERT_OK_AND_ASSIGN(VerifyReport clean, store->Verify());
    ASSERT_TRUE(clean.ok()) << clean.first_problem;
    store.reset();
    auto value = GetRawEvent(dir_.path(), kBad);
    ASSERT_TRUE(value.has_value());
    original_ = *value;
  }

  void Reopen() { ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_)); }

  void ExpectVerifyFlags(uint64_t position) {
    ASSERT_NO_FATAL_FAILURE(Reopen());
    ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
    EXPECT_FALSE(report.ok());
    EXPECT_GE(report.bad_records, 1u);
    EXPECT_EQ(report.first_bad_position, position) << report.first_problem;
    EXPECT_FALSE(report.first_problem.empty());
    EXPECT_EQ(report.last_position, kEvents);
  }

  // The original value at kBad with `from` replaced by `to` (same length).
  std::string Patched(const std::string& from, const std::string& to) {
    EXPECT_EQ(from.size(), to.size());
    std::string v = original_;
    auto at = v.find(from);
    EXPECT_NE(at, std::string::npos) << "\"" << from << "\" not in the stored bytes";
    if (at != std::string::npos) v.replace(at, from.size(), to);
    return v;
  }

  // Checks the reader yields `before` events, then kCorruption naming kBad, then positions
  // after_from..after_to (every `step`), then a clean end.
  void ExpectReadAround(EventReader& reader, uint64_t before, uint64_t after_from,
                        uint64_t after_to, uint64_t step) {
    std::vector<ReadStep> steps = DrainThroughErrors(reader, 1000);
    size_t i = 0;
    uint64_t p = 0;
    for (uint64_t n = 0; n < before; ++n, ++i) {
      ASSERT_LT(i, steps.size());
      ASSERT_TRUE(steps[i].event.has_value()) << "step " << i << ": " << steps[i].error.ToString();
      p = steps[i].event->position;
    }
    ASSERT_LT(i, steps.size()) << "no error after position " << p;
    ASSERT_FALSE(steps[i].event.has_value()) << "got position " << steps[i].event->position;
    EXPECT_EQ(steps[i].error.code(), Code::kCorruption) << steps[i].error.ToString();
    EXPECT_THAT(steps[i].error.message(), HasSubstr(std::to_string(kBad)));
    ++i;
    for (uint64_t q = after_from; q <= after_to; q += step, ++i) {
      ASSERT_LT(i, steps.size()) << "reader stopped before " << q;
      ASSERT_TRUE(steps[i].event.has_value()) << steps[i].error.ToString();
      EXPECT_EQ(steps[i].event->position, q);
    }
    EXPECT_EQ(i, steps.size()) << "more steps than expected";
  }

  TempDir dir_;
  std::string original_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(CorruptionTest, GarbageValueIsReportedAndSkipped) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, std::string(200, '\x5a') + "garbage, not a buffer"));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
  EXPECT_EQ(store_->LastPosition(), kEvents);

  ASSERT_OK_AND_ASSIGN(auto log, store_->ReadLog(1));
  ASSERT_NO_FATAL_FAILURE(ExpectReadAround(*log, kBad - 1, kBad + 1, kEvents, 1));

  // A stream that does not contain 42 reads fine.
  ASSERT_OK_AND_ASSIGN(auto odd, Drain(store_->ReadStream("account-O", 1, Direction::kForward)));
  ASSERT_EQ(odd.size(), 50u);
  for (uint64_t v = 1; v <= 50; ++v) {
    EXPECT_EQ(odd[v - 1].position, 2 * v - 1);
    EXPECT_EQ(NoteText(odd[v - 1].view()), "note " + std::to_string(2 * v - 1));
  }
  // The stream that does: versions 1..20 (positions 2..40), the error, then 44..100.
  ASSERT_OK_AND_ASSIGN(auto even, store_->ReadStream("account-E", 1, Direction::kForward));
  ASSERT_NO_FATAL_FAILURE(ExpectReadAround(*even, 20, kBad + 2, kEvents, 2));
}

TEST_F(CorruptionTest, SubscriptionStopsAtACorruptRecord) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, "garbage"));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(auto sub, store_->Subscribe(kBad - 3));
  for (uint64_t p = kBad - 3; p < kBad; ++p) {
    ASSERT_OK_AND_ASSIGN(auto e, sub->Next(std::chrono::milliseconds(1000)));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->position, p);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // it stays at the bad record
    auto bad = sub->Next(std::chrono::milliseconds(1000));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), Code::kCorruption);
    EXPECT_THAT(bad.status().message(), HasSubstr(std::to_string(kBad)));
    EXPECT_EQ(sub->next_position(), kBad);
  }
}

TEST_F(CorruptionTest, TruncatedValueIsReported) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, original_.substr(0, 3)));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
  ASSERT_OK_AND_ASSIGN(auto log, store_->ReadLog(kBad - 2));
  ASSERT_NO_FATAL_FAILURE(ExpectReadAround(*log, 2, kBad + 1, kEvents, 1));
}

TEST_F(CorruptionTest, EmptyValueIsReported) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, ""));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
}

TEST_F(CorruptionTest, ValidBufferWithWrongStampPositionIsReported) {
  std::string v = original_;
  auto* env = flatbuffers::GetMutableRoot<fb::Envelope>(v.data());
  ASSERT_EQ(env->stamp()->position(), kBad);
  env->mutable_stamp()->mutate_position(kBad + 1000);
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(v.data()), v.size());
  ASSERT_TRUE(fb::VerifyEnvelopeBuffer(verifier)) << "still a valid buffer";
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, v));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
}

TEST_F(CorruptionTest, RecordCopiedFromAnotherPositionIsReported) {
  auto other = GetRawEvent(dir_.path(), kBad - 2);  // same stream, stamp position 40
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, *other));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
}

TEST_F(CorruptionTest, ChangedPayloadTextFailsTheHashCheck) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, Patched("note 42", "note 24")));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
  EXPECT_THAT(store_->Verify()->first_problem, HasSubstr("hash"));
}

TEST_F(CorruptionTest, ChangedStreamNameIsReported) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, Patched("account-E", "account-F")));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
}

TEST_F(CorruptionTest, ChangedStoredHashIsReported) {
  std::string v = original_;
  auto* env = flatbuffers::GetMutableRoot<fb::Envelope>(v.data());
  auto* hash = env->mutable_stamp()->mutable_hash().mutable_bytes();
  hash->Mutate(0, hash->Get(0) ^ 0xff);
  ASSERT_TRUE(PutRawEvent(dir_.path(), kBad, v));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
}

TEST_F(CorruptionTest, MissingRecordIsAGap) {
  ASSERT_TRUE(DeleteRawEvent(dir_.path(), kBad));
  ASSERT_NO_FATAL_FAILURE(ExpectVerifyFlags(kBad));
}

// The last record is where the writer continues the hash chain from, so the writer may refuse to
// open (naming the position); a follower must still open so the damage can be inspected.
TEST_F(CorruptionTest, CorruptLastRecordIsNamedAndStillVerifiable) {
  ASSERT_TRUE(PutRawEvent(dir_.path(), kEvents, "garbage"));
  {
    auto writer = EventStore::Open(dir_.path(), FastOptions());
    if (!writer.ok()) {
      EXPECT_EQ(writer.status().code(), Code::kCorruption) << writer.status().ToString();
      EXPECT_THAT(writer.status().message(), HasSubstr(std::to_string(kEvents)));
    }
  }

  Options fo = FastOptions();
  fo.mode = OpenMode::kFollower;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), fo, &store_));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.first_bad_position, kEvents) << report.first_problem;
  ASSERT_OK_AND_ASSIGN(auto log, store_->ReadLog(kEvents - 1));
  std::vector<ReadStep> steps = DrainThroughErrors(*log, 10);
  ASSERT_EQ(steps.size(), 2u);
  ASSERT_TRUE(steps[0].event.has_value());
  EXPECT_EQ(steps[0].event->position, kEvents - 1);
  EXPECT_EQ(steps[1].error.code(), Code::kCorruption);
}

TEST_F(CorruptionTest, DamagedStreamIndexIsReported) {
  ASSERT_TRUE(DeleteFirstKey(dir_.path(), "streams"));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_FALSE(report.ok()) << "the index no longer agrees with the log";
  EXPECT_FALSE(report.first_problem.empty());
}

}  // namespace
}  // namespace crm::test
