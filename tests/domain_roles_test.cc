// Role checks (SPEC §2): viewer nothing; support tickets, activities, contacts; sales accounts,
// contacts, leads, opportunities, activities, quotes, orders; manager and admin everything; only
// an admin grants the admin role. Every command type is run by every role on fresh state that lets
// it succeed, so "allowed" means it really succeeds.
#include <map>
#include <set>

#include "domain_test_util.h"

namespace crm::test {
namespace {

// What each role may run, written out from SPEC §2 (users and settings: manager and admin).
enum class Area { kAccount, kContact, kLead, kOpportunity, kTicket, kActivity, kQuote, kOrder,
                  kInvoice, kUser, kSetting };

bool Allowed(const std::string& role, Area area) {
  if (role == "admin" || role == "manager") return true;
  if (role == "support") {
    return area == Area::kTicket || area == Area::kActivity || area == Area::kContact;
  }
  if (role == "sales") {
    return area == Area::kAccount || area == Area::kContact || area == Area::kLead ||
           area == Area::kOpportunity || area == Area::kActivity || area == Area::kQuote ||
           area == Area::kOrder;
  }
  return false;  // viewer
}

struct Case {
  const char* name;
  Area area;
  // The command, for ids made unique by suffix `x`.
  std::string (*line)(const std::string& x);
};

// State every case starts from (run by admin), per suffix x: accounts A (debtor number), B and
// inactive D; contact C on A; lead L with a company; opportunity O on A; tickets T (New),
// TA (Assigned), TP (InProgress), TR (Resolved); activity V; quote Q (open); invoice I; user U.
std::vector<std::string> BaseState(const std::string& x) {
  auto ticket = [&](const std::string& id) {
    return Cmd("OpenTicket").S("ticket_id", id + x).S("account_id", "A" + x).S("subject", "S")
        .S("priority", "Normal").str();
  };
  return {
      Cmd("OpenAccount").S("account_id", "A" + x).S("name", "A").S("debtor_number", "D1"),
      Cmd("OpenAccount").S("account_id", "B" + x).S("name", "B"),
      Cmd("OpenAccount").S("account_id", "D" + x).S("name", "D"),
      Cmd("DeactivateAccount").S("account_id", "D" + x),
      Cmd("CreateContact").S("contact_id", "C" + x).S("first_name", "F").S("last_name", "L")
          .S("account_id", "A" + x),
      Cmd("CreateLead").S("lead_id", "L" + x).S("last_name", "L").S("company", "Co"),
      Cmd("OpenOpportunity").S("opportunity_id", "O" + x).S("account_id", "A" + x).S("name", "O")
          .Raw("amount", "10"),
      ticket("T"), ticket("TA"), ticket("TP"), ticket("TR"),
      Cmd("AssignTicket").S("ticket_id", "TA" + x).S("assignee", "admin"),
      Cmd("AssignTicket").S("ticket_id", "TP" + x).S("assignee", "admin"),
      Cmd("ChangeTicketStatus").S("ticket_id", "TP" + x).S("status", "InProgress"),
      Cmd("AssignTicket").S("ticket_id", "TR" + x).S("assignee", "admin"),
      Cmd("ChangeTicketStatus").S("ticket_id", "TR" + x).S("status", "InProgress"),
      Cmd("ResolveTicket").S("ticket_id", "TR" + x).S("resolution", "Done"),
      Cmd("LogActivity").S("activity_id", "V" + x).S("kind", "Task").S("subject", "S"),
      Cmd("CreateQuote").S("quote_id", "Q" + x).S("account_id", "A" + x).Raw("amount", "5"),
      Cmd("IssueInvoice").S("invoice_id", "I" + x).S("account_id", "A" + x).Raw("amount", "5"),
      Cmd("CreateUser").S("user_id", "U" + x).S("name", "U").S("role", "viewer"),
  };
}

const std::vector<Case>& Cases() {
  using X = const std::string&;
  static const std::vector<Case> cases = {
      {"OpenAccount", Area::kAccount,
       [](X x) { return Cmd("OpenAccount").S("account_id", "N" + x).S("name", "N").str(); }},
      {"UpdateAccount", Area::kAccount,
       [](X x) { return Cmd("UpdateAccount").S("account_id", "A" + x).S("name", "N").str(); }},
      {"ChangeAccountType", Area::kAccount,
       [](X x) {
         return Cmd("ChangeAccountType").S("account_id", "A" + x).S("account_type", "Reseller")
             .str();
       }},
      {"DeactivateAccount", Area::kAccount,
       [](X x) { return Cmd("DeactivateAccount").S("account_id", "A" + x).str(); }},
      {"ReactivateAccount", Area::kAccount,
       [](X x) { return Cmd("ReactivateAccount").S("account_id", "D" + x).str(); }},
      {"AssignAccount", Area::kAccount,
       [](X x) { return Cmd("AssignAccount").S("account_id", "A" + x).S("owner", "admin").str(); }},
      {"AddAccountNote", Area::kAccount,
       [](X x) { return Cmd("AddAccountNote").S("account_id", "A" + x).S("text", "t").str(); }},
      {"RecordAccountRevenue", Area::kAccount,
       [](X x) {
         return Cmd("RecordAccountRevenue").S("account_id", "A" + x).Raw("amount", "1").str();
       }},
      {"CreateContact", Area::kContact,
       [](X x) {
         return Cmd("CreateContact").S("contact_id", "N" + x).S("first_name", "F")
             .S("last_name", "L").S("account_id", "A" + x).str();
       }},
      {"UpdateContact", Area::kContact,
       [](X x) { return Cmd("UpdateContact").S("contact_id", "C" + x).S("title", "CEO").str(); }},
      {"LinkContact", Area::kContact,
       [](X x) {
         return Cmd("LinkContact").S("contact_id", "C" + x).S("account_id", "B" + x).str();
       }},
      {"CreateLead", Area::kLead,
       [](X x) { return Cmd("CreateLead").S("lead_id", "N" + x).S("last_name", "L").str(); }},
      {"UpdateLead", Area::kLead,
       [](X x) { return Cmd("UpdateLead").S("lead_id", "L" + x).S("email", "a@b.example").str(); }},
      {"QualifyLead", Area::kLead,
       [](X x) { return Cmd("QualifyLead").S("lead_id", "L" + x).str(); }},
      {"DisqualifyLead", Area::kLead,
       [](X x) { return Cmd("DisqualifyLead").S("lead_id", "L" + x).S("reason", "r").str(); }},
      {"ConvertLead", Area::kLead,
       [](X x) {
         return Cmd("ConvertLead").S("lead_id", "L" + x).S("account_id", "NA" + x)
             .S("contact_id", "NC" + x).str();
       }},
      {"OpenOpportunity", Area::kOpportunity,
       [](X x) {
         return Cmd("OpenOpportunity").S("opportunity_id", "N" + x).S("account_id", "A" + x)
             .S("name", "O").Raw("amount", "1").str();
       }},
      {"ChangeOpportunityStage", Area::kOpportunity,
       [](X x) {
         return Cmd("ChangeOpportunityStage").S("opportunity_id", "O" + x).S("stage", "Proposal")
             .str();
       }},
      {"WinOpportunity", Area::kOpportunity,
       [](X x) { return Cmd("WinOpportunity").S("opportunity_id", "O" + x).str(); }},
      {"LoseOpportunity", Area::kOpportunity,
       [](X x) { return Cmd("LoseOpportunity").S("opportunity_id", "O" + x).str(); }},
      {"OpenTicket", Area::kTicket,
       [](X x) {
         return Cmd("OpenTicket").S("ticket_id", "N" + x).S("account_id", "A" + x)
             .S("subject", "S").S("priority", "High").str();
       }},
      {"AssignTicket", Area::kTicket,
       [](X x) { return Cmd("AssignTicket").S("ticket_id", "T" + x).S("assignee", "admin").str(); }},
      {"ChangeTicketStatus", Area::kTicket,
       [](X x) {
         return Cmd("ChangeTicketStatus").S("ticket_id", "TA" + x).S("status", "InProgress").str();
       }},
      {"ResolveTicket", Area::kTicket,
       [](X x) {
         return Cmd("ResolveTicket").S("ticket_id", "TP" + x).S("resolution", "r").str();
       }},
      {"CloseTicket", Area::kTicket,
       [](X x) { return Cmd("CloseTicket").S("ticket_id", "TR" + x).str(); }},
      {"ReopenTicket", Area::kTicket,
       [](X x) { return Cmd("ReopenTicket").S("ticket_id", "TR" + x).str(); }},
      {"CommentOnTicket", Area::kTicket,
       [](X x) { return Cmd("CommentOnTicket").S("ticket_id", "T" + x).S("text", "t").str(); }},
      {"LogActivity", Area::kActivity,
       [](X x) {
         return Cmd("LogActivity").S("activity_id", "N" + x).S("kind", "Meeting")
             .S("subject", "S").S("account_id", "A" + x).str();
       }},
      {"CompleteActivity", Area::kActivity,
       [](X x) { return Cmd("CompleteActivity").S("activity_id", "V" + x).str(); }},
      {"CancelActivity", Area::kActivity,
       [](X x) { return Cmd("CancelActivity").S("activity_id", "V" + x).str(); }},
      {"CreateQuote", Area::kQuote,
       [](X x) {
         return Cmd("CreateQuote").S("quote_id", "N" + x).S("account_id", "A" + x)
             .Raw("amount", "3").str();
       }},
      {"AcceptQuote", Area::kQuote,
       [](X x) { return Cmd("AcceptQuote").S("quote_id", "Q" + x).str(); }},
      {"PlaceOrder", Area::kOrder,
       [](X x) {
         return Cmd("PlaceOrder").S("order_id", "N" + x).S("account_id", "A" + x)
             .Raw("amount", "3").str();
       }},
      {"IssueInvoice", Area::kInvoice,
       [](X x) {
         return Cmd("IssueInvoice").S("invoice_id", "N" + x).S("account_id", "A" + x)
             .Raw("amount", "3").str();
       }},
      {"PayInvoice", Area::kInvoice,
       [](X x) { return Cmd("PayInvoice").S("invoice_id", "I" + x).str(); }},
      {"CreateUser", Area::kUser,
       [](X x) {
         return Cmd("CreateUser").S("user_id", "N" + x).S("name", "N").S("role", "sales").str();
       }},
      {"ChangeUserRole", Area::kUser,
       [](X x) { return Cmd("ChangeUserRole").S("user_id", "U" + x).S("role", "support").str(); }},
      {"SetSetting", Area::kSetting,
       [](X) {
         // Flips the setting; the case puts it back.
         return Cmd("SetSetting").S("key", "rules.strict").S("value", "false").str();
       }},
  };
  return cases;
}

class DomainRolesTest : public DomainTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(DomainRolesTest, EachCommandTypeIsAllowedOrForbidden) {
  const std::string role = GetParam();
  AddUser("who", role);
  std::set<std::string> names;
  int n = 0;
  for (const Case& c : Cases()) {
    names.insert(c.name);
    const std::string x = "-" + std::to_string(n++);
    for (const std::string& line : BaseState(x)) ASSERT_TRUE(Ok(line).ok) << c.name << ": " << line;
    const bool allowed = Allowed(role, c.area);
    const uint64_t before = Last();
    Outcome r = Run(Cmd("AddAccountNote").S("account_id", "A" + x).S("text", "marker"));
    ASSERT_TRUE(r.ok);
    Outcome out = Run(std::string(c.line(x)).insert(1, "\"actor\":\"who\","));
    if (allowed) {
      EXPECT_EQ(out.code, "OK") << role << " may run " << c.name << ": " << out.line;
      if (out.ok && c.area != Area::kSetting) {
        EXPECT_TRUE(out.has_position) << out.line;
      }
    } else {
      EXPECT_EQ(out.code, "FORBIDDEN") << role << " may not run " << c.name << ": " << out.line;
      EXPECT_EQ(Last(), before + 1) << "a forbidden command appended";
    }
    if (c.area == Area::kSetting && out.ok) SetStrict(true);
  }
  EXPECT_EQ(names.size(), 38u) << "every command type has a case";
}

INSTANTIATE_TEST_SUITE_P(Roles, DomainRolesTest,
                         ::testing::Values("viewer", "support", "sales", "manager", "admin"),
                         [](const auto& info) { return std::string(info.param); });

using DomainGrantTest = DomainTest;

TEST_F(DomainGrantTest, OnlyAnAdminGrantsTheAdminRole) {
  AddUser("max", "manager");
  AddUser("sam", "sales");
  Rejected(Cmd("CreateUser").S("user_id", "boss").S("name", "B").S("role", "admin")
               .S("actor", "max"),
           "FORBIDDEN");
  Rejected(Cmd("ChangeUserRole").S("user_id", "sam").S("role", "admin").S("actor", "max"),
           "FORBIDDEN");
  Rejected(Cmd("ChangeUserRole").S("user_id", "max").S("role", "admin").S("actor", "max"),
           "FORBIDDEN");
  // A manager manages the non-admin roles.
  ExpectAppended(Ok(Cmd("CreateUser").S("user_id", "m2").S("name", "M").S("role", "manager")
                        .S("actor", "max")),
                 {"UserCreated"});
  ExpectAppended(Ok(Cmd("ChangeUserRole").S("user_id", "sam").S("role", "support")
                        .S("actor", "max")),
                 {"UserRoleChanged"});
  // The admin grants it.
  ExpectAppended(Ok(Cmd("CreateUser").S("user_id", "boss").S("name", "B").S("role", "admin")),
                 {"UserCreated"});
  ExpectAppended(Ok(Cmd("ChangeUserRole").S("user_id", "sam").S("role", "admin")),
                 {"UserRoleChanged"});
  // And a manager cannot demote an admin either.
  Rejected(Cmd("ChangeUserRole").S("user_id", "boss").S("role", "viewer").S("actor", "max"),
           "FORBIDDEN");
  // The new admin has every right.
  ExpectAppended(Ok(Cmd("CreateUser").S("user_id", "boss2").S("name", "B").S("role", "admin")
                        .S("actor", "sam")),
                 {"UserCreated"});
}

TEST_F(DomainGrantTest, ARoleChangeTakesEffectForTheNextCommand) {
  AddUser("vic", "viewer");
  Rejected(Cmd("OpenAccount").S("account_id", "A1").S("name", "x").S("actor", "vic"), "FORBIDDEN");
  Ok(Cmd("ChangeUserRole").S("user_id", "vic").S("role", "sales"));
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "x").S("actor", "vic"));
  Ok(Cmd("ChangeUserRole").S("user_id", "vic").S("role", "viewer"));
  Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x").S("actor", "vic"),
           "FORBIDDEN");
}

}  // namespace
}  // namespace crm::test
