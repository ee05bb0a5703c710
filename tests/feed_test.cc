// `crm events --follow/--format csv` and `crm feed`: runs CRM_BIN as child processes beside a
// writer (this process, or `crm exec`) and checks delivery: every event once and in order across
// runs and consumers, at most one batch again after a crash between write-out and checkpoint,
// live following, clean ends on SIGINT/SIGTERM/closed pipes, CSV that parses back, and the
// errors' exit codes.
#include <csv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crm/consumer_checkpoints.h"
#include "crm/event_columns.h"
#include "process.h"
#include "test_util.h"

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

ProcessResult Crm(std::vector<std::string> args, const std::vector<std::string>& env = {},
                  std::string_view input = {}) {
  args.insert(args.begin(), CRM_BIN);
  return RunProcess(args, env, input, std::chrono::seconds(30));
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         "\nstdout: " + r.out.substr(0, 2000) + "\nstderr: " + r.err;
}

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    EXPECT_NE(nl, std::string::npos) << "output does not end with a newline";
    if (nl == std::string::npos) nl = out.size();
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

rapidjson::Document Json(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str(), line.size());
  EXPECT_FALSE(d.HasParseError()) << "not JSON: " << line;
  EXPECT_TRUE(d.IsObject()) << "not an object: " << line;
  return d;
}

uint64_t PositionOf(const std::string& line) {
  rapidjson::Document d = Json(line);
  if (!d.IsObject() || !d.HasMember("position") || !d["position"].IsUint64()) {
    ADD_FAILURE() << "no position: " << line;
    return 0;
  }
  return d["position"].GetUint64();
}

std::vector<uint64_t> Positions(const std::string& out) {
  std::vector<uint64_t> p;
  for (const auto& line : Lines(out)) p.push_back(PositionOf(line));
  return p;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> r;
  for (uint64_t p = first; p <= last; ++p) r.push_back(p);
  return r;
}

// RFC 4180 parsing through libcsv (strict): rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  struct Sink {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
  } sink;
  csv_parser p;
  EXPECT_EQ(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
  auto on_field = [](void* s, size_t n, void* data) {
    auto* sink = static_cast<Sink*>(data);
    if (n == 0) {
      sink->row.emplace_back();
    } else {
      sink->row.emplace_back(static_cast<const char*>(s), n);
    }
  };
  auto on_row = [](int, void* data) {
    auto* sink = static_cast<Sink*>(data);
    sink->rows.push_back(std::move(sink->row));
    sink->row.clear();
  };
  EXPECT_EQ(csv_parse(&p, text.data(), text.size(), on_field, on_row, &sink), text.size())
      << csv_strerror(csv_error(&p));
  EXPECT_EQ(csv_fini(&p, on_field, on_row, &sink), 0);
  csv_free(&p);
  return sink.rows;
}

// A row's fields by column name.
std::map<std::string, std::string> ByName(const std::vector<std::string>& header,
                                          const std::vector<std::string>& row) {
  EXPECT_EQ(row.size(), header.size());
  std::map<std::string, std::string> m;
  for (size_t i = 0; i < header.size() && i < row.size(); ++i) m[header[i]] = row[i];
  return m;
}

