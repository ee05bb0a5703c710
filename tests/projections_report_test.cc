// Every report against numbers computed by hand: pipeline (weighted, rounded half up per
// opportunity), conversion (rates), tickets (hours to resolution from occurred_at, mean and p90
// nearest rank), revenue (by industry and owner), inactive (ReportOptions days/now_us).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "projections_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Contains;
using ::testing::IsEmpty;

class ProjectionsReportTest : public ProjectionsTest {
 protected:
  void Opportunity(const std::string& id, const std::string& amount, const std::string& stage) {
    Ok(Cmd("OpenOpportunity").S("opportunity_id", id).S("account_id", "A1").S("name", "Deal " + id)
           .S("amount", amount).S("stage", stage));
  }
  // A ticket of `priority` opened at `opened`, taken through Assigned and InProgress.
  void Ticket(const std::string& id, const std::string& priority, const std::string& opened) {
    Ok(Cmd("OpenTicket").S("ticket_id", id).S("account_id", "A1").S("subject", "Issue " + id)
           .S("priority", priority).S("occurred_at", opened));
  }
  void Work(const std::string& id, const std::string& at) {
    Ok(Cmd("AssignTicket").S("ticket_id", id).S("assignee", "sam").S("occurred_at", at));
    Ok(Cmd("ChangeTicketStatus").S("ticket_id", id).S("status", "InProgress").S("occurred_at", at));
  }
  void Resolve(const std::string& id, const std::string& at) {
    Ok(Cmd("ResolveTicket").S("ticket_id", id).S("resolution", "Done").S("occurred_at", at));
  }
};

TEST_F(ProjectionsReportTest, PipelineWeightsEachOpportunityRoundedHalfUp) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  EXPECT_THAT(ReportJson("pipeline"),
              ElementsAre(R"({"stage":"Prospecting","probability":10,"count":0,"amount":0,"weighted_amount":0})",
                          R"({"stage":"Qualification","probability":20,"count":0,"amount":0,"weighted_amount":0})",
                          R"({"stage":"NeedsAnalysis","probability":25,"count":0,"amount":0,"weighted_amount":0})",
                          R"({"stage":"Proposal","probability":65,"count":0,"amount":0,"weighted_amount":0})",
                          R"({"stage":"Negotiation","probability":80,"count":0,"amount":0,"weighted_amount":0})",
                          R"({"stage":"ClosedWon","probability":100,"count":0,"amount":0,"weighted_amount":0})",
                          R"({"stage":"ClosedLost","probability":0,"count":0,"amount":0,"weighted_amount":0})"));
  Opportunity("P1", "1000", "Prospecting");     // 10% -> 100
  Opportunity("P2", "333.33", "Prospecting");   // 10% -> 33.333 -> 33.33
  Opportunity("P9", "0.05", "Prospecting");     // 10% -> 0.005 -> 0.01 (half up)
  Opportunity("P3", "250.05", "Qualification");  // 20% -> 50.01
  Opportunity("P4", "0.02", "NeedsAnalysis");   // 25% -> 0.005 -> 0.01
  Opportunity("P5", "100", "Proposal");         // 65% -> 65
  Opportunity("P6", "99.99", "Negotiation");    // 80% -> 79.992 -> 79.99
  Opportunity("P7", "600", "Proposal");
  Ok(Cmd("WinOpportunity").S("opportunity_id", "P7").I("amount", 500));  // 100% of the final 500
  Opportunity("P8", "200", "Negotiation");
  Ok(Cmd("LoseOpportunity").S("opportunity_id", "P8"));  // 0%
  // Prospecting: 1000 + 333.33 + 0.05 = 1333.38, weighted 100 + 33.33 + 0.01 = 133.34.
  EXPECT_THAT(ReportJson("pipeline"),
              ElementsAre(R"({"stage":"Prospecting","probability":10,"count":3,"amount":1333.38,"weighted_amount":133.34})",
                          R"({"stage":"Qualification","probability":20,"count":1,"amount":250.05,"weighted_amount":50.01})",
                          R"({"stage":"NeedsAnalysis","probability":25,"count":1,"amount":0.02,"weighted_amount":0.01})",
                          R"({"stage":"Proposal","probability":65,"count":1,"amount":100,"weighted_amount":65})",
                          R"({"stage":"Negotiation","probability":80,"count":1,"amount":99.99,"weighted_amount":79.99})",
                          R"({"stage":"ClosedWon","probability":100,"count":1,"amount":500,"weighted_amount":500})",
                          R"({"stage":"ClosedLost","probability":0,"count":1,"amount":200,"weighted_amount":0})"));
  // A stage change moves the opportunity and its weight.
  Ok(Cmd("ChangeOpportunityStage").S("opportunity_id", "P1").S("stage", "Negotiation"));
  auto rows = ReportJson("pipeline");
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0], R"({"stage":"Prospecting","probability":10,"count":2,"amount":333.38,"weighted_amount":33.34})");
  EXPECT_EQ(rows[4], R"({"stage":"Negotiation","probability":80,"count":2,"amount":1099.99,"weighted_amount":879.99})");
}

