// crm export and crm import (SPEC §4), through the real binary: CSV round trips of every
// importable kind, the exact per-row report and summary for a file full of problems (BOM, CRLF,
// quoted fields with commas and line breaks, bad values, invalid UTF-8, missing fields, wrong field
// counts, duplicates in the file and against the database), --dry-run, idempotent re-runs,
// --on-duplicate update / error, --map, historical business times, and every exit code.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/file.h>
#include <unistd.h>

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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

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

rapidjson::Document Json(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str(), line.size());
  EXPECT_FALSE(d.HasParseError()) << "not JSON: " << line;
  return d;
}

std::string S(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key)) return "<absent>";
  if (v[key].IsNull()) return "<null>";
  if (v[key].IsString()) return v[key].GetString();
  if (v[key].IsUint64()) return std::to_string(v[key].GetUint64());
  if (v[key].IsBool()) return v[key].GetBool() ? "true" : "false";
  return "<other>";
}

// A report line as "row line outcome column field code | message".
std::string Brief(const rapidjson::Value& v) {
  return S(v, "row") + " " + S(v, "line") + " " + S(v, "outcome") + " " + S(v, "column") + " " +
         S(v, "field") + " " + S(v, "code") + " | " + S(v, "message");
}

// The summary's counters as "rows created updated unchanged skipped failed".
std::string Counts(const rapidjson::Value& v) {
  return S(v, "rows") + " " + S(v, "created") + " " + S(v, "updated") + " " + S(v, "unchanged") +
         " " + S(v, "skipped") + " " + S(v, "failed");
}

class ImportExportTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Sub("db"); }

  ProcessResult Crm(std::vector<std::string> args, const std::string& db = "") {
    args.insert(args.begin(), {CRM_BIN, "--durability", "nosync", "--db", db.empty() ? db_ : db});
    return RunProcess(args);
  }
  // Runs commands (JSON Lines) that must all succeed.
  void Exec(const std::string& jsonl, const std::string& db = "") {
    ProcessResult r = RunProcess({CRM_BIN, "--durability", "nosync", "--db",
                                  db.empty() ? db_ : db, "exec", "-"},
                                 {}, jsonl);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  std::string File(const std::string& name, const std::string& content) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  uint64_t LastPosition(const std::string& db = "") {
    ProcessResult r = Crm({"stats"}, db);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return Json(Lines(r.out).at(0))["last_position"].GetUint64();
  }
  std::string Export(const std::string& kind, const std::string& db = "",
                     const std::string& format = "csv") {
    ProcessResult r = Crm({"export", kind, "--format", format}, db);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return r.out;
  }
  // The report lines of an import (warnings and rows) and its summary (the last line).
  struct Report {
    int exit_code = -1;
    std::vector<std::string> brief;     // Brief() of each row line
    std::vector<std::string> warnings;  // columns warned about
    std::string counts;                 // Counts() of the summary
    std::vector<std::string> raw;       // every line but the summary's "seconds"
    std::string out, err;
  };
  Report Import(std::vector<std::string> args, const std::string& db = "") {
    args.insert(args.begin(), "import");
    ProcessResult r = Crm(args, db);
    Report rep;
    rep.exit_code = r.exit_code;
    rep.out = r.out;
    rep.err = r.err;
    std::vector<std::string> lines = Lines(r.out);
    for (size_t i = 0; i < lines.size(); ++i) {
      rapidjson::Document d = Json(lines[i]);
      if (i + 1 == lines.size() && d.HasMember("ok")) {
        rep.counts = Counts(d);
        std::string no_time = lines[i].substr(0, lines[i].find(",\"seconds\""));
        rep.raw.push_back(no_time);
      } else if (d.HasMember("warning")) {
        rep.warnings.push_back(S(d, "column"));
        rep.raw.push_back(lines[i]);
      } else {
        rep.brief.push_back(Brief(d));
        rep.raw.push_back(lines[i]);
      }
    }
    return rep;
  }

  TempDir dir_;
  std::string db_;
};

constexpr char kUsers[] =
    R"({"type":"CreateUser","user_id":"sam","name":"Sam Sales","role":"sales"}
)";

