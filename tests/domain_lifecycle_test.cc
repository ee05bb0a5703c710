// Every lifecycle's refused transitions (SPEC §2): opportunity stages only move forward and a
// closed opportunity accepts no change; tickets New -> Assigned -> InProgress <-> Pending ->
// Resolved -> Closed, reopened from Resolved/Closed, resolved only with a resolution; activities
// complete or cancel once; quotes are accepted once; orders need an accepted quote; invoices are
// paid once; amounts are positive.
#include <array>

#include "domain_test_util.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;

constexpr std::array<const char*, 7> kStages = {"Prospecting", "Qualification", "NeedsAnalysis",
                                                "Proposal",    "Negotiation",   "ClosedWon",
                                                "ClosedLost"};

class LifecycleTest : public DomainTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DomainTest::SetUp());
    AddUser("sue", "support");
    Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("account_type", "Associate"));
    Ok(Cmd("OpenAccount").S("account_id", "B1").S("name", "Beta").S("account_type", "Associate"));
  }
  void OpenOpportunity(const std::string& id, const std::string& stage) {
    Ok(Cmd("OpenOpportunity").S("opportunity_id", id).S("account_id", "A1").S("name", "O")
           .Raw("amount", "10").S("stage", stage));
  }
  // A ticket on A1 brought to `status` through the allowed path.
  void Ticket(const std::string& id, const std::string& status) {
    Ok(Cmd("OpenTicket").S("ticket_id", id).S("account_id", "A1").S("subject", "S")
           .S("priority", "Normal"));
    if (status == "New") return;
    Ok(Cmd("AssignTicket").S("ticket_id", id).S("assignee", "sue"));
    if (status == "Assigned") return;
    Ok(Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "InProgress"));
    if (status == "InProgress") return;
    if (status == "Pending") {
      Ok(Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "Pending"));
      return;
    }
    Ok(Cmd("ResolveTicket").S("ticket_id", id).S("resolution", "Done"));
    if (status == "Resolved") return;
    Ok(Cmd("CloseTicket").S("ticket_id", id));
  }
};

TEST_F(LifecycleTest, OpportunityStagesOnlyMoveForward) {
  // Every (from, to) pair of the open stages: forward succeeds, same or backward is refused.
  for (size_t from = 0; from < 5; ++from) {
    for (size_t to = 0; to < 5; ++to) {
      const std::string id = "O" + std::to_string(from) + std::to_string(to);
      OpenOpportunity(id, kStages[from]);
      const std::string line =
          Cmd("ChangeOpportunityStage").S("opportunity_id", id).S("stage", kStages[to]);
      if (to > from) {
        auto events = ExpectAppended(Ok(line), {"OpportunityStageChanged"});
        ASSERT_EQ(events.size(), 1u);
        EXPECT_EQ(Data<fb::OpportunityStageChanged>(events[0])->to(),
                  static_cast<fb::OpportunityStage>(to));
      } else {
        Outcome r = Rejected(line, "RULE_VIOLATION");
        EXPECT_THAT(r.message, HasSubstr("forward")) << kStages[from] << " -> " << kStages[to];
      }
    }
  }
}

TEST_F(LifecycleTest, ChangingTheStageToClosedClosesTheOpportunity) {
  OpenOpportunity("O1", "Proposal");
  ExpectAppended(Ok(Cmd("ChangeOpportunityStage").S("opportunity_id", "O1").S("stage", "ClosedWon")),
                 {"OpportunityWon"});
  OpenOpportunity("O2", "Proposal");
  ExpectAppended(
      Ok(Cmd("ChangeOpportunityStage").S("opportunity_id", "O2").S("stage", "ClosedLost")),
      {"OpportunityLost"});
}

TEST_F(LifecycleTest, ClosedOpportunityAcceptsNoChange) {
  OpenOpportunity("W", "Negotiation");
  Ok(Cmd("WinOpportunity").S("opportunity_id", "W"));
  OpenOpportunity("L", "Qualification");
  Ok(Cmd("LoseOpportunity").S("opportunity_id", "L"));
  for (const char* id : {"W", "L"}) {
    for (const char* stage : kStages) {
      Rejected(Cmd("ChangeOpportunityStage").S("opportunity_id", id).S("stage", stage),
               "RULE_VIOLATION");
    }
    Rejected(Cmd("WinOpportunity").S("opportunity_id", id), "RULE_VIOLATION");
    Rejected(Cmd("LoseOpportunity").S("opportunity_id", id), "RULE_VIOLATION");
  }
  // An opportunity opens in an open stage (closing it is WinOpportunity's or LoseOpportunity's).
  for (const char* closed : {"ClosedWon", "ClosedLost"}) {
    Rejected(Cmd("OpenOpportunity").S("opportunity_id", "C").S("account_id", "A1").S("name", "O")
                 .Raw("amount", "10").S("stage", closed),
             "RULE_VIOLATION");
  }
}

TEST_F(LifecycleTest, OpportunityOnAnInactiveAccountIsRefused) {
  Ok(Cmd("DeactivateAccount").S("account_id", "B1"));
  Rejected(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "B1").S("name", "O")
               .Raw("amount", "1"),
           "RULE_VIOLATION");
}

