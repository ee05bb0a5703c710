// `list`: every filter of every kind (case-insensitive equality, case-insensitive name prefix),
// stable id order, limit and after-paging, index entries that follow changes, and the
// InvalidArgument errors for an unknown kind, filter or enum value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "projections_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Ids = std::vector<std::string>;

class ProjectionsListTest : public ProjectionsTest {
 protected:
  // Accounts opened in an order that is not their id order (id order: A1 < A10 < A2 < B2 < C3).
  void BuildDirectory() {
    AddTeam();
    SetStrict(false);
    Ok(Cmd("OpenAccount").S("account_id", "B2").S("name", "Beta Systems").S("account_type", "Customer")
           .S("industry", "Retail").S("owner", "anna"));
    Ok(Cmd("OpenAccount").S("account_id", "A10").S("name", "acme labs").S("account_type", "Prospect")
           .S("industry", "Manufacturing").S("owner", "moses"));
    Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme Corp").S("account_type", "Customer")
           .S("industry", "manufacturing").S("owner", "moses"));
    Ok(Cmd("OpenAccount").S("account_id", "C3").S("name", "Cobalt").S("industry", "Retail")
           .S("owner", "anna"));
    Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Acme Europe").S("account_type", "Supplier")
           .S("creditor_number", "K-1").S("industry", "Retail").S("owner", "dustin"));
    Ok(Cmd("DeactivateAccount").S("account_id", "C3").S("reason", "Closed down"));
  }
};

TEST_F(ProjectionsListTest, AccountsInIdOrderWithEveryFilter) {
  BuildDirectory();
  EXPECT_THAT(ListIds("account"), ElementsAre("A1", "A10", "A2", "B2", "C3"));
  // type: equality, case-insensitive.
  EXPECT_THAT(ListIds("account", {{"type", "Customer"}}), ElementsAre("A1", "B2"));
  EXPECT_THAT(ListIds("account", {{"type", "CUSTOMER"}}), ElementsAre("A1", "B2"));
  EXPECT_THAT(ListIds("account", {{"type", "supplier"}}), ElementsAre("A2"));
  EXPECT_THAT(ListIds("account", {{"type", "NotValidated"}}), ElementsAre("C3"));
  EXPECT_THAT(ListIds("account", {{"type", "Bank"}}), IsEmpty());
  // status.
  EXPECT_THAT(ListIds("account", {{"status", "inactive"}}), ElementsAre("C3"));
  EXPECT_THAT(ListIds("account", {{"status", "Active"}}), ElementsAre("A1", "A10", "A2", "B2"));
  // industry: free text, equality, case-insensitive ("Manufacturing" and "manufacturing").
  EXPECT_THAT(ListIds("account", {{"industry", "MANUFACTURING"}}), ElementsAre("A1", "A10"));
  EXPECT_THAT(ListIds("account", {{"industry", "retail"}}), ElementsAre("A2", "B2", "C3"));
  EXPECT_THAT(ListIds("account", {{"industry", "Retai"}}), IsEmpty()) << "equality, not prefix";
  EXPECT_THAT(ListIds("account", {{"industry", "Nothing"}}), IsEmpty());
  // owner.
  EXPECT_THAT(ListIds("account", {{"owner", "moses"}}), ElementsAre("A1", "A10"));
  EXPECT_THAT(ListIds("account", {{"owner", "Anna"}}), ElementsAre("B2", "C3"));
  // name: case-insensitive prefix of the name, results in id order (not name order).
  EXPECT_THAT(ListIds("account", {{"name", "acme"}}), ElementsAre("A1", "A10", "A2"));
  EXPECT_THAT(ListIds("account", {{"name", "ACME E"}}), ElementsAre("A2"));
  EXPECT_THAT(ListIds("account", {{"name", "acme c"}}), ElementsAre("A1"));
  EXPECT_THAT(ListIds("account", {{"name", "b"}}), ElementsAre("B2"));
  EXPECT_THAT(ListIds("account", {{"name", "Corp"}}), IsEmpty()) << "a prefix, not a substring";
  // Several filters: all must hold.
  EXPECT_THAT(ListIds("account", {{"type", "customer"}, {"industry", "retail"}}), ElementsAre("B2"));
  EXPECT_THAT(ListIds("account", {{"name", "acme"}, {"owner", "moses"}}), ElementsAre("A1", "A10"));
  EXPECT_THAT(ListIds("account", {{"owner", "moses"}, {"name", "acme l"}}), ElementsAre("A10"));
  EXPECT_THAT(ListIds("account", {{"status", "active"}, {"industry", "retail"}, {"owner", "anna"}}),
              ElementsAre("B2"));
}

