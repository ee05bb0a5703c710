// The account activity history: newest first, paging (limit + before), every kind of linked
// entity, exact summaries, links made later (a contact linked after it had activities, a lead
// with activities converted into an account), and the errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "projections_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ProjectionsHistoryTest : public ProjectionsTest {
 protected:
  // "position type stream" of every entry of a history, newest first.
  std::vector<std::string> Entries(std::string_view stream) {
    auto h = HistoryResult(stream);
    EXPECT_TRUE(h.ok()) << stream << ": " << h.status().ToString();
    std::vector<std::string> out;
    if (!h.ok()) return out;
    for (const auto& d : *h) {
      out.push_back(Tx(d, "position") + " " + Tx(d, "type") + " " + Tx(d, "stream"));
    }
    return out;
  }
  static std::vector<uint64_t> Positions(const std::vector<Doc>& docs) {
    std::vector<uint64_t> out;
    for (const auto& d : docs) out.push_back(std::stoull(Tx(d, "position")));
    return out;
  }
};

TEST_F(ProjectionsHistoryTest, EveryLinkedEntityNewestFirstWithExactSummaries) {
  AddTeam();
  BuildAcme();
  EXPECT_THAT(
      Summaries("A1"),
      ElementsAre(
          "Account A1 'Acme Corp' updated by moses (phone)",
          "Account A1 'Acme Corp' note added by moses (Met at the fair)",
          "Call ACT1 'Kick-off call' completed by moses (Agreed on the plan)",
          "Call ACT1 'Kick-off call' logged by moses",
          "Ticket T2 'Login fails' commented by sam (Investigating)",
          "Ticket T2 'Login fails' opened by sam (priority Normal)",
          "Ticket T1 'Printer jams' closed by sam",
          "Ticket T1 'Printer jams' resolved by sam (Replaced the feed roller)",
          "Ticket T1 'Printer jams' moved from Assigned to InProgress by sam",
          "Ticket T1 'Printer jams' assigned to sam by sam",
          "Ticket T1 'Printer jams' opened by sam (priority High)",
          "Account A1 'Acme Corp' revenue of 150.25 recorded by moses (Consulting)",
          "Invoice I2 issued by dustin (99.99)",
          "Invoice I1 paid by dustin (2400)",
          "Invoice I1 issued by dustin (2400)",
          "Order OR1 placed by anna (2400)",
          "Quote Q1 accepted by anna (2400)",
          "Quote Q1 created by anna (2400)",
          "Opportunity O3 'Lost deal' lost by moses (Too expensive)",
          "Opportunity O1 'Big deal' won by moses (9500)",
          "Account A1 'Acme Corp' type changed from Prospect to Customer by system "
          "(opportunity 'O1' won)",
          "Opportunity O1 'Big deal' moved from Prospecting to Negotiation by moses",
          "Opportunity O3 'Lost deal' opened by moses (700, Prospecting)",
          "Opportunity O2 'Small deal' opened by anna (2500.5, Qualification)",
          "Opportunity O1 'Big deal' opened by moses (10000, Prospecting)",
          "Account A1 'Acme Corp' type changed from NotValidated to Prospect by system "
          "(opportunity 'O1' opened)",
          "Contact C2 'John Roe' created by anna",
          "Contact C1 'Jane Doe' created by moses",
          "Account A1 'Acme Corp' opened by moses (type NotValidated)"));

  const std::vector<Doc> h = History("A1");
  ASSERT_EQ(h.size(), 29u);
  // Newest first: strictly decreasing positions, the newest is the last event of the log.
  const std::vector<uint64_t> positions = Positions(h);
  for (size_t i = 1; i < positions.size(); ++i) EXPECT_GT(positions[i - 1], positions[i]);
  EXPECT_EQ(positions.front(), store_->LastPosition());
  EXPECT_EQ(positions.back(), 6u);  // admin and four users come first

  // The shape of an entry.
  EXPECT_THAT(FieldNames(h[0]), ElementsAre("position", "occurred_at", "recorded_at", "actor",
                                            "stream", "type", "summary"));
  EXPECT_EQ(J(h[0], "occurred_at"), R"("2024-03-30T09:00:00.000000Z")");
  EXPECT_TRUE(std::regex_match(Tx(h[0], "recorded_at"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << Tx(h[0], "recorded_at");
  EXPECT_EQ(J(h[0], "actor"), R"("moses")");
  EXPECT_EQ(J(h[0], "stream"), R"("account-A1")");
  EXPECT_EQ(J(h[0], "type"), R"("AccountUpdated")");
  const Doc& closed = h[6];
  EXPECT_EQ(closed.ToJson().substr(0, closed.ToJson().find(",\"occurred_at\"")),
            "{\"position\":" + Tx(closed, "position"));
  EXPECT_EQ(J(closed, "stream"), R"("ticket-T1")");
  EXPECT_EQ(J(closed, "type"), R"("TicketClosed")");
  EXPECT_EQ(J(closed, "occurred_at"), R"("2024-03-25T09:00:00.000000Z")");
  EXPECT_EQ(J(closed, "summary"), R"("Ticket T1 'Printer jams' closed by sam")");
  // The system's own policy events carry actor system.
  EXPECT_EQ(J(h[20], "actor"), R"("system")");
  EXPECT_EQ(J(h[20], "type"), R"("AccountTypeChanged")");
}

TEST_F(ProjectionsHistoryTest, OwnerAndTypeChangesByUsers) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "S1").S("name", "Supply Co").S("creditor_number", "K-9")
         .S("owner", "moses"));
  Ok(Cmd("AssignAccount").S("account_id", "S1").S("owner", "anna").S("actor", "dustin"));
  Ok(Cmd("ChangeAccountType").S("account_id", "S1").S("account_type", "Supplier").S("actor", "dustin"));
  Ok(Cmd("DeactivateAccount").S("account_id", "S1").S("reason", "Paused"));
  Ok(Cmd("ReactivateAccount").S("account_id", "S1"));
  EXPECT_THAT(Summaries("S1"),
              ElementsAre("Account S1 'Supply Co' reactivated by admin",
                          "Account S1 'Supply Co' deactivated by admin (Paused)",
                          "Account S1 'Supply Co' type changed from NotValidated to Supplier by dustin",
                          "Account S1 'Supply Co' assigned to anna by dustin",
                          "Account S1 'Supply Co' opened by admin (type NotValidated)"));
}