// The ticket state machine as a table: status x command -> expected code.
TEST_F(LifecycleTest, TicketTransitions) {
  const std::vector<std::string> statuses = {"New",     "Assigned", "InProgress",
                                             "Pending", "Resolved", "Closed"};
  struct Move {
    const char* name;
    std::string (*line)(const std::string& id);
    std::vector<std::string> allowed_from;  // statuses where it succeeds
  };
  const std::vector<Move> moves = {
      {"-> Assigned", [](const std::string& id) {
         return Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "Assigned").str(); },
       {}},  // assigning is AssignTicket's job
      {"-> InProgress", [](const std::string& id) {
         return Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "InProgress").str(); },
       {"Assigned", "Pending"}},
      {"-> Pending", [](const std::string& id) {
         return Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "Pending").str(); },
       {"InProgress"}},
      {"-> New", [](const std::string& id) {
         return Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "New").str(); },
       {}},
      {"-> Resolved (no resolution)", [](const std::string& id) {
         return Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "Resolved").str(); },
       {}},
      {"-> Closed", [](const std::string& id) {
         return Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "Closed").str(); },
       {"Resolved"}},
      {"ResolveTicket", [](const std::string& id) {
         return Cmd("ResolveTicket").S("ticket_id", id).S("resolution", "Fixed").str(); },
       {"InProgress", "Pending"}},
      {"CloseTicket", [](const std::string& id) {
         return Cmd("CloseTicket").S("ticket_id", id).str(); },
       {"Resolved"}},
      {"ReopenTicket", [](const std::string& id) {
         return Cmd("ReopenTicket").S("ticket_id", id).S("reason", "Back").str(); },
       {"Resolved", "Closed"}},
      {"AssignTicket", [](const std::string& id) {
         return Cmd("AssignTicket").S("ticket_id", id).S("assignee", "admin").str(); },
       {"New", "Assigned", "InProgress", "Pending"}},
      {"CommentOnTicket", [](const std::string& id) {
         return Cmd("CommentOnTicket").S("ticket_id", id).S("text", "hi").str(); },
       {"New", "Assigned", "InProgress", "Pending", "Resolved", "Closed"}},
  };
  int n = 0;
  for (const std::string& status : statuses) {
    for (const Move& m : moves) {
      const std::string id = "T" + std::to_string(n++);
      ASSERT_NO_FATAL_FAILURE(Ticket(id, status));
      const bool allowed = std::find(m.allowed_from.begin(), m.allowed_from.end(), status) !=
                           m.allowed_from.end();
      Outcome r = Run(m.line(id));
      EXPECT_EQ(r.code, allowed ? "OK" : "RULE_VIOLATION")
          << "ticket " << status << ", " << m.name << ": " << r.line;
    }
  }
}

TEST_F(LifecycleTest, ReopenedTicketGoesAroundAgain) {
  ASSERT_NO_FATAL_FAILURE(Ticket("T1", "Closed"));
  ExpectAppended(Ok(Cmd("ReopenTicket").S("ticket_id", "T1")), {"TicketReopened"});
  // Reopened, it is open again (being worked on) and goes around once more.
  Rejected(Cmd("CloseTicket").S("ticket_id", "T1"), "RULE_VIOLATION");
  Rejected(Cmd("ReopenTicket").S("ticket_id", "T1"), "RULE_VIOLATION");
  Ok(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Really fixed"));
  Ok(Cmd("CloseTicket").S("ticket_id", "T1"));
}

TEST_F(LifecycleTest, ResolvingNeedsAResolution) {
  ASSERT_NO_FATAL_FAILURE(Ticket("T1", "InProgress"));
  Rejected(Cmd("ResolveTicket").S("ticket_id", "T1"), "VALIDATION_ERROR");
  Rejected(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", ""), "VALIDATION_ERROR");
  Outcome r = Rejected(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "Resolved"),
                       "RULE_VIOLATION");
  EXPECT_THAT(r.message, HasSubstr("resolution"));
}

TEST_F(LifecycleTest, AssigningToAnUnknownUserIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(Ticket("T1", "New"));
  Rejected(Cmd("AssignTicket").S("ticket_id", "T1").S("assignee", "nobody"), "NOT_FOUND");
}

TEST_F(LifecycleTest, ActivityCompletesOrCancelsOnce) {
  for (const char* first : {"CompleteActivity", "CancelActivity"}) {
    const std::string id = std::string("V-") + first;
    Ok(Cmd("LogActivity").S("activity_id", id).S("kind", "Email").S("subject", "S"));
    Ok(Cmd(first).S("activity_id", id));
    Rejected(Cmd("CompleteActivity").S("activity_id", id), "RULE_VIOLATION");
    Rejected(Cmd("CancelActivity").S("activity_id", id), "RULE_VIOLATION");
  }
  Rejected(Cmd("CompleteActivity").S("activity_id", "nope"), "NOT_FOUND");
  Rejected(Cmd("LogActivity").S("activity_id", "V9").S("kind", "Email").S("subject", "S")
               .S("ticket_id", "nope"),
           "NOT_FOUND");
  Rejected(Cmd("LogActivity").S("activity_id", "V9").S("kind", "Lunch").S("subject", "S"),
           "VALIDATION_ERROR");
}

TEST_F(LifecycleTest, QuoteIsAcceptedOnce) {
  Ok(Cmd("CreateQuote").S("quote_id", "Q1").S("account_id", "A1").Raw("amount", "5"));
  Ok(Cmd("AcceptQuote").S("quote_id", "Q1"));
  Rejected(Cmd("AcceptQuote").S("quote_id", "Q1"), "RULE_VIOLATION");
  Rejected(Cmd("AcceptQuote").S("quote_id", "Q2"), "NOT_FOUND");
}

TEST_F(LifecycleTest, QuoteForAnotherAccountsOpportunityIsRefused) {
  OpenOpportunity("O1", "Prospecting");
  Rejected(Cmd("CreateQuote").S("quote_id", "Q1").S("account_id", "B1").S("opportunity_id", "O1")
               .Raw("amount", "5"),
           "RULE_VIOLATION");
}

TEST_F(LifecycleTest, OrderNeedsAnAcceptedQuoteOfItsAccount) {
  Ok(Cmd("CreateQuote").S("quote_id", "Q1").S("account_id", "A1").Raw("amount", "5"));
  Outcome r = Rejected(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1")
                           .S("quote_id", "Q1").Raw("amount", "5"),
                       "RULE_VIOLATION");
  EXPECT_THAT(r.message, HasSubstr("accepted"));
  Rejected(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1").S("quote_id", "Q9")
               .Raw("amount", "5"),
           "NOT_FOUND");
  Ok(Cmd("AcceptQuote").S("quote_id", "Q1"));
  Rejected(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "B1").S("quote_id", "Q1")
               .Raw("amount", "5"),
           "RULE_VIOLATION");
  ExpectAppended(Ok(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1")
                        .S("quote_id", "Q1").Raw("amount", "5")),
                 {"OrderPlaced"});
  Rejected(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1").Raw("amount", "5"),
           "ALREADY_EXISTS");
}

