// The Maven CRM dataset conversion (tools/maven): exact output on a small hand-made dataset with
// the real one's quirks, every conversion error, and the real dataset loaded through `crm exec`
// giving the totals this test computes on its own from the CSV files.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/process.h"
#include "tests/test_util.h"
#include "tools/maven/maven.h"

namespace crm::test {
namespace {

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> ConvertLines(const std::string& dir, Status* status) {
  std::vector<std::string> lines;
  auto counts = maven::Convert(dir, [&](std::string_view l) { lines.emplace_back(l); });
  *status = counts.ok() ? Status::Ok() : counts.status();
  return lines;
}

// A tiny dataset with the real one's quirks: a subsidiary listed before its parent, "GTXPro" vs
// "GTX Pro", the misspelt sector, deals without an account, without dates, out of date order,
// a BOM, and CRLF line ends in one file.
class MavenFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("sales_teams.csv"),
              "sales_agent,manager,regional_office\n"
              "Anna Snelling,Dustin Brinkmann,Central\n");
    WriteFile(dir_.Sub("products.csv"),
              "\xEF\xBB\xBFproduct,series,sales_price\r\nGTX Pro,GTX,4821\r\nMG Special,MG,55\r\n");
    WriteFile(dir_.Sub("accounts.csv"),
              "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n"
              "Bluth Company,technolgy,1993,1242.32,3027,United States,Acme Corporation\n"
              "Acme Corporation,technolgy,1996,1100.04,2822,United States,\n");
    WriteFile(dir_.Sub("sales_pipeline.csv"),
              "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,"
              "close_value\n"
              "W1,Anna Snelling,GTXPro,Bluth Company,Won,2017-01-05,2017-02-01,4500\n"
              "L1,Anna Snelling,MG Special,Acme Corporation,Lost,2016-12-01,2016-12-20,0\n"
              "P1,Anna Snelling,MG Special,Acme Corporation,Prospecting,,,\n"
              "E1,Anna Snelling,GTX Pro,,Engaging,2017-01-03,,\n"
              "Q1,Anna Snelling,GTX Pro,,Prospecting,,,\n");
  }
  TempDir dir_;
};

TEST_F(MavenFixture, ConvertsToCommandsInDependencyAndBusinessTimeOrder) {
  Status status;
  auto lines = ConvertLines(dir_.path(), &status);
  ASSERT_OK(status);
  const std::vector<std::string> expected = {
      R"({"type":"CreateUser","command_id":"maven-user-dustin-brinkmann","user_id":"dustin-brinkmann","name":"Dustin Brinkmann","role":"manager"})",
      R"({"type":"CreateUser","command_id":"maven-user-anna-snelling","user_id":"anna-snelling","name":"Anna Snelling","role":"sales"})",
      // The parent first, although the file lists it second; its first deal dates it.
      R"({"type":"OpenAccount","command_id":"maven-account-acme-corporation","account_id":"acme-corporation","name":"Acme Corporation","industry":"Technology","occurred_at":"2016-12-01T00:00:00Z","number_of_employees":2822,"billing_address":{"country":"United States"},"source":"Maven CRM dataset","notes":"Established 1996; annual revenue 1100.04 M USD.","debtor_number":"D00001"})",
      R"({"type":"OpenAccount","command_id":"maven-account-bluth-company","account_id":"bluth-company","name":"Bluth Company","industry":"Technology","occurred_at":"2017-01-05T00:00:00Z","number_of_employees":3027,"billing_address":{"country":"United States"},"parent_account_id":"acme-corporation","source":"Maven CRM dataset","notes":"Established 1993; annual revenue 1242.32 M USD.","debtor_number":"D00002"})",
      R"({"type":"OpenOpportunity","command_id":"maven-opportunity-L1","opportunity_id":"L1","account_id":"acme-corporation","name":"MG Special for Acme Corporation","amount":55,"currency":"USD","stage":"Qualification","owner":"anna-snelling","actor":"anna-snelling","occurred_at":"2016-12-01T00:00:00Z"})",
      R"({"type":"LoseOpportunity","command_id":"maven-lost-L1","opportunity_id":"L1","actor":"anna-snelling","occurred_at":"2016-12-20T00:00:00Z"})",
      R"({"type":"CreateLead","command_id":"maven-lead-E1","lead_id":"E1","last_name":"Deal E1","source":"Maven pipeline: GTX Pro","owner":"anna-snelling","actor":"anna-snelling","occurred_at":"2017-01-03T00:00:00Z"})",
      R"({"type":"QualifyLead","command_id":"maven-qualify-E1","lead_id":"E1","actor":"anna-snelling","occurred_at":"2017-01-03T00:00:00Z"})",
      // "GTXPro" is priced as products.csv's "GTX Pro".
      R"({"type":"OpenOpportunity","command_id":"maven-opportunity-W1","opportunity_id":"W1","account_id":"bluth-company","name":"GTXPro for Bluth Company","amount":4821,"currency":"USD","stage":"Qualification","owner":"anna-snelling","actor":"anna-snelling","occurred_at":"2017-01-05T00:00:00Z"})",
      R"({"type":"WinOpportunity","command_id":"maven-won-W1","opportunity_id":"W1","amount":4500,"actor":"anna-snelling","occurred_at":"2017-02-01T00:00:00Z"})",
      // Undated: last, occurring when imported.
      R"({"type":"OpenOpportunity","command_id":"maven-opportunity-P1","opportunity_id":"P1","account_id":"acme-corporation","name":"MG Special for Acme Corporation","amount":55,"currency":"USD","stage":"Prospecting","owner":"anna-snelling","actor":"anna-snelling"})",
      R"({"type":"CreateLead","command_id":"maven-lead-Q1","lead_id":"Q1","last_name":"Deal Q1","source":"Maven pipeline: GTX Pro","owner":"anna-snelling","actor":"anna-snelling"})",
  };
  ASSERT_EQ(lines.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i], expected[i]) << "line " << i;
}

