// The crm binary's read commands: read-your-writes across processes (after `crm exec` returns,
// and beside a running `crm exec -` writer), --format table / csv for get, list, history and
// report, and the exit codes (3 not found, 2 usage, 4 missing or unreadable database).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "process.h"
#include "projections_test_util.h"

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::chrono::seconds;

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// The UTF-8 characters of a line (one string per code point).
std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<uint8_t>(s[i]) & 0xC0) == 0x80 && !out.empty()) {
      out.back().push_back(s[i]);
    } else {
      out.emplace_back(1, s[i]);
    }
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// A `--format table` output: header, a line of dashes per column, rows. Checks the alignment
// (every cell starts at its column's character offset, after two spaces) and returns the cells.
std::vector<std::vector<std::string>> ParseTable(const std::string& out) {
  std::vector<std::string> lines = Lines(out);
  std::vector<std::vector<std::string>> rows;
  if (lines.size() < 2) {
    ADD_FAILURE() << "no table: " << out;
    return rows;
  }
  const std::vector<std::string> dashes = Chars(lines[1]);
  std::vector<size_t> starts;
  for (size_t i = 0; i < dashes.size(); ++i) {
    if (dashes[i] == "-" && (i == 0 || dashes[i - 1] == " ")) starts.push_back(i);
    if (dashes[i] != "-" && dashes[i] != " ") ADD_FAILURE() << "not a dash line: " << lines[1];
  }
  for (size_t li = 0; li < lines.size(); ++li) {
    if (li == 1) continue;
    const std::vector<std::string> chars = Chars(lines[li]);
    std::vector<std::string> cells;
    for (size_t c = 0; c < starts.size(); ++c) {
      const size_t from = starts[c];
      const size_t to = c + 1 < starts.size() ? starts[c + 1] : chars.size();
      if (c > 0 && from <= chars.size()) {
        EXPECT_TRUE(chars[from - 1] == " " && chars[from - 2] == " ")
            << "column " << c << " is not separated by two spaces in: " << lines[li];
      }
      std::string cell;
      for (size_t i = from; i < to && i < chars.size(); ++i) cell += chars[i];
      cells.push_back(Trim(cell));
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

// RFC 4180 records (quoted fields, "" for a quote, newlines inside quotes).
std::vector<std::vector<std::string>> ParseCsv(const std::string& in) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (quoted) {
      if (c == '"' && i + 1 < in.size() && in[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else if (c != '\r') {
      field.push_back(c);
      any = true;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  if (rows.back().empty() && field.empty()) rows.pop_back();
  (void)any;
  return rows;
}

class ProjectionsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Sub("db"); }

  ProcessResult Crm(std::vector<std::string> args, std::string_view input = {}) {
    args.insert(args.begin(), {CRM_BIN, "--db", db_});
    return RunProcess(args, {}, input);
  }
  // Runs commands (JSON lines) through `crm exec FILE`; every one must succeed.
  void Exec(const std::vector<std::string>& commands) {
    const std::string file = dir_.Sub("commands-" + std::to_string(++files_) + ".jsonl");
    {
      std::ofstream out(file);
      for (const auto& c : commands) out << c << "\n";
    }
    ProcessResult r = Crm({"--durability", "nosync", "exec", file});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    ASSERT_EQ(Lines(r.out).size(), commands.size()) << Describe(r);
  }
  void ExecDirectory() {
    ASSERT_NO_FATAL_FAILURE(Exec({
        Cmd("CreateUser").S("user_id", "moses").S("name", "Moses Frase").S("role", "sales"),
        Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme Corp").S("industry", "Retail")
            .S("owner", "moses").S("occurred_at", "2024-03-01T09:00:00Z"),
        Cmd("OpenAccount").S("account_id", "A2").S("name", "Müller, \"Die\" GmbH")
            .S("industry", "Retail").S("occurred_at", "2024-03-02T09:00:00Z"),
        Cmd("OpenAccount").S("account_id", "B1").S("name", "Beta").S("industry", "Tech")
            .S("occurred_at", "2024-03-03T09:00:00Z"),
        Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Jane").S("last_name", "Doe")
            .S("account_id", "A1").S("occurred_at", "2024-03-04T09:00:00Z"),
        Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "Deal")
            .I("amount", 517).S("occurred_at", "2024-03-05T09:00:00Z"),
    }));
  }

  TempDir dir_;
  std::string db_;
  int files_ = 0;
};

TEST_F(ProjectionsCliTest, ReadsInOtherProcessesSeeWhatExecWrote) {
  ASSERT_NO_FATAL_FAILURE(ExecDirectory());
  ProcessResult get = Crm({"get", "contact", "C1"});
  ASSERT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_EQ(get.out,
            R"({"contact_id":"C1","first_name":"Jane","last_name":"Doe","email":null,"phone":null,)"
            R"("title":null,"account_id":"A1","created_at":"2024-03-04T09:00:00.000000Z","version":1})"
            "\n");
  ProcessResult account = Crm({"get", "account", "A1"});
  ASSERT_EQ(account.exit_code, 0) << Describe(account);
  EXPECT_THAT(account.out, HasSubstr(R"("contacts":1,"opportunities_open":1,)"));
  EXPECT_THAT(account.out, HasSubstr(R"("type":"Prospect")"));

  ProcessResult list = Crm({"list", "account", "--industry", "retail"});
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  std::vector<std::string> lines = Lines(list.out);
  ASSERT_EQ(lines.size(), 2u) << list.out;
  EXPECT_THAT(lines[0], ::testing::StartsWith(R"({"account_id":"A1","name":"Acme Corp",)"));
  EXPECT_THAT(lines[1], ::testing::StartsWith(R"({"account_id":"A2","name":"Müller, \"Die\" GmbH",)"));

  ProcessResult history = Crm({"history", "A1"});
  ASSERT_EQ(history.exit_code, 0) << Describe(history);
  lines = Lines(history.out);
  ASSERT_EQ(lines.size(), 4u) << history.out;
  EXPECT_THAT(lines[0], HasSubstr(R"x("summary":"Opportunity O1 'Deal' opened by admin (517, Prospecting)")x"));
  EXPECT_THAT(lines[1], HasSubstr(R"("type":"AccountTypeChanged")"));
  EXPECT_THAT(lines[2], HasSubstr(R"("summary":"Contact C1 'Jane Doe' created by admin")"));
  EXPECT_THAT(lines[3], HasSubstr(R"x("summary":"Account A1 'Acme Corp' opened by admin (type NotValidated)")x"));

  // The next exec's effects are visible to the next reader.
  ASSERT_NO_FATAL_FAILURE(Exec({Cmd("UpdateAccount").S("account_id", "A1").S("name", "Acme Two")}));
  ProcessResult renamed = Crm({"list", "account", "--name", "ACME"});
  ASSERT_EQ(renamed.exit_code, 0) << Describe(renamed);
  lines = Lines(renamed.out);
  ASSERT_EQ(lines.size(), 1u) << renamed.out;
  EXPECT_THAT(lines[0], HasSubstr(R"("name":"Acme Two")"));
  ProcessResult limited = Crm({"history", "A1", "--limit", "1"});
  ASSERT_EQ(Lines(limited.out).size(), 1u) << Describe(limited);
  EXPECT_THAT(limited.out, HasSubstr(R"x("summary":"Account A1 'Acme Two' updated by admin (name)")x"));
}

// A writer process keeps the database open (`crm exec -` on a pipe); readers in other processes
// see each command's effects as soon as its result line has been printed.
TEST_F(ProjectionsCliTest, ReadersBesideARunningWriterSeeEachAcknowledgedCommand) {
  auto writer = ChildProcess::Start({CRM_BIN, "--db", db_, "exec", "-"});
  ASSERT_NE(writer, nullptr);
  auto send = [&](const std::string& line) {
    ASSERT_TRUE(writer->WriteStdin(line + "\n"));
    std::optional<std::string> result = writer->ReadLine(std::chrono::seconds(30));
    ASSERT_TRUE(result.has_value()) << "no result for " << line;
    ASSERT_THAT(*result, ::testing::StartsWith(R"({"ok":true)")) << line << " -> " << *result;
  };
  ASSERT_NO_FATAL_FAILURE(send(Cmd("OpenAccount").S("account_id", "W1").S("name", "Writer Co")));
  ProcessResult get = Crm({"get", "account", "W1"});
  ASSERT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_THAT(get.out, HasSubstr(R"("name":"Writer Co")"));
  EXPECT_THAT(get.out, HasSubstr(R"("contacts":0,)"));

  for (int i = 1; i <= 3; ++i) {
    const std::string id = "WC" + std::to_string(i);
    ASSERT_NO_FATAL_FAILURE(send(Cmd("CreateContact").S("contact_id", id).S("first_name", "N")
                                     .S("last_name", "L" + std::to_string(i)).S("account_id", "W1")));
    ProcessResult now = Crm({"get", "account", "W1"});
    ASSERT_EQ(now.exit_code, 0) << Describe(now);
    EXPECT_THAT(now.out, HasSubstr("\"contacts\":" + std::to_string(i) + ","));
    ProcessResult history = Crm({"history", "W1", "--limit", "1"});
    ASSERT_EQ(history.exit_code, 0) << Describe(history);
    EXPECT_THAT(history.out, HasSubstr("\"stream\":\"contact-" + id + "\""));
    ProcessResult contacts = Crm({"list", "contact"});
    ASSERT_EQ(contacts.exit_code, 0) << Describe(contacts);
    EXPECT_EQ(Lines(contacts.out).size(), static_cast<size_t>(i));
  }
  ASSERT_NO_FATAL_FAILURE(send(Cmd("AddAccountNote").S("account_id", "W1").S("text", "Still open")));
  ProcessResult history = Crm({"history", "W1"});
  ASSERT_EQ(history.exit_code, 0) << Describe(history);
  EXPECT_EQ(Lines(history.out).size(), 5u) << history.out;
  EXPECT_THAT(Lines(history.out)[0], HasSubstr("note added by admin (Still open)"));

  writer->CloseStdin();
  EXPECT_FALSE(writer->ReadLine(std::chrono::seconds(30)).has_value());
  const int status = writer->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ProjectionsCliTest, ListAsAnAlignedTableAndAsCsv) {
  ASSERT_NO_FATAL_FAILURE(ExecDirectory());
  ProcessResult table = Crm({"list", "account", "--format", "table"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  std::vector<std::vector<std::string>> cells = ParseTable(table.out);
  ASSERT_EQ(cells.size(), 4u) << table.out;  // header + 3 rows
  EXPECT_EQ(cells[0][0], "account_id");
  EXPECT_EQ(cells[0][1], "name");
  EXPECT_EQ(cells[0].back(), "version");
  EXPECT_EQ(cells[0].size(), 32u);  // 31 fields + version
  EXPECT_THAT(cells[1], ::testing::Contains("Acme Corp"));
  EXPECT_EQ(cells[1][1], "Acme Corp");
  EXPECT_EQ(cells[2][1], "Müller, \"Die\" GmbH");  // aligned by characters, not bytes
  EXPECT_EQ(cells[3][1], "Beta");
  EXPECT_EQ(cells[1][2], "Prospect");
  EXPECT_EQ(cells[3][4], "Tech");
  EXPECT_EQ(cells[2][5], "") << "null is an empty cell";

  ProcessResult csv = Crm({"list", "account", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << Describe(csv);
  EXPECT_EQ(Lines(csv.out)[0].substr(0, 31), R"("account_id","name","type","sta)");
  std::vector<std::vector<std::string>> rows = ParseCsv(csv.out);
  ASSERT_EQ(rows.size(), 4u) << csv.out;
  EXPECT_EQ(rows[0], cells[0]) << "the same columns";
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), rows[0].size()) << csv.out;
    EXPECT_EQ(rows[i], cells[i]) << "row " << i;
  }
  EXPECT_EQ(rows[2][1], "Müller, \"Die\" GmbH");
  EXPECT_THAT(csv.out, HasSubstr(R"("Müller, ""Die"" GmbH")"));

  // No rows: no output at all, in any format.
  for (const char* format : {"table", "csv", "jsonl"}) {
    ProcessResult empty = Crm({"list", "account", "--industry", "none", "--format", format});
    EXPECT_EQ(empty.exit_code, 0) << Describe(empty);
    EXPECT_EQ(empty.out, "") << format;
  }
}

TEST_F(ProjectionsCliTest, GetHistoryAndReportFormats) {
  ASSERT_NO_FATAL_FAILURE(ExecDirectory());
  // get --format table: one "field  value" line per field, values aligned.
  ProcessResult get = Crm({"get", "contact", "C1", "--format", "table"});
  ASSERT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_EQ(get.out,
            "contact_id  C1\n"
            "first_name  Jane\n"
            "last_name   Doe\n"
            "email\n"
            "phone\n"
            "title\n"
            "account_id  A1\n"
            "created_at  2024-03-04T09:00:00.000000Z\n"
            "version     1\n");
  ProcessResult get_csv = Crm({"get", "contact", "C1", "--format", "csv"});
  ASSERT_EQ(get_csv.exit_code, 0) << Describe(get_csv);
  EXPECT_THAT(ParseCsv(get_csv.out),
              ElementsAre(ElementsAre("contact_id", "first_name", "last_name", "email", "phone",
                                      "title", "account_id", "created_at", "version"),
                          ElementsAre("C1", "Jane", "Doe", "", "", "", "A1",
                                      "2024-03-04T09:00:00.000000Z", "1")));

  ProcessResult history = Crm({"history", "A1", "--format", "table"});
  ASSERT_EQ(history.exit_code, 0) << Describe(history);
  std::vector<std::vector<std::string>> cells = ParseTable(history.out);
  ASSERT_EQ(cells.size(), 5u) << history.out;
  EXPECT_THAT(cells[0], ElementsAre("position", "occurred_at", "recorded_at", "actor", "stream",
                                    "type", "summary"));
  EXPECT_EQ(cells[4][1], "2024-03-01T09:00:00.000000Z");
  EXPECT_EQ(cells[4][4], "account-A1");
  EXPECT_EQ(cells[4][6], "Account A1 'Acme Corp' opened by admin (type NotValidated)");
  EXPECT_EQ(cells[3][6], "Contact C1 'Jane Doe' created by admin");

  ProcessResult history_csv = Crm({"history", "A1", "--format", "csv", "--limit", "2"});
  ASSERT_EQ(history_csv.exit_code, 0) << Describe(history_csv);
  std::vector<std::vector<std::string>> rows = ParseCsv(history_csv.out);
  ASSERT_EQ(rows.size(), 3u) << history_csv.out;
  EXPECT_EQ(rows[0], cells[0]);
  EXPECT_EQ(rows[1], cells[1]);
  EXPECT_EQ(rows[2], cells[2]);

  // report pipeline --format csv: the README's example line.
  ProcessResult report = Crm({"report", "pipeline", "--format", "csv"});
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  std::vector<std::string> lines = Lines(report.out);
  ASSERT_EQ(lines.size(), 8u) << report.out;
  EXPECT_EQ(lines[0], R"("stage","probability","count","amount","weighted_amount")");
  EXPECT_EQ(lines[1], R"("Prospecting","10","1","517","51.7")");
  EXPECT_EQ(lines[7], R"("ClosedLost","0","0","0","0")");
  ProcessResult report_table = Crm({"report", "revenue", "--format", "table"});
  ASSERT_EQ(report_table.exit_code, 0) << Describe(report_table);
  cells = ParseTable(report_table.out);
  ASSERT_EQ(cells.size(), 5u) << report_table.out;
  EXPECT_THAT(cells[0], ElementsAre("by", "key", "accounts", "total_revenue", "won_amount"));
  EXPECT_THAT(cells[1], ElementsAre("industry", "Retail", "2", "0", "0"));
  EXPECT_THAT(cells[2], ElementsAre("industry", "Tech", "1", "0", "0"));
  EXPECT_THAT(cells[3], ElementsAre("owner", "", "2", "0", "0"));
  EXPECT_THAT(cells[4], ElementsAre("owner", "moses", "1", "0", "0"));
  // inactive with --now and --days: the cutoff is 2024-03-03T09:00:00Z, B1's last activity is
  // exactly at it (not inactive), A2's is a day before.
  ProcessResult inactive =
      Crm({"report", "inactive", "--now", "2024-04-04T09:00:00Z", "--days", "32"});
  ASSERT_EQ(inactive.exit_code, 0) << Describe(inactive);
  EXPECT_EQ(inactive.out,
            R"({"account_id":"A2","name":"Müller, \"Die\" GmbH","owner":null,"type":"NotValidated",)"
            R"("status":"Active","last_activity_at":"2024-03-02T09:00:00.000000Z","days_inactive":33})"
            "\n");
  // audit --format csv.
  ProcessResult audit = Crm({"audit", "account-A1", "--field", "type", "--format", "csv"});
  ASSERT_EQ(audit.exit_code, 0) << Describe(audit);
  rows = ParseCsv(audit.out);
  ASSERT_EQ(rows.size(), 3u) << audit.out;
  EXPECT_THAT(rows[0], ElementsAre("position", "recorded_at", "actor", "type", "field", "old", "new"));
  EXPECT_EQ(rows[1][5], "");
  EXPECT_EQ(rows[1][6], "NotValidated");
  EXPECT_EQ(rows[2][3], "AccountTypeChanged");
  EXPECT_EQ(rows[2][2], "system");
  EXPECT_EQ(rows[2][6], "Prospect");
}

// `crm list … | head -1`: the reader goes away after one line; crm notices the failed write, stops
// reading rows and exits 0 with nothing on stderr, like `crm events` (SIGPIPE used to kill it:
// exit 141).
TEST_F(ProjectionsCliTest, ListExportAndHistoryEndQuietlyWhenTheirReaderGoesAway) {
  std::vector<std::string> commands;
  const std::string notes(600, 'n');
  for (int i = 0; i < 1500; ++i) {  // ~1 MB of list/export output, far more than a pipe holds
    char id[16];
    std::snprintf(id, sizeof id, "A%04d", i);
    commands.push_back(Cmd("OpenAccount").S("account_id", id).S("name", "Account").S("notes", notes)
                           .S("industry", "Retail"));
  }
  for (int i = 0; i < 300; ++i) {
    commands.push_back(Cmd("AddAccountNote").S("account_id", "A0000").S("text", notes));
  }
  ASSERT_NO_FATAL_FAILURE(Exec(commands));
  const std::vector<std::string> env = {"CRM=" CRM_BIN, "DB=" + db_};
  for (const std::string command :
       {"list account", "list account --industry Retail", "export account --format jsonl",
        "export account --format csv", "history A0000 --limit 300"}) {
    const std::string script =
        "\"$CRM\" --db \"$DB\" " + command + " | head -1; echo \"status=${PIPESTATUS[0]}\" >&2";
    ProcessResult r = RunProcess({"/bin/bash", "-c", script}, env, {}, std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << Describe(r);
    EXPECT_EQ(Lines(r.out).size(), 1u) << command;
    EXPECT_EQ(r.err, "status=0\n") << command << ": exit 0 and nothing on stderr";
  }
}

TEST_F(ProjectionsCliTest, ExitCodesForMissingEntitiesAndUsageErrors) {
  ASSERT_NO_FATAL_FAILURE(ExecDirectory());
  // 3: the entity or account does not exist.
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"get", "account", "NOPE"},
           {"get", "ticket", "A1"},
           {"history", "NOPE"},
           {"audit", "account-NOPE"}}) {
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 3) << args[0] << " " << args[1] << ": " << Describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(r.err.empty()) << "a message says what is missing";
  }
  // 2: an unknown kind, filter or enum value (the message lists the allowed ones), an unknown
  // report or field, a bad option.
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"list", "widget"},
           {"get", "widget", "A1"},
           {"list", "account", "--stage", "Proposal"},
           {"list", "account", "--type", "Gold"},
           {"list", "order", "--status", "Open"},
           {"list", "ticket", "--priority", "Critical"},
           {"report", "forecast"},
           {"audit", "account-A1", "--field", "colour"},
           {"audit", "nonsense"},
           {"history", "A1", "--limit", "many"},
           {"list", "account", "--format", "xml"}}) {
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << ": " << Describe(r);
    EXPECT_EQ(r.out, "");
  }
  ProcessResult gold = Crm({"list", "account", "--type", "Gold"});
  EXPECT_THAT(gold.err, HasSubstr("Customer"));
  ProcessResult stage = Crm({"list", "account", "--stage", "Proposal"});
  EXPECT_THAT(stage.err, HasSubstr("industry"));
}

