// Current state (`get`) of every kind after realistic scenarios, compared as whole JSON lines:
// every seed field and every counter of the account, and each other kind's field table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "projections_test_util.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;

class ProjectionsStateTest : public ProjectionsTest {};

TEST_F(ProjectionsStateTest, AccountAfterARealisticScenarioHasEveryFieldAndCounter) {
  AddTeam();
  BuildAcme();
  // total_revenue = paid invoice I1 (2400) + recorded revenue (150.25); the unpaid I2 does not
  // count. won_amount = O1's final amount (9500, not the expected 10000). Open opportunities: O2;
  // O1 won, O3 lost. Tickets: T1 closed, T2 open. Type: Prospect on the first opportunity, then
  // Customer when O1 was won (the account has a debtor number). last_activity_at: the newest
  // occurred_at among the account's history entries (the UpdateAccount of 03-30).
  EXPECT_EQ(GetJson("account", "A1"),
            R"({"account_id":"A1","name":"Acme Corp","type":"Customer","status":"Active",)"
            R"("industry":"Manufacturing","phone":"+1 555 0199","email":"info@acme.example",)"
            R"("website":"https://acme.example",)"
            R"("billing_address":{"street":"1 Main St","city":"Springfield","state":"IL",)"
            R"("postal_code":"62701","country":"US"},)"
            R"("shipping_address":{"street":null,"city":"Chicago","state":null,)"
            R"("postal_code":null,"country":"US"},)"
            R"("number_of_employees":250,"owner":"moses","parent_account_id":null,)"
            R"("source":"Trade fair","notes":"Key account","debtor_number":"D-100",)"
            R"("creditor_number":null,"deactivation_reason":null,)"
            R"("opened_at":"2024-03-01T09:00:00.000000Z",)"
            R"("last_activity_at":"2024-03-30T09:00:00.000000Z",)"
            R"("total_revenue":2550.25,"won_amount":9500,"contacts":2,)"
            R"("opportunities_open":1,"opportunities_won":1,"opportunities_lost":1,)"
            R"("quotes":1,"orders":1,"invoices":2,"tickets_open":1,"tickets_total":2,)"
            R"("version":6})");

  // The plain-text forms used by tables and CSV.
  auto a1 = Get("account", "A1");
  ASSERT_TRUE(a1.has_value());
  EXPECT_EQ(Tx(*a1, "billing_address"), "1 Main St, Springfield, IL, 62701, US");
  EXPECT_EQ(Tx(*a1, "parent_account_id"), "");
  EXPECT_EQ(Tx(*a1, "total_revenue"), "2550.25");
  EXPECT_EQ(Tx(*a1, "opened_at"), "2024-03-01T09:00:00.000000Z");
}

