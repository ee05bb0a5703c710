// Shared helpers for the engine and CLI tests: a per-test temporary directory, status assertions,
// event builders and reader drains.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crm/event.h"
#include "crm/event_store.h"
#include "crm/status.h"

namespace crm::test {

// A fresh directory under ::testing::TempDir(), removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory that does not exist yet.
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

#define CRM_CONCAT_INNER(a, b) a##b
#define CRM_CONCAT(a, b) CRM_CONCAT_INNER(a, b)

// Asserts that a Status or Result is ok, printing the status otherwise.
#define ASSERT_OK(expr)                                                     \
  do {                                                                      \
    const auto& crm_ok_ = (expr);                                           \
    ASSERT_TRUE(crm_ok_.ok()) << ::crm::test::StatusOf(crm_ok_).ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                                     \
  do {                                                                      \
    const auto& crm_ok_ = (expr);                                           \
    EXPECT_TRUE(crm_ok_.ok()) << ::crm::test::StatusOf(crm_ok_).ToString(); \
  } while (0)

// `lhs = value of expr`, or fails the test (only in functions returning void).
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(CRM_CONCAT(crm_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                                \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

// Options for a fast test store: no fsync.
inline Options FastOptions() {
  Options o;
  o.durability = Durability::kNoSync;
  o.block_cache_bytes = size_t{8} << 20;
  return o;
}

EventData Note(std::string text);
EventData User(std::string user_id, std::string name, fb::UserRole role);

// One stream with one AccountNoteAdded per text.
StreamEvents Notes(std::string stream, ExpectedVersion expected,
                   const std::vector<std::string>& texts);
// A request appending `texts` as notes to one stream.
AppendRequest NoteRequest(std::string stream, ExpectedVersion expected,
                          const std::vector<std::string>& texts);
// `count` notes "<prefix><i>" for i in [0, count).
std::vector<std::string> Texts(std::string_view prefix, int count);

// The text of an AccountNoteAdded event; "" for any other type.
std::string NoteText(const EventView& e);

// Reads until a clean end; the first error stops and is returned.
Result<std::vector<RecordedEvent>> Drain(EventReader& reader);
Result<std::vector<RecordedEvent>> Drain(Result<std::unique_ptr<EventReader>> reader);

// What a reader produced, one entry per Next() call: an event, or an error (clean end stops).
struct ReadStep {
  std::optional<RecordedEvent> event;
  Status error;
};
// Calls Next() until a clean end or `max_steps` calls, recording errors instead of stopping.
std::vector<ReadStep> DrainThroughErrors(EventReader& reader, int max_steps);

// Hex of a digest, and the all-zeros digest.
std::string Hex(const Sha256Digest& d);
inline Sha256Digest ZeroDigest() { return Sha256Digest{}; }

// SHA-256(prev_hash || bytes with the stamp's hash field zeroed), computed independently of the
// engine (OpenSSL), as specified in schemas/envelope.fbs.
Sha256Digest ExpectedHash(const EventView& e);

// Opens a store or aborts the test with a fatal failure; use via ASSERT_NO_FATAL_FAILURE.
void OpenStore(const std::string& dir, const Options& options, std::unique_ptr<EventStore>* store);

// Appends `count` single-event appends, event i (1-based position if the log is empty) going to
// stream "account-E" when i is even and "account-O" when odd, text "note <i>".
void AppendAlternating(EventStore& store, int count);

}  // namespace crm::test