TEST_F(ProjectionsListTest, LimitAndAfterPageThroughInIdOrder) {
  BuildDirectory();
  EXPECT_THAT(ListIds("account", {}, 2), ElementsAre("A1", "A10"));
  EXPECT_THAT(ListIds("account", {}, 2, "A10"), ElementsAre("A2", "B2"));
  EXPECT_THAT(ListIds("account", {}, 2, "B2"), ElementsAre("C3"));
  EXPECT_THAT(ListIds("account", {}, 2, "C3"), IsEmpty());
  // `after` need not be an existing id.
  EXPECT_THAT(ListIds("account", {}, 0, "A15"), ElementsAre("A2", "B2", "C3"));
  EXPECT_THAT(ListIds("account", {}, 1, "A"), ElementsAre("A1"));
  // Paging with an equality filter and with a name prefix.
  EXPECT_THAT(ListIds("account", {{"industry", "retail"}}, 1), ElementsAre("A2"));
  EXPECT_THAT(ListIds("account", {{"industry", "retail"}}, 1, "A2"), ElementsAre("B2"));
  EXPECT_THAT(ListIds("account", {{"industry", "retail"}}, 5, "B2"), ElementsAre("C3"));
  EXPECT_THAT(ListIds("account", {{"name", "acme"}}, 2), ElementsAre("A1", "A10"));
  EXPECT_THAT(ListIds("account", {{"name", "acme"}}, 2, "A10"), ElementsAre("A2"));
  EXPECT_THAT(ListIds("account", {{"owner", "moses"}}, 0, "A1"), ElementsAre("A10"));

  // Walking every page of size 2 gives the full list exactly once.
  Ids all, page;
  std::string after;
  int pages = 0;
  do {
    page = ListIds("account", {}, 2, after);
    all.insert(all.end(), page.begin(), page.end());
    if (!page.empty()) after = page.back();
    ++pages;
  } while (page.size() == 2 && pages < 10);
  EXPECT_EQ(all, ListIds("account"));
  EXPECT_EQ(pages, 3);
}

TEST_F(ProjectionsListTest, ListedRowsAreTheSameAsGet) {
  BuildDirectory();
  ListQuery q;
  q.kind = "account";
  q.filters = {{"industry", "retail"}};
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> docs, ListResult(q));
  ASSERT_EQ(docs.size(), 3u);
  for (const auto& d : docs) {
    EXPECT_EQ(d.ToJson(), GetJson("account", Tx(d, "account_id")));
  }
  EXPECT_EQ(J(docs[0], "name"), R"("Acme Europe")");
  EXPECT_EQ(J(docs[0], "creditor_number"), R"("K-1")");
  EXPECT_EQ(J(docs[2], "deactivation_reason"), R"("Closed down")");
}

TEST_F(ProjectionsListTest, IndexesFollowChanges) {
  BuildDirectory();
  Ok(Cmd("AssignAccount").S("account_id", "A10").S("owner", "anna"));
  EXPECT_THAT(ListIds("account", {{"owner", "moses"}}), ElementsAre("A1"));
  EXPECT_THAT(ListIds("account", {{"owner", "anna"}}), ElementsAre("A10", "B2", "C3"));
  Ok(Cmd("UpdateAccount").S("account_id", "B2").S("name", "Acme Retail").Raw("industry", "null"));
  EXPECT_THAT(ListIds("account", {{"name", "acme"}}), ElementsAre("A1", "A10", "A2", "B2"));
  EXPECT_THAT(ListIds("account", {{"name", "beta"}}), IsEmpty());
  EXPECT_THAT(ListIds("account", {{"industry", "retail"}}), ElementsAre("A2", "C3"));
  Ok(Cmd("ReactivateAccount").S("account_id", "C3"));
  EXPECT_THAT(ListIds("account", {{"status", "inactive"}}), IsEmpty());
  EXPECT_THAT(ListIds("account", {{"status", "active"}}), ElementsAre("A1", "A10", "A2", "B2", "C3"));
  Ok(Cmd("ChangeAccountType").S("account_id", "A10").S("account_type", "Customer"));
  EXPECT_THAT(ListIds("account", {{"type", "customer"}}), ElementsAre("A1", "A10", "B2"));
  EXPECT_THAT(ListIds("account", {{"type", "prospect"}}), IsEmpty());
}