TEST_F(ProjectionsReportTest, ConversionCountsLeadsByStatusAndCustomers) {
  AddTeam();
  EXPECT_THAT(ReportJson("conversion"),
              ElementsAre(R"({"leads":0,"New":0,"Qualified":0,"Disqualified":0,"Converted":0,)"
                          R"("converted_to_customer":0,"conversion_rate":null,"customer_conversion_rate":null})"));
  auto lead = [&](const std::string& id, const std::string& company) {
    Cmd c("CreateLead");
    c.S("lead_id", id).S("last_name", "Person " + id);
    if (!company.empty()) c.S("company", company);
    Ok(c);
  };
  lead("L1", "");
  lead("L2", "");
  lead("L3", "");
  lead("L4", "");
  lead("L5", "Five Inc");
  lead("L6", "Six Inc");
  lead("L7", "");
  Ok(Cmd("QualifyLead").S("lead_id", "L3"));
  Ok(Cmd("DisqualifyLead").S("lead_id", "L4").S("reason", "No budget"));
  Ok(Cmd("ConvertLead").S("lead_id", "L5").S("account_id", "X5").S("contact_id", "K5"));
  Ok(Cmd("ConvertLead").S("lead_id", "L6").S("account_id", "X6").S("contact_id", "K6"));
  Ok(Cmd("ConvertLead").S("lead_id", "L7").S("account_id", "X6").S("contact_id", "K7"));
  // 3 of 7 converted; X6 becomes a Customer (debtor number + an order): L6 and L7 count.
  Ok(Cmd("UpdateAccount").S("account_id", "X6").S("debtor_number", "D-6"));
  Ok(Cmd("PlaceOrder").S("order_id", "OR6").S("account_id", "X6").I("amount", 10));
  EXPECT_EQ(Field("account", "X6", "type"), R"("Customer")");
  EXPECT_THAT(ReportJson("conversion"),
              ElementsAre(R"({"leads":7,"New":2,"Qualified":1,"Disqualified":1,"Converted":3,)"
                          R"("converted_to_customer":2,"conversion_rate":0.4286,)"
                          R"("customer_conversion_rate":0.2857})"));
}

