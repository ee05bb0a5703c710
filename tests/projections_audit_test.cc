// The field-level audit trail: old/new values per changed field, oldest first, with the event's
// position, actor and type; --field; derived fields left out; the config-settings stream; errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "projections_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ProjectionsAuditTest : public ProjectionsTest {};

TEST_F(ProjectionsAuditTest, AccountFieldsWithOldAndNewValues) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("phone", "+1 555 0100")
         .S("owner", "moses").S("occurred_at", "2024-01-01T09:00:00Z"));
  Ok(Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "Suspect").S("actor", "moses"));
  Ok(Cmd("UpdateAccount").S("account_id", "A1").S("phone", "+1 555 0199").S("notes", "VIP")
         .S("actor", "moses"));
  Ok(Cmd("UpdateAccount").S("account_id", "A1").Raw("phone", "null").S("actor", "moses"));
  Ok(Cmd("AssignAccount").S("account_id", "A1").S("owner", "anna").S("actor", "dustin"));
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "Deal")
         .I("amount", 100));
  Ok(Cmd("UpdateAccount").S("account_id", "A1").S("debtor_number", "D-1"));
  Ok(Cmd("WinOpportunity").S("opportunity_id", "O1"));
  Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "not a field"));
  Ok(Cmd("RecordAccountRevenue").S("account_id", "A1").I("amount", 5));
  Ok(Cmd("DeactivateAccount").S("account_id", "A1").S("reason", "Gone"));
  Ok(Cmd("ReactivateAccount").S("account_id", "A1"));

  EXPECT_THAT(AuditLines("account-A1"),
              ElementsAre(R"(AccountOpened account_id null->"A1")",
                          R"(AccountOpened name null->"Acme")",
                          R"(AccountOpened type null->"NotValidated")",
                          R"(AccountOpened status null->"Active")",
                          R"(AccountOpened phone null->"+1 555 0100")",
                          R"(AccountOpened owner null->"moses")",
                          R"(AccountOpened opened_at null->"2024-01-01T09:00:00.000000Z")",
                          R"(AccountTypeChanged type "NotValidated"->"Suspect")",
                          R"(AccountUpdated phone "+1 555 0100"->"+1 555 0199")",
                          R"(AccountUpdated notes null->"VIP")",
                          R"(AccountUpdated phone "+1 555 0199"->null)",
                          R"(AccountAssigned owner "moses"->"anna")",
                          R"(AccountTypeChanged type "Suspect"->"Prospect")",
                          R"(AccountUpdated debtor_number null->"D-1")",
                          R"(AccountTypeChanged type "Prospect"->"Customer")",
                          R"(AccountDeactivated status "Active"->"Inactive")",
                          R"(AccountDeactivated deactivation_reason null->"Gone")",
                          R"(AccountReactivated status "Inactive"->"Active")",
                          R"(AccountReactivated deactivation_reason "Gone"->null)"));

  // --field: only that field; each row names the event's position and actor.
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> types, AuditResult("account-A1", "type"));
  ASSERT_EQ(types.size(), 4u);
  EXPECT_THAT(Column(types, "actor"), ElementsAre("admin", "moses", "system", "system"));
  EXPECT_THAT(Column(types, "new"), ElementsAre("NotValidated", "Suspect", "Prospect", "Customer"));
  EXPECT_THAT(Column(types, "old"), ElementsAre("", "NotValidated", "Suspect", "Prospect"));
  EXPECT_THAT(FieldNames(types[0]),
              ElementsAre("position", "recorded_at", "actor", "type", "field", "old", "new"));
  // The positions are those of the events in the log.
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadStream("account-A1", 1, Direction::kForward)));
  std::vector<std::string> type_positions;
  for (const auto& e : log) {
    std::string_view t = e.view().type_name();
    if (t == "AccountOpened" || t == "AccountTypeChanged") {
      type_positions.push_back(std::to_string(e.position));
    }
  }
  EXPECT_EQ(Column(types, "position"), type_positions);

  ASSERT_OK_AND_ASSIGN(std::vector<Doc> owners, AuditResult("account-A1", "owner"));
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[1].ToJson(),
            "{\"position\":" + Tx(owners[1], "position") + ",\"recorded_at\":" +
                J(owners[1], "recorded_at") +
                R"(,"actor":"dustin","type":"AccountAssigned","field":"owner","old":"moses","new":"anna"})");
  EXPECT_THAT(AuditLines("account-A1", "phone"),
              ElementsAre(R"(AccountOpened phone null->"+1 555 0100")",
                          R"(AccountUpdated phone "+1 555 0100"->"+1 555 0199")",
                          R"(AccountUpdated phone "+1 555 0199"->null)"));
  EXPECT_THAT(AuditLines("account-A1", "website"), IsEmpty());
}