TEST_F(ProjectionsStateTest, EveryOtherKindAfterTheScenario) {
  AddTeam();
  BuildAcme();
  EXPECT_EQ(GetJson("contact", "C1"),
            R"({"contact_id":"C1","first_name":"Jane","last_name":"Doe",)"
            R"("email":"jane@acme.example","phone":"+1 555 0101","title":"CFO","account_id":"A1",)"
            R"("created_at":"2024-03-01T10:00:00.000000Z","version":1})");
  EXPECT_EQ(GetJson("contact", "C2"),
            R"({"contact_id":"C2","first_name":"John","last_name":"Roe","email":null,)"
            R"("phone":null,"title":null,"account_id":"A1",)"
            R"("created_at":"2024-03-02T09:00:00.000000Z","version":1})");
  EXPECT_EQ(GetJson("opportunity", "O1"),
            R"({"opportunity_id":"O1","account_id":"A1","name":"Big deal","amount":9500,)"
            R"("currency":"USD","stage":"ClosedWon","probability":100,)"
            R"("close_date":"2024-06-30T00:00:00.000000Z","owner":"moses","lead_id":null,)"
            R"("lost_reason":null,"opened_at":"2024-03-03T09:00:00.000000Z",)"
            R"("closed_at":"2024-03-10T09:00:00.000000Z","version":3})");
  EXPECT_EQ(GetJson("opportunity", "O2"),
            R"({"opportunity_id":"O2","account_id":"A1","name":"Small deal","amount":2500.5,)"
            R"("currency":null,"stage":"Qualification","probability":20,"close_date":null,)"
            R"("owner":"anna","lead_id":null,"lost_reason":null,)"
            R"("opened_at":"2024-03-04T09:00:00.000000Z","closed_at":null,"version":1})");
  EXPECT_EQ(GetJson("opportunity", "O3"),
            R"({"opportunity_id":"O3","account_id":"A1","name":"Lost deal","amount":700,)"
            R"("currency":null,"stage":"ClosedLost","probability":0,"close_date":null,)"
            R"("owner":null,"lead_id":null,"lost_reason":"Too expensive",)"
            R"("opened_at":"2024-03-04T10:00:00.000000Z",)"
            R"("closed_at":"2024-03-11T09:00:00.000000Z","version":2})");
  EXPECT_EQ(GetJson("ticket", "T1"),
            R"({"ticket_id":"T1","account_id":"A1","contact_id":"C1","subject":"Printer jams",)"
            R"("description":"Jams on every page","priority":"High","origin":"Email",)"
            R"("status":"Closed","assignee":"sam","resolution":"Replaced the feed roller",)"
            R"("comments":0,"opened_at":"2024-03-23T09:00:00.000000Z",)"
            R"("resolved_at":"2024-03-24T09:00:00.000000Z",)"
            R"("closed_at":"2024-03-25T09:00:00.000000Z","version":5})");
  EXPECT_EQ(GetJson("ticket", "T2"),
            R"({"ticket_id":"T2","account_id":"A1","contact_id":null,"subject":"Login fails",)"
            R"("description":null,"priority":"Normal","origin":null,"status":"New",)"
            R"("assignee":null,"resolution":null,"comments":1,)"
            R"("opened_at":"2024-03-26T09:00:00.000000Z","resolved_at":null,"closed_at":null,)"
            R"("version":2})");
  EXPECT_EQ(GetJson("activity", "ACT1"),
            R"({"activity_id":"ACT1","kind":"Call","subject":"Kick-off call",)"
            R"("status":"Completed","account_id":"A1","contact_id":"C1","lead_id":null,)"
            R"("opportunity_id":null,"ticket_id":null,"due_at":"2024-03-28T00:00:00.000000Z",)"
            R"("outcome":"Agreed on the plan","logged_at":"2024-03-27T09:00:00.000000Z",)"
            R"("done_at":"2024-03-28T09:00:00.000000Z","version":2})");
  EXPECT_EQ(GetJson("quote", "Q1"),
            R"({"quote_id":"Q1","account_id":"A1","opportunity_id":"O2","amount":2400,)"
            R"("status":"Accepted","created_at":"2024-03-12T09:00:00.000000Z","version":2})");
  EXPECT_EQ(GetJson("order", "OR1"),
            R"({"order_id":"OR1","account_id":"A1","quote_id":"Q1","amount":2400,)"
            R"("placed_at":"2024-03-14T09:00:00.000000Z","version":1})");
  EXPECT_EQ(GetJson("invoice", "I1"),
            R"({"invoice_id":"I1","account_id":"A1","order_id":"OR1","amount":2400,)"
            R"("due_date":"2024-04-14T00:00:00.000000Z","status":"Paid",)"
            R"("issued_at":"2024-03-15T09:00:00.000000Z",)"
            R"("paid_at":"2024-03-20T09:00:00.000000Z","version":2})");
  EXPECT_EQ(GetJson("invoice", "I2"),
            R"({"invoice_id":"I2","account_id":"A1","order_id":null,"amount":99.99,)"
            R"("due_date":null,"status":"Issued","issued_at":"2024-03-21T09:00:00.000000Z",)"
            R"("paid_at":null,"version":1})");
}