TEST_F(ProjectionsReportTest, TicketsPerPriorityWithHoursToResolution) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  // High: TH1 10 h then closed, TH2 2.5 h, TH4 1 h, TH3 still in progress.
  Ticket("TH1", "High", "2024-01-01T00:00:00Z");
  Work("TH1", "2024-01-01T01:00:00Z");
  Resolve("TH1", "2024-01-01T10:00:00Z");
  Ok(Cmd("CloseTicket").S("ticket_id", "TH1").S("occurred_at", "2024-01-03T00:00:00Z"));
  Ticket("TH2", "High", "2024-01-02T00:00:00Z");
  Work("TH2", "2024-01-02T00:30:00Z");
  Resolve("TH2", "2024-01-02T02:30:00Z");
  Ticket("TH3", "High", "2024-01-03T00:00:00Z");
  Work("TH3", "2024-01-03T00:10:00Z");
  Ticket("TH4", "High", "2024-01-04T00:00:00Z");
  Work("TH4", "2024-01-04T00:10:00Z");
  Resolve("TH4", "2024-01-04T01:00:00Z");
  // Low: TL1 resolved after 24 h, reopened, resolved again after 96 h: the latest counts.
  Ticket("TL1", "Low", "2024-01-01T00:00:00Z");
  Work("TL1", "2024-01-01T00:00:00Z");
  Resolve("TL1", "2024-01-02T00:00:00Z");
  Ok(Cmd("ReopenTicket").S("ticket_id", "TL1").S("occurred_at", "2024-01-03T00:00:00Z"));
  Resolve("TL1", "2024-01-05T00:00:00Z");
  // Urgent: TU1 new.
  Ticket("TU1", "Urgent", "2024-01-06T00:00:00Z");

  // High: mean (10 + 2.5 + 1) / 3 = 4.5, p90 = the 3rd of 3 (nearest rank ceil(2.7)) = 10.
  // All: 1, 2.5, 10, 96: mean 109.5 / 4 = 27.375 -> 27.38, p90 = 4th of 4 (ceil(3.6)) = 96.
  EXPECT_THAT(
      ReportJson("tickets"),
      ElementsAre(
          R"({"priority":"Low","New":0,"Assigned":0,"InProgress":0,"Pending":0,"Resolved":1,"Closed":0,)"
          R"("open":0,"resolved":1,"mean_hours_to_resolution":96,"p90_hours_to_resolution":96})",
          R"({"priority":"Normal","New":0,"Assigned":0,"InProgress":0,"Pending":0,"Resolved":0,"Closed":0,)"
          R"("open":0,"resolved":0,"mean_hours_to_resolution":null,"p90_hours_to_resolution":null})",
          R"({"priority":"High","New":0,"Assigned":0,"InProgress":1,"Pending":0,"Resolved":2,"Closed":1,)"
          R"("open":1,"resolved":3,"mean_hours_to_resolution":4.5,"p90_hours_to_resolution":10})",
          R"({"priority":"Urgent","New":1,"Assigned":0,"InProgress":0,"Pending":0,"Resolved":0,"Closed":0,)"
          R"("open":1,"resolved":0,"mean_hours_to_resolution":null,"p90_hours_to_resolution":null})",
          R"({"priority":"All","New":1,"Assigned":0,"InProgress":1,"Pending":0,"Resolved":3,"Closed":1,)"
          R"("open":2,"resolved":4,"mean_hours_to_resolution":27.38,"p90_hours_to_resolution":96})"));
}

TEST_F(ProjectionsReportTest, TicketsP90IsTheNearestRank) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  // Eleven Normal tickets resolved after 1..11 hours: nearest rank ceil(0.9 * 11) = 10 -> 10 h;
  // mean 66 / 11 = 6.
  for (int h = 1; h <= 11; ++h) {
    const std::string id = "N" + std::to_string(100 + h);
    char resolved[32];
    std::snprintf(resolved, sizeof(resolved), "2024-02-01T%02d:00:00Z", h);
    Ticket(id, "Normal", "2024-02-01T00:00:00Z");
    Work(id, "2024-02-01T00:00:00Z");
    Resolve(id, resolved);
  }
  auto rows = ReportResult("tickets");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 5u);
  const Doc& normal = (*rows)[1];
  EXPECT_EQ(J(normal, "priority"), R"("Normal")");
  EXPECT_EQ(J(normal, "Resolved"), "11");
  EXPECT_EQ(J(normal, "resolved"), "11");
  EXPECT_EQ(J(normal, "mean_hours_to_resolution"), "6");
  EXPECT_EQ(J(normal, "p90_hours_to_resolution"), "10");
  EXPECT_EQ(J((*rows)[4], "p90_hours_to_resolution"), "10");
}

