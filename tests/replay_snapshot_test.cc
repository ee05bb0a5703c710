// Snapshots bound point-in-time reads: on a random workload of links, moves, reopenings,
// conversions and payments, GetAsOf from snapshots equals the live state recorded after every
// command; on an account with thousands of history entries, a read folds a bounded number of
// events wherever the point is; and `replay --verify` covers the snapshots too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "crm/replay.h"
#include "raw_db.h"
#include "replay_test_util.h"

namespace crm::test {
namespace {

class SnapshotTest : public ProjectionsTest, public ::testing::WithParamInterface<uint64_t> {
 protected:
  SnapshotTest() { snapshot_every_ = GetParam(); }

  std::string AsOf(std::string_view kind, std::string_view id, uint64_t position,
                   TimeTravelStats* stats) {
    auto live = CrmReader::Open(*store_);
    if (!live.ok()) return "<error " + live.status().ToString() + ">";
    auto doc = GetAsOf(*store_, **live, kind, id, PointInTime::AtPosition(position), stats);
    if (!doc.ok()) return "<error " + doc.status().ToString() + ">";
    return doc->has_value() ? (*doc)->ToJson() : "<missing>";
  }
};

INSTANTIATE_TEST_SUITE_P(Every, SnapshotTest, ::testing::Values(uint64_t{2}, uint64_t{5}),
                         [](const auto& info) { return std::to_string(info.param); });

// 600 random commands over 3 accounts and the entities around them; after each one that
// succeeded, every entity's state is recorded; then every entity as of every one of those
// positions is read back and must be exactly what was recorded.
TEST_P(SnapshotTest, RandomWorkloadAsOfEveryPositionEqualsTheLiveStateThen) {
  AddTeam();
  std::mt19937 rng(20261123);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> owners = {"moses", "anna"};
  std::vector<std::pair<std::string, std::string>> entities;
  for (int a = 0; a < 3; ++a) {
    const std::string id = "A" + std::to_string(a);
    Ok(Cmd("OpenAccount").S("account_id", id).S("name", "Account " + id).S("industry", "Retail")
           .S("debtor_number", "D-" + id));
    entities.emplace_back("account", id);
  }
  auto account = [&] { return "A" + std::to_string(pick(3)); };
  int contacts = 0, opportunities = 0, tickets = 0, invoices = 0, leads = 0, activities = 0;
  struct Point {
    uint64_t position;
    std::vector<std::string> json;
  };
  std::vector<Point> points;
  auto record = [&] {
    Point p{store_->LastPosition(), {}};
    for (const auto& [kind, id] : entities) p.json.push_back(GetJson(kind, id));
    points.push_back(std::move(p));
  };
  for (int i = 0; i < 600; ++i) {
    std::string line;
    switch (pick(14)) {
      case 0: {
        const std::string id = "C" + std::to_string(contacts++);
        Cmd c("CreateContact");
        c.S("contact_id", id).S("first_name", "F").S("last_name", id);
        if (pick(4) != 0) c.S("account_id", account());  // some start without an account
        line = c;
        entities.emplace_back("contact", id);
        break;
      }
      case 1:
        if (contacts == 0) continue;
        line = Cmd("LinkContact").S("contact_id", "C" + std::to_string(pick(contacts)))
                   .S("account_id", account());
        break;
      case 2:
        if (contacts == 0) continue;
        line = Cmd("UpdateContact").S("contact_id", "C" + std::to_string(pick(contacts)))
                   .S("title", "T" + std::to_string(i));
        break;
      case 3: {
        const std::string id = "O" + std::to_string(opportunities++);
        line = Cmd("OpenOpportunity").S("opportunity_id", id).S("account_id", account())
                   .S("name", "Deal " + id).I("amount", 100 + pick(900));
        entities.emplace_back("opportunity", id);
        break;
      }
      case 4:
        if (opportunities == 0) continue;
        line = pick(2) ? std::string(Cmd("WinOpportunity")
                                         .S("opportunity_id", "O" + std::to_string(pick(opportunities)))
                                         .I("amount", 50 + pick(500)))
                       : std::string(Cmd("LoseOpportunity")
                                         .S("opportunity_id", "O" + std::to_string(pick(opportunities)))
                                         .S("reason", "Budget"));
        break;
      case 5: {
        const std::string id = "T" + std::to_string(tickets++);
        Cmd c("OpenTicket");
        c.S("ticket_id", id).S("account_id", account()).S("subject", "Issue " + id)
            .S("priority", pick(2) ? "High" : "Low");
        if (contacts > 0 && pick(2)) c.S("contact_id", "C" + std::to_string(pick(contacts)));
        line = c;
        entities.emplace_back("ticket", id);
        break;
      }
      case 6: {
        if (tickets == 0) continue;
        const std::string id = "T" + std::to_string(pick(tickets));
        static const char* const kActions[] = {"Resolve", "Close", "Reopen", "Status"};
        const std::string action = kActions[pick(4)];
        if (action == "Resolve") line = Cmd("ResolveTicket").S("ticket_id", id).S("resolution", "Fixed");
        if (action == "Close") line = Cmd("CloseTicket").S("ticket_id", id);
        if (action == "Reopen") line = Cmd("ReopenTicket").S("ticket_id", id).S("reason", "Again");
        if (action == "Status") {
          line = Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", pick(2) ? "Pending" : "InProgress");
        }
        break;
      }
      case 7: {
        const std::string id = "I" + std::to_string(invoices++);
        line = Cmd("IssueInvoice").S("invoice_id", id).S("account_id", account())
                   .S("amount", std::to_string(10 + pick(90)) + ".25");
        entities.emplace_back("invoice", id);
        break;
      }
      case 8:
        if (invoices == 0) continue;
        line = Cmd("PayInvoice").S("invoice_id", "I" + std::to_string(pick(invoices)));
        break;
      case 9: {
        const std::string id = "L" + std::to_string(leads++);
        line = Cmd("CreateLead").S("lead_id", id).S("last_name", id).S("company", "Co " + id);
        entities.emplace_back("lead", id);
        break;
      }
      case 10: {
        if (leads == 0) continue;
        const std::string id = "L" + std::to_string(pick(leads));
        if (pick(2)) {
          line = Cmd("LogActivity").S("activity_id", "ACT" + std::to_string(activities++))
                     .S("kind", "Call").S("subject", "About " + id).S("lead_id", id);
        } else {
          const std::string contact = "C" + std::to_string(contacts++);
          line = Cmd("ConvertLead").S("lead_id", id).S("account_id", account())
                     .S("contact_id", contact);
          entities.emplace_back("contact", contact);
        }
        break;
      }
      case 11:
        if (contacts == 0) continue;
        line = Cmd("LogActivity").S("activity_id", "ACT" + std::to_string(activities++))
                   .S("kind", pick(2) ? "Meeting" : "Email").S("subject", "Touch base")
                   .S("contact_id", "C" + std::to_string(pick(contacts)));
        break;
      case 12:
        line = Cmd("AddAccountNote").S("account_id", account()).S("text", "Note " + std::to_string(i));
        break;
      default:
        line = Cmd("AssignAccount").S("account_id", account()).S("owner", owners[pick(2)]);
        break;
    }
    ExecResult r = exec_->Execute(line);
    if (r.ok) record();
  }
  ASSERT_GT(points.size(), 300u);

  uint64_t from_snapshot = 0;
  for (const Point& p : points) {
    for (size_t i = 0; i < p.json.size(); ++i) {
      const auto& [kind, id] = entities[i];
      TimeTravelStats stats;
      ASSERT_EQ(AsOf(kind, id, p.position, &stats), p.json[i])
          << kind << " " << id << " as of position " << p.position;
      from_snapshot += stats.from_snapshot;
    }
  }
  EXPECT_GT(from_snapshot, points.size()) << "the workload must exercise snapshots";
}

// One account with a long past: notes, tickets with several steps, contacts with activities.
// Read as of many points, it always starts from a snapshot and folds a bounded number of
// events, where a fold from the beginning (business time) folds its whole history.
TEST_P(SnapshotTest, ALongHistoryIsReadFromANearbySnapshot) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "BIG").S("name", "Big Co").S("debtor_number", "D-1"));
  std::vector<std::pair<uint64_t, std::string>> points;
  for (int i = 0; i < 400; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 4) {
      case 0: Ok(Cmd("AddAccountNote").S("account_id", "BIG").S("text", "Note " + n)); break;
      case 1:
        Ok(Cmd("OpenTicket").S("ticket_id", "T" + n).S("account_id", "BIG").S("subject", "S")
               .S("priority", "Low"));
        Ok(Cmd("AssignTicket").S("ticket_id", "T" + n).S("assignee", "sam"));
        Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T" + n).S("status", "InProgress"));
        Ok(Cmd("ResolveTicket").S("ticket_id", "T" + n).S("resolution", "Done"));
        break;
      case 2:
        Ok(Cmd("CreateContact").S("contact_id", "C" + n).S("first_name", "F").S("last_name", "L")
               .S("account_id", "BIG"));
        Ok(Cmd("LogActivity").S("activity_id", "ACT" + n).S("kind", "Call").S("subject", "Hi")
               .S("contact_id", "C" + n));
        break;
      default:
        Ok(Cmd("OpenOpportunity").S("opportunity_id", "O" + n).S("account_id", "BIG")
               .S("name", "D").I("amount", 100));
        Ok(Cmd("WinOpportunity").S("opportunity_id", "O" + n).I("amount", 120));
        break;
    }
    if (i % 37 == 0 || i == 399) points.emplace_back(store_->LastPosition(), GetJson("account", "BIG"));
  }
  auto live = CrmReader::Open(*store_);
  ASSERT_TRUE(live.ok());
  const uint64_t k = snapshot_every_;
  for (const auto& [position, json] : points) {
    TimeTravelStats stats;
    ASSERT_OK_AND_ASSIGN(auto doc, GetAsOf(*store_, **live, "account", "BIG",
                                           PointInTime::AtPosition(position), &stats));
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(doc->ToJson(), json) << "as of " << position;
    if (position > 20) {
      EXPECT_TRUE(stats.from_snapshot) << "as of " << position;
    }
    // Fewer than k events of the account's history after its snapshot, and for each of them
    // fewer than k events of the entity it involves (every entity here has at most 4).
    EXPECT_LT(stats.events_folded, k * 3) << "as of " << position;
  }
  TimeTravelStats whole;
  ASSERT_OK_AND_ASSIGN(auto business, GetAsOf(*store_, **live, "account", "BIG",
                                               PointInTime::OccurredAt(INT64_MAX), &whole));
  ASSERT_TRUE(business.has_value());
  EXPECT_EQ(business->ToJson(), points.back().second);
  EXPECT_FALSE(whole.from_snapshot);
  EXPECT_GT(whole.events_folded, 900u);  // 1 + 100 + 400 + 200 + 200 events
}