TEST_F(ProjectionsHistoryTest, PagingWithLimitAndBefore) {
  AddTeam();
  BuildAcme();
  const std::vector<Doc> all = History("A1");
  ASSERT_EQ(all.size(), 29u);
  const std::vector<uint64_t> all_positions = Positions(all);

  // Pages of 5, each starting before the last position of the previous one.
  std::vector<uint64_t> paged;
  uint64_t before = 0;
  int pages = 0;
  while (pages < 20) {
    std::vector<Doc> page = History("A1", 5, before);
    ++pages;
    EXPECT_LE(page.size(), 5u);
    for (const auto& d : page) paged.push_back(std::stoull(Tx(d, "position")));
    if (page.size() < 5) break;
    before = std::stoull(Tx(page.back(), "position"));
  }
  EXPECT_EQ(paged, all_positions);
  EXPECT_EQ(pages, 6);  // 5+5+5+5+5+4

  // A page's entries are exactly those of the full history below `before`.
  std::vector<Doc> page = History("A1", 3, 20);
  EXPECT_THAT(Positions(page), ElementsAre(19, 18, 17));
  for (const auto& d : page) {
    bool found = false;
    for (const auto& a : all) found = found || a.ToJson() == d.ToJson();
    EXPECT_TRUE(found) << d.ToJson();
  }
  // `before` an entry that is not the account's: the next lower ones.
  EXPECT_THAT(Positions(History("A1", 2, 6 + 3)), ElementsAre(8, 7));
  EXPECT_THAT(Positions(History("A1", 0, 7)), ElementsAre(6));
  EXPECT_THAT(History("A1", 0, 6), IsEmpty());
  EXPECT_THAT(History("A1", 0, 1), IsEmpty());
  EXPECT_EQ(History("A1", 0, 1000000).size(), 29u);
  EXPECT_THAT(Positions(History("A1", 1)), ElementsAre(store_->LastPosition()));
}