TEST_F(MavenFixture, ConversionIsDeterministic) {
  Status s1, s2;
  auto a = ConvertLines(dir_.path(), &s1);
  auto b = ConvertLines(dir_.path(), &s2);
  ASSERT_OK(s1);
  ASSERT_OK(s2);
  EXPECT_EQ(a, b);
}

TEST(MavenSlug, LowerCaseWithSingleDashes) {
  EXPECT_EQ(maven::Slug("Acme Corporation"), "acme-corporation");
  EXPECT_EQ(maven::Slug("Y-corporation"), "y-corporation");
  EXPECT_EQ(maven::Slug("  Ron--tech! "), "ron-tech");
  EXPECT_EQ(maven::Slug("dambase"), "dambase");
}

// Each broken input is refused with the file and line named; nothing is emitted for a refused
// dataset (the caller gets an error before any line, so a half-load is impossible).
struct BrokenCase {
  std::string file;
  std::string text;
  std::string message;  // a substring of the error
};

TEST_F(MavenFixture, BrokenInputIsRefusedNamingFileAndLine) {
  const std::string pipeline_header =
      "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n";
  const std::vector<BrokenCase> cases = {
      {"sales_pipeline.csv", pipeline_header + "X1,Nobody,GTX Pro,,Engaging,2017-01-03,,\n",
       "sales_pipeline.csv: line 2: sales_agent 'Nobody' is not in sales_teams.csv"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,GTX Pro,Nowhere,Won,2017-01-03,2017-01-04,1\n",
       "line 2: account 'Nowhere' is not in accounts.csv"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,Hoverboard,Acme Corporation,Won,2017-01-03,2017-01-04,1\n",
       "line 2: product 'Hoverboard' is not in products.csv"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,GTX Pro,Acme Corporation,Won,03/01/2017,2017-01-04,1\n",
       "line 2: a date is not YYYY-MM-DD"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,GTX Pro,Acme Corporation,Won,2017-01-03,2017-01-04,-5\n",
       "line 2: close_value '-5' is not a number"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,GTX Pro,Acme Corporation,Won,2017-01-05,2017-01-04,1\n",
       "line 2: close_date is before engage_date"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,GTX Pro,Acme Corporation,Stalled,2017-01-05,,\n",
       "line 2: unknown deal_stage 'Stalled'"},
      {"sales_pipeline.csv",
       pipeline_header + "X1,Anna Snelling,GTX Pro,,Engaging,2017-01-03,,\n"
                         "X1,Anna Snelling,GTX Pro,,Engaging,2017-01-03,,\n",
       "line 3: opportunity_id X1 repeats"},
      {"sales_pipeline.csv", pipeline_header + "\"X1,Anna Snelling\n",
       "sales_pipeline.csv: line 2: malformed CSV"},
      {"sales_pipeline.csv", pipeline_header + "X1,Anna Snelling,GTX Pro\n",
       "line 2: 3 fields, the header has 8"},
      {"accounts.csv", "account,sector\nAcme,retail\n", "accounts.csv: the header has no column 'year_established'"},
      {"accounts.csv",
       "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n"
       "A,retail,1990,1,10,US,B\nB,retail,1990,1,10,US,A\n",
       "the subsidiary_of chain is a cycle"},
      {"accounts.csv",
       "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n"
       "A,retail,1990,1,10,US,Ghost\n",
       "accounts.csv: line 2: subsidiary_of names 'Ghost', which is not in accounts.csv"},
      {"accounts.csv",
       "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n"
       "A,retail,1990,1,many,US,\n",
       "line 2: employees 'many' is not a whole number"},
      {"products.csv", "product,series,sales_price\nGTX Pro,GTX,cheap\n",
       "products.csv: line 2: sales_price 'cheap' is not a number"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    TempDir dir;
    for (const char* f : {"sales_teams.csv", "products.csv", "accounts.csv", "sales_pipeline.csv"}) {
      std::filesystem::copy_file(dir_.Sub(f), dir.Sub(f));
    }
    WriteFile(dir.Sub(c.file), c.text);
    Status status;
    auto lines = ConvertLines(dir.path(), &status);
    EXPECT_EQ(status.code(), Code::kInvalidArgument);
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status.message();
    EXPECT_TRUE(lines.empty());
  }
  std::filesystem::remove(dir_.Sub("products.csv"));
  Status status;
  ConvertLines(dir_.path(), &status);
  EXPECT_NE(status.message().find("products.csv: cannot open the file"), std::string::npos)
      << status.message();
}

// ---- The real dataset -----------------------------------------------------------------------

std::string MavenDir() {
  if (const char* env = std::getenv("CRM_MAVEN_DIR"); env && *env) return env;
  return CRM_MAVEN_DIR;
}

// A plain split: the Maven files have no quoted fields (checked), so this is an independent
// reading of them, not the converter's.
std::vector<std::vector<std::string>> ReadPlainCsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    EXPECT_EQ(line.find('"'), std::string::npos) << path;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    rows.push_back(std::move(fields));
  }
  return rows;
}