// `replay --verify` compares the snapshots like every other projection: a rebuild writes the
// same ones (they depend on the events only, not on how appends were grouped).
TEST(SnapshotVerifyTest, RebuiltSnapshotsEqualTheLiveOnes) {
  TempDir dir;
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(dir.Sub("db"), ReplayOptions(OpenMode::kReadWrite), &store));
    ASSERT_OK_AND_ASSIGN(bool created, EnsureAdminUser(*store));
    ASSERT_TRUE(created);
    CommandExecutor exec(store.get());
    std::vector<std::string> batch;
    for (int i = 0; i < 300; ++i) {
      batch.push_back(Cmd("AddAccountNote").S("account_id", "A").S("text", std::to_string(i)));
    }
    ASSERT_TRUE(exec.Execute(Cmd("OpenAccount").S("account_id", "A").S("name", "Acme").str()).ok);
    // One group commit for many notes, then one at a time: the live groups differ from the
    // rebuild's, the snapshots must not.
    const std::vector<std::string_view> views(batch.begin(), batch.end());
    for (const auto& r : exec.ExecuteBatch(views)) ASSERT_TRUE(r.ok) << r.line;
    for (int i = 0; i < 70; ++i) {
      ASSERT_TRUE(exec.Execute(Cmd("AddAccountNote").S("account_id", "A").S("text", "x").str()).ok);
    }
    ASSERT_OK_AND_ASSIGN(ProjectionComparison cmp, CompareProjections(*store));
    EXPECT_TRUE(cmp.equal()) << cmp.first_family << " " << cmp.first_key << ": "
                             << cmp.first_problem;
    bool seen = false;
    for (const auto& f : cmp.families) {
      if (f.name != "snapshots") continue;
      seen = true;
      // 371 changes of the account, one snapshot every 64.
      EXPECT_EQ(f.live_rows, 371u / CrmProjectorOptions{}.snapshot_every);
      EXPECT_TRUE(f.equal());
    }
    EXPECT_TRUE(seen);
  }
}