TEST_F(ProjectionsHistoryTest, ContactLinkedLaterBringsItsAndItsActivitiesEarlierEntries) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A5").S("name", "Late Inc").S("occurred_at", "2024-05-01T09:00:00Z"));
  Ok(Cmd("CreateContact").S("contact_id", "C5").S("first_name", "Lara").S("last_name", "Late")
         .S("actor", "moses").S("occurred_at", "2024-05-02T09:00:00Z"));
  Ok(Cmd("LogActivity").S("activity_id", "AC5").S("kind", "Email").S("subject", "Intro mail")
         .S("contact_id", "C5").S("actor", "moses").S("occurred_at", "2024-05-03T09:00:00Z"));
  Ok(Cmd("LogActivity").S("activity_id", "AC6").S("kind", "Task").S("subject", "Send brochure")
         .S("contact_id", "C5").S("actor", "moses").S("occurred_at", "2024-05-04T09:00:00Z"));
  Ok(Cmd("CompleteActivity").S("activity_id", "AC5").S("outcome", "Replied").S("actor", "moses")
         .S("occurred_at", "2024-05-05T09:00:00Z"));
  Ok(Cmd("UpdateContact").S("contact_id", "C5").S("title", "CTO").S("actor", "moses")
         .S("occurred_at", "2024-05-06T09:00:00Z"));
  const uint64_t opened = 6, created = 7, logged5 = 8, logged6 = 9, completed5 = 10, updated = 11;

  // Before the link: the contact's history has everything, the account only itself.
  EXPECT_THAT(Entries("contact-C5"),
              ElementsAre(std::to_string(updated) + " ContactUpdated contact-C5",
                          std::to_string(completed5) + " ActivityCompleted activity-AC5",
                          std::to_string(logged6) + " ActivityLogged activity-AC6",
                          std::to_string(logged5) + " ActivityLogged activity-AC5",
                          std::to_string(created) + " ContactCreated contact-C5"));
  EXPECT_THAT(Entries("account-A5"), ElementsAre(std::to_string(opened) + " AccountOpened account-A5"));
  EXPECT_EQ(Field("account", "A5", "contacts"), "0");

  Ok(Cmd("LinkContact").S("contact_id", "C5").S("account_id", "A5").S("actor", "moses")
         .S("occurred_at", "2024-05-07T09:00:00Z"));
  const uint64_t linked = 12;
  EXPECT_THAT(Entries("account-A5"),
              ElementsAre(std::to_string(linked) + " ContactLinked contact-C5",
                          std::to_string(updated) + " ContactUpdated contact-C5",
                          std::to_string(completed5) + " ActivityCompleted activity-AC5",
                          std::to_string(logged6) + " ActivityLogged activity-AC6",
                          std::to_string(logged5) + " ActivityLogged activity-AC5",
                          std::to_string(created) + " ContactCreated contact-C5",
                          std::to_string(opened) + " AccountOpened account-A5"));
  EXPECT_THAT(Summaries("A5"),
              ElementsAre("Contact C5 'Lara Late' linked to account A5 by moses",
                          "Contact C5 'Lara Late' updated by moses (title)",
                          "Email AC5 'Intro mail' completed by moses (Replied)",
                          "Task AC6 'Send brochure' logged by moses",
                          "Email AC5 'Intro mail' logged by moses",
                          "Contact C5 'Lara Late' created by moses",
                          "Account A5 'Late Inc' opened by admin (type NotValidated)"));
  // The backfilled entries are the contact's own, with their original times.
  const std::vector<Doc> h = History("A5");
  ASSERT_EQ(h.size(), 7u);
  EXPECT_EQ(J(h[4], "occurred_at"), R"("2024-05-03T09:00:00.000000Z")");
  EXPECT_EQ(J(h[4], "actor"), R"("moses")");
  EXPECT_EQ(Field("account", "A5", "contacts"), "1");

  // A later event of an activity logged against the contact reaches the account.
  Ok(Cmd("CancelActivity").S("activity_id", "AC6").S("actor", "moses")
         .S("occurred_at", "2024-05-08T09:00:00Z"));
  std::vector<Doc> top = History("A5", 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(J(top[0], "summary"), R"("Task AC6 'Send brochure' canceled by moses")");
  EXPECT_EQ(J(top[0], "stream"), R"("activity-AC6")");
  EXPECT_EQ(J(top[0], "position"), std::to_string(store_->LastPosition()));
  EXPECT_EQ(Field("account", "A5", "last_activity_at"), R"("2024-05-08T09:00:00.000000Z")");
  // So do later events of the contact itself and a ticket raised by it.
  Ok(Cmd("UpdateContact").S("contact_id", "C5").S("phone", "+1 555 0123"));
  EXPECT_EQ(J(History("A5", 1)[0], "type"), R"("ContactUpdated")");
  EXPECT_EQ(History("A5").size(), 9u);
  EXPECT_EQ(Entries("contact-C5").size(), 8u);
}