// Accounts and contacts with every kind of value: quotes, commas, line breaks, umlauts, nested
// addresses, historical times, an inactive account, a child account whose id sorts before its
// parent's, a contact without an account.
constexpr char kRichData[] =
    R"({"type":"OpenAccount","account_id":"A1","name":"Acme, \"Inc\"","industry":"Manufacturing","phone":"+1 555 0100","email":"info@acme.com","website":"https://acme.example","billing_address":{"street":"1 Main St\nSuite 5","city":"Springfield","country":"US"},"shipping_address":{"city":"Shelbyville","postal_code":"12345"},"number_of_employees":250,"owner":"sam","notes":"Key account, \"gold\"\nsecond line","debtor_number":"D-1","account_type":"Suspect","occurred_at":"2020-01-02T03:04:05Z"}
{"type":"OpenAccount","account_id":"Z9","name":"Bäckerei Müller","source":"Fair","creditor_number":"K-9","account_type":"Supplier","occurred_at":"2021-05-06T07:08:09.123456Z"}
{"type":"OpenAccount","account_id":"A0","name":"Müller Filiale","parent_account_id":"Z9","occurred_at":"2021-06-01T00:00:00Z"}
{"type":"DeactivateAccount","account_id":"Z9","reason":"closed, for good","occurred_at":"2022-01-01T00:00:00Z"}
{"type":"CreateContact","contact_id":"C1","first_name":"Jane","last_name":"Doe","email":"jane@acme.com","phone":"555 0199","title":"CFO","account_id":"A1","occurred_at":"2020-02-03T00:00:00Z"}
{"type":"CreateContact","contact_id":"C2","first_name":"Jörg","last_name":"O'Brien","occurred_at":"2020-02-04T00:00:00Z"}
{"type":"CreateContact","contact_id":"C3","first_name":"Ann","last_name":"Lee","email":"ann@z9.de","account_id":"Z9","occurred_at":"2021-07-01T00:00:00Z"}
)";

TEST_F(ImportExportTest, CsvRoundTripOfAccountsAndContactsGivesEqualState) {
  ASSERT_NO_FATAL_FAILURE(Exec(std::string(kUsers) + kRichData));
  const std::string accounts = Export("account");
  const std::string contacts = Export("contact");
  ASSERT_THAT(accounts, HasSubstr("\"Acme, \"\"Inc\"\"\""));
  ASSERT_THAT(accounts, HasSubstr("\"billing_address.street\",\"billing_address.city\""));
  ASSERT_THAT(accounts, HasSubstr("\"1 Main St\nSuite 5\",\"Springfield\""));
  ASSERT_EQ(Lines(contacts).size(), 4u) << contacts;

  const std::string copy = dir_.Sub("copy");
  ASSERT_NO_FATAL_FAILURE(Exec(kUsers, copy));
  Report a = Import({"account", File("accounts.csv", accounts)}, copy);
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(a.counts, "3 3 0 0 0 0");
  EXPECT_TRUE(a.warnings.empty()) << "every exported column is known";
  Report c = Import({"contact", File("contacts.csv", contacts)}, copy);
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(c.counts, "3 3 0 0 0 0");

  EXPECT_EQ(Export("account", copy), accounts);
  EXPECT_EQ(Export("contact", copy), contacts);
  EXPECT_EQ(Export("account", copy, "jsonl"), Export("account", "", "jsonl"));
}

