// Crash consistency of the projections: `crm --durability sync exec` is SIGKILLed mid-run (once
// executing a file in large group commits, once driven through a pipe in small groups). After the
// kill, the projections must be exactly a fold of the events in the log: the checkpoint equals
// the last position, and every row (state, list index, history) is byte-identical to those a
// fresh fold of the same log builds (a copy of the database opened with a projector of another
// version, which drops and rebuilds the projections).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"
#include "projections_test_util.h"

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

using std::chrono::milliseconds;

// A realistic command mix for unit `k` of round `r`: accounts, contacts created with and without
// an account (linked later), activities against contacts and leads, opportunities won and lost,
// tickets through their lifecycle with comments, invoices, notes, lead conversions into existing
// accounts, contacts moved between accounts, owner and type changes.
std::vector<std::string> Unit(int r, int k) {
  const std::string p = "r" + std::to_string(r) + "-";
  const std::string n = std::to_string(k);
  const std::string a = p + "A" + n, ca = p + "Ca" + n, cb = p + "Cb" + n, ac = p + "AC" + n,
                    o = p + "O" + n, t = p + "T" + n, i = p + "I" + n, l = p + "L" + n,
                    la = p + "LA" + n;
  static const char* kIndustries[] = {"Retail", "Tech", "Health"};
  static const char* kOwners[] = {"moses", "anna"};
  static const char* kPriorities[] = {"Low", "Normal", "High", "Urgent"};
  std::vector<std::string> c;
  Cmd open("OpenAccount");
  open.S("account_id", a).S("name", "Account " + p + n).S("industry", kIndustries[k % 3])
      .S("owner", kOwners[k % 2]);
  if (k % 2 == 0) open.S("debtor_number", "D-" + n);
  c.push_back(open);
  c.push_back(Cmd("CreateContact").S("contact_id", ca).S("first_name", "Ann").S("last_name", "A" + n)
                  .S("account_id", a));
  c.push_back(Cmd("CreateContact").S("contact_id", cb).S("first_name", "Bob").S("last_name", "B" + n));
  c.push_back(Cmd("LogActivity").S("activity_id", ac).S("kind", "Call").S("subject", "Call " + n)
                  .S("contact_id", cb));
  c.push_back(Cmd("OpenOpportunity").S("opportunity_id", o).S("account_id", a).S("name", "Deal " + n)
                  .S("amount", std::to_string(k * 10) + ".5"));
  c.push_back(Cmd("OpenTicket").S("ticket_id", t).S("account_id", a).S("contact_id", ca)
                  .S("subject", "Issue " + n).S("priority", kPriorities[k % 4]));
  c.push_back(Cmd("LinkContact").S("contact_id", cb).S("account_id", a));
  c.push_back(Cmd("CompleteActivity").S("activity_id", ac).S("outcome", "ok"));
  c.push_back(Cmd("AssignTicket").S("ticket_id", t).S("assignee", "sam"));
  c.push_back(Cmd("ChangeTicketStatus").S("ticket_id", t).S("status", "InProgress"));
  c.push_back(Cmd("CommentOnTicket").S("ticket_id", t).S("text", "Looking"));
  if (k % 2 == 0) {
    c.push_back(Cmd("WinOpportunity").S("opportunity_id", o));
  } else {
    c.push_back(Cmd("LoseOpportunity").S("opportunity_id", o).S("reason", "Price"));
  }
  c.push_back(Cmd("IssueInvoice").S("invoice_id", i).S("account_id", a).I("amount", 100 + k));
  if (k % 3 != 0) c.push_back(Cmd("PayInvoice").S("invoice_id", i));
  c.push_back(Cmd("CreateLead").S("lead_id", l).S("last_name", "Lead " + n).S("company", "Co " + n));
  c.push_back(Cmd("LogActivity").S("activity_id", la).S("kind", "Task").S("subject", "Task " + n)
                  .S("lead_id", l));
  if (k % 4 == 0) {
    c.push_back(Cmd("ConvertLead").S("lead_id", l).S("account_id", a).S("contact_id", p + "LC" + n));
    c.push_back(Cmd("CompleteActivity").S("activity_id", la));
  } else {
    c.push_back(Cmd("QualifyLead").S("lead_id", l));
  }
  c.push_back(Cmd("ResolveTicket").S("ticket_id", t).S("resolution", "Fixed"));
  c.push_back(Cmd("AddAccountNote").S("account_id", a).S("text", "Note " + n));
  if (k % 5 == 4) {
    // Move a contact to the previous unit's account; reassign and update this one.
    c.push_back(Cmd("LinkContact").S("contact_id", ca).S("account_id", p + "A" + std::to_string(k - 1)));
    c.push_back(Cmd("AssignAccount").S("account_id", a).S("owner", kOwners[(k + 1) % 2]));
    c.push_back(Cmd("UpdateAccount").S("account_id", a).S("name", "Renamed " + p + n));
  }
  if (k % 7 == 3) c.push_back(Cmd("RecordAccountRevenue").S("account_id", a).S("amount", "12.34"));
  return c;
}