TEST_F(ProjectionsListTest, OpportunitiesTicketsActivitiesQuotesOrdersInvoices) {
  AddTeam();
  BuildAcme();
  // Opportunities: stage, owner, name.
  EXPECT_THAT(ListIds("opportunity"), ElementsAre("O1", "O2", "O3"));
  EXPECT_THAT(ListIds("opportunity", {{"stage", "closedwon"}}), ElementsAre("O1"));
  EXPECT_THAT(ListIds("opportunity", {{"stage", "ClosedLost"}}), ElementsAre("O3"));
  EXPECT_THAT(ListIds("opportunity", {{"stage", "Qualification"}}), ElementsAre("O2"));
  EXPECT_THAT(ListIds("opportunity", {{"stage", "Prospecting"}}), IsEmpty());
  EXPECT_THAT(ListIds("opportunity", {{"owner", "moses"}}), ElementsAre("O1"));
  EXPECT_THAT(ListIds("opportunity", {{"owner", "anna"}}), ElementsAre("O2"));
  EXPECT_THAT(ListIds("opportunity", {{"name", "SMALL"}}), ElementsAre("O2"));
  // Tickets: status, priority, owner (the assignee), name (the subject).
  EXPECT_THAT(ListIds("ticket"), ElementsAre("T1", "T2"));
  EXPECT_THAT(ListIds("ticket", {{"status", "closed"}}), ElementsAre("T1"));
  EXPECT_THAT(ListIds("ticket", {{"status", "New"}}), ElementsAre("T2"));
  EXPECT_THAT(ListIds("ticket", {{"priority", "HIGH"}}), ElementsAre("T1"));
  EXPECT_THAT(ListIds("ticket", {{"priority", "Normal"}}), ElementsAre("T2"));
  EXPECT_THAT(ListIds("ticket", {{"priority", "Urgent"}}), IsEmpty());
  EXPECT_THAT(ListIds("ticket", {{"owner", "sam"}}), ElementsAre("T1"));
  EXPECT_THAT(ListIds("ticket", {{"name", "login"}}), ElementsAre("T2"));
  // Activities: type (the kind), status, name (the subject).
  Ok(Cmd("LogActivity").S("activity_id", "ACT2").S("kind", "Meeting").S("subject", "Kick-off review")
         .S("opportunity_id", "O2"));
  EXPECT_THAT(ListIds("activity"), ElementsAre("ACT1", "ACT2"));
  EXPECT_THAT(ListIds("activity", {{"type", "call"}}), ElementsAre("ACT1"));
  EXPECT_THAT(ListIds("activity", {{"type", "Meeting"}}), ElementsAre("ACT2"));
  EXPECT_THAT(ListIds("activity", {{"status", "planned"}}), ElementsAre("ACT2"));
  EXPECT_THAT(ListIds("activity", {{"status", "Completed"}}), ElementsAre("ACT1"));
  EXPECT_THAT(ListIds("activity", {{"name", "kick-off"}}), ElementsAre("ACT1", "ACT2"));
  EXPECT_THAT(ListIds("activity", {{"name", "kick-off r"}}), ElementsAre("ACT2"));
  // Quotes and invoices: status. Orders: no filter.
  EXPECT_THAT(ListIds("quote", {{"status", "accepted"}}), ElementsAre("Q1"));
  EXPECT_THAT(ListIds("quote", {{"status", "Open"}}), IsEmpty());
  EXPECT_THAT(ListIds("invoice"), ElementsAre("I1", "I2"));
  EXPECT_THAT(ListIds("invoice", {{"status", "paid"}}), ElementsAre("I1"));
  EXPECT_THAT(ListIds("invoice", {{"status", "ISSUED"}}), ElementsAre("I2"));
  EXPECT_THAT(ListIds("order"), ElementsAre("OR1"));
}