TEST_F(ImportExportTest, CsvRoundTripOfLeadsOpportunitiesAndTickets) {
  const std::string setup = std::string(kUsers) + R"({"type":"SetSetting","key":"rules.strict","value":"false"}
{"type":"OpenAccount","account_id":"A1","name":"Acme","occurred_at":"2020-01-01T00:00:00Z"}
{"type":"CreateLead","lead_id":"L1","first_name":"Al","last_name":"Lead","company":"LeadCo","owner":"sam","occurred_at":"2020-01-03T00:00:00Z"}
{"type":"CreateLead","lead_id":"L2","last_name":"Dis","occurred_at":"2020-01-03T00:00:00Z"}
{"type":"DisqualifyLead","lead_id":"L2","reason":"spam","occurred_at":"2020-01-04T00:00:00Z"}
{"type":"QualifyLead","lead_id":"L1","occurred_at":"2020-01-04T00:00:00Z"}
{"type":"OpenOpportunity","opportunity_id":"O1","account_id":"A1","name":"Deal","amount":"1234.5","currency":"EUR","stage":"Proposal","close_date":"2020-06-30","owner":"sam","occurred_at":"2020-01-05T00:00:00Z"}
{"type":"OpenOpportunity","opportunity_id":"O2","account_id":"A1","name":"Won","amount":"99","occurred_at":"2020-01-05T00:00:00Z"}
{"type":"WinOpportunity","opportunity_id":"O2","occurred_at":"2020-02-05T00:00:00Z"}
{"type":"OpenOpportunity","opportunity_id":"O3","account_id":"A1","name":"Lost","amount":"5","occurred_at":"2020-01-05T00:00:00Z"}
{"type":"LoseOpportunity","opportunity_id":"O3","reason":"price","occurred_at":"2020-02-06T00:00:00Z"}
{"type":"OpenTicket","ticket_id":"T1","account_id":"A1","subject":"Broken","priority":"High","origin":"Email","occurred_at":"2020-01-06T00:00:00Z"}
{"type":"AssignTicket","ticket_id":"T1","assignee":"sam","occurred_at":"2020-01-06T00:00:00Z"}
{"type":"ChangeTicketStatus","ticket_id":"T1","status":"InProgress","occurred_at":"2020-01-06T00:00:00Z"}
{"type":"ResolveTicket","ticket_id":"T1","resolution":"Fixed","occurred_at":"2020-01-07T00:00:00Z"}
{"type":"CloseTicket","ticket_id":"T1","occurred_at":"2020-01-08T00:00:00Z"}
{"type":"OpenTicket","ticket_id":"T2","account_id":"A1","subject":"Slow","priority":"Low","occurred_at":"2020-01-09T00:00:00Z"}
)";
  ASSERT_NO_FATAL_FAILURE(Exec(setup));
  const std::string copy = dir_.Sub("copy");
  ASSERT_NO_FATAL_FAILURE(
      Exec(std::string(kUsers) +
               R"({"type":"SetSetting","key":"rules.strict","value":"false"}
)",
           copy));
  for (const std::string kind : {"account", "lead", "opportunity", "ticket"}) {
    Report r = Import({kind, File(kind + ".csv", Export(kind))}, copy);
    EXPECT_EQ(r.exit_code, 0) << kind << "\n" << r.out << r.err;
  }
  for (const std::string kind : {"account", "lead", "opportunity", "ticket"}) {
    EXPECT_EQ(Export(kind, copy), Export(kind)) << kind;
  }
}

TEST_F(ImportExportTest, ExportStreamsAHeaderAndEveryRowBesideAWriter) {
  ASSERT_NO_FATAL_FAILURE(Exec(std::string(kUsers) + kRichData));
  // A writer holds the database open; export reads beside it.
  auto writer = ChildProcess::Start({CRM_BIN, "--db", db_, "exec", "-"});
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->WriteStdin(
      R"({"type":"OpenAccount","account_id":"B1","name":"Live"})"
      "\n"));
  ASSERT_TRUE(writer->ReadLine(std::chrono::seconds(20)).has_value());
  const std::string csv = Export("account");
  std::vector<std::string> lines = Lines(csv);
  EXPECT_EQ(lines.at(0).substr(0, 33), R"("account_id","name","type","statu)");
  EXPECT_THAT(csv, HasSubstr("\"B1\",\"Live\""));
  EXPECT_THAT(csv, Not(HasSubstr("version")));

  // JSON Lines: addresses stay objects, no version.
  const std::string jsonl = Export("account", "", "jsonl");
  rapidjson::Document a1 = Json(Lines(jsonl).at(0));
  EXPECT_EQ(S(a1, "account_id"), "A0");
  EXPECT_FALSE(a1.HasMember("version"));
  rapidjson::Document first = Json(Lines(jsonl).at(1));
  ASSERT_TRUE(first["billing_address"].IsObject());
  EXPECT_EQ(S(first["billing_address"], "city"), "Springfield");

  // A kind without entities: the header alone.
  const std::string tickets = Export("ticket");
  EXPECT_EQ(Lines(tickets).size(), 1u);
  EXPECT_EQ(tickets.substr(0, 14), R"("ticket_id","a)");
  writer->CloseStdin();
  EXPECT_EQ(writer->Wait(), 0);

  ProcessResult unknown = Crm({"export", "widget"});
  EXPECT_EQ(unknown.exit_code, 2) << Describe(unknown);
  EXPECT_THAT(unknown.err, HasSubstr("unknown kind 'widget'"));
  ProcessResult missing = Crm({"export", "account"}, dir_.Sub("nothing-here"));
  EXPECT_EQ(missing.exit_code, 4) << Describe(missing);
}

