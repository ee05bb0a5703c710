// CommandExecutor happy paths, part 2: opportunities, tickets, activities, quotes, orders and
// invoices (SPEC §2). Part 1 is domain_exec_test.cc.
#include "domain_test_util.h"

namespace crm::test {
namespace {

using ::testing::Contains;

class DomainExecSalesTest : public DomainTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DomainTest::SetUp());
    AddUser("sue", "support");
    Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("account_type", "Associate"));
  }
};

TEST_F(DomainExecSalesTest, OpenOpportunityWithEveryField) {
  AddUser("bob", "sales");
  Outcome r = Ok(Cmd("OpenOpportunity")
                     .S("opportunity_id", "O1")
                     .S("account_id", "A1")
                     .S("name", "Big deal")
                     .Raw("amount", "1999.99")
                     .S("currency", "EUR")
                     .S("stage", "Proposal")
                     .S("close_date", "2030-06-30")
                     .S("owner", "bob"));
  EXPECT_EQ(r.stream, "opportunity-O1");
  EXPECT_EQ(r.version, 1u);
  auto events = ExpectAppended(r, {"OpportunityOpened"});  // Associate: no progression
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::OpportunityOpened>(events[0]);
  EXPECT_EQ(S(e->account_id()), "A1");
  EXPECT_EQ(S(e->name()), "Big deal");
  EXPECT_EQ(e->amount(), 199999);
  EXPECT_EQ(S(e->currency()), "EUR");
  EXPECT_EQ(e->stage(), fb::OpportunityStage::Proposal);
  EXPECT_EQ(e->probability(), 65);
  ASSERT_TRUE(e->close_date().has_value());
  EXPECT_EQ(*e->close_date(), int64_t{1909008000} * 1000000);  // 2030-06-30T00:00:00Z
  EXPECT_EQ(S(e->owner()), "bob");
  EXPECT_THAT(Links("account-A1"), Contains("opportunity-O1"));
}

TEST_F(DomainExecSalesTest, ChangeOpportunityStageSetsTheDefaultProbability) {
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "D")
         .Raw("amount", "10"));
  const struct {
    const char* stage;
    fb::OpportunityStage value;
    int probability;
  } kSteps[] = {{"Qualification", fb::OpportunityStage::Qualification, 20},
                {"NeedsAnalysis", fb::OpportunityStage::NeedsAnalysis, 25},
                {"Proposal", fb::OpportunityStage::Proposal, 65},
                {"Negotiation", fb::OpportunityStage::Negotiation, 80}};
  fb::OpportunityStage from = fb::OpportunityStage::Prospecting;
  for (const auto& step : kSteps) {
    Outcome r = Ok(Cmd("ChangeOpportunityStage").S("opportunity_id", "O1").S("stage", step.stage));
    auto events = ExpectAppended(r, {"OpportunityStageChanged"});
    ASSERT_EQ(events.size(), 1u);
    const auto* e = Data<fb::OpportunityStageChanged>(events[0]);
    EXPECT_EQ(e->from(), from);
    EXPECT_EQ(e->to(), step.value);
    EXPECT_EQ(e->probability(), step.probability) << step.stage;
    from = step.value;
  }
}

TEST_F(DomainExecSalesTest, WinOpportunity) {
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "D")
         .Raw("amount", "10"));
  Outcome r = Ok(Cmd("WinOpportunity").S("opportunity_id", "O1").S("amount", "12.5"));
  auto events = ExpectAppended(r, {"OpportunityWon"});  // no debtor_number: no progression
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::OpportunityWon>(events[0]);
  EXPECT_EQ(S(e->account_id()), "A1");
  EXPECT_EQ(e->amount(), 1250);
  EXPECT_EQ(e->from(), fb::OpportunityStage::Prospecting);

  // Without an amount the expected one is won.
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O2").S("account_id", "A1").S("name", "D")
         .Raw("amount", "77"));
  events = ExpectAppended(Ok(Cmd("WinOpportunity").S("opportunity_id", "O2")), {"OpportunityWon"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::OpportunityWon>(events[0])->amount(), 7700);
}

