// `crm exec` and `crm config set` (SPEC §2, §4, §5): one result line per input line in order, bad
// lines rejected one by one while the valid ones apply, results flushed before exec waits for
// input, a write creating a missing database, the actor from --as / $CRM_USER.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "process.h"
#include "test_util.h"

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         "\nstdout: " + r.out.substr(0, 4000) + "\nstderr: " + r.err.substr(0, 4000);
}

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) {
      ADD_FAILURE() << "output does not end with a newline";
      nl = out.size();
    }
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// "OK" or the error code of a result line; "MALFORMED" if it is not one.
std::string CodeOf(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str(), line.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("ok") || !d["ok"].IsBool()) {
    return "MALFORMED";
  }
  if (d["ok"].GetBool()) return "OK";
  if (!d.HasMember("error") || !d["error"].IsObject() || !d["error"].HasMember("code") ||
      !d["error"]["code"].IsString()) {
    return "MALFORMED";
  }
  return d["error"]["code"].GetString();
}

std::string Field(const std::string& json, const char* key) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(key) || !d[key].IsString()) return "";
  return d[key].GetString();
}

class CliExecTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Sub("db"); }

  ProcessResult Crm(std::vector<std::string> args, std::string_view input = {},
                    const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {CRM_BIN, "--db", db_, "--durability", "nosync"});
    return RunProcess(args, env, input);
  }
  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.Sub(name);
    std::ofstream f(path, std::ios::binary);
    f << content;
    return path;
  }
  // The `crm events` output: (type, actor) per event.
  std::vector<std::string> EventTypes() {
    ProcessResult r = Crm({"events"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    std::vector<std::string> types;
    for (const std::string& line : Lines(r.out)) types.push_back(Field(line, "type"));
    return types;
  }
  std::vector<std::string> EventActors() {
    ProcessResult r = Crm({"events"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    std::vector<std::string> actors;
    for (const std::string& line : Lines(r.out)) actors.push_back(Field(line, "actor"));
    return actors;
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(CliExecTest, BadLinesAreRejectedOneByOneAndTheRestApplies) {
  struct Input {
    std::string line;
    const char* code;
  };
  const std::vector<Input> inputs = {
      {R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})", "OK"},
      {"this is not JSON", "BAD_REQUEST"},
      {R"([{"type":"OpenAccount","account_id":"A2","name":"x"}])", "BAD_REQUEST"},
      {R"({"type":"Frobnicate","account_id":"A1"})", "BAD_REQUEST"},
      {R"({"type":"OpenAccount","account_id":"A2"})", "VALIDATION_ERROR"},        // no name
      {R"({"type":"OpenAccount","account_id":"A2","name":42})", "BAD_REQUEST"},  // wrong type
      {R"({"type":"CreateContact","contact_id":"C1","first_name":"Ada","last_name":"L","account_id":"A1"})",
       "OK"},
      {R"({"type":"OpenTicket","ticket_id":"T1","account_id":"A1","subject":"S","priority":"Sky-high"})",
       "VALIDATION_ERROR"},  // unknown enum value
      {R"({"type":"RecordAccountRevenue","account_id":"A1","amount":-5})", "VALIDATION_ERROR"},
      {R"({"type":"RecordAccountRevenue","account_id":"A1","amount":1.234})", "VALIDATION_ERROR"},
      {"{\"type\":\"AddAccountNote\",\"account_id\":\"A1\",\"text\":\"bad \xff\xfe bytes\"}",
       "BAD_REQUEST"},  // invalid UTF-8
      {R"({"type":"AddAccountNote","account_id":"A1","text":")" + std::string(10 << 20, 'x') +
           R"("})",
       "VALIDATION_ERROR"},  // a 10 MB text
      {"", "BAD_REQUEST"},  // an empty line
      {R"({"type":"AddAccountNote","account_id":"A1","text":"valid again"})", "OK"},
      {R"({"type":"RecordAccountRevenue","account_id":"A1","amount":"10.50"})", "OK"},
  };
  std::string file;
  for (const Input& in : inputs) file += in.line + "\n";
  const std::string path = WriteFile("commands.jsonl", file);

  ProcessResult r = Crm({"exec", path});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  std::vector<std::string> results = Lines(r.out);
  ASSERT_EQ(results.size(), inputs.size()) << Describe(r);
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(CodeOf(results[i]), inputs[i].code)
        << "line " << i + 1 << ": " << inputs[i].line.substr(0, 120) << "\n  -> " << results[i];
  }
  EXPECT_THAT(EventTypes(), ElementsAre("UserCreated", "AccountOpened", "ContactCreated",
                                        "AccountNoteAdded", "AccountRevenueRecorded"));
}

