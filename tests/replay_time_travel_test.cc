// Time travel: the state of an entity as it was after every command (GetAsOf at a position, at a
// recorded time), system time (--as-of) against business time (--as-of-business) on backdated
// imports, PositionRecordedAt at its boundaries, the history as it stood (entries that joined by
// a late link), and a report as it would have printed then -- through the API and the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "crm/time_format.h"
#include "replay_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TimeTravelTest : public ProjectionsTest {
 protected:
  // Runs a command that must succeed; returns the position its result names (its last event).
  uint64_t Run(const std::string& line) {
    Outcome o = Ok(line);
    EXPECT_TRUE(o.has_position) << line << " -> " << o.line;
    EXPECT_EQ(o.position, store_->LastPosition()) << line;
    // Distinct recorded times for the next command (one recorded_at per commit group).
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return o.position;
  }

  int64_t RecordedAt(uint64_t position) {
    auto e = store_->ReadEvent(position);
    EXPECT_TRUE(e.ok() && e->has_value()) << position;
    return e.ok() && e->has_value() ? (*e)->view().recorded_at_us() : 0;
  }

  // GetAsOf as JSON; "<missing>" for std::nullopt, "<error ...>" on failure.
  std::string AsOf(std::string_view kind, std::string_view id, const PointInTime& at,
                   TimeTravelStats* stats = nullptr) {
    auto live = CrmReader::Open(*store_);
    if (!live.ok()) return "<error " + live.status().ToString() + ">";
    auto doc = GetAsOf(*store_, **live, kind, id, at, stats);
    if (!doc.ok()) return "<error " + doc.status().ToString() + ">";
    return doc->has_value() ? (*doc)->ToJson() : "<missing>";
  }

  std::vector<std::string> HistoryAt(std::string_view account, const PointInTime& at) {
    auto live = CrmReader::Open(*store_);
    EXPECT_TRUE(live.ok());
    if (!live.ok()) return {};
    auto docs = HistoryAsOf(*store_, **live, StreamName("account", account), 0, 0, at);
    EXPECT_TRUE(docs.ok()) << docs.status().ToString();
    std::vector<std::string> out;
    if (!docs.ok()) return out;
    for (const Doc& d : *docs) out.push_back(Tx(d, "position") + " " + Tx(d, "type"));
    return out;
  }

  std::vector<std::string> PipelineAt(const PointInTime& at) {
    auto rows = ReportAsOf(*store_, "pipeline", {}, at);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const Doc& d : *rows) out.push_back(d.ToJson());
    return out;
  }

  std::string Db() const { return dir_.Sub("db"); }
};

// The main scenario below, with the projector keeping a snapshot of a row every N changes of it:
// 0 (none: every read folds from the start), 1 (after every change: a read folds none of the
// entity's own events), 2 and 3 (snapshots land between the scenario's links, reopenings and
// moves, so reads start mid-way through them), and the default.
class SnapshotEveryTest : public TimeTravelTest, public ::testing::WithParamInterface<uint64_t> {
 protected:
  SnapshotEveryTest() { snapshot_every_ = GetParam(); }
};
INSTANTIATE_TEST_SUITE_P(Snapshots, SnapshotEveryTest,
                         ::testing::Values(uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3},
                                           CrmProjectorOptions{}.snapshot_every),
                         [](const auto& info) { return "Every" + std::to_string(info.param); });