// BOM, CRLF, quoted fields with commas, quotes and line breaks; every kind of bad row; duplicates
// in the file and against the database. Lines: header 1; A1 spans 2-3; the blank line 14 is not a
// row.
std::string ProblemFile() {
  std::string f = "\xEF\xBB\xBF";
  f += "Id,Company,E-mail,Phone Number,Billing City,Industry,Employees,Type,Notes,Fax\r\n";
  f += "A1,\"Acme, Inc.\",info@acme.com,+1 555 0100,Springfield,Manufacturing,250,suspect,\"Line 1\r\n"
       "Line 2 \"\"quoted\"\"\",x\r\n";
  f += "A2,Beta,not-an-email,,,,,,,\r\n";
  f += "A3,Gamma,,,,,-5,,,\r\n";
  f += "A4,Delta,,,,,,Gold,,\r\n";
  f += "A5,\xff" "bad,,,,,,,,\r\n";
  f += "A6,,,,,,,,,\r\n";
  f += "A7,\"ACME, INC.\",,,,,,,,\r\n";
  f += "A8,Other,INFO@ACME.COM,,,,,,,\r\n";
  f += "A9,existing gmbh,,,,,,,,\r\n";
  f += "A10,Zeta,,+49 (30) 123-4567,,,,,,\r\n";
  f += "A11,Eta,,,,,,,,too,many\r\n";
  f += "\r\n";
  f += "A12,Theta,theta@example.io,,,,12,,,\r\n";
  return f;
}

constexpr char kExisting[] =
    R"({"type":"OpenAccount","account_id":"EX1","name":"Existing GmbH","email":"hello@existing.de","phone":"+49 30 1234567"}
)";

const std::vector<std::string>& ExpectedProblemReport() {
  static const std::vector<std::string> v = {
      "2 4 failed E-mail email VALIDATION_ERROR | email is not a valid e-mail address: "
      "\"not-an-email\" has no '@'",
      "3 5 failed Employees number_of_employees VALIDATION_ERROR | number_of_employees must not "
      "be negative",
      "4 6 failed Type type VALIDATION_ERROR | invalid type \"Gold\"; allowed: NotValidated, "
      "Suspect, Lead, Associate, Prospect, Customer, Supplier, Reseller, Division, Bank",
      "5 7 failed Company name BAD_REQUEST | column \"Company\" is not valid UTF-8 (byte 0xff at "
      "offset 0)",
      "6 8 failed Company name VALIDATION_ERROR | missing required field \"name\"",
      "7 9 skipped Company name <absent> | duplicate of account A1 (row 1 of this file): same name "
      "(case-insensitive)",
      "8 10 skipped E-mail email <absent> | duplicate of account A1 (row 1 of this file): same "
      "e-mail address",
      "9 11 skipped Company name <absent> | duplicate of account EX1: same name (case-insensitive)",
      "10 12 skipped Phone Number phone <absent> | duplicate of account EX1: same phone number",
      "11 13 failed <null> <null> BAD_REQUEST | the row has 11 fields; the header has 10",
  };
  return v;
}

