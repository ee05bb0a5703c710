// Helpers for the CommandExecutor tests (domain_*_test.cc): a fixture with a fresh store and its
// admin user, a JSON command builder, parsed result lines and readers of the events written.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "crm/commands.h"
#include "crm/event_store.h"
#include "test_util.h"

namespace crm::test {

// Builds one command line: Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").
// Strings are JSON-escaped; Raw() inserts a JSON literal as is (numbers, objects, null, ...).
class Cmd {
 public:
  explicit Cmd(std::string_view type);
  Cmd& S(std::string_view key, std::string_view value);
  Cmd& Raw(std::string_view key, std::string_view json);
  Cmd& I(std::string_view key, int64_t value) { return Raw(key, std::to_string(value)); }
  std::string str() const { return body_ + "}"; }
  operator std::string() const { return str(); }  // NOLINT: a Cmd is a command line

 private:
  std::string body_;
};

// A JSON string literal ("..." with escapes).
std::string JsonString(std::string_view s);

// One parsed result line. `code` is "OK" for {"ok":true,...}, else the error code.
struct Outcome {
  std::string line;
  bool ok = false;
  std::string code;
  std::string message;
  bool has_position = false;
  uint64_t position = 0;
  std::string stream;
  uint64_t version = 0;
  std::vector<std::string> events;
};
// Parses a SPEC §2 result line, failing the test if its shape is wrong (keys, types).
Outcome ParseOutcome(const std::string& line);
inline void PrintTo(const Outcome& o, std::ostream* os) { *os << o.line; }

MATCHER_P(HasCode, code, "has result code " + std::string(code)) {
  *result_listener << "the result line is " << arg.line;
  return arg.code == code;
}

// The few envelope fields most tests look at, copied out of a stored event.
struct EventInfo {
  uint64_t position = 0;
  std::string stream;
  uint64_t version = 0;
  std::string type;
  std::string actor;
  std::string command_id;
};
EventInfo Info(const RecordedEvent& e);
std::vector<std::string> TypesOf(const std::vector<RecordedEvent>& events);

// The typed payload of a stored event (nullptr if it is another type). Valid while `e` lives.
template <typename T>
const T* Data(const RecordedEvent& e) {
  return e.view().envelope->template data_as<T>();
}
inline std::string S(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// The first event of type T in `events` and its payload, or {nullptr, nullptr}.
template <typename T>
std::pair<const RecordedEvent*, const T*> Find(const std::vector<RecordedEvent>& events) {
  for (const RecordedEvent& e : events) {
    if (const T* data = Data<T>(e)) return {&e, data};
  }
  return {nullptr, nullptr};
}

// A fresh store (no fsync) with its admin user, and an executor on it (default actor admin).
class DomainTest : public ::testing::Test {
 protected:
  void SetUp() override;

  Outcome Run(const std::string& line) { return Run(*exec_, line); }
  Outcome Run(CommandExecutor& executor, const std::string& line);
  // Runs a command that must succeed (a non-fatal failure otherwise).
  Outcome Ok(const std::string& line);
  // Runs a command that must be rejected with `code` and must append nothing.
  Outcome Rejected(const std::string& line, std::string_view code);

  // Checks a success that appended exactly `types` (in order) as one command: the result line
  // names the last event's position, stream and version, the log holds the events at the
  // positions just before it with one command_id. Returns the events.
  std::vector<RecordedEvent> ExpectAppended(const Outcome& r, std::vector<std::string> types);
  // The same, for events whose order across streams is the engine's choice (a policy's event
  // and its cause): `types` as a multiset. Returns the events in log order.
  std::vector<RecordedEvent> ExpectAppendedInAnyOrder(const Outcome& r,
                                                      std::vector<std::string> types);

  std::vector<RecordedEvent> Log(uint64_t from = 1);
  std::vector<RecordedEvent> Stream(std::string_view stream);
  uint64_t StreamVersion(std::string_view stream);
  std::vector<std::string> Links(std::string_view from);
  uint64_t Last() { return store_->LastPosition(); }

  void AddUser(const std::string& id, const std::string& role);
  void SetStrict(bool strict);

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<CommandExecutor> exec_;
};

}  // namespace crm::test