// Cents from "1054" or "1054.5".
int64_t Cents(const std::string& s) {
  const size_t dot = s.find('.');
  int64_t whole = std::stoll(s.substr(0, dot));
  int64_t frac = 0;
  if (dot != std::string::npos) {
    std::string f = s.substr(dot + 1) + "00";
    frac = std::stoll(f.substr(0, 2));
  }
  return whole * 100 + frac;
}

int64_t JsonCents(const rapidjson::Value& v) {
  return static_cast<int64_t>(v.GetDouble() * 100 + (v.GetDouble() >= 0 ? 0.5 : -0.5));
}

rapidjson::Document ParseJson(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  EXPECT_FALSE(d.HasParseError()) << line;
  return d;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string l;
  while (std::getline(ss, l)) out.push_back(l);
  return out;
}

struct Totals {
  int64_t won = 0, lost = 0, open = 0;
  int64_t won_cents = 0;
};

class MavenDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(MavenDir() + "/sales_pipeline.csv")) {
      GTEST_SKIP() << "the Maven dataset is not at " << MavenDir() << " (set CRM_MAVEN_DIR)";
    }
  }
  ProcessResult Crm(std::vector<std::string> args) {
    args.insert(args.begin(), {CRM_BIN, "--db", dir_.Sub("db"), "--durability", "nosync"});
    return RunProcess(args, {}, {}, std::chrono::seconds(120));
  }
  TempDir dir_;
};