TEST_F(ImportExportTest, ImportReportsEveryRowProblemExactly) {
  ASSERT_NO_FATAL_FAILURE(Exec(kExisting));
  Report r = Import({"account", File("problems.csv", ProblemFile())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.warnings, ElementsAre("Fax"));
  EXPECT_EQ(r.brief, ExpectedProblemReport());
  EXPECT_EQ(r.counts, "12 2 0 0 4 6");
  // The skipped rows name what they duplicate.
  rapidjson::Document dup = Json(r.raw.at(1 + 5));
  EXPECT_EQ(S(dup, "duplicate_of"), "A1");
  EXPECT_EQ(S(dup, "match"), "name");
  EXPECT_EQ(S(dup, "duplicate_of_row"), "1");
  EXPECT_EQ(S(dup, "duplicate_in_file"), "true");
  EXPECT_EQ(S(dup, "id"), "A7");

  // What was imported, exactly: quotes, the line break (CRLF kept inside the quotes), the
  // normalised enum.
  ProcessResult a1 = Crm({"get", "account", "A1"});
  ASSERT_EQ(a1.exit_code, 0) << Describe(a1);
  rapidjson::Document d = Json(Lines(a1.out).at(0));
  EXPECT_EQ(S(d, "name"), "Acme, Inc.");
  EXPECT_EQ(S(d, "notes"), "Line 1\r\nLine 2 \"quoted\"");
  EXPECT_EQ(S(d, "type"), "Suspect");
  EXPECT_EQ(S(d["billing_address"], "city"), "Springfield");
  EXPECT_EQ(d["number_of_employees"].GetInt(), 250);
  ProcessResult a12 = Crm({"get", "account", "A12"});
  EXPECT_EQ(a12.exit_code, 0) << Describe(a12);
}

TEST_F(ImportExportTest, DryRunWritesNothingAndReportsTheSame) {
  ASSERT_NO_FATAL_FAILURE(Exec(kExisting));
  const std::string file = File("problems.csv", ProblemFile());
  const uint64_t before = LastPosition();
  Report dry = Import({"account", file, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 1) << dry.out << dry.err;
  EXPECT_EQ(LastPosition(), before) << "a dry run appends nothing";
  EXPECT_EQ(Crm({"get", "account", "A1"}).exit_code, 3);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".crm-dry-run"), std::string::npos)
        << "the copy is removed";
  }
  Report real = Import({"account", file});
  ASSERT_EQ(real.raw.size(), dry.raw.size());
  for (size_t i = 0; i + 1 < real.raw.size(); ++i) EXPECT_EQ(dry.raw[i], real.raw[i]);
  std::string dry_summary = dry.raw.back();
  const size_t flag = dry_summary.find("\"dry_run\":true");
  ASSERT_NE(flag, std::string::npos) << dry_summary;
  dry_summary.replace(flag, 14, "\"dry_run\":false");
  EXPECT_EQ(dry_summary, real.raw.back());
  EXPECT_GT(LastPosition(), before);

  // A dry run of a database that does not exist creates nothing.
  const std::string none = dir_.Sub("none");
  Report fresh = Import({"account", file, "--dry-run"}, none);
  EXPECT_EQ(fresh.exit_code, 1) << fresh.out << fresh.err;
  EXPECT_EQ(fresh.counts, "12 4 0 0 2 6") << "no EX1 to be a duplicate of";
  EXPECT_FALSE(std::filesystem::exists(none));
}