TEST_F(CliExecTest, AllValidLinesExitZero) {
  const std::string path =
      WriteFile("ok.jsonl", R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})"
                            "\n"
                            R"({"type":"AddAccountNote","account_id":"A1","text":"hi"})");  // no \n
  ProcessResult r = Crm({"exec", path});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  std::vector<std::string> results = Lines(r.out);
  ASSERT_EQ(results.size(), 2u) << Describe(r);
  EXPECT_EQ(results[0],
            R"({"ok":true,"position":2,"stream":"account-A1","version":1,"events":["AccountOpened"]})");
  EXPECT_EQ(
      results[1],
      R"({"ok":true,"position":3,"stream":"account-A1","version":2,"events":["AccountNoteAdded"]})");
}

TEST_F(CliExecTest, ExecFromStdin) {
  ProcessResult r = Crm({"exec", "-"}, R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})"
                                       "\n");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Describe(r);
  EXPECT_EQ(CodeOf(Lines(r.out)[0]), "OK") << r.out;
  r = Crm({"exec"}, R"({"type":"AddAccountNote","account_id":"A1","text":"no file argument"})"
                    "\n");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(EventTypes(), ElementsAre("UserCreated", "AccountOpened", "AccountNoteAdded"));
}

// Another program drives `crm exec -` one command at a time: each result arrives before the next
// command is written, so exec flushes before it waits for input.
TEST_F(CliExecTest, PipeDrivenOneCommandAtATime) {
  auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "--durability", "nosync", "exec", "-"});
  ASSERT_NE(child, nullptr);
  const std::vector<std::pair<std::string, std::string>> steps = {
      {R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})", "OK"},
      {R"({"type":"OpenAccount","account_id":"A1","name":"Again"})", "ALREADY_EXISTS"},
      {"not json", "BAD_REQUEST"},
      {R"({"type":"AddAccountNote","account_id":"A1","text":"third"})", "OK"},
  };
  for (const auto& [line, code] : steps) {
    ASSERT_TRUE(child->WriteStdin(line + "\n"));
    std::optional<std::string> result = child->ReadLine(std::chrono::seconds(20));
    ASSERT_TRUE(result.has_value()) << "no result for " << line << " while stdin stays open";
    EXPECT_EQ(CodeOf(*result), code) << line << " -> " << *result;
  }
  child->CloseStdin();
  EXPECT_FALSE(child->ReadLine(std::chrono::seconds(20)).has_value()) << "no more output";
  const int status = child->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << "two commands were rejected";
  EXPECT_THAT(EventTypes(), ElementsAre("UserCreated", "AccountOpened", "AccountNoteAdded"));
}

TEST_F(CliExecTest, ExecOnAMissingDatabaseCreatesItWithItsAdmin) {
  ASSERT_FALSE(std::filesystem::exists(db_));
  ProcessResult r =
      Crm({"exec", "-"}, R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})" "\n");
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Describe(r);
  EXPECT_EQ(CodeOf(Lines(r.out)[0]), "OK");
  EXPECT_TRUE(std::filesystem::is_directory(db_));
  ProcessResult events = Crm({"events"});
  ASSERT_EQ(events.exit_code, 0) << Describe(events);
  std::vector<std::string> lines = Lines(events.out);
  ASSERT_EQ(lines.size(), 2u) << events.out;
  EXPECT_EQ(Field(lines[0], "type"), "UserCreated");
  EXPECT_EQ(Field(lines[0], "stream"), "user-admin");
  EXPECT_EQ(Field(lines[0], "actor"), "system");
  EXPECT_EQ(Field(lines[1], "type"), "AccountOpened");
  EXPECT_EQ(Field(lines[1], "actor"), "admin");
}