// For an account with linked contacts (one linked late, one moved away), opportunities, tickets,
// invoices and a converted lead, and for a ticket, contacts and the other kinds: the state as of
// the position of every command equals what `get` returned right after that command.
TEST_P(SnapshotEveryTest, GetAsOfEveryPositionEqualsTheStateRecordedThen) {
  AddTeam();
  const std::vector<std::pair<std::string, std::string>> watched = {
      {"account", "A1"}, {"account", "A2"},      {"ticket", "T1"},  {"contact", "C3"},
      {"contact", "C1"}, {"lead", "L1"},         {"opportunity", "O1"},
      {"activity", "ACT0"}, {"invoice", "I1"},   {"contact", "C4"}};
  struct Point {
    uint64_t position;
    int64_t recorded_at;
    std::string command;
    std::vector<std::string> json;  // per watched entity
  };
  std::vector<Point> points;
  auto step = [&](const std::string& line) {
    Point p;
    p.position = Run(line);
    p.recorded_at = RecordedAt(p.position);
    p.command = line;
    for (const auto& [kind, id] : watched) p.json.push_back(GetJson(kind, id));
    points.push_back(std::move(p));
  };
  const uint64_t before_everything = store_->LastPosition();

  // A contact with an activity, and a lead with an activity, before the account exists.
  step(Cmd("CreateContact").S("contact_id", "C3").S("first_name", "Late").S("last_name", "Comer")
           .S("occurred_at", "2024-01-01T09:00:00Z"));
  step(Cmd("LogActivity").S("activity_id", "ACT0").S("kind", "Call").S("subject", "Cold call")
           .S("contact_id", "C3").S("occurred_at", "2024-01-02T09:00:00Z"));
  step(Cmd("CreateLead").S("lead_id", "L1").S("last_name", "Lee").S("company", "Lead Co")
           .S("occurred_at", "2024-01-03T09:00:00Z"));
  step(Cmd("LogActivity").S("activity_id", "ACTL").S("kind", "Meeting").S("subject", "Demo")
           .S("lead_id", "L1").S("occurred_at", "2024-01-04T09:00:00Z"));
  step(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("industry", "Retail")
           .S("debtor_number", "D-1").S("owner", "moses").S("occurred_at", "2024-02-01T09:00:00Z"));
  step(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Jane").S("last_name", "Doe")
           .S("account_id", "A1"));
  step(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "Deal")
           .I("amount", 1000));
  step(Cmd("OpenTicket").S("ticket_id", "T1").S("account_id", "A1").S("contact_id", "C1")
           .S("subject", "Broken").S("priority", "High"));
  step(Cmd("AssignTicket").S("ticket_id", "T1").S("assignee", "sam"));
  step(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "InProgress"));
  step(Cmd("CommentOnTicket").S("ticket_id", "T1").S("text", "Looking into it"));
  step(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "Pending"));
  step(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "InProgress"));
  step(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Rebooted"));
  step(Cmd("CloseTicket").S("ticket_id", "T1"));
  step(Cmd("ReopenTicket").S("ticket_id", "T1").S("reason", "Broken again"));
  step(Cmd("IssueInvoice").S("invoice_id", "I1").S("account_id", "A1").S("amount", "500.50"));
  step(Cmd("PayInvoice").S("invoice_id", "I1"));
  step(Cmd("ChangeOpportunityStage").S("opportunity_id", "O1").S("stage", "Proposal"));
  step(Cmd("WinOpportunity").S("opportunity_id", "O1").I("amount", 1200));
  // The late link: C3's history (its activity included) joins A1's.
  step(Cmd("LinkContact").S("contact_id", "C3").S("account_id", "A1"));
  step(Cmd("CompleteActivity").S("activity_id", "ACT0").S("outcome", "Interested"));
  // The lead converted into the existing account: its history joins A1's.
  step(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C4"));
  step(Cmd("CompleteActivity").S("activity_id", "ACTL"));
  // C1 moves to another account.
  step(Cmd("OpenAccount").S("account_id", "A2").S("name", "Beta").S("industry", "Tech"));
  step(Cmd("LinkContact").S("contact_id", "C1").S("account_id", "A2"));
  step(Cmd("UpdateContact").S("contact_id", "C1").S("title", "CEO"));
  step(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "Pending"));
  step(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Replaced"));
  step(Cmd("OpenOpportunity").S("opportunity_id", "O2").S("account_id", "A1").S("name", "Upsell")
           .I("amount", 300));
  step(Cmd("LoseOpportunity").S("opportunity_id", "O2").S("reason", "Budget"));
  step(Cmd("RecordAccountRevenue").S("account_id", "A1").S("amount", "99.99"));
  step(Cmd("AddAccountNote").S("account_id", "A1").S("text", "Ping @sam."));
  step(Cmd("AssignAccount").S("account_id", "A1").S("owner", "anna"));
  step(Cmd("UpdateAccount").S("account_id", "A1").S("phone", "+1 555 0100")
           .Raw("industry", "null"));
  step(Cmd("DeactivateAccount").S("account_id", "A1").S("reason", "Merged"));
  step(Cmd("ReactivateAccount").S("account_id", "A1"));
  step(Cmd("LinkContact").S("contact_id", "C1").S("account_id", "A1"));

  // Sanity of the scenario: the final account has it all.
  EXPECT_EQ(Field("account", "A1", "contacts"), "3");  // C3 (late), C4 (lead), C1 (back)
  EXPECT_EQ(Field("account", "A1", "opportunities_won"), "1");
  EXPECT_EQ(Field("account", "A1", "total_revenue"), "600.49");
  EXPECT_EQ(Field("account", "A2", "contacts"), "0");
  EXPECT_EQ(Field("ticket", "T1", "status"), "\"Resolved\"");

  // Before anything of the scenario: nothing existed.
  for (const auto& [kind, id] : watched) {
    EXPECT_EQ(AsOf(kind, id, PointInTime::AtPosition(before_everything)), "<missing>")
        << kind << " " << id;
    EXPECT_EQ(AsOf(kind, id, PointInTime::AtPosition(0)), "<missing>") << kind << " " << id;
  }
  // After every command, as of its position and as of its recorded time.
  for (const Point& p : points) {
    SCOPED_TRACE("position " + std::to_string(p.position) + " after " + p.command);
    ASSERT_OK_AND_ASSIGN(uint64_t recorded_position, PositionRecordedAt(*store_, p.recorded_at));
    EXPECT_EQ(recorded_position, p.position);
    for (size_t i = 0; i < watched.size(); ++i) {
      const auto& [kind, id] = watched[i];
      TimeTravelStats stats;
      EXPECT_EQ(AsOf(kind, id, PointInTime::AtPosition(p.position), &stats), p.json[i])
          << kind << " " << id << " as of position " << p.position;
      // With a snapshot after every change, an entity that existed then is read from one.
      if (snapshot_every_ == 1 && p.json[i] != "<missing>") {
        EXPECT_TRUE(stats.from_snapshot) << kind << " " << id;
        if (kind != "account") {
          EXPECT_EQ(stats.events_folded, 0u) << kind << " " << id;
        }
      }
      if (snapshot_every_ == 0) {
        EXPECT_FALSE(stats.from_snapshot);
      }
      EXPECT_EQ(AsOf(kind, id, PointInTime::RecordedAt(p.recorded_at)), p.json[i])
          << kind << " " << id << " as of recorded time " << FormatTimestamp(p.recorded_at);
    }
  }

  // The CLI: `get --at P` prints the state recorded then; before the account existed, exit 3.
  const uint64_t a1_opened = points[4].position;
  for (size_t k : {size_t{3}, size_t{4}, size_t{6}, size_t{19}, size_t{20}, size_t{22},
                   points.size() - 1}) {
    ProcessResult r = Crm(Db(), {"get", "account", "A1", "--at", std::to_string(points[k].position)});
    if (points[k].position < a1_opened) {
      EXPECT_EQ(r.exit_code, 3) << Describe(r);
      EXPECT_THAT(r.err, HasSubstr("did not exist then"));
      EXPECT_EQ(r.out, "");
    } else {
      EXPECT_EQ(r.exit_code, 0) << Describe(r);
      EXPECT_EQ(r.out, points[k].json[0] + "\n") << "--at " << points[k].position;
    }
    ProcessResult t = Crm(Db(), {"get", "ticket", "T1", "--as-of",
                                 FormatTimestamp(points[k].recorded_at)});
    if (points[k].json[2] == "<missing>") {
      EXPECT_EQ(t.exit_code, 3) << Describe(t);
    } else {
      EXPECT_EQ(t.exit_code, 0) << Describe(t);
      EXPECT_EQ(t.out, points[k].json[2] + "\n");
    }
  }
  ProcessResult before = Crm(Db(), {"get", "account", "A1", "--at", std::to_string(a1_opened - 1)});
  EXPECT_EQ(before.exit_code, 3) << Describe(before);
  ProcessResult at_open = Crm(Db(), {"get", "account", "A1", "--at", std::to_string(a1_opened)});
  EXPECT_EQ(at_open.exit_code, 0) << Describe(at_open);
  EXPECT_THAT(at_open.out, HasSubstr(R"("contacts":0,)"));

  // Errors: a position beyond the log, an unknown kind.
  auto live = CrmReader::Open(*store_);
  ASSERT_TRUE(live.ok());
  auto beyond = GetAsOf(*store_, **live, "account", "A1",
                        PointInTime::AtPosition(store_->LastPosition() + 1));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), Code::kInvalidArgument);
  auto unknown = GetAsOf(*store_, **live, "spaceship", "A1", PointInTime::AtPosition(1));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  ProcessResult beyond_cli =
      Crm(Db(), {"get", "account", "A1", "--at", std::to_string(store_->LastPosition() + 1)});
  EXPECT_EQ(beyond_cli.exit_code, 2) << Describe(beyond_cli);
}