// A dry run killed mid-way leaves its copy behind; the next dry run removes it, but never the
// copy of a dry run still running (it holds the copy's LOCK).
TEST_F(ImportExportTest, DryRunRemovesCopiesThatKilledDryRunsLeftBehind) {
  ASSERT_NO_FATAL_FAILURE(Exec(kExisting));
  namespace fs = std::filesystem;
  const fs::path abandoned = fs::path(dir_.path()) / ".crm-dry-run-KILLED";
  const fs::path running = fs::path(dir_.path()) / ".crm-dry-run-RUNNING";
  fs::create_directories(abandoned / "db");
  fs::create_directories(running / "db");
  std::ofstream(abandoned / "LOCK") << "";
  std::ofstream(abandoned / "db" / "CURRENT") << "MANIFEST-000001\n";
  const int held = ::open((running / "LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);

  const std::string file = File("problems.csv", ProblemFile());
  Report dry = Import({"account", file, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 1) << dry.out << dry.err;
  EXPECT_FALSE(fs::exists(abandoned)) << "the killed run's copy is removed";
  EXPECT_TRUE(fs::exists(running / "db")) << "a running dry run's copy is left alone";
  ::close(held);
  size_t copies = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    copies += entry.path().filename().string().rfind(".crm-dry-run-", 0) == 0;
  }
  EXPECT_EQ(copies, 1u) << "only the running one; this dry run removed its own";
}

TEST_F(ImportExportTest, ReimportingTheSameFileAddsNothing) {
  // No id column: ids are generated from the row's content, the same at every run.
  const std::string file = File("people.csv",
                                "First Name,Last Name,Email Address,Job Title\n"
                                "Jane,Doe,jane@example.com,CFO\n"
                                "John,Roe,,CTO\n"
                                "John,Roe,,CTO\n");
  Report first = Import({"contact", file});
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(first.counts, "3 2 0 0 1 0") << "the identical third row is a duplicate";
  EXPECT_THAT(first.brief, ElementsAre(HasSubstr("3 4 skipped <null> contact_id")));
  const uint64_t after_first = LastPosition();
  Report again = Import({"contact", file});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.counts, "3 0 0 0 3 0");
  EXPECT_EQ(LastPosition(), after_first);
  std::string ids = Export("contact");
  EXPECT_THAT(ids, HasSubstr("\"imp-"));

  // With an id column too, and for accounts.
  const std::string accounts = File("acc.csv", "account_id,name\nK1,Kappa\nK2,Lambda\n");
  EXPECT_EQ(Import({"account", accounts}).counts, "2 2 0 0 0 0");
  const uint64_t after_accounts = LastPosition();
  EXPECT_EQ(Import({"account", accounts}).counts, "2 0 0 0 2 0");
  EXPECT_EQ(LastPosition(), after_accounts);
}

TEST_F(ImportExportTest, OnDuplicateUpdateChangesTheMatchAndErrorRejectsIt) {
  ASSERT_NO_FATAL_FAILURE(Exec(std::string(kUsers) + kExisting));
  const std::string file = File("update.csv",
                                "Company,Email,Industry,Billing City,Owner,Status\n"
                                "EXISTING GMBH,new@existing.de,Banking,Berlin,sam,Inactive\n"
                                "Fresh,fresh@example.com,,,,\n");
  Report error = Import({"account", file, "--on-duplicate", "error"});
  EXPECT_EQ(error.exit_code, 1);
  EXPECT_THAT(error.brief,
              ElementsAre("1 2 failed Company name ALREADY_EXISTS | duplicate of account EX1: "
                          "same name (case-insensitive)"));
  EXPECT_EQ(error.counts, "2 1 0 0 0 1");

  Report update = Import({"account", file, "--on-duplicate", "update"});
  EXPECT_EQ(update.exit_code, 0) << update.out << update.err;
  EXPECT_EQ(update.counts, "2 0 1 1 0 0") << "Fresh exists now and is unchanged";
  ProcessResult ex1 = Crm({"get", "account", "EX1"});
  rapidjson::Document d = Json(Lines(ex1.out).at(0));
  EXPECT_EQ(S(d, "name"), "EXISTING GMBH");
  EXPECT_EQ(S(d, "email"), "new@existing.de");
  EXPECT_EQ(S(d, "phone"), "+49 30 1234567") << "no column: unchanged";
  EXPECT_EQ(S(d, "industry"), "Banking");
  EXPECT_EQ(S(d["billing_address"], "city"), "Berlin");
  EXPECT_EQ(S(d, "owner"), "sam");
  EXPECT_EQ(S(d, "status"), "Inactive");

  const uint64_t before = LastPosition();
  Report again = Import({"account", file, "--on-duplicate", "update"});
  EXPECT_EQ(again.counts, "2 0 0 2 0 0");
  EXPECT_EQ(LastPosition(), before);
}

TEST_F(ImportExportTest, MapOverridesAliasesAndIgnoresColumns) {
  const std::string file = File("mapped.csv",
                                "Firma,Nummer,Mail,Fax\n"
                                "Acme,X1,a@acme.com,123\n");
  Report r = Import({"account", file, "--map", "Firma=name", "--map", "nummer=account_id",
                     "--map", "Fax="});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.warnings.empty()) << "Fax is ignored on purpose";
  EXPECT_EQ(r.counts, "1 1 0 0 0 0");
  rapidjson::Document d = Json(Lines(Crm({"get", "account", "X1"}).out).at(0));
  EXPECT_EQ(S(d, "name"), "Acme");
  EXPECT_EQ(S(d, "email"), "a@acme.com") << "Mail is an alias of email";

  ProcessResult bad = Crm({"import", "account", file, "--map", "Firma=colour"});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  EXPECT_THAT(bad.err, HasSubstr("account has no field 'colour'"));
  ProcessResult no_column = Crm({"import", "account", file, "--map", "Firm=name"});
  EXPECT_EQ(no_column.exit_code, 2) << Describe(no_column);
  EXPECT_THAT(no_column.err, HasSubstr("has no column 'Firm'"));
  ProcessResult twice =
      Crm({"import", "account", file, "--map", "Mail=name", "--map", "Firma=name"});
  EXPECT_EQ(twice.exit_code, 2) << Describe(twice);
  EXPECT_THAT(twice.err, HasSubstr("both map to name"));
}

