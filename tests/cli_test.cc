// The crm binary: init, events, stats, verify, exit codes (SPEC §4, §5). Runs CRM_BIN as a child
// process and parses its JSON Lines output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <time.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "process.h"
#include "raw_db.h"
#include "test_util.h"

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

using ::testing::HasSubstr;

ProcessResult Crm(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), CRM_BIN);
  return RunProcess(args, env);
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// Every stdout line as a JSON object; fails the test for a line that is not one.
std::vector<rapidjson::Document> JsonLines(const std::string& out) {
  std::vector<rapidjson::Document> docs;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    EXPECT_NE(nl, std::string::npos) << "output does not end with a newline";
    if (nl == std::string::npos) nl = out.size();
    std::string line = out.substr(start, nl - start);
    start = nl + 1;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    EXPECT_FALSE(d.HasParseError()) << "not JSON: " << line;
    EXPECT_TRUE(d.IsObject()) << "not a JSON object: " << line;
    if (!d.HasParseError() && d.IsObject()) docs.push_back(std::move(d));
  }
  return docs;
}

std::set<std::string> Keys(const rapidjson::Value& v) {
  std::set<std::string> keys;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) keys.insert(it->name.GetString());
  return keys;
}

uint64_t U64(const rapidjson::Value& v, const char* key) {
  EXPECT_TRUE(v.HasMember(key)) << key;
  if (!v.HasMember(key) || !v[key].IsUint64()) {
    ADD_FAILURE() << key << " is not an unsigned integer";
    return ~uint64_t{0};
  }
  return v[key].GetUint64();
}

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.HasMember(key) || !v[key].IsString()) {
    ADD_FAILURE() << key << " is missing or not a string";
    return "";
  }
  return v[key].GetString();
}

// Microseconds since the epoch of an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".
int64_t ParseRfc3339Us(const std::string& s) {
  std::smatch m;
  static const std::regex re(R"(^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.(\d{1,9}))?Z$)");
  if (!std::regex_match(s, m, re)) {
    ADD_FAILURE() << "not RFC 3339 UTC: " << s;
    return -1;
  }
  tm t = {};
  t.tm_year = std::stoi(m[1]) - 1900;
  t.tm_mon = std::stoi(m[2]) - 1;
  t.tm_mday = std::stoi(m[3]);
  t.tm_hour = std::stoi(m[4]);
  t.tm_min = std::stoi(m[5]);
  t.tm_sec = std::stoi(m[6]);
  int64_t us = static_cast<int64_t>(timegm(&t)) * 1000000;
  std::string frac = m[8].str();
  frac.resize(6, '0');
  return us + std::stoll(frac.substr(0, 6));
}

std::string UuidString(const fb::Uuid& id) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    uint8_t b = id.bytes()->Get(i);
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Sub("db"); }

  void Init() {
    ProcessResult r = Crm({"--db", db_, "init"});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  // init, then four notes through the library: account-A1 v1..3 (positions 2-4), account-B2 (5).
  void InitWithNotes() {
    ASSERT_NO_FATAL_FAILURE(Init());
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &store));
    ASSERT_OK(store->Append(
        NoteRequest("account-A1", ExpectedVersion::NoStream(), {"first", "second", "third"})));
    ASSERT_OK(store->Append(NoteRequest("account-B2", ExpectedVersion::NoStream(), {"other"})));
    store.reset();
    // Appended without the projector: a writable open of the CLI folds them in.
    ProcessResult r = Crm({"--db", db_, "init"});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  // The positions printed by `crm events <args>`.
  std::vector<uint64_t> EventPositions(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_, "events"});
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    std::vector<uint64_t> out;
    for (const auto& d : JsonLines(r.out)) out.push_back(U64(d, "position"));
    return out;
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(CliTest, InitCreatesTheDatabaseOnce) {
  ProcessResult first = Crm({"--db", db_, "init"});
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  auto lines = JsonLines(first.out);
  ASSERT_EQ(lines.size(), 1u) << first.out;
  ASSERT_TRUE(lines[0].HasMember("ok"));
  EXPECT_TRUE(lines[0]["ok"].IsTrue());
  ASSERT_TRUE(lines[0].HasMember("created"));
  EXPECT_TRUE(lines[0]["created"].IsTrue());
  EXPECT_TRUE(std::filesystem::is_directory(db_));

  ProcessResult second = Crm({"--db", db_, "init"});
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  lines = JsonLines(second.out);
  ASSERT_EQ(lines.size(), 1u) << second.out;
  EXPECT_TRUE(lines[0]["ok"].IsTrue());
  ASSERT_TRUE(lines[0].HasMember("created"));
  EXPECT_TRUE(lines[0]["created"].IsFalse());
  EXPECT_EQ(EventPositions({}), (std::vector<uint64_t>{1})) << "a second init appends nothing";
}