std::string Workload(int round, int units) {
  std::string s;
  for (int k = 0; k < units; ++k) {
    for (const auto& line : Unit(round, k)) s += line + "\n";
  }
  return s;
}

// The first key where two row sets differ, printable.
std::string FirstDifference(const std::map<std::string, std::string>& a,
                            const std::map<std::string, std::string>& b) {
  auto printable = [](const std::string& k) {
    std::string out;
    for (char c : k) {
      if (c >= 0x20 && c < 0x7f) {
        out.push_back(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<uint8_t>(c));
        out += buf;
      }
    }
    return out;
  };
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() && ib != b.end()) {
    if (ia->first != ib->first) {
      return "key " + printable(ia->first < ib->first ? ia->first : ib->first) + " only in " +
             (ia->first < ib->first ? "the live projections" : "the fresh fold");
    }
    if (ia->second != ib->second) return "value of " + printable(ia->first);
    ++ia;
    ++ib;
  }
  if (ia != a.end()) return "key " + printable(ia->first) + " only in the live projections";
  if (ib != b.end()) return "key " + printable(ib->first) + " only in the fresh fold";
  return "";
}

class ProjectionsCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.Sub("db");
    Options o = FastOptions();
    o.projector = MakeCrmProjector();
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store));
    ASSERT_OK(EnsureAdminUser(*store));
    CommandExecutor exec(store.get());
    for (const char* user : {"moses", "anna", "sam"}) {
      ExecResult r = exec.Execute(
          Cmd("CreateUser").S("user_id", user).S("name", user).S("role", "manager").str());
      ASSERT_TRUE(r.ok) << r.line;
    }
  }

  // Waits for the killed child, checks it died of SIGKILL.
  static void ExpectKilled(ChildProcess& child) {
    child.Kill(SIGKILL);
    const int status = child.Wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "crm exec ended on its own before the kill (status " << status
        << "): make the workload longer";
  }

  // The checks after a crash; `acked` = the highest position of a result line the child printed.
  void CheckAfterCrash(uint64_t acked, int round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // 1. As the crash left it, before any writer recovery: a follower's snapshot.
    std::map<std::string, std::string> as_left;
    {
      Options o;
      o.mode = OpenMode::kFollower;
      o.projector = MakeCrmProjector();
      std::unique_ptr<EventStore> follower;
      ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &follower));
      ASSERT_OK_AND_ASSIGN(auto snapshot, follower->ReadProjections());
      EXPECT_EQ(snapshot.checkpoint, follower->LastPosition())
          << "the projections' checkpoint must be the last position of the log";
      EXPECT_GE(follower->LastPosition(), acked) << "an acknowledged command was lost";
      ASSERT_OK_AND_ASSIGN(as_left, AllProjectionRows(*follower));
    }
    // 2. The writer reopens (recovery): nothing to catch up, the rows are the same.
    std::map<std::string, std::string> live;
    uint64_t last = 0;
    {
      Options o = FastOptions();
      o.create_if_missing = false;
      o.projector = MakeCrmProjector();
      std::unique_ptr<EventStore> store;
      ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store));
      last = store->LastPosition();
      ASSERT_OK_AND_ASSIGN(auto snapshot, store->ReadProjections());
      EXPECT_EQ(snapshot.checkpoint, last);
      ASSERT_OK_AND_ASSIGN(live, AllProjectionRows(*store));
      ASSERT_OK_AND_ASSIGN(VerifyReport report, store->Verify());
      EXPECT_TRUE(report.ok()) << report.first_bad_position << ": " << report.first_problem;
      // Every acknowledged command's stream is there.
      ASSERT_OK_AND_ASSIGN(auto reader, CrmReader::Open(*store));
      EXPECT_EQ(reader->position(), last);
    }
    EXPECT_EQ(as_left.size(), live.size());
    EXPECT_TRUE(as_left == live) << "writer recovery changed the projections: "
                                 << FirstDifference(as_left, live);
    // 3. A fresh fold of exactly this log: a copy opened with a projector of another version.
    const std::string copy = dir_.Sub("fold-" + std::to_string(round));
    std::filesystem::copy(db_, copy, std::filesystem::copy_options::recursive);
    std::map<std::string, std::string> fresh;
    {
      Options o = FastOptions();
      o.create_if_missing = false;
      o.projector = RebuildingProjector();
      std::unique_ptr<EventStore> store;
      ASSERT_NO_FATAL_FAILURE(OpenStore(copy, o, &store));
      ASSERT_EQ(store->LastPosition(), last);
      ASSERT_OK_AND_ASSIGN(auto snapshot, store->ReadProjections());
      EXPECT_EQ(snapshot.checkpoint, last);
      ASSERT_OK_AND_ASSIGN(fresh, AllProjectionRows(*store));
    }
    std::filesystem::remove_all(copy);
    EXPECT_GT(fresh.size(), 100u);
    EXPECT_EQ(live.size(), fresh.size());
    EXPECT_TRUE(live == fresh) << "the projections differ from a fresh fold of the log: "
                               << FirstDifference(live, fresh);
    // Every kind of row is present (state rows, list indexes, histories).
    for (const char* prefix : {"s:account-", "s:contact-", "s:lead-", "s:opportunity-",
                               "s:ticket-", "s:activity-", "s:invoice-", "x:account:",
                               "h:account-", "h:contact-", "h:lead-"}) {
      auto it = fresh.lower_bound(prefix);
      EXPECT_TRUE(it != fresh.end() && it->first.starts_with(prefix)) << "no " << prefix << " rows";
    }
  }

  // The highest "position" of the ok result lines.
  static uint64_t MaxPosition(const std::vector<std::string>& lines) {
    uint64_t max = 0;
    for (const auto& line : lines) {
      auto at = line.find("\"position\":");
      if (at == std::string::npos) continue;
      max = std::max<uint64_t>(max, std::stoull(line.substr(at + 11)));
    }
    return max;
  }

  TempDir dir_;
  std::string db_;
};