TEST_F(ProjectionsStateTest, UserAndItsRoleChange) {
  Ok(Cmd("CreateUser").S("user_id", "kim").S("name", "Kim Lee").S("role", "support")
         .S("occurred_at", "2024-01-02T03:04:05Z"));
  EXPECT_EQ(GetJson("user", "kim"),
            R"({"user_id":"kim","name":"Kim Lee","role":"support",)"
            R"("created_at":"2024-01-02T03:04:05.000000Z","version":1})");
  Ok(Cmd("ChangeUserRole").S("user_id", "kim").S("role", "manager"));
  EXPECT_EQ(GetJson("user", "kim"),
            R"({"user_id":"kim","name":"Kim Lee","role":"manager",)"
            R"("created_at":"2024-01-02T03:04:05.000000Z","version":2})");
  EXPECT_EQ(Field("user", "admin", "role"), R"("admin")");
}

TEST_F(ProjectionsStateTest, LeadConvertedIntoANewAccountContactAndOpportunity) {
  AddTeam();
  Ok(Cmd("CreateLead")
         .S("lead_id", "L1")
         .S("first_name", "Ivo")
         .S("last_name", "Brandt")
         .S("company", "Hatfan")
         .S("email", "ivo@hatfan.example")
         .S("phone", "+49 30 1000")
         .S("source", "Web")
         .S("industry", "Services")
         .S("owner", "anna")
         .S("actor", "anna")
         .S("occurred_at", "2024-04-01T09:00:00Z"));
  EXPECT_EQ(GetJson("lead", "L1"),
            R"({"lead_id":"L1","first_name":"Ivo","last_name":"Brandt","company":"Hatfan",)"
            R"("email":"ivo@hatfan.example","phone":"+49 30 1000","source":"Web",)"
            R"("industry":"Services","owner":"anna","status":"New","disqualify_reason":null,)"
            R"("account_id":null,"contact_id":null,"opportunity_id":null,)"
            R"("created_at":"2024-04-01T09:00:00.000000Z","converted_at":null,"version":1})");
  Ok(Cmd("UpdateLead").S("lead_id", "L1").S("phone", "+49 30 2000").S("actor", "anna")
         .S("occurred_at", "2024-04-02T09:00:00Z"));
  Ok(Cmd("QualifyLead").S("lead_id", "L1").S("actor", "anna").S("occurred_at", "2024-04-03T09:00:00Z"));
  Ok(Cmd("ConvertLead")
         .S("lead_id", "L1")
         .S("account_id", "H1")
         .S("contact_id", "HC1")
         .S("opportunity_id", "HO1")
         .S("opportunity_name", "GTX Basic")
         .I("amount", 517)
         .S("actor", "anna")
         .S("occurred_at", "2024-04-04T09:00:00Z"));
  EXPECT_EQ(GetJson("lead", "L1"),
            R"({"lead_id":"L1","first_name":"Ivo","last_name":"Brandt","company":"Hatfan",)"
            R"("email":"ivo@hatfan.example","phone":"+49 30 2000","source":"Web",)"
            R"("industry":"Services","owner":"anna","status":"Converted",)"
            R"("disqualify_reason":null,"account_id":"H1","contact_id":"HC1",)"
            R"("opportunity_id":"HO1","created_at":"2024-04-01T09:00:00.000000Z",)"
            R"("converted_at":"2024-04-04T09:00:00.000000Z","version":4})");
  // The account is created from the lead's company (Prospect: it has an open opportunity).
  EXPECT_EQ(GetJson("account", "H1"),
            R"({"account_id":"H1","name":"Hatfan","type":"Prospect","status":"Active",)"
            R"("industry":"Services","phone":"+49 30 2000","email":"ivo@hatfan.example",)"
            R"("website":null,"billing_address":null,"shipping_address":null,)"
            R"("number_of_employees":null,"owner":"anna","parent_account_id":null,)"
            R"("source":"Web","notes":null,"debtor_number":null,"creditor_number":null,)"
            R"("deactivation_reason":null,"opened_at":"2024-04-04T09:00:00.000000Z",)"
            R"("last_activity_at":"2024-04-04T09:00:00.000000Z","total_revenue":0,)"
            R"("won_amount":0,"contacts":1,"opportunities_open":1,"opportunities_won":0,)"
            R"("opportunities_lost":0,"quotes":0,"orders":0,"invoices":0,"tickets_open":0,)"
            R"("tickets_total":0,"version":2})");
  EXPECT_EQ(GetJson("contact", "HC1"),
            R"({"contact_id":"HC1","first_name":"Ivo","last_name":"Brandt",)"
            R"("email":"ivo@hatfan.example","phone":"+49 30 2000","title":null,)"
            R"("account_id":"H1","created_at":"2024-04-04T09:00:00.000000Z","version":1})");
  EXPECT_EQ(GetJson("opportunity", "HO1"),
            R"({"opportunity_id":"HO1","account_id":"H1","name":"GTX Basic","amount":517,)"
            R"("currency":null,"stage":"Prospecting","probability":10,"close_date":null,)"
            R"("owner":"anna","lead_id":"L1","lost_reason":null,)"
            R"("opened_at":"2024-04-04T09:00:00.000000Z","closed_at":null,"version":1})");
}