TEST_F(ProjectionsHistoryTest, ContactMovedToAnotherAccountBringsItsPastAlong) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "One"));
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Two"));
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Mo").S("last_name", "Ver")
         .S("account_id", "A1"));
  Ok(Cmd("LogActivity").S("activity_id", "M1").S("kind", "Meeting").S("subject", "Visit")
         .S("contact_id", "C1"));
  Ok(Cmd("LinkContact").S("contact_id", "C1").S("account_id", "A2"));
  // The old account keeps what happened while the contact was there; the new one gets it too.
  EXPECT_THAT(Entries("account-A1"),
              ElementsAre("10 ContactLinked contact-C1", "9 ActivityLogged activity-M1",
                          "8 ContactCreated contact-C1", "6 AccountOpened account-A1"));
  EXPECT_THAT(Entries("account-A2"),
              ElementsAre("10 ContactLinked contact-C1", "9 ActivityLogged activity-M1",
                          "8 ContactCreated contact-C1", "7 AccountOpened account-A2"));
  EXPECT_EQ(Field("account", "A1", "contacts"), "0");
  EXPECT_EQ(Field("account", "A2", "contacts"), "1");
  // After the move the contact's (and its activities') new events belong to A2 only.
  Ok(Cmd("CompleteActivity").S("activity_id", "M1"));
  EXPECT_EQ(Entries("account-A1").front(), "10 ContactLinked contact-C1");
  EXPECT_EQ(Entries("account-A2").front(), "11 ActivityCompleted activity-M1");
}

TEST_F(ProjectionsHistoryTest, LeadWithActivitiesConvertedIntoAnExistingAccount) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A6").S("name", "Existing Ltd").S("owner", "anna"));
  Ok(Cmd("CreateLead").S("lead_id", "L6").S("first_name", "Pia").S("last_name", "Park")
         .S("company", "ParkCo").S("actor", "anna"));
  Ok(Cmd("LogActivity").S("activity_id", "LA1").S("kind", "Call").S("subject", "Qualifying call")
         .S("lead_id", "L6").S("actor", "anna"));
  Ok(Cmd("LogActivity").S("activity_id", "LA2").S("kind", "Task").S("subject", "Send offer")
         .S("lead_id", "L6").S("actor", "anna"));
  Ok(Cmd("QualifyLead").S("lead_id", "L6").S("actor", "anna"));
  Ok(Cmd("CompleteActivity").S("activity_id", "LA1").S("actor", "anna"));
  EXPECT_THAT(Entries("account-A6"), ElementsAre("6 AccountOpened account-A6"));
  EXPECT_EQ(Entries("lead-L6").size(), 5u);

  Ok(Cmd("ConvertLead").S("lead_id", "L6").S("account_id", "A6").S("contact_id", "PC6")
         .S("opportunity_id", "PO6").I("amount", 1000).S("actor", "anna"));
  const std::vector<Doc> h = History("A6");
  std::vector<std::string> types;
  for (const auto& d : h) types.push_back(Tx(d, "type") + " " + Tx(d, "stream"));
  // Everything the conversion appended (its order within the command is the engine's), then
  // the lead's past, interleaved by position with the account's own entries.
  ASSERT_EQ(h.size(), 10u) << ::testing::PrintToString(types);
  EXPECT_THAT(std::vector<std::string>(types.begin() + 4, types.end()),
              ElementsAre("ActivityCompleted activity-LA1", "LeadQualified lead-L6",
                          "ActivityLogged activity-LA2", "ActivityLogged activity-LA1",
                          "LeadCreated lead-L6", "AccountOpened account-A6"));
  EXPECT_THAT(std::vector<std::string>(types.begin(), types.begin() + 4),
              ::testing::UnorderedElementsAre("LeadConverted lead-L6",
                                              "OpportunityOpened opportunity-PO6",
                                              "ContactCreated contact-PC6",
                                              "AccountTypeChanged account-A6"));
  const std::vector<uint64_t> positions = Positions(h);
  for (size_t i = 1; i < positions.size(); ++i) EXPECT_GT(positions[i - 1], positions[i]);
  EXPECT_THAT(Column(h, "summary"),
              ::testing::Contains("Lead L6 'Pia Park' converted into account A6 by anna"));
  EXPECT_THAT(Column(h, "summary"),
              ::testing::Contains("Lead L6 'Pia Park' created by anna (ParkCo)"));
  EXPECT_THAT(Column(h, "summary"),
              ::testing::Contains("Call LA1 'Qualifying call' logged by anna"));

  // A later event of an activity of the lead shows on the account.
  Ok(Cmd("CompleteActivity").S("activity_id", "LA2").S("outcome", "Sent").S("actor", "anna"));
  std::vector<Doc> top = History("A6", 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(J(top[0], "summary"), R"x("Task LA2 'Send offer' completed by anna (Sent)")x");
  EXPECT_EQ(Field("account", "A6", "contacts"), "1");
  EXPECT_EQ(Field("account", "A6", "opportunities_open"), "1");
}