// Round 0: `exec FILE` (large group commits) killed after a few groups were acknowledged.
// Round 1: `exec -` fed through a pipe a few lines at a time (small groups), killed mid-stream.
TEST_F(ProjectionsCrashTest, ProjectionsEqualAFreshFoldAfterSigkill) {
  // Round 0.
  {
    const std::string file = dir_.Sub("round0.jsonl");
    std::ofstream(file) << Workload(0, 2500);
    auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "--durability", "sync", "exec", file});
    ASSERT_NE(child, nullptr);
    std::vector<std::string> lines;
    while (lines.size() < 1500) {
      auto line = child->ReadLine(milliseconds(30000));
      ASSERT_TRUE(line.has_value()) << "crm exec stopped after " << lines.size() << " results";
      lines.push_back(*line);
    }
    ASSERT_NO_FATAL_FAILURE(ExpectKilled(*child));
    auto rest = child->ReadLinesFor(milliseconds(500));
    lines.insert(lines.end(), rest.begin(), rest.end());
    ASSERT_NO_FATAL_FAILURE(CheckAfterCrash(MaxPosition(lines), 0));
  }
  // Round 1.
  {
    auto child = ChildProcess::Start({CRM_BIN, "--db", db_, "--durability", "sync", "exec", "-"});
    ASSERT_NE(child, nullptr);
    const std::string input = Workload(1, 2000);
    std::atomic<bool> stop{false};
    std::thread feeder([&] {
      size_t at = 0;
      int chunk = 0;
      while (at < input.size() && !stop) {
        // 1..7 lines at a time.
        size_t end = at;
        for (int n = 0; n < 1 + chunk % 7 && end < input.size(); ++n) {
          end = input.find('\n', end) + 1;
        }
        if (!child->WriteStdin(std::string_view(input).substr(at, end - at))) break;
        at = end;
        ++chunk;
      }
    });
    std::vector<std::string> lines;
    while (lines.size() < 300) {
      auto line = child->ReadLine(milliseconds(30000));
      if (!line) break;
      lines.push_back(*line);
    }
    EXPECT_GE(lines.size(), 300u);
    ExpectKilled(*child);
    stop = true;
    feeder.join();
    auto rest = child->ReadLinesFor(milliseconds(500));
    lines.insert(lines.end(), rest.begin(), rest.end());
    ASSERT_NO_FATAL_FAILURE(CheckAfterCrash(MaxPosition(lines), 1));
  }
}