TEST_F(ProjectionsStateTest, DisqualifiedLeadKeepsItsReason) {
  Ok(Cmd("CreateLead").S("lead_id", "L2").S("last_name", "Nobody"));
  Ok(Cmd("DisqualifyLead").S("lead_id", "L2").S("reason", "No budget"));
  auto lead = Get("lead", "L2");
  ASSERT_TRUE(lead.has_value());
  EXPECT_EQ(J(*lead, "status"), R"("Disqualified")");
  EXPECT_EQ(J(*lead, "disqualify_reason"), R"("No budget")");
  EXPECT_EQ(J(*lead, "first_name"), "null");
  EXPECT_EQ(J(*lead, "version"), "2");
}

TEST_F(ProjectionsStateTest, StatusOwnerAndFieldChangesOfAnAccount) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("phone", "+1 555 0100").S("notes", "n")
         .I("number_of_employees", 10));
  Ok(Cmd("DeactivateAccount").S("account_id", "A1").S("reason", "Went bust"));
  EXPECT_EQ(Field("account", "A1", "status"), R"("Inactive")");
  EXPECT_EQ(Field("account", "A1", "deactivation_reason"), R"("Went bust")");
  Ok(Cmd("ReactivateAccount").S("account_id", "A1"));
  EXPECT_EQ(Field("account", "A1", "status"), R"("Active")");
  EXPECT_EQ(Field("account", "A1", "deactivation_reason"), "null");
  Ok(Cmd("AssignAccount").S("account_id", "A1").S("owner", "anna"));
  EXPECT_EQ(Field("account", "A1", "owner"), R"("anna")");
  // null clears a field; an address is replaced as a whole.
  Ok(Cmd("UpdateAccount").S("account_id", "A1").Raw("phone", "null").Raw("notes", "null")
         .Raw("number_of_employees", "null").S("name", "Acme Two")
         .Raw("billing_address", R"({"city":"Berlin"})"));
  auto a = Get("account", "A1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(J(*a, "phone"), "null");
  EXPECT_EQ(J(*a, "notes"), "null");
  EXPECT_EQ(J(*a, "number_of_employees"), "null");
  EXPECT_EQ(J(*a, "name"), R"("Acme Two")");
  EXPECT_EQ(J(*a, "billing_address"),
            R"({"street":null,"city":"Berlin","state":null,"postal_code":null,"country":null})");
  EXPECT_EQ(J(*a, "version"), "5");
}