TEST_F(ProjectionsHistoryTest, LeadConvertedIntoANewAccountBringsItsPast) {
  AddTeam();
  Ok(Cmd("CreateLead").S("lead_id", "L1").S("first_name", "Ivo").S("last_name", "Brandt")
         .S("company", "Hatfan").S("actor", "anna"));
  Ok(Cmd("LogActivity").S("activity_id", "LC").S("kind", "Meeting").S("subject", "Demo")
         .S("lead_id", "L1").S("actor", "anna"));
  Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "H1").S("contact_id", "HC1")
         .S("actor", "anna"));
  std::vector<std::string> entries = Entries("account-H1");
  ASSERT_EQ(entries.size(), 5u) << ::testing::PrintToString(entries);
  EXPECT_EQ(entries[3], "7 ActivityLogged activity-LC");
  EXPECT_EQ(entries[4], "6 LeadCreated lead-L1");
  EXPECT_THAT(std::vector<std::string>(entries.begin(), entries.begin() + 3),
              ::testing::UnorderedElementsAre(
                  ::testing::HasSubstr("LeadConverted lead-L1"),
                  ::testing::HasSubstr("AccountOpened account-H1"),
                  ::testing::HasSubstr("ContactCreated contact-HC1")));
}

// last_activity_at is documented as the occurred_at of the account's newest history entry
// (projections/README.md "Reports", inactive). Entries a late link brings along are history
// entries too: when they are newer than the link itself (an import that records the link with
// an earlier business time), last_activity_at must still be the newest of them.
TEST_F(ProjectionsHistoryTest, LastActivityAtCountsEntriesALateLinkBringsAlong) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A7").S("name", "Imported").S("occurred_at", "2024-01-01T09:00:00Z"));
  Ok(Cmd("CreateContact").S("contact_id", "C7").S("first_name", "Ines").S("last_name", "Port")
         .S("occurred_at", "2024-06-01T09:00:00Z"));
  Ok(Cmd("LogActivity").S("activity_id", "AC7").S("kind", "Call").S("subject", "Follow-up")
         .S("contact_id", "C7").S("occurred_at", "2024-06-10T09:00:00Z"));
  Ok(Cmd("LinkContact").S("contact_id", "C7").S("account_id", "A7")
         .S("occurred_at", "2024-02-01T09:00:00Z"));
  const std::vector<Doc> h = History("A7");
  ASSERT_EQ(h.size(), 4u);
  std::string newest;
  for (const auto& d : h) newest = std::max(newest, Tx(d, "occurred_at"));
  EXPECT_EQ(newest, "2024-06-10T09:00:00.000000Z");
  EXPECT_EQ(Field("account", "A7", "last_activity_at"), "\"" + newest + "\"")
      << "the account's history holds an entry of " << newest;
  // And so the account is not inactive 10 days after that entry.
  ReportOptions o;
  o.days = 30;
  o.now_us = Us("2024-06-20T09:00:00Z");
  EXPECT_THAT(ReportJson("inactive", o), IsEmpty());
}

// Summaries stay one short line: details are cut at 80 bytes, names at 60, never inside a UTF-8
// character, with "…" where cut.
TEST_F(ProjectionsHistoryTest, LongTextsAreClippedAtCharacterBoundaries) {
  std::string name = "N";
  for (int i = 0; i < 35; ++i) name += "ö";  // 71 bytes: clipped at 60 -> "N" + 29 x "ö"
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", name));
  std::string text = "a";
  for (int i = 0; i < 50; ++i) text += "é";  // 101 bytes: byte 80 is inside the 40th "é"
  Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", text));
  std::string clipped_name = "N", clipped_text = "a";
  for (int i = 0; i < 29; ++i) clipped_name += "ö";
  for (int i = 0; i < 39; ++i) clipped_text += "é";
  EXPECT_THAT(Summaries("A1"),
              ElementsAre("Account A1 '" + clipped_name + "…' note added by admin (" + clipped_text + "…)",
                          "Account A1 '" + clipped_name + "…' opened by admin (type NotValidated)"));
  EXPECT_EQ(Field("account", "A1", "name"), "\"" + name + "\"") << "the state keeps the whole name";
}