bool ExitedWith(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

class FeedTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Sub("db"); }

  void Init() {
    ProcessResult r = Crm({"--db", db_, "init"});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  // `crm exec` of JSON command lines in another process; every line must succeed.
  void Exec(const std::string& lines) {
    ProcessResult r = Crm({"--db", db_, "--durability", "nosync", "exec", "-"}, {}, lines);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  // Positions delivered by one `crm feed` run.
  std::vector<uint64_t> Feed(std::vector<std::string> args,
                             const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--db", db_, "feed"});
    ProcessResult r = Crm(args, env);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return Positions(r.out);
  }
  // consumer -> checkpoint, from `crm feed --list`.
  std::map<std::string, uint64_t> Checkpoints(uint64_t expected_last) {
    ProcessResult r = Crm({"--db", db_, "feed", "--list"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    std::map<std::string, uint64_t> m;
    for (const auto& line : Lines(r.out)) {
      rapidjson::Document d = Json(line);
      if (!d.IsObject()) continue;
      EXPECT_EQ(d["last_position"].GetUint64(), expected_last) << line;
      EXPECT_EQ(d["lag"].GetUint64(), expected_last - d["checkpoint"].GetUint64()) << line;
      m[d["consumer"].GetString()] = d["checkpoint"].GetUint64();
    }
    return m;
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(FeedTest, TwoConsumersResumeInterleavedWithAppends) {
  ASSERT_NO_FATAL_FAILURE(Init());
  std::unique_ptr<EventStore> writer;  // a writer holds the database all along
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &writer));
  std::mt19937 rng(42);
  std::vector<uint64_t> a, b;
  for (int round = 0; round < 6; ++round) {
    const int n = 1 + static_cast<int>(rng() % 40);
    ASSERT_OK(writer->Append(NoteRequest("account-R" + std::to_string(round),
                                         ExpectedVersion::NoStream(), Texts("note ", n))));
    // `a` takes a few events at a time in small batches, `b` everything in tiny batches.
    for (uint64_t p : Feed({"a", "--batch", "7", "--limit", std::to_string(1 + rng() % 30)})) {
      a.push_back(p);
    }
    ASSERT_OK(writer->Append(NoteRequest("account-S" + std::to_string(round),
                                         ExpectedVersion::NoStream(), {"between"})));
    for (uint64_t p : Feed({"b", "--batch", "3"})) b.push_back(p);
  }
  const uint64_t last = writer->LastPosition();
  EXPECT_EQ(Checkpoints(last)["b"], last);
  for (uint64_t p : Feed({"a"})) a.push_back(p);
  for (uint64_t p : Feed({"b"})) b.push_back(p);
  EXPECT_EQ(a, Range(1, last)) << "consumer a: every event once, in order";
  EXPECT_EQ(b, Range(1, last)) << "consumer b: every event once, in order";
  auto checkpoints = Checkpoints(last);
  EXPECT_EQ(checkpoints["a"], last);
  EXPECT_EQ(checkpoints["b"], last);
  EXPECT_TRUE(Feed({"a"}).empty()) << "nothing new: nothing delivered";
}

TEST_F(FeedTest, CrashBetweenWriteOutAndCheckpointRedeliversAtMostOneBatch) {
  ASSERT_NO_FATAL_FAILURE(Init());
  {
    std::unique_ptr<EventStore> writer;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &writer));
    ASSERT_OK(writer->Append(NoteRequest("account-C", ExpectedVersion::NoStream(),
                                         Texts("n", 99))));
  }
  // SIGKILLed after the third batch of 10 was flushed to stdout, before its checkpoint.
  ProcessResult crashed = Crm({"--db", db_, "feed", "c", "--batch", "10"},
                              {"CRM_FAULT_FEED_KILL_AFTER_BATCH=3"});
  ASSERT_EQ(crashed.term_signal, SIGKILL) << Describe(crashed);
  const std::vector<uint64_t> first = Positions(crashed.out);
  EXPECT_EQ(first, Range(1, 30));
  EXPECT_EQ(Checkpoints(100)["c"], 20u) << "the third batch's checkpoint was never saved";

  const std::vector<uint64_t> second = Feed({"c", "--batch", "10"});
  EXPECT_EQ(second, Range(21, 100)) << "exactly the unacknowledged batch comes again";
  std::vector<uint64_t> all = first;
  all.insert(all.end(), second.begin(), second.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  EXPECT_EQ(all, Range(1, 100)) << "nothing lost";
  EXPECT_EQ(Checkpoints(100)["c"], 100u);
}

TEST_F(FeedTest, FollowSeesEventsAppendedByAnotherProcess) {
  ASSERT_NO_FATAL_FAILURE(Init());
  auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "events", "--follow"});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(10s);
  ASSERT_TRUE(line.has_value()) << "the existing event first";
  EXPECT_EQ(PositionOf(*line), 1u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(Exec(R"({"type":"CreateUser","user_id":"u)" + std::to_string(i) +
                                 R"(","name":"User )" + std::to_string(i) +
                                 R"(","role":"sales"})"
                                 "\n"));
    const auto t0 = std::chrono::steady_clock::now();
    line = child->ReadLine(10s);
    ASSERT_TRUE(line.has_value()) << "the appended event " << i;
    EXPECT_EQ(PositionOf(*line), static_cast<uint64_t>(i + 2));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "seen promptly";
  }
  child->Kill(SIGINT);
  EXPECT_TRUE(ExitedWith(child->Wait(), 0)) << "SIGINT ends --follow with exit 0";
}