// SPEC §4: "a read of a missing database fails with exit 4" (README: "4 when the database is
// missing"), and a read must not create it.
TEST_F(ProjectionsCliTest, ReadingAMissingDatabaseExits4) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"get", "account", "A1"},
           {"list", "account"},
           {"history", "A1"},
           {"audit", "account-A1"},
           {"report", "pipeline"}}) {
    ProcessResult r = Crm(args);
    EXPECT_EQ(r.exit_code, 4) << ::testing::PrintToString(args) << ": " << Describe(r);
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(db_)) << "a read must not create the database";
}

// Projections built by another projector version are unreadable until a writer rebuilds them:
// exit 4, then any write command rebuilds them and reads work again.
TEST_F(ProjectionsCliTest, ProjectionsOfAnotherVersionExit4UntilAWriteRebuildsThem) {
  {
    Options o = FastOptions();
    o.projector = RebuildingProjector(777);
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store));
    ASSERT_OK(EnsureAdminUser(*store));
    CommandExecutor exec(store.get());
    ASSERT_TRUE(exec.Execute(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").str()).ok);
  }
  ProcessResult stale = Crm({"get", "account", "A1"});
  EXPECT_EQ(stale.exit_code, 4) << Describe(stale);
  EXPECT_THAT(stale.err, HasSubstr("open the database for writing"));
  ASSERT_NO_FATAL_FAILURE(Exec({Cmd("AddAccountNote").S("account_id", "A1").S("text", "rebuild")}));
  ProcessResult fresh = Crm({"get", "account", "A1"});
  ASSERT_EQ(fresh.exit_code, 0) << Describe(fresh);
  EXPECT_THAT(fresh.out, HasSubstr(R"("name":"Acme")"));
  ProcessResult history = Crm({"history", "A1"});
  ASSERT_EQ(history.exit_code, 0) << Describe(history);
  EXPECT_EQ(Lines(history.out).size(), 2u) << history.out;
}

}  // namespace
}  // namespace crm::test