TEST_F(ProjectionsAuditTest, DerivedFieldsAreNotChangesOfTheEntity) {
  AddTeam();
  BuildAcme();
  for (const std::string& line : AuditLines("account-A1")) {
    for (const char* derived : {" contacts ", " last_activity_at ", " total_revenue ", " won_amount ",
                                " tickets_open ", " tickets_total ", " invoices ", " quotes "}) {
      EXPECT_THAT(line, Not(HasSubstr(derived))) << line;
    }
  }
  // The ticket's comment counter is derived too: a comment changes no field.
  ASSERT_OK_AND_ASSIGN(auto t2, AuditResult("ticket-T2"));
  for (const auto& d : t2) EXPECT_NE(Tx(d, "type"), "TicketCommented");
}

TEST_F(ProjectionsAuditTest, TicketStatusChanges) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Ok(Cmd("OpenTicket").S("ticket_id", "T1").S("account_id", "A1").S("subject", "Broken")
         .S("priority", "Low").S("actor", "sam"));
  Ok(Cmd("AssignTicket").S("ticket_id", "T1").S("assignee", "sam").S("actor", "sam"));
  Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "InProgress").S("actor", "sam"));
  Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "Pending").S("actor", "sam"));
  Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "InProgress").S("actor", "sam"));
  Ok(Cmd("CommentOnTicket").S("ticket_id", "T1").S("text", "Working on it").S("actor", "sam"));
  Ok(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Fixed").S("actor", "sam"));
  Ok(Cmd("CloseTicket").S("ticket_id", "T1").S("actor", "sam"));
  Ok(Cmd("ReopenTicket").S("ticket_id", "T1").S("reason", "Broken again").S("actor", "sam"));
  EXPECT_THAT(AuditLines("ticket-T1", "status"),
              ElementsAre(R"(TicketOpened status null->"New")",
                          R"(TicketAssigned status "New"->"Assigned")",
                          R"(TicketStatusChanged status "Assigned"->"InProgress")",
                          R"(TicketStatusChanged status "InProgress"->"Pending")",
                          R"(TicketStatusChanged status "Pending"->"InProgress")",
                          R"(TicketResolved status "InProgress"->"Resolved")",
                          R"(TicketClosed status "Resolved"->"Closed")",
                          R"(TicketReopened status "Closed"->"InProgress")"));
  EXPECT_THAT(AuditLines("ticket-T1", "assignee"), ElementsAre(R"(TicketAssigned assignee null->"sam")"));
  EXPECT_THAT(AuditLines("ticket-T1", "resolution"),
              ElementsAre(R"(TicketResolved resolution null->"Fixed")",
                          R"(TicketReopened resolution "Fixed"->null)"));
  ASSERT_OK_AND_ASSIGN(auto statuses, AuditResult("ticket-T1", "status"));
  for (const auto& d : statuses) EXPECT_EQ(J(d, "actor"), R"("sam")");
}