// A command repeated with the same command_id appends nothing, so the projections do not count
// it twice.
TEST_F(ProjectionsHistoryTest, RepeatedCommandIdsChangeNothing) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("command_id", "c-1"));
  const std::string revenue =
      Cmd("RecordAccountRevenue").S("account_id", "A1").I("amount", 10).S("command_id", "c-2");
  Ok(revenue);
  Ok(revenue);
  Ok(revenue);
  EXPECT_EQ(Field("account", "A1", "total_revenue"), "10");
  EXPECT_EQ(History("A1").size(), 2u);
  EXPECT_EQ(Field("account", "A1", "version"), "2");
}

// HistoryEntries is History unrendered: the same entries, pages and errors; each entry's
// AppendJson is its Doc's JSON byte for byte, escapes included.
TEST_F(ProjectionsHistoryTest, EntriesArePagesOfHistoryUnrendered) {
  AddTeam();
  BuildAcme();
  Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "Quote \"x\" \\ tab\t line\n ü € 🙂"));
  auto reader = Reader();
  for (auto [limit, before] : std::vector<std::pair<size_t, uint64_t>>{
           {0, 0}, {1, 0}, {5, 0}, {5, 20}, {3, 2}, {0, 1}, {0, 1000000}}) {
    SCOPED_TRACE(::testing::Message() << "limit " << limit << " before " << before);
    auto page = reader->HistoryEntries("account-A1", limit, before);
    auto docs = reader->History("account-A1", limit, before);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    ASSERT_EQ(page->size(), docs->size());
    for (size_t i = 0; i < page->size(); ++i) {
      const HistoryPage::Entry& e = (*page)[i];
      EXPECT_EQ(std::to_string(e.position), Tx((*docs)[i], "position"));
      EXPECT_EQ(e.summary, Tx((*docs)[i], "summary"));
      std::string json;
      HistoryPage::AppendJson(e, &json);
      EXPECT_EQ(json, (*docs)[i].ToJson());
      EXPECT_EQ(HistoryPage::ToDoc(e).ToJson(), (*docs)[i].ToJson());
    }
  }
  auto all = reader->HistoryEntries("account-A1", 0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 30u);
  EXPECT_EQ((*all)[0].type, "AccountNoteAdded");
  EXPECT_EQ((*all)[0].stream, "account-A1");
  EXPECT_EQ((*all)[0].actor, "admin");
  std::string json;
  HistoryPage::AppendJson((*all)[0], &json);
  EXPECT_THAT(json, HasSubstr(R"(\"x\" \\ tab\t line\n ü € 🙂)"));
  // The views stay valid when the page moves.
  HistoryPage moved = std::move(all).value();
  EXPECT_EQ(moved[moved.size() - 1].summary, "Account A1 'Acme Corp' opened by moses (type NotValidated)");

  auto missing = reader->HistoryEntries("account-NOPE", 10, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  auto ticket = reader->HistoryEntries("ticket-T1", 10, 0);
  ASSERT_FALSE(ticket.ok());
  EXPECT_EQ(ticket.status().code(), Code::kInvalidArgument);
}

TEST_F(ProjectionsHistoryTest, MissingAccountAndStreamsWithoutHistory) {
  AddTeam();
  BuildAcme();
  auto missing = HistoryResult("account-NOPE");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("account-NOPE"));
  auto missing_contact = HistoryResult("contact-NOPE");
  ASSERT_FALSE(missing_contact.ok());
  EXPECT_EQ(missing_contact.status().code(), Code::kNotFound);
  for (const char* stream : {"opportunity-O1", "ticket-T1", "config-settings", "nonsense", "account-"}) {
    auto r = HistoryResult(stream);
    ASSERT_FALSE(r.ok()) << stream;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << stream << ": " << r.status().ToString();
  }
  // A contact keeps a history of its own.
  EXPECT_THAT(Entries("contact-C1"),
              ElementsAre("32 ActivityCompleted activity-ACT1", "31 ActivityLogged activity-ACT1",
                          "28 TicketClosed ticket-T1", "27 TicketResolved ticket-T1",
                          "26 TicketStatusChanged ticket-T1", "25 TicketAssigned ticket-T1",
                          "24 TicketOpened ticket-T1", "7 ContactCreated contact-C1"));
}

}  // namespace
}  // namespace crm::test