// Imports backdate events: business time (occurred_at) and system time (recorded_at) disagree.
class BackdatedTest : public TimeTravelTest {
 protected:
  void SetUp() override {
    TimeTravelTest::SetUp();
    AddTeam();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    team_end_ = store_->LastPosition();
    auto cmd = [&](Cmd c) {
      const uint64_t first = store_->LastPosition() + 1;
      const uint64_t last = Run(c);
      first_.push_back(first);
      last_.push_back(last);
      recorded_.push_back(RecordedAt(last));
    };
    // c0: the account, opened in 2015.
    cmd(Cmd("OpenAccount").S("account_id", "B1").S("name", "Backdated Inc").S("industry", "Retail")
            .S("debtor_number", "D-9").S("occurred_at", "2015-01-10T09:00:00Z"));
    // c1: an opportunity opened in 2015 (the account becomes a Prospect: a second event).
    cmd(Cmd("OpenOpportunity").S("opportunity_id", "BO1").S("account_id", "B1").S("name", "Old deal")
            .I("amount", 1000).S("occurred_at", "2015-06-01T09:00:00Z"));
    // c2: won in 2017 (the account becomes a Customer).
    cmd(Cmd("WinOpportunity").S("opportunity_id", "BO1").S("occurred_at", "2017-03-01T09:00:00Z"));
    // c3: recorded after the win, but it happened in 2016.
    cmd(Cmd("OpenOpportunity").S("opportunity_id", "BO2").S("account_id", "B1").S("name", "Mid deal")
            .I("amount", 500).S("stage", "Proposal").S("occurred_at", "2016-06-01T09:00:00Z"));
    // c4, c5: a contact with an activity from 2014, linked to the account in 2018.
    cmd(Cmd("CreateContact").S("contact_id", "BC1").S("first_name", "Old").S("last_name", "Friend")
            .S("occurred_at", "2014-05-01T09:00:00Z"));
    cmd(Cmd("LogActivity").S("activity_id", "BA1").S("kind", "Call").S("subject", "Hello")
            .S("contact_id", "BC1").S("occurred_at", "2014-06-01T09:00:00Z"));
    // c6: the late link.
    cmd(Cmd("LinkContact").S("contact_id", "BC1").S("account_id", "B1")
            .S("occurred_at", "2018-01-01T09:00:00Z"));
  }