TEST_F(FeedTest, FollowStopsAtTheLimit) {
  ASSERT_NO_FATAL_FAILURE(Init());
  auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "events", "--follow", "--limit", "3"});
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->ReadLine(10s).has_value());
  ASSERT_NO_FATAL_FAILURE(Exec(R"({"type":"CreateUser","user_id":"x","name":"X","role":"sales"})"
                               "\n"
                               R"({"type":"CreateUser","user_id":"y","name":"Y","role":"sales"})"
                               "\n"
                               R"({"type":"CreateUser","user_id":"z","name":"Z","role":"sales"})"
                               "\n"));
  std::vector<std::string> rest = child->ReadLinesFor(10s);  // until the child closes stdout
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(PositionOf(rest[0]), 2u);
  EXPECT_EQ(PositionOf(rest[1]), 3u);
  EXPECT_TRUE(ExitedWith(child->Wait(), 0));
}

TEST_F(FeedTest, FollowKeepsTheStreamAndTypeFilters) {
  ASSERT_NO_FATAL_FAILURE(Init());
  ASSERT_NO_FATAL_FAILURE(Exec(R"({"type":"OpenAccount","account_id":"F1","name":"F"})"
                               "\n"
                               R"({"type":"AddAccountNote","account_id":"F1","text":"old"})"
                               "\n"));
  // The stream's existing events come through its index, the later ones from the log.
  auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "events", "--follow", "--stream",
                                    "account-F1", "--type", "AccountNoteAdded"});
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(10s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(PositionOf(*line), 3u);
  ASSERT_NO_FATAL_FAILURE(Exec(R"({"type":"OpenAccount","account_id":"F2","name":"G"})"
                               "\n"
                               R"({"type":"AddAccountNote","account_id":"F2","text":"other"})"
                               "\n"
                               R"({"type":"AddAccountNote","account_id":"F1","text":"new"})"
                               "\n"));
  line = child->ReadLine(10s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(PositionOf(*line), 6u) << "only account-F1's notes: " << *line;
  EXPECT_TRUE(child->ReadLinesFor(300ms).empty());
  child->Kill(SIGINT);
  EXPECT_TRUE(ExitedWith(child->Wait(), 0));
}

TEST_F(FeedTest, FeedFollowCheckpointsWhatItDeliveredAndStopsOnSigterm) {
  ASSERT_NO_FATAL_FAILURE(Init());
  auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "feed", "live", "--follow"});
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->ReadLine(10s).has_value());
  ASSERT_NO_FATAL_FAILURE(Exec(R"({"type":"CreateUser","user_id":"x","name":"X","role":"sales"})"
                               "\n"));
  auto line = child->ReadLine(10s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(PositionOf(*line), 2u);
  // The checkpoint follows delivery while the feed keeps running.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (Checkpoints(2)["live"] != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(Checkpoints(2)["live"], 2u);
  child->Kill(SIGTERM);
  EXPECT_TRUE(ExitedWith(child->Wait(), 0)) << "SIGTERM ends --follow with exit 0";
  EXPECT_TRUE(Feed({"live"}).empty());
}