TEST_F(ProjectionsStateTest, CountersFollowRelinksReopensAndRevenue) {
  AddTeam();
  BuildAcme();
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Other"));
  // A contact moved to another account counts there only.
  Ok(Cmd("LinkContact").S("contact_id", "C2").S("account_id", "A2"));
  EXPECT_EQ(Field("account", "A1", "contacts"), "1");
  EXPECT_EQ(Field("account", "A2", "contacts"), "1");
  EXPECT_EQ(Field("contact", "C2", "account_id"), R"("A2")");
  // A reopened ticket is open again; resolving it again closes it for the counter.
  Ok(Cmd("ReopenTicket").S("ticket_id", "T1").S("reason", "Jams again").S("actor", "sam"));
  EXPECT_EQ(Field("account", "A1", "tickets_open"), "2");
  EXPECT_EQ(Field("account", "A1", "tickets_total"), "2");
  EXPECT_EQ(Field("ticket", "T1", "status"), R"("InProgress")");
  EXPECT_EQ(Field("ticket", "T1", "resolution"), "null");
  EXPECT_EQ(Field("ticket", "T1", "resolved_at"), "null");
  EXPECT_EQ(Field("ticket", "T1", "closed_at"), "null");
  Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "Pending").S("actor", "sam"));
  EXPECT_EQ(Field("account", "A1", "tickets_open"), "2");
  Ok(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Cleaned").S("actor", "sam"));
  EXPECT_EQ(Field("account", "A1", "tickets_open"), "1");
  // Paying the second invoice and recording more revenue add up exactly (cents).
  Ok(Cmd("PayInvoice").S("invoice_id", "I2"));
  Ok(Cmd("RecordAccountRevenue").S("account_id", "A1").S("amount", "0.01"));
  EXPECT_EQ(Field("account", "A1", "total_revenue"), "2650.25");
  EXPECT_EQ(Field("account", "A1", "invoices"), "2");
  // A stage change to ClosedWon wins the opportunity like WinOpportunity.
  Ok(Cmd("ChangeOpportunityStage").S("opportunity_id", "O2").S("stage", "ClosedWon"));
  EXPECT_EQ(Field("account", "A1", "opportunities_open"), "0");
  EXPECT_EQ(Field("account", "A1", "opportunities_won"), "2");
  EXPECT_EQ(Field("account", "A1", "won_amount"), "12000.5");
}

TEST_F(ProjectionsStateTest, MissingEntitiesAndUnknownKinds) {
  AddTeam();
  BuildAcme();
  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  for (const char* kind : {"account", "contact", "lead", "opportunity", "ticket", "activity",
                           "quote", "order", "invoice", "user"}) {
    auto doc = reader->Get(kind, "NOPE");
    ASSERT_OK(doc);
    EXPECT_FALSE(doc->has_value()) << kind;
  }
  // An id of another kind is not found under this kind.
  auto wrong_kind = reader->Get("contact", "A1");
  ASSERT_OK(wrong_kind);
  EXPECT_FALSE(wrong_kind->has_value());
  auto bad = reader->Get("widget", "A1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("widget"));
  EXPECT_THAT(bad.status().message(), HasSubstr("account"));
}

TEST_F(ProjectionsStateTest, ReadYourWritesInProcessAndSnapshotsStayPut) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  auto before = Reader();
  ASSERT_NE(before, nullptr);
  const uint64_t at = before->position();
  Ok(Cmd("UpdateAccount").S("account_id", "A1").S("name", "Acme Renamed"));
  // Every append is visible to a reader opened after it returned...
  EXPECT_EQ(Field("account", "A1", "name"), R"("Acme Renamed")");
  // ... and a reader opened before keeps its snapshot.
  auto old = before->Get("account", "A1");
  ASSERT_OK(old);
  ASSERT_TRUE(old->has_value());
  EXPECT_EQ(J(**old, "name"), R"("Acme")");
  EXPECT_EQ(before->position(), at);
  EXPECT_EQ(at + 1, store_->LastPosition());
}

}  // namespace
}  // namespace crm::test