TEST_F(ProjectionsReportTest, RevenueByIndustryAndOwner) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "R1").S("name", "One").S("industry", "Retail").S("owner", "moses"));
  Ok(Cmd("OpenAccount").S("account_id", "R2").S("name", "Two").S("industry", "Retail").S("owner", "anna"));
  Ok(Cmd("OpenAccount").S("account_id", "R3").S("name", "Three").S("industry", "Tech").S("owner", "moses"));
  Ok(Cmd("OpenAccount").S("account_id", "R4").S("name", "Four"));
  // R1: paid invoice 1000 + recorded 50.50 = 1050.5 revenue; an unpaid invoice does not count;
  // won 300 (expected 400).
  Ok(Cmd("IssueInvoice").S("invoice_id", "I1").S("account_id", "R1").I("amount", 1000));
  Ok(Cmd("PayInvoice").S("invoice_id", "I1"));
  Ok(Cmd("IssueInvoice").S("invoice_id", "I2").S("account_id", "R1").I("amount", 7));
  Ok(Cmd("RecordAccountRevenue").S("account_id", "R1").S("amount", "50.50"));
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "R1").S("name", "Deal")
         .I("amount", 400));
  Ok(Cmd("WinOpportunity").S("opportunity_id", "O1").I("amount", 300));
  // R2: recorded 20. R4: won 10 (no industry, no owner).
  Ok(Cmd("RecordAccountRevenue").S("account_id", "R2").I("amount", 20));
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O4").S("account_id", "R4").S("name", "Tiny")
         .I("amount", 10));
  Ok(Cmd("WinOpportunity").S("opportunity_id", "O4"));
  EXPECT_THAT(
      ReportJson("revenue"),
      ElementsAre(
          R"({"by":"industry","key":null,"accounts":1,"total_revenue":0,"won_amount":10})",
          R"({"by":"industry","key":"Retail","accounts":2,"total_revenue":1070.5,"won_amount":300})",
          R"({"by":"industry","key":"Tech","accounts":1,"total_revenue":0,"won_amount":0})",
          R"({"by":"owner","key":null,"accounts":1,"total_revenue":0,"won_amount":10})",
          R"({"by":"owner","key":"anna","accounts":1,"total_revenue":20,"won_amount":0})",
          R"({"by":"owner","key":"moses","accounts":2,"total_revenue":1050.5,"won_amount":300})"));
}

TEST_F(ProjectionsReportTest, InactiveAccountsAsOfNow) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "N1").S("name", "Quiet").S("owner", "moses")
         .S("occurred_at", "2024-01-01T00:00:00Z"));
  Ok(Cmd("OpenAccount").S("account_id", "N2").S("name", "Noted").S("occurred_at", "2024-01-01T00:00:00Z"));
  Ok(Cmd("AddAccountNote").S("account_id", "N2").S("text", "Called").S("occurred_at", "2024-05-25T00:00:00Z"));
  Ok(Cmd("OpenAccount").S("account_id", "N3").S("name", "Contacted").S("occurred_at", "2024-01-01T00:00:00Z"));
  Ok(Cmd("CreateContact").S("contact_id", "C3").S("first_name", "A").S("last_name", "B")
         .S("account_id", "N3").S("occurred_at", "2024-05-05T00:00:00Z"));
  Ok(Cmd("OpenAccount").S("account_id", "N4").S("name", "Fresh").S("occurred_at", "2024-05-31T12:00:00Z"));
  Ok(Cmd("OpenAccount").S("account_id", "N5").S("name", "Edge").S("occurred_at", "2024-05-02T00:00:00Z"));
  EXPECT_EQ(Field("account", "N3", "last_activity_at"), R"("2024-05-05T00:00:00.000000Z")");

  ReportOptions o;
  o.now_us = Us("2024-06-01T00:00:00Z");
  o.days = 30;  // cutoff 2024-05-02T00:00:00Z; N5 is exactly at it and is not inactive
  // N1: 2024-01-01 -> 2024-06-01 is 31+29+31+30+31 = 152 days (2024 is a leap year).
  EXPECT_THAT(ReportJson("inactive", o),
              ElementsAre(R"({"account_id":"N1","name":"Quiet","owner":"moses","type":"NotValidated",)"
                          R"("status":"Active","last_activity_at":"2024-01-01T00:00:00.000000Z",)"
                          R"("days_inactive":152})"));
  o.now_us += 1;  // one microsecond later N5 is past the cutoff
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> later, ReportResult("inactive", o));
  EXPECT_THAT(Column(later, "account_id"), ElementsAre("N1", "N5"));
  EXPECT_EQ(J(later[1], "days_inactive"), "30");

  o.now_us = Us("2024-06-01T00:00:00Z");
  o.days = 20;  // cutoff 2024-05-12: N3 (27 days) and N5 (30 days) too
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> twenty, ReportResult("inactive", o));
  EXPECT_THAT(Column(twenty, "account_id"), ElementsAre("N1", "N3", "N5"));
  EXPECT_THAT(Column(twenty, "days_inactive"), ElementsAre("152", "27", "30"));

  o.days = 0;  // anything before now: N4's 12 hours are 0 whole days
  ASSERT_OK_AND_ASSIGN(std::vector<Doc> all, ReportResult("inactive", o));
  EXPECT_THAT(Column(all, "account_id"), ElementsAre("N1", "N2", "N3", "N4", "N5"));
  EXPECT_THAT(Column(all, "days_inactive"), ElementsAre("152", "7", "27", "0", "30"));

  // A new history entry makes an account active again.
  Ok(Cmd("AddAccountNote").S("account_id", "N1").S("text", "Back").S("occurred_at", "2024-05-30T00:00:00Z"));
  o.days = 30;
  EXPECT_THAT(ReportJson("inactive", o), IsEmpty());
}