// `crm ... | head -1`: the reader goes away; crm must notice and end quietly with exit 0, both
// while idle (following) and while writing (a log larger than the pipe buffer).
TEST_F(FeedTest, ClosedPipeEndsPromptlyAndQuietly) {
  ASSERT_NO_FATAL_FAILURE(Init());
  const std::vector<std::string> env = {"CRM=" CRM_BIN, "DB=" + db_};
  auto run = [&](const std::string& command) {
    const std::string script = command + " | head -1; echo \"status=${PIPESTATUS[0]}\" >&2";
    const auto t0 = std::chrono::steady_clock::now();
    ProcessResult r = RunProcess({"/bin/bash", "-c", script}, env, {}, std::chrono::seconds(20));
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << Describe(r);
    EXPECT_EQ(Lines(r.out).size(), 1u) << command;
    EXPECT_EQ(r.err, "status=0\n") << command << ": exit 0 and nothing on stderr";
    EXPECT_LT(took, 5s) << command << " did not end promptly";
  };
  run("\"$CRM\" --db \"$DB\" events --follow");  // idle: one event, then waiting
  run("\"$CRM\" --db \"$DB\" feed idle --follow");
  {
    std::unique_ptr<EventStore> writer;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &writer));
    ASSERT_OK(writer->Append(NoteRequest("account-Big", ExpectedVersion::NoStream(),
                                         Texts(std::string(300, 'x'), 3000))));
  }
  run("\"$CRM\" --db \"$DB\" events");  // ~1.5 MB: the write itself fails with EPIPE
  run("\"$CRM\" --db \"$DB\" events --follow --format csv");
}