TEST_F(ImportExportTest, HistoricalCreationTimesBecomeTheEventsBusinessTime) {
  const std::string file = File("old.csv",
                                "Account ID,Account Name,Created Date\n"
                                "H1,Old One,2019-03-01\n"
                                "H2,Old Two,2018-07-04T10:30:00Z\n"
                                "H3,Bad Time,yesterday\n");
  Report r = Import({"account", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.brief, ElementsAre(HasSubstr("3 4 failed Created Date opened_at VALIDATION_ERROR | "
                                             "occurred_at must be an RFC 3339 date-time")));
  ProcessResult events = Crm({"events", "--stream", "account-H1"});
  ASSERT_EQ(events.exit_code, 0) << Describe(events);
  EXPECT_EQ(S(Json(Lines(events.out).at(0)), "occurred_at"), "2019-03-01T00:00:00.000000Z");
  events = Crm({"events", "--stream", "account-H2"});
  rapidjson::Document e = Json(Lines(events.out).at(0));
  EXPECT_EQ(S(e, "occurred_at"), "2018-07-04T10:30:00.000000Z");
  EXPECT_NE(S(e, "recorded_at"), S(e, "occurred_at"));
  ProcessResult history = Crm({"history", "H2"});
  EXPECT_EQ(S(Json(Lines(history.out).at(0)), "occurred_at"), "2018-07-04T10:30:00.000000Z");
}

TEST_F(ImportExportTest, ContactsMatchByEmailAndNameTheirAccountColumn) {
  ASSERT_NO_FATAL_FAILURE(Exec(R"({"type":"OpenAccount","account_id":"A1","name":"Acme"}
{"type":"CreateContact","contact_id":"C0","first_name":"Old","last_name":"Timer","email":"old@acme.com"}
)"));
  const std::string file = File("contacts.csv",
                                "Contact Id,First Name,Surname,E-Mail,Account\n"
                                "C1,Jane,Doe,jane@acme.com,A1\n"
                                "C2,Max,Muster,OLD@acme.com,A1\n"
                                "C3,Nobody,Known,,A9\n"
                                "C4,No,Last,,\n");
  Report r = Import({"contact", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.brief,
              ElementsAre("2 3 skipped E-Mail email <absent> | duplicate of contact C0: same "
                          "e-mail address",
                          "3 4 failed Account account_id NOT_FOUND | account_id 'A9': no such "
                          "account"));
  EXPECT_EQ(r.counts, "4 2 0 0 1 1");
  rapidjson::Document a1 = Json(Lines(Crm({"get", "account", "A1"}).out).at(0));
  EXPECT_EQ(a1["contacts"].GetInt(), 1);
}

TEST_F(ImportExportTest, AnUnterminatedQuoteEndsTheFileWithAFailedRow) {
  const std::string file = File("broken.csv",
                                "name,notes\n"
                                "Good,fine\n"
                                "Bad,\"never closed\n"
                                "Lost,row\n");
  Report r = Import({"account", file});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.brief, ElementsAre("2 3 failed <null> <null> BAD_REQUEST | the row starting at "
                                   "line 3 has a quoted field that is never closed"));
  EXPECT_EQ(r.counts, "2 1 0 0 0 1");
  EXPECT_THAT(r.raw.back(), HasSubstr("\"complete\":false"));
}

// A count column's cell is checked by parsing it as JSON; a cell of a million '[' overflowed the
// stack of the recursive parser (SIGSEGV, found by fuzzing under AddressSanitizer).
TEST_F(ImportExportTest, ADeeplyNestedCellIsAFailedRowNotACrash) {
  const std::string file = File("deep.csv", "name,employees\nGood,5\nDeep," +
                                                std::string(1'000'000, '[') + "\nAlso good,-\n" +
                                                "Third,{\"a\":[[[1]]]}\nLast,7\n");
  Report r = Import({"account", file});
  EXPECT_EQ(r.exit_code, 1) << r.err.substr(0, 2000);
  ASSERT_EQ(r.brief.size(), 3u);
  EXPECT_THAT(r.brief[0], StartsWith("2 3 failed employees number_of_employees VALIDATION_ERROR | "
                                     "number_of_employees must be a whole number, not \"[[[["));
  EXPECT_THAT(r.brief[1], StartsWith("3 4 failed employees number_of_employees VALIDATION_ERROR"));
  EXPECT_THAT(r.brief[2], StartsWith("4 5 failed employees number_of_employees VALIDATION_ERROR"));
  EXPECT_EQ(r.counts, "5 2 0 0 0 3");
}

TEST_F(ImportExportTest, ExitCodes) {
  const std::string good = File("good.csv", "name\nAcme\n");
  // 0: everything imported (or skipped).
  EXPECT_EQ(Import({"account", good}).exit_code, 0);
  EXPECT_EQ(Import({"account", good}).exit_code, 0) << "skipped duplicates are not failures";
  // 1: some rows failed, the rest imported.
  EXPECT_EQ(Import({"account", File("half.csv", "name,email\nB,b@b.io\nC,nope\n")}).exit_code, 1);

  // 2: usage errors, before the database is touched.
  const std::string untouched = dir_.Sub("untouched");
  ProcessResult kind = Crm({"import", "activity", good}, untouched);
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_THAT(kind.err, HasSubstr("import supports account, contact, lead, opportunity, ticket"));
  ProcessResult missing = Crm({"import", "account", dir_.Sub("missing.csv")}, untouched);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot open"));
  ProcessResult directory = Crm({"import", "account", dir_.path()}, untouched);
  EXPECT_EQ(directory.exit_code, 2) << Describe(directory);
  ProcessResult empty = Crm({"import", "account", File("empty.csv", "")}, untouched);
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("no header row"));
  ProcessResult useless = Crm({"import", "account", File("useless.csv", "Fax,Colour\n1,2\n")},
                              untouched);
  EXPECT_EQ(useless.exit_code, 2);
  EXPECT_THAT(useless.err, HasSubstr("maps to account fields"));
  ProcessResult no_name = Crm({"import", "account", File("noname.csv", "email\na@b.io\n")},
                              untouched);
  EXPECT_EQ(no_name.exit_code, 2);
  EXPECT_THAT(no_name.err, HasSubstr("no column of"));
  EXPECT_THAT(no_name.err, HasSubstr("maps to name, which every account needs"));
  ProcessResult bad_mode = Crm({"import", "account", good, "--on-duplicate", "merge"}, untouched);
  EXPECT_EQ(bad_mode.exit_code, 2);
  ProcessResult bad_map = Crm({"import", "account", good, "--map", "name"}, untouched);
  EXPECT_EQ(bad_map.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(untouched));

  // 4: another process is writing the database.
  auto writer = ChildProcess::Start({CRM_BIN, "--db", db_, "exec", "-"});
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->WriteStdin(R"({"type":"OpenAccount","account_id":"W","name":"W"})" "\n"));
  ASSERT_TRUE(writer->ReadLine(std::chrono::seconds(20)).has_value());
  ProcessResult busy = Crm({"import", "account", good});
  EXPECT_EQ(busy.exit_code, 4) << Describe(busy);
  ProcessResult busy_dry = Crm({"import", "account", good, "--dry-run"});
  EXPECT_EQ(busy_dry.exit_code, 4) << Describe(busy_dry);
  writer->CloseStdin();
  EXPECT_EQ(writer->Wait(), 0);
}

}  // namespace
}  // namespace crm::test