TEST_F(LifecycleTest, InvoiceIsPaidOnce) {
  Ok(Cmd("IssueInvoice").S("invoice_id", "I1").S("account_id", "A1").Raw("amount", "5"));
  Ok(Cmd("PayInvoice").S("invoice_id", "I1"));
  Rejected(Cmd("PayInvoice").S("invoice_id", "I1"), "RULE_VIOLATION");
  Ok(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1").Raw("amount", "5"));
  Rejected(Cmd("IssueInvoice").S("invoice_id", "I2").S("account_id", "B1").S("order_id", "P1")
               .Raw("amount", "5"),
           "RULE_VIOLATION");
  Rejected(Cmd("IssueInvoice").S("invoice_id", "I2").S("account_id", "A1").S("order_id", "P9")
               .Raw("amount", "5"),
           "NOT_FOUND");
}

TEST_F(LifecycleTest, AmountsMustBePositive) {
  OpenOpportunity("O1", "Prospecting");
  for (const char* bad : {"0", "-1", "-0.01", "0.001", "\"abc\"", "\"1e3\""}) {
    const std::string amount = bad;
    Outcome q = Run(Cmd("CreateQuote").S("quote_id", "Q1").S("account_id", "A1")
                        .Raw("amount", amount));
    EXPECT_THAT(q, HasCode("VALIDATION_ERROR")) << "quote amount " << bad;
    EXPECT_THAT(Run(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1")
                        .Raw("amount", amount)),
                HasCode("VALIDATION_ERROR")) << "order amount " << bad;
    EXPECT_THAT(Run(Cmd("IssueInvoice").S("invoice_id", "I1").S("account_id", "A1")
                        .Raw("amount", amount)),
                HasCode("VALIDATION_ERROR")) << "invoice amount " << bad;
    EXPECT_THAT(Run(Cmd("RecordAccountRevenue").S("account_id", "A1").Raw("amount", amount)),
                HasCode("VALIDATION_ERROR")) << "revenue " << bad;
  }
  for (const char* bad : {"-1", "0.001"}) {
    EXPECT_THAT(Run(Cmd("OpenOpportunity").S("opportunity_id", "O2").S("account_id", "A1")
                        .S("name", "O").Raw("amount", bad)),
                HasCode("VALIDATION_ERROR")) << bad;
    EXPECT_THAT(Run(Cmd("WinOpportunity").S("opportunity_id", "O1").Raw("amount", bad)),
                HasCode("VALIDATION_ERROR")) << bad;
  }
  EXPECT_EQ(StreamVersion("quote-Q1"), 0u);
  EXPECT_EQ(StreamVersion("order-P1"), 0u);
  EXPECT_EQ(StreamVersion("invoice-I1"), 0u);
  // An opportunity may be worth 0 (SPEC: >= 0 there).
  ExpectAppended(Ok(Cmd("OpenOpportunity").S("opportunity_id", "O3").S("account_id", "A1")
                        .S("name", "O").Raw("amount", "0")),
                 {"OpportunityOpened"});
}

}  // namespace
}  // namespace crm::test