// A damaged snapshot is a corruption error naming it, never a crash or a wrong answer; `replay
// --verify` names its key; the other reads do not depend on it; restoring it restores the read.
TEST(SnapshotVerifyTest, ADamagedSnapshotIsNamedByGetAtAndByVerify) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  uint64_t second_snapshot = 0, last = 0;
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db, ReplayOptions(OpenMode::kReadWrite), &store));
    ASSERT_OK_AND_ASSIGN(bool created, EnsureAdminUser(*store));
    ASSERT_TRUE(created);
    CommandExecutor exec(store.get());
    ASSERT_TRUE(exec.Execute(Cmd("OpenAccount").S("account_id", "A").S("name", "Acme").str()).ok);
    for (int i = 2; i <= 150; ++i) {
      ExecResult r = exec.Execute(Cmd("AddAccountNote").S("account_id", "A").S("text", "n").str());
      ASSERT_TRUE(r.ok) << r.line;
      if (i == 128) second_snapshot = store->LastPosition();  // the account's 128th change
    }
    last = store->LastPosition();
  }
  // "p:<stream>\0<~position>", like a history key.
  std::string key = HistoryKey("account-A", second_snapshot);
  key[0] = 'p';
  const auto original = GetRawKey(db, "projections", key);
  ASSERT_TRUE(original.has_value()) << "no snapshot at the account's 128th change";
  ProcessResult good = Crm(db, {"get", "account", "A", "--at", std::to_string(last)});
  ASSERT_EQ(good.exit_code, 0) << Describe(good);

  ASSERT_TRUE(PutRawKey(db, "projections", key, "not a state row"));
  ProcessResult bad = Crm(db, {"get", "account", "A", "--at", std::to_string(last)});
  EXPECT_EQ(bad.exit_code, 5) << Describe(bad);
  EXPECT_EQ(bad.out, "");
  EXPECT_THAT(bad.err, ::testing::HasSubstr("snapshot of account-A at position " +
                                            std::to_string(second_snapshot) +
                                            " fails verification"));
  // Before that snapshot, reads start from the first one and are unaffected.
  ProcessResult earlier =
      Crm(db, {"get", "account", "A", "--at", std::to_string(second_snapshot - 1)});
  EXPECT_EQ(earlier.exit_code, 0) << Describe(earlier);
  ProcessResult verify = Crm(db, {"replay", "--verify", "--projection", "snapshots"});
  EXPECT_EQ(verify.exit_code, 5) << Describe(verify);
  EXPECT_THAT(verify.err, ::testing::HasSubstr("snapshots key " + PrintableKey(key)));

  ASSERT_TRUE(PutRawKey(db, "projections", key, *original));
  ProcessResult restored = Crm(db, {"get", "account", "A", "--at", std::to_string(last)});
  EXPECT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_EQ(restored.out, good.out);
  EXPECT_EQ(Crm(db, {"replay", "--verify"}).exit_code, 0);
}