TEST_F(FeedTest, CsvParsesBackWithColumnsPerTypeOrADataColumn) {
  ASSERT_NO_FATAL_FAILURE(Init());
  const std::string tricky = "He said \"hi\" to @admin, then\nleft; ok";
  ASSERT_NO_FATAL_FAILURE(Exec(
      R"({"type":"OpenAccount","account_id":"A1","name":"Acme, Inc.","industry":"Retail",)"
      R"("number_of_employees":12,"billing_address":{"street":"1 \"Main\" St","city":"Spring\nfield","country":"US"}})"
      "\n"
      R"({"type":"OpenAccount","account_id":"A2","name":"Plain"})"
      "\n"
      R"({"type":"AddAccountNote","account_id":"A1","text":"He said \"hi\" to @admin, then\nleft; ok"})"
      "\n"));

  ProcessResult r = Crm({"--db", db_, "events", "--format", "csv", "--type", "AccountOpened"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  // The payload's columns are its JSON paths under `data`: never the envelope's names (an
  // account's `type` is data.type).
  std::vector<std::string> expected_header = EnvelopeColumns();
  for (const auto& c : PayloadColumns(fb::Payload::AccountOpened)) {
    expected_header.push_back("data." + c);
  }
  EXPECT_EQ(rows[0], expected_header);
  EXPECT_THAT(rows[0], ::testing::IsSupersetOf(
                           {"position", "type", "event_id", "recorded_at", "hash",
                            "data.account_id", "data.name", "data.type",
                            "data.number_of_employees", "data.billing_address.street",
                            "data.billing_address.city", "data.shipping_address.city"}));
  auto acme = ByName(rows[0], rows[1]);
  EXPECT_EQ(acme["stream"], "account-A1");
  EXPECT_EQ(acme["type"], "AccountOpened");
  EXPECT_EQ(acme["data.type"], "NotValidated");
  EXPECT_EQ(acme["data.name"], "Acme, Inc.");
  EXPECT_EQ(acme["data.industry"], "Retail");
  EXPECT_EQ(acme["data.number_of_employees"], "12");
  EXPECT_EQ(acme["data.billing_address.street"], "1 \"Main\" St");
  EXPECT_EQ(acme["data.billing_address.city"], "Spring\nfield");
  EXPECT_EQ(acme["data.billing_address.state"], "");
  EXPECT_EQ(acme["data.shipping_address.city"], "");
  auto plain = ByName(rows[0], rows[2]);
  EXPECT_EQ(plain["data.name"], "Plain");
  EXPECT_EQ(plain["data.number_of_employees"], "") << "an unset optional number is an empty cell";
  EXPECT_EQ(plain["data.billing_address.city"], "");

  r = Crm({"--db", db_, "events", "--format", "csv", "--type", "AccountNoteAdded"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  auto note = ByName(rows[0], rows[1]);
  EXPECT_EQ(note["data.text"], tricky);
  EXPECT_EQ(note["data.mentions"], R"(["admin"])") << "a vector is one JSON cell";

  // Mixed types: the envelope, then the payload as one JSON column.
  r = Crm({"--db", db_, "events", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 5u) << r.out;  // header, UserCreated, 2 x AccountOpened, the note
  std::vector<std::string> mixed_header = EnvelopeColumns();
  mixed_header.push_back("data");
  EXPECT_EQ(rows[0], mixed_header);
  for (size_t i = 1; i < rows.size(); ++i) {
    auto row = ByName(rows[0], rows[i]);
    EXPECT_EQ(row["position"], std::to_string(i));
    rapidjson::Document data = Json(row["data"]);
    if (row["type"] == "AccountNoteAdded") {
      EXPECT_EQ(data["text"].GetString(), tricky);
    }
  }
  // The same through the feed (always mixed).
  ProcessResult f = Crm({"--db", db_, "feed", "csv", "--format", "csv"});
  ASSERT_EQ(f.exit_code, 0) << Describe(f);
  EXPECT_EQ(ParseCsv(f.out), rows);
  // A header even when nothing matches, so that loaders see the columns.
  r = Crm({"--db", db_, "events", "--format", "csv", "--type", "InvoicePaid"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(ParseCsv(r.out).size(), 1u);
}

// A consumer's CSV runs appended to one file make one table: the header comes with the run that
// starts at the beginning only (--header auto); always and never override it.
TEST_F(FeedTest, FeedCsvHeaderOnlyFromTheStartUnlessAsked) {
  Init();
  Exec(R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})" "\n");
  std::string file = Crm({"--db", db_, "feed", "sheet", "--format", "csv", "--limit", "1"}).out;
  Exec(R"({"type":"OpenAccount","account_id":"A2","name":"Globex"})" "\n");
  file += Crm({"--db", db_, "feed", "sheet", "--format", "csv"}).out;
  auto rows = ParseCsv(file);
  ASSERT_EQ(rows.size(), 4u) << file;  // the header, then positions 1, 2, 3
  EXPECT_EQ(rows[0][0], "position");
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i][0], std::to_string(i)) << file;

  Exec(R"({"type":"OpenAccount","account_id":"A3","name":"Initech"})" "\n");
  ProcessResult always =
      Crm({"--db", db_, "feed", "sheet", "--format", "csv", "--header", "always"});
  ASSERT_EQ(always.exit_code, 0) << Describe(always);
  rows = ParseCsv(always.out);
  ASSERT_EQ(rows.size(), 2u) << always.out;
  EXPECT_EQ(rows[0][0], "position");
  EXPECT_EQ(rows[1][0], "4");

  ProcessResult reset = Crm({"--db", db_, "feed", "sheet", "--reset"});
  ASSERT_EQ(reset.exit_code, 0) << Describe(reset);
  ProcessResult never =
      Crm({"--db", db_, "feed", "sheet", "--format", "csv", "--header", "never", "--limit", "1"});
  ASSERT_EQ(never.exit_code, 0) << Describe(never);
  rows = ParseCsv(never.out);
  ASSERT_EQ(rows.size(), 1u) << never.out;
  EXPECT_EQ(rows[0][0], "1");

  ProcessResult bad = Crm({"--db", db_, "feed", "sheet", "--header", "sometimes"});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  ProcessResult list_with_header = Crm({"--db", db_, "feed", "--list", "--header", "always"});
  EXPECT_EQ(list_with_header.exit_code, 2) << Describe(list_with_header);
}

// The JSON writer (engine/src/json_out.h) escapes what JSON requires, passes UTF-8 through,
// and prints money as JSON numbers (SPEC §2).
TEST_F(FeedTest, EventJsonEscapesEveryControlCharacterAndPrintsMoneyAsNumbers) {
  ASSERT_NO_FATAL_FAILURE(Init());
  std::string text;
  for (int c = 1; c < 0x80; ++c) text.push_back(static_cast<char>(c));
  text += "\xc3\xa9 \xe6\x97\xa5 \"\\ end";  // UTF-8 and the two escaped printables again
  {
    std::unique_ptr<EventStore> writer;  // the engine stores any bytes; the domain validates
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &writer));
    ASSERT_OK(writer->Append(NoteRequest("account-J", ExpectedVersion::NoStream(), {text})));
  }
  ASSERT_NO_FATAL_FAILURE(Exec(
      R"({"type":"OpenAccount","account_id":"M1","name":"Money"})"
      "\n"
      R"({"type":"RecordAccountRevenue","account_id":"M1","amount":"1234.05"})"
      "\n"));
  ProcessResult r = Crm({"--db", db_, "events", "--from", "2"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  rapidjson::Document note = Json(lines[0]);
  ASSERT_TRUE(note["data"]["text"].IsString());
  EXPECT_EQ(std::string(note["data"]["text"].GetString(), note["data"]["text"].GetStringLength()),
            text);
  EXPECT_EQ(lines[0].find('\t'), std::string::npos) << "no raw control character in the line";
  rapidjson::Document revenue = Json(lines[2]);
  ASSERT_TRUE(revenue["data"]["amount"].IsNumber()) << lines[2];
  EXPECT_DOUBLE_EQ(revenue["data"]["amount"].GetDouble(), 1234.05);
  EXPECT_NE(lines[2].find(R"("amount":1234.05)"), std::string::npos) << lines[2];
}

TEST_F(FeedTest, ListAndReset) {
  ASSERT_NO_FATAL_FAILURE(Init());
  {
    std::unique_ptr<EventStore> writer;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, FastOptions(), &writer));
    ASSERT_OK(writer->Append(NoteRequest("account-L", ExpectedVersion::NoStream(),
                                         Texts("n", 9))));
  }
  ProcessResult empty = Crm({"--db", db_, "feed", "--list"});
  EXPECT_EQ(empty.exit_code, 0) << Describe(empty);
  EXPECT_EQ(empty.out, "") << "no consumer yet";

  EXPECT_EQ(Feed({"alpha", "--limit", "4"}), Range(1, 4));
  EXPECT_EQ(Feed({"beta"}), Range(1, 10));
  EXPECT_EQ(Checkpoints(10), (std::map<std::string, uint64_t>{{"alpha", 4}, {"beta", 10}}));

  ProcessResult reset = Crm({"--db", db_, "feed", "beta", "--reset", "--to", "7"});
  ASSERT_EQ(reset.exit_code, 0) << Describe(reset);
  rapidjson::Document d = Json(Lines(reset.out).at(0));
  EXPECT_EQ(d["checkpoint"].GetUint64(), 7u);
  EXPECT_EQ(d["previous"].GetUint64(), 10u);
  EXPECT_EQ(Feed({"beta"}), Range(8, 10));

  reset = Crm({"--db", db_, "feed", "alpha", "--reset"});
  ASSERT_EQ(reset.exit_code, 0) << Describe(reset);
  EXPECT_EQ(Feed({"alpha"}), Range(1, 10)) << "--reset alone: back to the start";

  reset = Crm({"--db", db_, "feed", "alpha", "--reset", "--to", "11"});
  EXPECT_EQ(reset.exit_code, 2) << "beyond the end of the log: " << Describe(reset);
  EXPECT_EQ(Checkpoints(10)["alpha"], 10u) << "a refused reset changes nothing";
  // A reset names a consumer that need not exist yet.
  reset = Crm({"--db", db_, "feed", "gamma", "--reset", "--to", "9"});
  ASSERT_EQ(reset.exit_code, 0) << Describe(reset);
  EXPECT_EQ(Feed({"gamma"}), Range(10, 10));
}

TEST_F(FeedTest, DamagedOrImpossibleCheckpointsAreErrorsNotSkips) {
  ASSERT_NO_FATAL_FAILURE(Init());
  EXPECT_EQ(Feed({"d"}), Range(1, 1));
  const std::string file = db_ + "/feeds/d";
  ASSERT_TRUE(std::filesystem::exists(file)) << "the checkpoint lives under <db>/feeds/";
  { std::ofstream(file, std::ios::trunc) << "{\"consumer\":\"d\",\"posi"; }
  ProcessResult r = Crm({"--db", db_, "feed", "d"});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(file));
  EXPECT_EQ(r.out, "");
  r = Crm({"--db", db_, "feed", "--list"});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  // Beyond the end of the log (events delivered, then lost): refused, not skipped over.
  { std::ofstream(file, std::ios::trunc) << "{\"consumer\":\"d\",\"position\":50}\n"; }
  r = Crm({"--db", db_, "feed", "d"});
  EXPECT_EQ(r.exit_code, 5) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("50"));
  // --reset repairs both.
  r = Crm({"--db", db_, "feed", "d", "--reset"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Feed({"d"}), Range(1, 1));
}