TEST_F(CliTest, EventsPrintsTheFullEnvelope) {
  ASSERT_NO_FATAL_FAILURE(Init());
  ProcessResult r = Crm({"--db", db_, "events"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const rapidjson::Document& e = lines[0];
  EXPECT_EQ(Keys(e), (std::set<std::string>{"position", "stream", "version", "type", "event_id",
                                            "command_id", "correlation_id", "causation_id", "actor",
                                            "recorded_at", "occurred_at", "schema_version",
                                            "prev_hash", "hash", "data"}));
  EXPECT_EQ(U64(e, "position"), 1u);
  EXPECT_EQ(Str(e, "stream"), "user-admin");
  EXPECT_EQ(U64(e, "version"), 1u);
  EXPECT_EQ(Str(e, "type"), "UserCreated");
  EXPECT_EQ(Str(e, "actor"), "system");
  EXPECT_EQ(U64(e, "schema_version"), 1u);
  EXPECT_EQ(Str(e, "prev_hash"), std::string(64, '0'));
  EXPECT_TRUE(std::regex_match(Str(e, "hash"), std::regex("[0-9a-f]{64}"))) << Str(e, "hash");
  EXPECT_TRUE(std::regex_match(Str(e, "event_id"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                          "[0-9a-f]{12}")))
      << Str(e, "event_id");
  EXPECT_FALSE(Str(e, "command_id").empty());
  EXPECT_EQ(Str(e, "recorded_at"), Str(e, "occurred_at"));
  ASSERT_TRUE(e.HasMember("data") && e["data"].IsObject());
  EXPECT_EQ(Keys(e["data"]), (std::set<std::string>{"user_id", "name", "role"}));
  EXPECT_EQ(Str(e["data"], "user_id"), "admin");
  EXPECT_EQ(Str(e["data"], "name"), "Administrator");
  EXPECT_EQ(Str(e["data"], "role"), "admin");

  // The same event through the library: the CLI renders the stored values.
  std::unique_ptr<EventStore> store;
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &store));
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store->ReadLog(1)));
  ASSERT_EQ(log.size(), 1u);
  EventView v = log[0].view();
  EXPECT_EQ(Str(e, "hash"), Hex(v.hash()));
  EXPECT_EQ(Str(e, "event_id"), UuidString(*v.envelope->event_id()));
  EXPECT_EQ(Str(e, "command_id"), v.envelope->command_id()->str());
  EXPECT_EQ(Str(e, "correlation_id"), v.envelope->correlation_id()->str());
  EXPECT_EQ(Str(e, "causation_id"), v.envelope->causation_id()->str());
  EXPECT_EQ(ParseRfc3339Us(Str(e, "recorded_at")), v.recorded_at_us());
  const fb::UserCreated* u = v.envelope->data_as_UserCreated();
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->role(), fb::UserRole::admin);
}