// A damaged history entry is a corruption error naming its position in every output format
// and as of a past point (the JSON Lines page and the rendered rows are two read paths); a page
// that stops before reaching it is unaffected; restoring it restores the output.
TEST(SnapshotVerifyTest, ADamagedHistoryEntryIsNamedByEveryHistoryRead) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  uint64_t damaged = 0;
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db, ReplayOptions(OpenMode::kReadWrite), &store));
    ASSERT_OK(EnsureAdminUser(*store));
    CommandExecutor exec(store.get());
    ASSERT_TRUE(exec.Execute(Cmd("OpenAccount").S("account_id", "A").S("name", "Acme").str()).ok);
    for (int i = 1; i <= 5; ++i) {
      ASSERT_TRUE(exec.Execute(Cmd("AddAccountNote").S("account_id", "A").S("text", "n").str()).ok);
      if (i == 3) damaged = store->LastPosition();
    }
  }
  const std::string key = HistoryKey("account-A", damaged);
  const auto original = GetRawKey(db, "projections", key);
  ASSERT_TRUE(original.has_value());
  ProcessResult good = Crm(db, {"history", "A"});
  ASSERT_EQ(good.exit_code, 0) << Describe(good);

  ASSERT_TRUE(PutRawKey(db, "projections", key, "not a history entry"));
  const std::string named = "history entry at position " + std::to_string(damaged) +
                            " of account-A fails verification";
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"history", "A"},
           {"history", "A", "--format", "table"},
           {"history", "A", "--format", "csv"},
           {"history", "A", "--at", std::to_string(damaged + 1)}}) {
    ProcessResult bad = Crm(db, args);
    EXPECT_EQ(bad.exit_code, 5) << ::testing::PrintToString(args) << ": " << Describe(bad);
    EXPECT_EQ(bad.out, "") << ::testing::PrintToString(args);
    EXPECT_THAT(bad.err, ::testing::HasSubstr(named)) << ::testing::PrintToString(args);
  }
  ProcessResult newer = Crm(db, {"history", "A", "--limit", "2"});
  EXPECT_EQ(newer.exit_code, 0) << Describe(newer);
  EXPECT_EQ(Lines(newer.out).size(), 2u);
  ProcessResult older = Crm(db, {"history", "A", "--before", std::to_string(damaged)});
  EXPECT_EQ(older.exit_code, 0) << Describe(older);
  EXPECT_EQ(Lines(older.out).size(), 3u) << older.out;

  ASSERT_TRUE(PutRawKey(db, "projections", key, *original));
  ProcessResult restored = Crm(db, {"history", "A"});
  EXPECT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_EQ(restored.out, good.out);
}