TEST_F(FeedTest, UsageErrorsExit2AndMissingDatabaseExits4) {
  ASSERT_NO_FATAL_FAILURE(Init());
  const std::vector<std::vector<std::string>> usage = {
      {"feed", "a/b"},
      {"feed", "../up"},
      {"feed", ".hidden"},
      {"feed", "with space"},
      {"feed", "x.lock"},
      {"feed", std::string(65, 'n')},
      {"feed", "-"},
      {"feed"},
      {"feed", "ok", "--to", "3"},
      {"feed", "--list", "ok"},
      {"feed", "ok", "--reset", "--limit", "2"},
      {"feed", "ok", "--batch", "0"},
      {"feed", "ok", "--format", "xml"},
      {"events", "--type", "NoSuchEvent"},
      {"events", "--follow", "--type", "NoSuchEvent"},
      {"events", "--format", "xml"},
  };
  for (auto args : usage) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    args.insert(args.begin(), {"--db", db_});
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << Describe(r);
    EXPECT_EQ(r.out, "") << joined;
  }
  EXPECT_FALSE(std::filesystem::exists(db_ + "/feeds")) << "nothing was created";
  EXPECT_EQ(Feed({std::string(64, 'n')}), Range(1, 1)) << "64 bytes is allowed";

  const std::string missing = dir_.Sub("missing");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"events", "--follow"}, {"events", "--format", "csv"},
        {"feed", "x"}, {"feed", "--list"}, {"feed", "x", "--reset"}}) {
    args.insert(args.begin(), {"--db", missing});
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 4) << args[2] << ": " << Describe(r);
  }
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a read must not create the database";
}

TEST_F(FeedTest, AConsumerInUseIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Init());
  auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "feed", "busy", "--follow"});
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->ReadLine(10s).has_value()) << "the first run holds the consumer";
  for (std::vector<std::string> args : {std::vector<std::string>{"feed", "busy"},
                                        {"feed", "busy", "--reset"}}) {
    args.insert(args.begin(), {"--db", db_});
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 4) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("in use"));
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(Feed({"other"}), Range(1, 1)) << "other consumers are not affected";
  child->Kill(SIGINT);
  EXPECT_TRUE(ExitedWith(child->Wait(), 0));
  EXPECT_TRUE(Feed({"busy"}).empty()) << "free again, and its checkpoint was kept";

  // The library's lease excludes a process the same way.
  ConsumerCheckpoints checkpoints(db_);
  ASSERT_OK_AND_ASSIGN(auto lease, checkpoints.Acquire("held"));
  ProcessResult r = Crm({"--db", db_, "feed", "held"});
  EXPECT_EQ(r.exit_code, 4) << Describe(r);
  lease.reset();
  EXPECT_EQ(Feed({"held"}), Range(1, 1));
}

}  // namespace
}  // namespace crm::test