TEST_F(DomainExecSalesTest, LoseOpportunity) {
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "D")
         .Raw("amount", "10").S("stage", "Negotiation"));
  Outcome r = Ok(Cmd("LoseOpportunity").S("opportunity_id", "O1").S("reason", "Too pricey"));
  auto events = ExpectAppended(r, {"OpportunityLost"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::OpportunityLost>(events[0]);
  EXPECT_EQ(S(e->reason()), "Too pricey");
  EXPECT_EQ(e->from(), fb::OpportunityStage::Negotiation);
  EXPECT_EQ(S(e->account_id()), "A1");
}

TEST_F(DomainExecSalesTest, TicketFullLifecycle) {
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "A").S("last_name", "B"));
  Outcome open = Ok(Cmd("OpenTicket")
                        .S("ticket_id", "T1")
                        .S("account_id", "A1")
                        .S("contact_id", "C1")
                        .S("subject", "Printer on fire")
                        .S("description", "Smoke everywhere")
                        .S("priority", "Urgent")
                        .S("origin", "Phone"));
  EXPECT_EQ(open.stream, "ticket-T1");
  auto events = ExpectAppended(open, {"TicketOpened"});
  ASSERT_EQ(events.size(), 1u);
  const auto* t = Data<fb::TicketOpened>(events[0]);
  EXPECT_EQ(S(t->subject()), "Printer on fire");
  EXPECT_EQ(S(t->contact_id()), "C1");
  EXPECT_EQ(t->priority(), fb::TicketPriority::Urgent);
  ASSERT_TRUE(t->origin().has_value());
  EXPECT_EQ(*t->origin(), fb::TicketOrigin::Phone);
  EXPECT_THAT(Links("account-A1"), Contains("ticket-T1"));

  events = ExpectAppended(Ok(Cmd("AssignTicket").S("ticket_id", "T1").S("assignee", "sue")),
                          {"TicketAssigned"});
  ASSERT_EQ(events.size(), 1u);
  const auto* a = Data<fb::TicketAssigned>(events[0]);
  EXPECT_EQ(S(a->assignee()), "sue");
  EXPECT_EQ(a->from(), fb::TicketStatus::New);
  EXPECT_EQ(a->to(), fb::TicketStatus::Assigned);

  for (const auto& [status, from, to] :
       {std::tuple{"InProgress", fb::TicketStatus::Assigned, fb::TicketStatus::InProgress},
        std::tuple{"Pending", fb::TicketStatus::InProgress, fb::TicketStatus::Pending},
        std::tuple{"InProgress", fb::TicketStatus::Pending, fb::TicketStatus::InProgress}}) {
    events = ExpectAppended(
        Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", status)),
        {"TicketStatusChanged"});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(Data<fb::TicketStatusChanged>(events[0])->from(), from);
    EXPECT_EQ(Data<fb::TicketStatusChanged>(events[0])->to(), to);
  }

  events = ExpectAppended(
      Ok(Cmd("CommentOnTicket").S("ticket_id", "T1").S("text", "Extinguisher ordered")),
      {"TicketCommented"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::TicketCommented>(events[0])->text()), "Extinguisher ordered");

  events = ExpectAppended(
      Ok(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Fire put out")),
      {"TicketResolved"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::TicketResolved>(events[0])->resolution()), "Fire put out");
  EXPECT_EQ(Data<fb::TicketResolved>(events[0])->from(), fb::TicketStatus::InProgress);

  events = ExpectAppended(Ok(Cmd("CloseTicket").S("ticket_id", "T1")), {"TicketClosed"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::TicketClosed>(events[0])->from(), fb::TicketStatus::Resolved);

  Outcome reopen = Ok(Cmd("ReopenTicket").S("ticket_id", "T1").S("reason", "Smoke again"));
  events = ExpectAppended(reopen, {"TicketReopened"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::TicketReopened>(events[0])->reason()), "Smoke again");
  EXPECT_EQ(Data<fb::TicketReopened>(events[0])->from(), fb::TicketStatus::Closed);
  EXPECT_EQ(reopen.version, 9u);
}

TEST_F(DomainExecSalesTest, CloseTicketThroughChangeTicketStatus) {
  Ok(Cmd("OpenTicket").S("ticket_id", "T1").S("account_id", "A1").S("subject", "S")
         .S("priority", "Low"));
  Ok(Cmd("AssignTicket").S("ticket_id", "T1").S("assignee", "sue"));
  Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "InProgress"));
  Ok(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Done"));
  ExpectAppended(Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "Closed")),
                 {"TicketClosed"});
}