// Without a crash: the projections built inline, one big group (ExecuteBatch) or one group per
// command, equal a fresh fold of the same log (rebuilt in its own, different chunks): a fold does
// not depend on group boundaries.
TEST_F(ProjectionsCrashTest, InlineProjectionsEqualAFreshFoldWhateverTheGroups) {
  const std::string input = Workload(2, 40);
  std::vector<std::string> lines;
  for (size_t at = 0; at < input.size();) {
    size_t nl = input.find('\n', at);
    lines.push_back(input.substr(at, nl - at));
    at = nl + 1;
  }
  for (int mode = 0; mode < 2; ++mode) {
    SCOPED_TRACE(mode == 0 ? "one batch" : "one command at a time");
    TempDir dir;
    std::map<std::string, std::string> live, fresh;
    {
      Options o = FastOptions();
      o.projector = MakeCrmProjector();
      std::unique_ptr<EventStore> store;
      ASSERT_NO_FATAL_FAILURE(OpenStore(dir.Sub("db"), o, &store));
      ASSERT_OK(EnsureAdminUser(*store));
      CommandExecutor exec(store.get());
      for (const char* user : {"moses", "anna", "sam"}) {
        ASSERT_TRUE(exec.Execute(Cmd("CreateUser").S("user_id", user).S("name", user)
                                     .S("role", "manager").str()).ok);
      }
      size_t ok = 0;
      if (mode == 0) {
        std::vector<std::string_view> views(lines.begin(), lines.end());
        for (const auto& r : exec.ExecuteBatch(views)) {
          ok += r.ok;
          if (!r.ok) ADD_FAILURE() << r.line;
        }
      } else {
        for (const auto& line : lines) {
          ExecResult r = exec.Execute(line);
          ok += r.ok;
          if (!r.ok) ADD_FAILURE() << line << " -> " << r.line;
        }
      }
      EXPECT_EQ(ok, lines.size()) << "every command of the workload is valid";
      ASSERT_OK_AND_ASSIGN(live, AllProjectionRows(*store));
    }
    std::filesystem::copy(dir.Sub("db"), dir.Sub("copy"), std::filesystem::copy_options::recursive);
    {
      Options o = FastOptions();
      o.create_if_missing = false;
      o.projector = RebuildingProjector();
      std::unique_ptr<EventStore> store;
      ASSERT_NO_FATAL_FAILURE(OpenStore(dir.Sub("copy"), o, &store));
      ASSERT_OK_AND_ASSIGN(fresh, AllProjectionRows(*store));
    }
    EXPECT_GT(live.size(), 500u);
    EXPECT_EQ(live.size(), fresh.size());
    EXPECT_TRUE(live == fresh) << FirstDifference(live, fresh);
  }
}

}  // namespace
}  // namespace crm::test