TEST_F(ProjectionsListTest, ContactsLeadsAndUsers) {
  AddTeam();
  BuildAcme();
  // Contacts: name = "first last".
  EXPECT_THAT(ListIds("contact"), ElementsAre("C1", "C2"));
  EXPECT_THAT(ListIds("contact", {{"name", "JANE"}}), ElementsAre("C1"));
  EXPECT_THAT(ListIds("contact", {{"name", "jane d"}}), ElementsAre("C1"));
  EXPECT_THAT(ListIds("contact", {{"name", "doe"}}), IsEmpty());
  // Leads: status, industry, owner, name.
  Ok(Cmd("CreateLead").S("lead_id", "L1").S("first_name", "Ivo").S("last_name", "Brandt")
         .S("company", "Hatfan").S("industry", "Services").S("owner", "anna"));
  Ok(Cmd("CreateLead").S("lead_id", "L2").S("last_name", "Ito").S("industry", "services")
         .S("owner", "moses"));
  Ok(Cmd("CreateLead").S("lead_id", "L3").S("first_name", "Eva").S("last_name", "Ek")
         .S("company", "Ekco"));
  Ok(Cmd("QualifyLead").S("lead_id", "L1"));
  Ok(Cmd("DisqualifyLead").S("lead_id", "L3").S("reason", "Spam"));
  EXPECT_THAT(ListIds("lead"), ElementsAre("L1", "L2", "L3"));
  EXPECT_THAT(ListIds("lead", {{"status", "qualified"}}), ElementsAre("L1"));
  EXPECT_THAT(ListIds("lead", {{"status", "New"}}), ElementsAre("L2"));
  EXPECT_THAT(ListIds("lead", {{"status", "Disqualified"}}), ElementsAre("L3"));
  EXPECT_THAT(ListIds("lead", {{"industry", "SERVICES"}}), ElementsAre("L1", "L2"));
  EXPECT_THAT(ListIds("lead", {{"owner", "moses"}}), ElementsAre("L2"));
  EXPECT_THAT(ListIds("lead", {{"name", "i"}}), ElementsAre("L1", "L2"));
  EXPECT_THAT(ListIds("lead", {{"name", "ivo b"}}), ElementsAre("L1"));
  Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "H1").S("contact_id", "HC1"));
  EXPECT_THAT(ListIds("lead", {{"status", "converted"}}), ElementsAre("L1"));
  EXPECT_THAT(ListIds("lead", {{"status", "qualified"}}), IsEmpty());
  // Users: type (the role), name.
  EXPECT_THAT(ListIds("user"), ElementsAre("admin", "anna", "dustin", "moses", "sam"));
  EXPECT_THAT(ListIds("user", {{"type", "sales"}}), ElementsAre("anna", "moses"));
  EXPECT_THAT(ListIds("user", {{"type", "ADMIN"}}), ElementsAre("admin"));
  EXPECT_THAT(ListIds("user", {{"name", "user m"}}), ElementsAre("moses"));
}

TEST_F(ProjectionsListTest, UnknownKindFilterOrEnumValueIsInvalidArgument) {
  BuildDirectory();
  auto list = [&](std::string kind, std::vector<std::pair<std::string, std::string>> filters) {
    ListQuery q;
    q.kind = std::move(kind);
    q.filters = std::move(filters);
    return ListResult(q);
  };
  auto expect_invalid = [&](Result<std::vector<Doc>> r, std::vector<std::string> mentions) {
    ASSERT_FALSE(r.ok()) << "rows: " << r->size();
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    for (const auto& m : mentions) EXPECT_THAT(r.status().message(), HasSubstr(m));
  };
  expect_invalid(list("widget", {}), {"widget", "account", "invoice", "user"});
  expect_invalid(list("accounts", {}), {"accounts"});
  expect_invalid(list("", {}), {"unknown kind"});
  // A filter the kind does not have: the message lists those it has.
  expect_invalid(list("account", {{"stage", "Proposal"}}),
                 {"stage", "type, status, industry, owner, name"});
  expect_invalid(list("contact", {{"owner", "moses"}}), {"owner", "name"});
  expect_invalid(list("order", {{"status", "Open"}}), {"status", "none"});
  expect_invalid(list("account", {{"bogus", "x"}}), {"bogus"});
  // An enum value that does not exist: the message lists the allowed ones.
  expect_invalid(list("account", {{"type", "Gold"}}), {"Gold", "NotValidated", "Customer", "Bank"});
  expect_invalid(list("account", {{"status", "Dormant"}}), {"Dormant", "Active", "Inactive"});
  expect_invalid(list("opportunity", {{"stage", "Won"}}), {"Won", "ClosedWon"});
  expect_invalid(list("ticket", {{"priority", "Critical"}}), {"Critical", "Urgent"});
  expect_invalid(list("ticket", {{"status", "Open"}}), {"Open", "InProgress"});
  expect_invalid(list("lead", {{"status", "Hot"}}), {"Hot", "Converted"});
  expect_invalid(list("activity", {{"type", "Lunch"}}), {"Lunch", "Meeting"});
  expect_invalid(list("user", {{"type", "boss"}}), {"boss", "viewer"});
  expect_invalid(list("quote", {{"status", "Rejected"}}), {"Rejected", "Accepted"});
  expect_invalid(list("invoice", {{"status", "Overdue"}}), {"Overdue", "Paid"});
  // One bad filter among good ones still fails.
  expect_invalid(list("account", {{"owner", "moses"}, {"type", "Gold"}}), {"Gold"});
}

}  // namespace
}  // namespace crm::test