  // A few fields of the account as of a point.
  std::string AccountSummary(const PointInTime& at) {
    auto live = CrmReader::Open(*store_);
    EXPECT_TRUE(live.ok());
    if (!live.ok()) return "";
    auto doc = GetAsOf(*store_, **live, "account", "B1", at);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    if (!doc.ok() || !doc->has_value()) return "<missing>";
    std::string s;
    for (const char* f : {"type", "opportunities_open", "opportunities_won", "won_amount",
                          "contacts", "last_activity_at"}) {
      s += std::string(f) + "=" + Tx(**doc, f) + " ";
    }
    return s;
  }

  uint64_t team_end_ = 0;
  std::vector<uint64_t> first_, last_;
  std::vector<int64_t> recorded_;
};

TEST_F(BackdatedTest, AsOfSystemTimeAndAsOfBusinessTimeDiffer) {
  ASSERT_EQ(last_[1], first_[1] + 1) << "OpenOpportunity also changed the account's type";
  ASSERT_EQ(last_[2], first_[2] + 1) << "WinOpportunity also changed the account's type";
  const PointInTime business_2016 = PointInTime::OccurredAt(Us("2016-01-01T00:00:00Z"));
  const PointInTime before_win = PointInTime::RecordedAt(recorded_[2] - 1);
  const PointInTime now = PointInTime::RecordedAt(recorded_.back() + 1'000'000);

  // The opportunity: won in 2017, recorded today.
  const std::string open_bo1 =
      R"({"opportunity_id":"BO1","account_id":"B1","name":"Old deal","amount":1000,"currency":null,)"
      R"("stage":"Prospecting","probability":10,"close_date":null,"owner":null,"lead_id":null,)"
      R"("lost_reason":null,"opened_at":"2015-06-01T09:00:00.000000Z","closed_at":null,"version":1})";
  const std::string won_bo1 =
      R"({"opportunity_id":"BO1","account_id":"B1","name":"Old deal","amount":1000,"currency":null,)"
      R"("stage":"ClosedWon","probability":100,"close_date":null,"owner":null,"lead_id":null,)"
      R"("lost_reason":null,"opened_at":"2015-06-01T09:00:00.000000Z",)"
      R"("closed_at":"2017-03-01T09:00:00.000000Z","version":2})";
  EXPECT_EQ(GetJson("opportunity", "BO1"), won_bo1);
  EXPECT_EQ(AsOf("opportunity", "BO1", business_2016), open_bo1);
  EXPECT_EQ(AsOf("opportunity", "BO1", before_win), open_bo1);
  EXPECT_EQ(AsOf("opportunity", "BO1", now), won_bo1);
  EXPECT_EQ(AsOf("opportunity", "BO1", PointInTime::OccurredAt(Us("2017-03-01T09:00:00Z"))), won_bo1);
  EXPECT_EQ(AsOf("opportunity", "BO1", PointInTime::OccurredAt(Us("2017-03-01T08:59:59Z"))), open_bo1);
  EXPECT_EQ(AsOf("opportunity", "BO1", PointInTime::OccurredAt(Us("2015-05-31T00:00:00Z"))), "<missing>");
  EXPECT_EQ(AsOf("opportunity", "BO1", PointInTime::RecordedAt(recorded_[1] - 1)), "<missing>");

  // The account: system time and business time give different states.
  // Business 2016-12-31: BO1 open, BO2 (2016-06) open, the 2018 link not yet: a Prospect.
  EXPECT_EQ(AccountSummary(PointInTime::OccurredAt(Us("2016-12-31T00:00:00Z"))),
            "type=Prospect opportunities_open=2 opportunities_won=0 won_amount=0 contacts=0 "
            "last_activity_at=2016-06-01T09:00:00.000000Z ");
  // System time after the win, before BO2 was recorded: a Customer with nothing open.
  EXPECT_EQ(AccountSummary(PointInTime::RecordedAt(recorded_[3] - 1)),
            "type=Customer opportunities_open=0 opportunities_won=1 won_amount=1000 contacts=0 "
            "last_activity_at=2017-03-01T09:00:00.000000Z ");
  // Business 2017-06-01: won, BO2 open, no contact yet.
  EXPECT_EQ(AccountSummary(PointInTime::OccurredAt(Us("2017-06-01T00:00:00Z"))),
            "type=Customer opportunities_open=1 opportunities_won=1 won_amount=1000 contacts=0 "
            "last_activity_at=2017-03-01T09:00:00.000000Z ");
  // Now: everything, the link of 2018 the newest activity.
  const std::string now_summary =
      "type=Customer opportunities_open=1 opportunities_won=1 won_amount=1000 contacts=1 "
      "last_activity_at=2018-01-01T09:00:00.000000Z ";
  EXPECT_EQ(AccountSummary(now), now_summary);
  EXPECT_EQ(AccountSummary(PointInTime::AtPosition(store_->LastPosition())), now_summary);
  {
    auto current = Get("account", "B1");
    ASSERT_TRUE(current.has_value());
    auto live = CrmReader::Open(*store_);
    ASSERT_TRUE(live.ok());
    ASSERT_OK_AND_ASSIGN(auto as_of_now, GetAsOf(*store_, **live, "account", "B1", now));
    ASSERT_TRUE(as_of_now.has_value());
    EXPECT_EQ(as_of_now->ToJson(), current->ToJson());
  }
  EXPECT_EQ(AccountSummary(PointInTime::OccurredAt(Us("2015-01-10T08:59:59Z"))), "<missing>");

  // The same through the CLI.
  auto cli = [&](std::vector<std::string> args) {
    ProcessResult r = Crm(Db(), std::move(args));
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return r.out;
  };
  EXPECT_EQ(cli({"get", "opportunity", "BO1", "--as-of-business", "2016-01-01T00:00:00Z"}),
            open_bo1 + "\n");
  EXPECT_EQ(cli({"get", "opportunity", "BO1", "--as-of", FormatTimestamp(recorded_[2] - 1)}),
            open_bo1 + "\n");
  EXPECT_EQ(cli({"get", "opportunity", "BO1", "--as-of", FormatTimestamp(recorded_[2])}),
            won_bo1 + "\n");
  EXPECT_EQ(cli({"get", "opportunity", "BO1"}), won_bo1 + "\n");
  EXPECT_THAT(cli({"get", "account", "B1", "--as-of-business", "2016-12-31T00:00:00Z"}),
              HasSubstr(R"("type":"Prospect")"));
  EXPECT_THAT(cli({"get", "account", "B1", "--as-of", FormatTimestamp(recorded_[3] - 1)}),
              HasSubstr(R"("type":"Customer")"));
  ProcessResult missing =
      Crm(Db(), {"get", "opportunity", "BO1", "--as-of-business", "2015-01-01T00:00:00Z"});
  EXPECT_EQ(missing.exit_code, 3) << Describe(missing);
  ProcessResult bad = Crm(Db(), {"get", "opportunity", "BO1", "--as-of", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  ProcessResult both = Crm(Db(), {"get", "opportunity", "BO1", "--at", "3", "--as-of",
                                  "2016-01-01T00:00:00Z"});
  EXPECT_EQ(both.exit_code, 2) << Describe(both);
}

TEST_F(BackdatedTest, PositionRecordedAtBoundaries) {
  ASSERT_OK_AND_ASSIGN(uint64_t none, PositionRecordedAt(*store_, 0));
  EXPECT_EQ(none, 0u);
  ASSERT_OK_AND_ASSIGN(uint64_t first, PositionRecordedAt(*store_, RecordedAt(1)));
  EXPECT_GE(first, 1u);
  ASSERT_OK_AND_ASSIGN(uint64_t before_first, PositionRecordedAt(*store_, RecordedAt(1) - 1));
  EXPECT_EQ(before_first, 0u);
  ASSERT_OK_AND_ASSIGN(uint64_t end, PositionRecordedAt(*store_, INT64_MAX));
  EXPECT_EQ(end, store_->LastPosition());
  uint64_t previous_last = team_end_;
  for (size_t k = 0; k < last_.size(); ++k) {
    SCOPED_TRACE("command " + std::to_string(k));
    // Every event of one command shares its recorded_at: the time maps to the command's last.
    EXPECT_EQ(RecordedAt(first_[k]), recorded_[k]);
    ASSERT_OK_AND_ASSIGN(uint64_t at, PositionRecordedAt(*store_, recorded_[k]));
    EXPECT_EQ(at, last_[k]);
    ASSERT_OK_AND_ASSIGN(uint64_t just_before, PositionRecordedAt(*store_, recorded_[k] - 1));
    EXPECT_EQ(just_before, previous_last);
    if (k + 1 < last_.size()) {
      ASSERT_OK_AND_ASSIGN(uint64_t between,
                           PositionRecordedAt(*store_, (recorded_[k] + recorded_[k + 1]) / 2));
      EXPECT_EQ(between, last_[k]);
    }
    previous_last = last_[k];
  }
  // Business time is not a position: the 2016 opportunity (c3) was recorded after the 2017 win.
  EXPECT_GT(first_[3], last_[2]);
}

TEST_F(BackdatedTest, HistoryAsOfLeavesOutEntriesThatJoinedByALaterLink) {
  const uint64_t created = last_[4], logged = last_[5], link = last_[6];
  // "position type" of the events at these positions, newest first (the order of the events of
  // one command across streams is the engine's).
  auto entries = [&](std::vector<uint64_t> positions) {
    std::sort(positions.rbegin(), positions.rend());
    std::vector<std::string> out;
    for (uint64_t p : positions) {
      auto e = store_->ReadEvent(p);
      EXPECT_TRUE(e.ok() && e->has_value());
      if (e.ok() && e->has_value()) {
        out.push_back(std::to_string(p) + " " + std::string((*e)->view().type_name()));
      }
    }
    return out;
  };
  const std::vector<uint64_t> account_own = {last_[0], first_[1], last_[1], first_[2], last_[2],
                                             last_[3]};
  const std::vector<std::string> before_link = entries(account_own);
  std::vector<uint64_t> all_positions = account_own;
  all_positions.insert(all_positions.end(), {created, logged, link});
  const std::vector<std::string> with_link = entries(all_positions);
  ASSERT_EQ(with_link.size(), 9u);
  EXPECT_EQ(with_link[0], std::to_string(link) + " ContactLinked");
  EXPECT_EQ(with_link[1], std::to_string(logged) + " ActivityLogged");
  EXPECT_EQ(with_link[2], std::to_string(created) + " ContactCreated");
  EXPECT_EQ(with_link.back(), std::to_string(last_[0]) + " AccountOpened");
  // The live history has the contact's entries at their own positions.
  std::vector<std::string> all;
  for (const Doc& d : History("B1")) all.push_back(Tx(d, "position") + " " + Tx(d, "type"));
  EXPECT_EQ(all, with_link);

  // Before the link (by position and by recorded time): the contact's entries had not joined.
  EXPECT_EQ(HistoryAt("B1", PointInTime::AtPosition(link - 1)), before_link);
  EXPECT_EQ(HistoryAt("B1", PointInTime::RecordedAt(recorded_[6] - 1)), before_link);
  // Even as of a position after the contact's own events: they joined at the link.
  EXPECT_EQ(HistoryAt("B1", PointInTime::AtPosition(logged)), before_link);
  EXPECT_EQ(HistoryAt("B1", PointInTime::AtPosition(link)), with_link);
  EXPECT_EQ(HistoryAt("B1", PointInTime::RecordedAt(recorded_[6])), with_link);
  // Before the win was recorded: the 2016 opportunity had not been recorded either.
  EXPECT_EQ(HistoryAt("B1", PointInTime::AtPosition(last_[1])),
            entries({last_[0], first_[1], last_[1]}));
  // Business time filters by occurred_at: the 2014 entries are there, the 2015+ ones not.
  EXPECT_EQ(HistoryAt("B1", PointInTime::OccurredAt(Us("2014-12-31T00:00:00Z"))),
            entries({created, logged}));
  EXPECT_EQ(HistoryAt("B1", PointInTime::OccurredAt(Us("2016-12-31T00:00:00Z"))),
            entries({created, logged, last_[0], first_[1], last_[1], last_[3]}));
  EXPECT_THAT(HistoryAt("B1", PointInTime::AtPosition(team_end_)), IsEmpty());

  // Paging applies to the history as it stood: the newest two before the link, then older ones.
  {
    auto reader = CrmReader::Open(*store_);
    ASSERT_TRUE(reader.ok());
    ASSERT_OK_AND_ASSIGN(auto page, HistoryAsOf(*store_, **reader, "account-B1", 2, 0,
                                                PointInTime::AtPosition(link - 1)));
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(Tx(page[0], "position") + " " + Tx(page[0], "type"), before_link[0]);
    EXPECT_EQ(Tx(page[1], "position") + " " + Tx(page[1], "type"), before_link[1]);
    const uint64_t before = std::stoull(Tx(page[1], "position"));
    ASSERT_OK_AND_ASSIGN(auto next, HistoryAsOf(*store_, **reader, "account-B1", 2, before,
                                                PointInTime::AtPosition(link - 1)));
    ASSERT_EQ(next.size(), 2u);
    EXPECT_EQ(Tx(next[0], "position") + " " + Tx(next[0], "type"), before_link[2]);
    EXPECT_EQ(Tx(next[1], "position") + " " + Tx(next[1], "type"), before_link[3]);
    auto none = HistoryAsOf(*store_, **reader, "account-NOPE", 0, 0, PointInTime::AtPosition(1));
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.status().code(), Code::kNotFound);
  }

  // The CLI.
  ProcessResult r = Crm(Db(), {"history", "B1", "--at", std::to_string(link - 1)});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Lines(r.out).size(), before_link.size()) << r.out;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("Contact BC1")));
  r = Crm(Db(), {"history", "B1", "--as-of", FormatTimestamp(recorded_[6])});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Lines(r.out).size(), with_link.size()) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Contact BC1 'Old Friend' created by admin"));
  EXPECT_THAT(r.out, HasSubstr("Call BA1 'Hello' logged by admin"));
}