TEST_F(ProjectionsAuditTest, ContactOpportunityAndUser) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Jo").S("last_name", "Li")
         .S("occurred_at", "2024-02-02T00:00:00Z"));
  Ok(Cmd("UpdateContact").S("contact_id", "C1").S("title", "CEO").S("first_name", "Joanna"));
  Ok(Cmd("LinkContact").S("contact_id", "C1").S("account_id", "A1"));
  EXPECT_THAT(AuditLines("contact-C1"),
              ElementsAre(R"(ContactCreated contact_id null->"C1")",
                          R"(ContactCreated first_name null->"Jo")",
                          R"(ContactCreated last_name null->"Li")",
                          R"(ContactCreated created_at null->"2024-02-02T00:00:00.000000Z")",
                          R"(ContactUpdated first_name "Jo"->"Joanna")",
                          R"(ContactUpdated title null->"CEO")",
                          R"(ContactLinked account_id null->"A1")"));
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "Deal")
         .I("amount", 100));
  Ok(Cmd("ChangeOpportunityStage").S("opportunity_id", "O1").S("stage", "Proposal"));
  Ok(Cmd("WinOpportunity").S("opportunity_id", "O1").S("amount", "90.5"));
  EXPECT_THAT(AuditLines("opportunity-O1", "stage"),
              ElementsAre(R"(OpportunityOpened stage null->"Prospecting")",
                          R"(OpportunityStageChanged stage "Prospecting"->"Proposal")",
                          R"(OpportunityWon stage "Proposal"->"ClosedWon")"));
  EXPECT_THAT(AuditLines("opportunity-O1", "probability"),
              ElementsAre("OpportunityOpened probability null->10",
                          "OpportunityStageChanged probability 10->65",
                          "OpportunityWon probability 65->100"));
  EXPECT_THAT(AuditLines("opportunity-O1", "amount"),
              ElementsAre("OpportunityOpened amount null->100", "OpportunityWon amount 100->90.5"));
  Ok(Cmd("ChangeUserRole").S("user_id", "anna").S("role", "manager"));
  EXPECT_THAT(AuditLines("user-anna", "role"),
              ElementsAre(R"(UserCreated role null->"sales")",
                          R"(UserRoleChanged role "sales"->"manager")"));
}

TEST_F(ProjectionsAuditTest, ConfigSettingsStream) {
  auto none = AuditResult("config-settings");
  ASSERT_FALSE(none.ok()) << "no setting was ever changed";
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  SetStrict(false);
  SetStrict(true);
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> rows, AuditResult("config-settings"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(Column(rows, "type"), ElementsAre("SettingChanged", "SettingChanged"));
  EXPECT_THAT(Column(rows, "field"), ElementsAre("rules.strict", "rules.strict"));
  EXPECT_THAT(Column(rows, "new"), ElementsAre("false", "true"));
  EXPECT_EQ(J(rows[1], "old"), R"("false")");
  EXPECT_EQ(J(rows[1], "new"), R"("true")");
  EXPECT_EQ(J(rows[0], "actor"), R"("admin")");
  EXPECT_EQ(J(rows[1], "position"), std::to_string(store_->LastPosition()));
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> filtered, AuditResult("config-settings", "rules.strict"));
  EXPECT_EQ(filtered.size(), 2u);
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> other, AuditResult("config-settings", "other.key"));
  EXPECT_THAT(other, IsEmpty());
}

TEST_F(ProjectionsAuditTest, NotFoundAndInvalidArgument) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  for (const char* stream : {"account-NOPE", "ticket-T404", "user-ghost"}) {
    auto r = AuditResult(stream);
    ASSERT_FALSE(r.ok()) << stream;
    EXPECT_EQ(r.status().code(), Code::kNotFound) << stream << ": " << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(stream));
  }
  for (const char* stream : {"nonsense", "widget-1", "account-", ""}) {
    auto r = AuditResult(stream);
    ASSERT_FALSE(r.ok()) << stream;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << stream << ": " << r.status().ToString();
  }
  // An unknown field: the message lists the entity's own (non-derived) fields.
  auto bad = AuditResult("account-A1", "colour");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("colour"));
  EXPECT_THAT(bad.status().message(), HasSubstr("billing_address"));
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("tickets_open")));
  // A field of another kind is unknown too, even for a missing entity of this kind.
  auto other_kind = AuditResult("ticket-T1", "industry");
  ASSERT_FALSE(other_kind.ok());
  EXPECT_EQ(other_kind.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace crm::test