// The largest amounts the commands accept (15 integer digits) add up past int64 cents after ~92
// of them, and an amount times a probability of 100 passes it at once: totals and sums saturate
// instead of overflowing (found by fuzzing under UBSan: signed overflow in the projector and the
// reports).
TEST_F(ProjectionsReportTest, HugeAmountsSaturateInsteadOfOverflowing) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("industry", "Energy"));
  for (int i = 0; i < 93; ++i) {
    Ok(Cmd("RecordAccountRevenue").S("account_id", "A1").S("amount", "999999999999999.99"));
  }
  EXPECT_THAT(GetJson("account", "A1"), HasSubstr("\"total_revenue\":92233720368547758.07"));
  Opportunity("P1", "999999999999999.99", "Prospecting");
  Ok(Cmd("WinOpportunity").S("opportunity_id", "P1"));
  auto pipeline = ReportJson("pipeline");
  ASSERT_EQ(pipeline.size(), 7u);
  EXPECT_EQ(pipeline[5], R"({"stage":"ClosedWon","probability":100,"count":1,"amount":999999999999999.99,"weighted_amount":999999999999999.99})");
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Beta").S("industry", "Energy"));
  for (int i = 0; i < 2; ++i) {
    Ok(Cmd("RecordAccountRevenue").S("account_id", "A2").S("amount", "999999999999999.99"));
  }
  EXPECT_THAT(ReportJson("revenue"),
              Contains(HasSubstr(R"("key":"Energy","accounts":2,"total_revenue":92233720368547758.07)")));
}

TEST_F(ProjectionsReportTest, UnknownReportAndNegativeDays) {
  auto bad = ReportResult("forecast");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("forecast"));
  EXPECT_THAT(bad.status().message(), HasSubstr("pipeline"));
  ReportOptions o;
  o.days = -1;
  auto negative = ReportResult("inactive", o);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), Code::kInvalidArgument);
  o.days = 106'751'992;  // days × 86,400,000,000 µs passes int64
  auto huge = ReportResult("inactive", o);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(huge.status().message(), HasSubstr("between 0 and 1000000"));
  EXPECT_THAT(ReportNames(), ElementsAre("pipeline", "conversion", "tickets", "revenue", "inactive"));
  for (auto name : ReportNames()) EXPECT_OK(ReportResult(name));
}

}  // namespace
}  // namespace crm::test