TEST_F(CliExecTest, ConfigSetRelaxesTheRules) {
  const std::string open = R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})" "\n";
  const std::string to_customer =
      R"({"type":"ChangeAccountType","account_id":"A1","account_type":"Customer"})" "\n";
  ProcessResult r = Crm({"exec", "-"}, open + to_customer);
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << Describe(r);
  EXPECT_EQ(CodeOf(lines[1]), "RULE_VIOLATION") << lines[1];

  ProcessResult set = Crm({"config", "set", "rules.strict", "false"});
  EXPECT_EQ(set.exit_code, 0) << Describe(set);
  ASSERT_EQ(Lines(set.out).size(), 1u) << Describe(set);
  EXPECT_EQ(CodeOf(Lines(set.out)[0]), "OK");

  r = Crm({"exec", "-"}, to_customer);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Describe(r);
  EXPECT_EQ(CodeOf(Lines(r.out)[0]), "OK") << r.out;
  EXPECT_THAT(EventTypes(), ElementsAre("UserCreated", "AccountOpened", "SettingChanged",
                                        "AccountTypeChanged"));

  ProcessResult bad = Crm({"config", "set", "rules.strict", "perhaps"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_EQ(CodeOf(Lines(bad.out).empty() ? "" : Lines(bad.out)[0]), "VALIDATION_ERROR");
}

TEST_F(CliExecTest, AsSelectsTheActor) {
  ProcessResult setup = Crm(
      {"exec", "-"},
      R"({"type":"CreateUser","user_id":"bob","name":"Bob","role":"sales"})" "\n"
      R"({"type":"CreateUser","user_id":"vic","name":"Vic","role":"viewer"})" "\n");
  ASSERT_EQ(setup.exit_code, 0) << Describe(setup);

  const std::string open = R"({"type":"OpenAccount","account_id":"A1","name":"Acme"})" "\n";
  ProcessResult bob = Crm({"--as", "bob", "exec", "-"}, open);
  EXPECT_EQ(bob.exit_code, 0) << Describe(bob);

  ProcessResult ghost = Crm({"--as", "ghost", "exec", "-"},
                            R"({"type":"AddAccountNote","account_id":"A1","text":"x"})" "\n");
  EXPECT_EQ(ghost.exit_code, 1) << Describe(ghost);
  ASSERT_EQ(Lines(ghost.out).size(), 1u) << Describe(ghost);
  EXPECT_EQ(CodeOf(Lines(ghost.out)[0]), "FORBIDDEN");

  ProcessResult vic = Crm({"--as", "vic", "exec", "-"},
                          R"({"type":"AddAccountNote","account_id":"A1","text":"x"})" "\n");
  EXPECT_EQ(vic.exit_code, 1) << Describe(vic);
  EXPECT_EQ(CodeOf(Lines(vic.out).empty() ? "" : Lines(vic.out)[0]), "FORBIDDEN");

  // $CRM_USER, and a command's own "actor" over --as.
  ProcessResult env = Crm({"exec", "-"},
                          R"({"type":"AddAccountNote","account_id":"A1","text":"env"})" "\n",
                          {"CRM_USER=bob"});
  EXPECT_EQ(env.exit_code, 0) << Describe(env);
  ProcessResult own = Crm(
      {"--as", "ghost", "exec", "-"},
      R"({"type":"AddAccountNote","account_id":"A1","text":"own","actor":"admin"})" "\n");
  EXPECT_EQ(own.exit_code, 0) << Describe(own);

  EXPECT_THAT(EventActors(),
              ElementsAreArray({"system", "admin", "admin", "bob", "bob", "admin"}));
}

// The limit holds also when the line's newline arrives in the read that crosses it.
TEST_F(CliExecTest, LineJustOverTheLimitIsRejected) {
  std::string line = R"({"type":"CreateUser","user_id":"big","name":"Big","role":"sales"})";
  line.append((size_t{16} << 20) + 100 - line.size(), ' ');
  const std::string path = WriteFile("big.jsonl", line + "\n");
  ProcessResult r = Crm({"exec", path});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  std::vector<std::string> results = Lines(r.out);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find("BAD_REQUEST"), std::string::npos) << results[0];
  EXPECT_EQ(Crm({"events", "--stream", "user-big"}).out, "");
}

}  // namespace
}  // namespace crm::test