TEST_F(CliTest, EventsFilters) {
  ASSERT_NO_FATAL_FAILURE(InitWithNotes());
  EXPECT_EQ(EventPositions({}), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(EventPositions({"--type", "UserCreated"}), (std::vector<uint64_t>{1}));
  EXPECT_EQ(EventPositions({"--type", "AccountNoteAdded"}), (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(EventPositions({"--stream", "account-A1"}), (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(EventPositions({"--from", "3"}), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(EventPositions({"--limit", "2"}), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(EventPositions({"--from", "2", "--limit", "2"}), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(EventPositions({"--type", "AccountNoteAdded", "--limit", "3", "--from", "3"}),
            (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_TRUE(EventPositions({"--from", "6"}).empty());
  EXPECT_EQ(EventPositions({"--stream", "account-A1", "--from", "3"}),
            (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(EventPositions({"--stream", "account-A1", "--type", "UserCreated"}),
            (std::vector<uint64_t>{}));
  EXPECT_TRUE(EventPositions({"--stream", "account-none"}).empty());

  ProcessResult r = Crm({"--db", db_, "events", "--stream", "account-A1", "--limit", "1"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Str(lines[0], "type"), "AccountNoteAdded");
  EXPECT_EQ(U64(lines[0], "version"), 1u);
  ASSERT_TRUE(lines[0].HasMember("data"));
  EXPECT_EQ(Str(lines[0]["data"], "text"), "first");
}

TEST_F(CliTest, StatsCounts) {
  ASSERT_NO_FATAL_FAILURE(InitWithNotes());
  ProcessResult r = Crm({"--db", db_, "stats"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const rapidjson::Document& s = lines[0];
  EXPECT_EQ(U64(s, "last_position"), 5u);
  EXPECT_EQ(U64(s, "events"), 5u);
  EXPECT_EQ(U64(s, "streams"), 3u);
  EXPECT_GT(U64(s, "bytes_on_disk"), 0u);
  ASSERT_TRUE(s.HasMember("events_by_type") && s["events_by_type"].IsObject());
  EXPECT_EQ(Keys(s["events_by_type"]), (std::set<std::string>{"AccountNoteAdded", "UserCreated"}));
  EXPECT_EQ(U64(s["events_by_type"], "AccountNoteAdded"), 4u);
  EXPECT_EQ(U64(s["events_by_type"], "UserCreated"), 1u);
  ASSERT_TRUE(s.HasMember("by_kind") && s["by_kind"].IsObject());
  const rapidjson::Value& k = s["by_kind"];
  EXPECT_EQ(Keys(k), (std::set<std::string>{"account", "user"}));
  if (k.HasMember("account") && k.HasMember("user")) {
    EXPECT_EQ(U64(k["account"], "streams"), 2u);
    EXPECT_EQ(U64(k["account"], "events"), 4u);
    EXPECT_EQ(U64(k["user"], "streams"), 1u);
    EXPECT_EQ(U64(k["user"], "events"), 1u);
  }
}

TEST_F(CliTest, VerifyHealthyDatabase) {
  ASSERT_NO_FATAL_FAILURE(InitWithNotes());
  ProcessResult r = Crm({"--db", db_, "verify"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_TRUE(lines[0]["ok"].IsTrue());
  EXPECT_EQ(U64(lines[0], "events"), 5u);
  EXPECT_EQ(U64(lines[0], "streams"), 3u);
  EXPECT_EQ(U64(lines[0], "last_position"), 5u);
}

TEST_F(CliTest, VerifyCorruptedDatabaseExits5) {
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &store));
    ASSERT_NO_FATAL_FAILURE(AppendAlternating(*store, 100));
  }
  ASSERT_TRUE(PutRawEvent(db_, 42, "definitely not an envelope"));
  ProcessResult r = Crm({"--db", db_, "verify"});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("42"));
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_TRUE(lines[0]["ok"].IsFalse());
  EXPECT_EQ(U64(lines[0], "first_bad_position"), 42u);
  EXPECT_EQ(U64(lines[0], "last_position"), 100u);
  EXPECT_FALSE(Str(lines[0], "problem").empty());
}

TEST_F(CliTest, VerifyCorruptLastRecordExits5AndNamesIt) {
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &store));
    ASSERT_NO_FATAL_FAILURE(AppendAlternating(*store, 10));
  }
  ASSERT_TRUE(PutRawEvent(db_, 10, "garbage"));
  ProcessResult r = Crm({"--db", db_, "verify"});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << Describe(r);
  EXPECT_TRUE(lines[0]["ok"].IsFalse());
  EXPECT_EQ(U64(lines[0], "first_bad_position"), 10u);
}

TEST_F(CliTest, EventsStopsAtACorruptRecordWithExit5) {
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &store));
    ASSERT_NO_FATAL_FAILURE(AppendAlternating(*store, 50));
  }
  ASSERT_TRUE(PutRawEvent(db_, 42, "garbage"));
  ProcessResult r = Crm({"--db", db_, "events"});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 41u) << "every event before the bad one is printed";
  EXPECT_EQ(U64(lines.back(), "position"), 41u);
  EXPECT_THAT(r.err, HasSubstr("42"));
  EXPECT_EQ(EventPositions({"--from", "43", "--limit", "2"}), (std::vector<uint64_t>{43, 44}));
}

TEST_F(CliTest, ReadingAMissingDatabaseExits4) {
  for (const char* cmd : {"events", "stats", "verify"}) {
    ProcessResult r = Crm({"--db", db_, cmd});
    EXPECT_EQ(r.exit_code, 4) << cmd << ": " << Describe(r);
  }
  EXPECT_FALSE(std::filesystem::exists(db_)) << "a read must not create the database";
}

TEST_F(CliTest, UsageErrorsExit2) {
  ASSERT_NO_FATAL_FAILURE(Init());
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--db", db_, "frobnicate"},
      {"--db", db_, "--bogus", "events"},
      {"--db", db_, "events", "--limit", "abc"},
      {"--db", db_, "events", "--no-such-flag"},
      {"--db", db_, "--durability", "maybe", "stats"},
      {"--db", db_, "events", "--type", "NoSuchEvent"},
  };
  for (const auto& args : cases) {
    ProcessResult r = Crm(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << Describe(r);
  }
}

TEST_F(CliTest, HelpExits0) {
  ProcessResult r = Crm({"--help"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out + r.err, HasSubstr("events"));
  // The entity groups name their kind in the plural, spelled as English does.
  EXPECT_THAT(r.out + r.err, HasSubstr("Commands on opportunities"));
  EXPECT_THAT(r.out + r.err, HasSubstr("Commands on activities"));
  EXPECT_THAT(r.out + r.err, HasSubstr("Commands on accounts"));
}

TEST_F(CliTest, StdoutCarriesOnlyDataEvenWhenLoggingIsVerbose) {
  for (const char* cmd : {"init", "events", "stats", "verify"}) {
    ProcessResult r = Crm({"--db", db_, "--log-level", "debug", cmd});
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << Describe(r);
    EXPECT_FALSE(r.out.empty()) << cmd;
    JsonLines(r.out);  // fails the test for any line that is not a JSON object
  }
}

TEST_F(CliTest, DatabaseFromEnvironment) {
  ASSERT_NO_FATAL_FAILURE(Init());
  ProcessResult r = Crm({"events"}, {"CRM_DB=" + db_});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Str(lines[0], "stream"), "user-admin");
}

TEST_F(CliTest, ReadersWorkWhileAWriterHoldsTheDatabase) {
  ASSERT_NO_FATAL_FAILURE(InitWithNotes());
  std::unique_ptr<EventStore> writer;
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &writer));
  ASSERT_OK(writer->Append(NoteRequest("account-C3", ExpectedVersion::NoStream(), {"live"})));

  EXPECT_EQ(EventPositions({}), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  ProcessResult stats = Crm({"--db", db_, "stats"});
  EXPECT_EQ(stats.exit_code, 0) << Describe(stats);
  ProcessResult init = Crm({"--db", db_, "init"});
  EXPECT_EQ(init.exit_code, 4) << "the writer lock is held: " << Describe(init);
}

}  // namespace
}  // namespace crm::test