TEST_F(MavenDataset, LoadGivesTheTotalsOfTheCsvFiles) {
  // Convert with the shipped tool and load through the CLI, as the README's demo does.
  auto converted = RunProcess({CRM_MAVEN_BIN, MavenDir()});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  const std::string commands = dir_.Sub("maven.jsonl");
  WriteFile(commands, converted.out);
  auto loaded = Crm({"exec", commands});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const auto results = Lines(loaded.out);
  ASSERT_EQ(results.size(), Lines(converted.out).size());
  for (const auto& r : results) ASSERT_NE(r.find("\"ok\":true"), std::string::npos) << r;

  // The totals, computed here from the files.
  std::map<std::string, Totals> by_account, by_agent;
  int64_t leads = 0, qualified = 0;
  for (const auto& f : ReadPlainCsv(MavenDir() + "/sales_pipeline.csv")) {
    ASSERT_EQ(f.size(), 8u);
    const std::string &agent = f[1], &account = f[3], &stage = f[4];
    if (account.empty()) {
      ++leads;
      qualified += stage == "Engaging";
      continue;
    }
    for (Totals* t : {&by_account[account], &by_agent[agent]}) {
      if (stage == "Won") {
        ++t->won;
        t->won_cents += Cents(f[7]);
      } else if (stage == "Lost") {
        ++t->lost;
      } else {
        ++t->open;
      }
    }
  }
  ASSERT_EQ(by_account.size(), 85u);

  auto accounts = Crm({"list", "account"});
  ASSERT_EQ(accounts.exit_code, 0) << accounts.err;
  std::map<std::string, rapidjson::Document> account_docs;
  for (const auto& l : Lines(accounts.out)) {
    auto doc = ParseJson(l);
    account_docs[doc["name"].GetString()] = std::move(doc);
  }
  ASSERT_EQ(account_docs.size(), by_account.size());
  for (const auto& [name, t] : by_account) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(account_docs.count(name));
    const auto& doc = account_docs[name];
    EXPECT_EQ(doc["account_id"].GetString(), maven::Slug(name));
    EXPECT_EQ(doc["opportunities_won"].GetInt64(), t.won);
    EXPECT_EQ(doc["opportunities_lost"].GetInt64(), t.lost);
    EXPECT_EQ(doc["opportunities_open"].GetInt64(), t.open);
    EXPECT_EQ(JsonCents(doc["won_amount"]), t.won_cents);
    // Automatic progression: a won deal on an account with a debtor number makes a Customer.
    EXPECT_STREQ(doc["type"].GetString(), t.won > 0 ? "Customer" : "Prospect");
  }

  // Per sales agent: the won opportunities they own.
  auto won = Crm({"list", "opportunity", "--stage", "ClosedWon"});
  ASSERT_EQ(won.exit_code, 0) << won.err;
  std::map<std::string, Totals> won_by_owner;
  for (const auto& l : Lines(won.out)) {
    auto doc = ParseJson(l);
    Totals& t = won_by_owner[doc["owner"].GetString()];
    ++t.won;
    t.won_cents += JsonCents(doc["amount"]);
  }
  for (const auto& [name, t] : by_agent) {
    SCOPED_TRACE(name);
    const Totals& got = won_by_owner[maven::Slug(name)];
    EXPECT_EQ(got.won, t.won);
    EXPECT_EQ(got.won_cents, t.won_cents);
  }
  // And one agent through the owner filter, as a user would ask.
  const auto& [agent, agent_totals] = *by_agent.begin();
  EXPECT_EQ(Lines(Crm({"list", "opportunity", "--owner", maven::Slug(agent), "--stage",
                       "ClosedWon"})
                      .out)
                .size(),
            static_cast<size_t>(agent_totals.won));

  EXPECT_EQ(Lines(Crm({"list", "lead"}).out).size(), static_cast<size_t>(leads));
  EXPECT_EQ(Lines(Crm({"list", "lead", "--status", "Qualified"}).out).size(),
            static_cast<size_t>(qualified));
  EXPECT_EQ(Lines(Crm({"list", "user"}).out).size(), 41u + 1u);  // agents, managers and admin

  // Business time: the pipeline as of 2017-03-31 counts exactly the deals won by then.
  int64_t won_by_q1 = 0;
  for (const auto& f : ReadPlainCsv(MavenDir() + "/sales_pipeline.csv")) {
    won_by_q1 += f[4] == "Won" && !f[3].empty() && f[6] <= "2017-03-31";
  }
  auto pipeline =
      Crm({"report", "pipeline", "--as-of-business", "2017-03-31T23:59:59Z"});
  ASSERT_EQ(pipeline.exit_code, 0) << pipeline.err;
  bool seen = false;
  for (const auto& l : Lines(pipeline.out)) {
    auto doc = ParseJson(l);
    if (std::string(doc["stage"].GetString()) == "ClosedWon") {
      EXPECT_EQ(doc["count"].GetInt64(), won_by_q1);
      seen = true;
    }
  }
  EXPECT_TRUE(seen) << pipeline.out;

  // Loading again appends nothing: every command carries its command_id.
  const auto before = ParseJson(Crm({"stats"}).out)["last_position"].GetUint64();
  auto again = Crm({"exec", commands});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ParseJson(Crm({"stats"}).out)["last_position"].GetUint64(), before);
  auto verified = Crm({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace crm::test