TEST_F(DomainExecSalesTest, ActivityLogCompleteCancel) {
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "A").S("last_name", "B"));
  Outcome r = Ok(Cmd("LogActivity")
                     .S("activity_id", "V1")
                     .S("kind", "Call")
                     .S("subject", "Intro call")
                     .S("account_id", "A1")
                     .S("contact_id", "C1")
                     .S("due_at", "2030-01-01T10:00:00Z"));
  EXPECT_EQ(r.stream, "activity-V1");
  auto events = ExpectAppended(r, {"ActivityLogged"});
  ASSERT_EQ(events.size(), 1u);
  const auto* a = Data<fb::ActivityLogged>(events[0]);
  EXPECT_EQ(a->kind(), fb::ActivityKind::Call);
  EXPECT_EQ(S(a->subject()), "Intro call");
  EXPECT_EQ(S(a->account_id()), "A1");
  EXPECT_EQ(S(a->contact_id()), "C1");
  ASSERT_TRUE(a->due_at().has_value());
  EXPECT_EQ(*a->due_at(), int64_t{1893492000} * 1000000);
  EXPECT_THAT(Links("account-A1"), Contains("activity-V1"));
  EXPECT_THAT(Links("contact-C1"), Contains("activity-V1"));

  events = ExpectAppended(
      Ok(Cmd("CompleteActivity").S("activity_id", "V1").S("outcome", "They want a demo")),
      {"ActivityCompleted"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::ActivityCompleted>(events[0])->outcome()), "They want a demo");

  Ok(Cmd("LogActivity").S("activity_id", "V2").S("kind", "Task").S("subject", "Send brochure"));
  events = ExpectAppended(Ok(Cmd("CancelActivity").S("activity_id", "V2")), {"ActivityCanceled"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::ActivityCanceled>(events[0])->activity_id()), "V2");
}

TEST_F(DomainExecSalesTest, QuoteOrderInvoiceChain) {
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "D")
         .Raw("amount", "10"));
  Outcome q = Ok(Cmd("CreateQuote").S("quote_id", "Q1").S("account_id", "A1")
                     .S("opportunity_id", "O1").S("amount", "300.10"));
  EXPECT_EQ(q.stream, "quote-Q1");
  auto events = ExpectAppended(q, {"QuoteCreated"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::QuoteCreated>(events[0])->amount(), 30010);
  EXPECT_EQ(S(Data<fb::QuoteCreated>(events[0])->opportunity_id()), "O1");

  events = ExpectAppended(Ok(Cmd("AcceptQuote").S("quote_id", "Q1")), {"QuoteAccepted"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::QuoteAccepted>(events[0])->amount(), 30010);
  EXPECT_EQ(S(Data<fb::QuoteAccepted>(events[0])->account_id()), "A1");

  Outcome o = Ok(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1").S("quote_id", "Q1")
                     .Raw("amount", "300.1"));
  EXPECT_EQ(o.stream, "order-P1");
  events = ExpectAppended(o, {"OrderPlaced"});  // no debtor_number: no progression
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::OrderPlaced>(events[0])->quote_id()), "Q1");
  EXPECT_EQ(Data<fb::OrderPlaced>(events[0])->amount(), 30010);

  Outcome i = Ok(Cmd("IssueInvoice").S("invoice_id", "I1").S("account_id", "A1")
                     .S("order_id", "P1").S("amount", "300.10").S("due_date", "2030-02-01"));
  EXPECT_EQ(i.stream, "invoice-I1");
  events = ExpectAppended(i, {"InvoiceIssued"});
  ASSERT_EQ(events.size(), 1u);
  const auto* inv = Data<fb::InvoiceIssued>(events[0]);
  EXPECT_EQ(inv->amount(), 30010);
  EXPECT_EQ(S(inv->order_id()), "P1");
  ASSERT_TRUE(inv->due_date().has_value());

  events = ExpectAppended(Ok(Cmd("PayInvoice").S("invoice_id", "I1")), {"InvoicePaid"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::InvoicePaid>(events[0])->amount(), 30010);
  EXPECT_EQ(S(Data<fb::InvoicePaid>(events[0])->account_id()), "A1");

  const std::vector<std::string> links = Links("account-A1");
  for (const char* s : {"opportunity-O1", "quote-Q1", "order-P1", "invoice-I1"}) {
    EXPECT_THAT(links, Contains(s));
  }
}

}  // namespace
}  // namespace crm::test