TEST_F(BackdatedTest, ReportAsOfEqualsNumbersComputedByHand) {
  auto pipeline = [](std::vector<std::string> counts) {
    // counts: per stage "count,amount,weighted".
    static const char* stages[] = {"Prospecting", "Qualification", "NeedsAnalysis", "Proposal",
                                   "Negotiation", "ClosedWon", "ClosedLost"};
    static const int probabilities[] = {10, 20, 25, 65, 80, 100, 0};
    std::vector<std::string> rows;
    for (size_t i = 0; i < 7; ++i) {
      std::string c = counts[i];
      const size_t a = c.find(','), b = c.rfind(',');
      rows.push_back(std::string(R"({"stage":")") + stages[i] + R"(","probability":)" +
                     std::to_string(probabilities[i]) + R"(,"count":)" + c.substr(0, a) +
                     R"(,"amount":)" + c.substr(a + 1, b - a - 1) + R"(,"weighted_amount":)" +
                     c.substr(b + 1) + "}");
    }
    return rows;
  };
  const std::string zero = "0,0,0";
  // Before anything: every stage empty.
  EXPECT_EQ(PipelineAt(PointInTime::AtPosition(team_end_)),
            pipeline({zero, zero, zero, zero, zero, zero, zero}));
  EXPECT_EQ(PipelineAt(PointInTime::AtPosition(0)),
            pipeline({zero, zero, zero, zero, zero, zero, zero}));
  // After BO1 was opened: 1000 in Prospecting, weighted 10% = 100.
  EXPECT_EQ(PipelineAt(PointInTime::AtPosition(last_[1])),
            pipeline({"1,1000,100", zero, zero, zero, zero, zero, zero}));
  // After the win was recorded: 1000 won.
  EXPECT_EQ(PipelineAt(PointInTime::AtPosition(last_[2])),
            pipeline({zero, zero, zero, zero, zero, "1,1000,1000", zero}));
  EXPECT_EQ(PipelineAt(PointInTime::RecordedAt(recorded_[3] - 1)),
            pipeline({zero, zero, zero, zero, zero, "1,1000,1000", zero}));
  // Business time 2016-12-31: BO1 still open, BO2 (2016) in Proposal, 65% of 500 = 325.
  EXPECT_EQ(PipelineAt(PointInTime::OccurredAt(Us("2016-12-31T00:00:00Z"))),
            pipeline({"1,1000,100", zero, zero, "1,500,325", zero, zero, zero}));
  // Now.
  EXPECT_EQ(PipelineAt(PointInTime::AtPosition(store_->LastPosition())),
            pipeline({zero, zero, zero, "1,500,325", zero, "1,1000,1000", zero}));
  EXPECT_EQ(PipelineAt(PointInTime::AtPosition(store_->LastPosition())), ReportJson("pipeline"));

  // Revenue as of business 2016: no won amount yet; now: 1000 won (Retail, no owner).
  auto revenue = [&](const PointInTime& at) {
    auto rows = ReportAsOf(*store_, "revenue", {}, at);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const Doc& d : *rows) out.push_back(d.ToJson());
    }
    return out;
  };
  EXPECT_EQ(revenue(PointInTime::AtPosition(store_->LastPosition())), ReportJson("revenue"));
  const auto then = revenue(PointInTime::OccurredAt(Us("2016-12-31T00:00:00Z")));
  ASSERT_FALSE(then.empty());
  for (const std::string& row : then) EXPECT_THAT(row, HasSubstr(R"("won_amount":0)")) << row;
  bool retail_won = false;
  for (const std::string& row : ReportJson("revenue")) {
    retail_won = retail_won || (row.find("Retail") != std::string::npos &&
                                row.find(R"("won_amount":1000)") != std::string::npos);
  }
  EXPECT_TRUE(retail_won);

  // `inactive` is evaluated at the as-of time: B1's last activity as of business 2016-12-31 is
  // the opportunity of 2016-06-01 09:00, 212 whole days before.
  ReportOptions thirty;
  thirty.days = 30;
  {
    ASSERT_OK_AND_ASSIGN(auto rows, ReportAsOf(*store_, "inactive", thirty,
                                               PointInTime::OccurredAt(Us("2016-12-31T00:00:00Z"))));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].ToJson(),
              R"({"account_id":"B1","name":"Backdated Inc","owner":null,"type":"Prospect",)"
              R"("status":"Active","last_activity_at":"2016-06-01T09:00:00.000000Z",)"
              R"("days_inactive":212})");
    ASSERT_OK_AND_ASSIGN(auto recent, ReportAsOf(*store_, "inactive", thirty,
                                                 PointInTime::OccurredAt(Us("2016-06-15T00:00:00Z"))));
    EXPECT_THAT(recent, IsEmpty()) << "13 days are not 30";
  }
  auto unknown = ReportAsOf(*store_, "forecast", {}, PointInTime::AtPosition(1));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  auto beyond = ReportAsOf(*store_, "pipeline", {}, PointInTime::AtPosition(store_->LastPosition() + 1));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), Code::kInvalidArgument);

  // The CLI: `report pipeline --at P`.
  ProcessResult r = Crm(Db(), {"report", "pipeline", "--at", std::to_string(last_[1])});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Lines(r.out), pipeline({"1,1000,100", zero, zero, zero, zero, zero, zero}));
  r = Crm(Db(), {"report", "pipeline", "--as-of-business", "2016-12-31T00:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Lines(r.out), pipeline({"1,1000,100", zero, zero, "1,500,325", zero, zero, zero}));
}

// Business time before an entity's creating event: the entity did not exist then, even when
// later events of its stream are backdated further (an account opened today, old notes imported
// onto it; a ticket opened today, an old comment imported). GetAsOf must say std::nullopt and a
// report must not list it -- not a half entity folded from its later events alone.
TEST_F(TimeTravelTest, BusinessTimeBeforeTheCreatingEventIsNoHalfEntity) {
  Run(Cmd("OpenAccount").S("account_id", "A").S("name", "Acme"));  // occurred now
  Run(Cmd("AddAccountNote").S("account_id", "A").S("text", "From the old CRM")
          .S("occurred_at", "2019-01-01T00:00:00Z"));
  Run(Cmd("OpenTicket").S("ticket_id", "T").S("account_id", "A").S("subject", "Broken")
          .S("priority", "Low"));
  Run(Cmd("CommentOnTicket").S("ticket_id", "T").S("text", "Old comment")
          .S("occurred_at", "2019-01-01T00:00:00Z"));
  const PointInTime business_2020 = PointInTime::OccurredAt(Us("2020-01-01T00:00:00Z"));
  EXPECT_EQ(AsOf("account", "A", business_2020), "<missing>");
  EXPECT_EQ(AsOf("ticket", "T", business_2020), "<missing>");
  ProcessResult get =
      Crm(Db(), {"get", "account", "A", "--as-of-business", "2020-01-01T00:00:00Z"});
  EXPECT_EQ(get.exit_code, 3) << Describe(get);
  auto inactive = ReportAsOf(*store_, "inactive", {}, business_2020);
  ASSERT_TRUE(inactive.ok()) << inactive.status().ToString();
  for (const Doc& row : *inactive) ADD_FAILURE() << "listed as of 2020: " << row.ToJson();
  // Now both exist, with the imported entries.
  const PointInTime now = PointInTime::OccurredAt(Us("2100-01-01T00:00:00Z"));
  EXPECT_EQ(AsOf("account", "A", now), GetJson("account", "A"));
  EXPECT_EQ(AsOf("ticket", "T", now), GetJson("ticket", "T"));
}

}  // namespace
}  // namespace crm::test