// The replay tests' full workload generator (types, notes, leads converted into new and existing
// accounts, contacts moved, tickets through their states, quotes, orders, invoices), with a
// snapshot every 3 changes: every account as of many positions equals its live state then.
TEST(SnapshotWorkloadTest, GeneratorWorkloadAsOfEqualsTheLiveStateThen) {
  TempDir dir;
  Options o = ReplayOptions(OpenMode::kReadWrite);
  CrmProjectorOptions po;
  po.snapshot_every = 3;
  o.projector = MakeCrmProjector(po);
  std::unique_ptr<EventStore> store;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.Sub("db"), o, &store));
  ASSERT_OK_AND_ASSIGN(bool created, EnsureAdminUser(*store));
  ASSERT_TRUE(created);
  CommandExecutor exec(store.get());
  WorkloadGenerator gen(7);
  std::vector<std::pair<uint64_t, std::map<std::string, std::string>>> points;
  for (int round = 0; round < 30; ++round) {
    RunWorkload(exec, gen, 60, 20);
    ASSERT_OK_AND_ASSIGN(auto reader, CrmReader::Open(*store));
    std::map<std::string, std::string> accounts;
    ASSERT_OK(reader->ForEach(ListQuery{"account", {}, 0, ""}, [&](const Doc& d) {
      accounts[d.fields[0].text] = d.ToJson();
      return true;
    }));
    points.emplace_back(store->LastPosition(), std::move(accounts));
  }
  ASSERT_GT(points.back().second.size(), 5u);
  ASSERT_OK_AND_ASSIGN(auto live, CrmReader::Open(*store));
  for (const auto& [position, accounts] : points) {
    for (const auto& [id, json] : accounts) {
      ASSERT_OK_AND_ASSIGN(auto doc, GetAsOf(*store, *live, "account", id,
                                             PointInTime::AtPosition(position)));
      ASSERT_TRUE(doc.has_value()) << id << " as of " << position;
      ASSERT_EQ(doc->ToJson(), json) << id << " as of " << position;
    }
  }
}

}  // namespace
}  // namespace crm::test
