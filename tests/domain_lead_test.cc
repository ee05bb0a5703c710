// Lead lifecycle and conversion (SPEC §2): qualify, disqualify, update; ConvertLead creates (or
// links) the account, creates the contact and optionally the opportunity and marks the lead
// Converted in one atomic append; a converted or disqualified lead accepts no further change.
#include "domain_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class LeadTest : public DomainTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DomainTest::SetUp());
    AddUser("bob", "sales");
    Ok(Cmd("CreateLead")
           .S("lead_id", "L1")
           .S("first_name", "Grace")
           .S("last_name", "Hopper")
           .S("company", "Navy Labs")
           .S("email", "grace@navy.example")
           .S("phone", "555-0100")
           .S("source", "Web form")
           .S("industry", "Defense")
           .S("owner", "bob"));
  }

  // Every command that changes a lead, valid for an open lead L1.
  std::vector<std::string> Changes() {
    return {
        Cmd("UpdateLead").S("lead_id", "L1").S("company", "Other"),
        Cmd("QualifyLead").S("lead_id", "L1"),
        Cmd("DisqualifyLead").S("lead_id", "L1").S("reason", "again"),
        Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A9").S("contact_id", "C9"),
    };
  }
};

TEST_F(LeadTest, QualifyOnceThenDisqualify) {
  ExpectAppended(Ok(Cmd("QualifyLead").S("lead_id", "L1")), {"LeadQualified"});
  Outcome again = Rejected(Cmd("QualifyLead").S("lead_id", "L1"), "RULE_VIOLATION");
  EXPECT_THAT(again.message, HasSubstr("Qualified"));
  ExpectAppended(Ok(Cmd("UpdateLead").S("lead_id", "L1").S("phone", "555-0199")),
                 {"LeadUpdated"});
  ExpectAppended(Ok(Cmd("DisqualifyLead").S("lead_id", "L1").S("reason", "No budget")),
                 {"LeadDisqualified"});
}

TEST_F(LeadTest, UpdateValidatesAndNeedsAField) {
  Rejected(Cmd("UpdateLead").S("lead_id", "L1"), "VALIDATION_ERROR");
  Rejected(Cmd("UpdateLead").S("lead_id", "L1").S("email", "nope"), "VALIDATION_ERROR");
  Rejected(Cmd("UpdateLead").S("lead_id", "L1").Raw("last_name", "null"), "VALIDATION_ERROR");
  Rejected(Cmd("UpdateLead").S("lead_id", "L1").S("owner", "nobody"), "NOT_FOUND");
  Rejected(Cmd("UpdateLead").S("lead_id", "L2").S("company", "x"), "NOT_FOUND");
  Rejected(Cmd("DisqualifyLead").S("lead_id", "L1"), "VALIDATION_ERROR");  // reason required
  // An opportunity's name or amount without its id.
  Rejected(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1")
               .S("opportunity_name", "x"),
           "VALIDATION_ERROR");
  // Clearing an optional field is a change.
  auto events = ExpectAppended(Ok(Cmd("UpdateLead").S("lead_id", "L1").Raw("email", "null")),
                               {"LeadUpdated"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::LeadUpdated>(events[0])->old()->email()), "grace@navy.example");
}

TEST_F(LeadTest, ConvertCreatesAccountContactOpportunityAtomically) {
  const uint64_t before = Last();
  Outcome r = Ok(Cmd("ConvertLead")
                     .S("lead_id", "L1")
                     .S("account_id", "A1")
                     .S("contact_id", "C1")
                     .S("opportunity_id", "O1")
                     .S("amount", "250.00")
                     .S("command_id", "convert-L1"));
  std::vector<RecordedEvent> events = Log(before + 1);
  ASSERT_EQ(events.size(), r.events.size());
  EXPECT_THAT(TypesOf(events),
              UnorderedElementsAre("AccountOpened", "AccountTypeChanged", "ContactCreated",
                                   "OpportunityOpened", "LeadConverted"));
  ExpectAppended(r, TypesOf(events));
  for (const auto& e : events) EXPECT_EQ(Info(e).command_id, "convert-L1");

  for (const auto& e : events) {
    if (const auto* a = Data<fb::AccountOpened>(e)) {
      EXPECT_EQ(Info(e).stream, "account-A1");
      EXPECT_EQ(S(a->name()), "Navy Labs") << "the name comes from the company";
      EXPECT_EQ(S(a->source()), "Web form");
      EXPECT_EQ(S(a->industry()), "Defense");
      EXPECT_EQ(S(a->email()), "grace@navy.example");
      EXPECT_EQ(S(a->phone()), "555-0100");
    } else if (const auto* c = Data<fb::ContactCreated>(e)) {
      EXPECT_EQ(Info(e).stream, "contact-C1");
      EXPECT_EQ(S(c->first_name()), "Grace");
      EXPECT_EQ(S(c->last_name()), "Hopper");
      EXPECT_EQ(S(c->email()), "grace@navy.example");
      EXPECT_EQ(S(c->account_id()), "A1");
    } else if (const auto* o = Data<fb::OpportunityOpened>(e)) {
      EXPECT_EQ(Info(e).stream, "opportunity-O1");
      EXPECT_EQ(S(o->account_id()), "A1");
      EXPECT_EQ(o->amount(), 25000);
      EXPECT_EQ(S(o->lead_id()), "L1");
      EXPECT_FALSE(S(o->name()).empty());
    } else if (const auto* l = Data<fb::LeadConverted>(e)) {
      EXPECT_EQ(Info(e).stream, "lead-L1");
      EXPECT_EQ(S(l->account_id()), "A1");
      EXPECT_EQ(S(l->contact_id()), "C1");
      EXPECT_EQ(S(l->opportunity_id()), "O1");
      EXPECT_TRUE(l->account_created());
    } else if (const auto* t = Data<fb::AccountTypeChanged>(e)) {
      EXPECT_EQ(Info(e).actor, "system");
      EXPECT_EQ(t->to(), fb::AccountType::Prospect);
    }
  }
  EXPECT_THAT(Links("account-A1"),
              UnorderedElementsAre("contact-C1", "opportunity-O1", "lead-L1"));
}

TEST_F(LeadTest, ConvertWithoutOpportunity) {
  Outcome r = Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1"));
  auto events = ExpectAppendedInAnyOrder(r, {"AccountOpened", "ContactCreated", "LeadConverted"});
  ASSERT_EQ(events.size(), 3u);
  ASSERT_NE(Find<fb::LeadConverted>(events).second, nullptr);
  EXPECT_EQ(S(Find<fb::LeadConverted>(events).second->opportunity_id()), "");
  EXPECT_THAT(Links("account-A1"), UnorderedElementsAre("contact-C1", "lead-L1"));
}

TEST_F(LeadTest, ConvertIntoAnExistingAccountLinksIt) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Existing Inc").S("account_type",
                                                                            "Associate"));
  const uint64_t account_version = StreamVersion("account-A1");
  Outcome r = Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1")
                     .S("opportunity_id", "O1"));
  auto events = ExpectAppendedInAnyOrder(r, {"ContactCreated", "OpportunityOpened", "LeadConverted"});
  ASSERT_EQ(events.size(), 3u);
  ASSERT_NE(Find<fb::LeadConverted>(events).second, nullptr);
  EXPECT_FALSE(Find<fb::LeadConverted>(events).second->account_created());
  EXPECT_EQ(StreamVersion("account-A1"), account_version) << "the account is linked, not changed";
  EXPECT_EQ(S(Data<fb::AccountOpened>(Stream("account-A1")[0])->name()), "Existing Inc");
  EXPECT_THAT(Links("account-A1"),
              UnorderedElementsAre("contact-C1", "opportunity-O1", "lead-L1"));
}

TEST_F(LeadTest, ConvertIsAtomicWhenTheContactExists) {
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Other").S("last_name", "Person"));
  const uint64_t before = Last();
  const uint64_t lead_version = StreamVersion("lead-L1");
  Outcome r = Rejected(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1")
                           .S("contact_id", "C1").S("opportunity_id", "O1"),
                       "ALREADY_EXISTS");
  EXPECT_THAT(r.message, HasSubstr("C1"));
  EXPECT_EQ(Last(), before);
  EXPECT_EQ(StreamVersion("account-A1"), 0u) << "no account was created";
  EXPECT_EQ(StreamVersion("opportunity-O1"), 0u) << "no opportunity was created";
  EXPECT_EQ(StreamVersion("lead-L1"), lead_version) << "the lead is unchanged";
  EXPECT_EQ(StreamVersion("contact-C1"), 1u);
  EXPECT_TRUE(Links("account-A1").empty());
  // The lead can still be converted with another contact id.
  Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C2"));
}

TEST_F(LeadTest, ConvertIsAtomicWhenTheOpportunityExists) {
  Ok(Cmd("OpenAccount").S("account_id", "B1").S("name", "B"));
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "B1").S("name", "O")
         .Raw("amount", "1"));
  const uint64_t before = Last();
  Rejected(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1")
               .S("opportunity_id", "O1"),
           "ALREADY_EXISTS");
  EXPECT_EQ(Last(), before);
  EXPECT_EQ(StreamVersion("account-A1"), 0u);
  EXPECT_EQ(StreamVersion("contact-C1"), 0u);
}

TEST_F(LeadTest, ConvertNeedsACompanyForANewAccount) {
  Ok(Cmd("CreateLead").S("lead_id", "L2").S("last_name", "Solo"));
  Rejected(Cmd("ConvertLead").S("lead_id", "L2").S("account_id", "A2").S("contact_id", "C2"),
           "RULE_VIOLATION");
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Given"));
  ExpectAppendedInAnyOrder(
      Ok(Cmd("ConvertLead").S("lead_id", "L2").S("account_id", "A2").S("contact_id", "C2")),
      {"ContactCreated", "LeadConverted"});
}

TEST_F(LeadTest, ConvertIntoAnInactiveAccountIsRefused) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Gone"));
  Ok(Cmd("DeactivateAccount").S("account_id", "A1"));
  Rejected(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1"),
           "RULE_VIOLATION");
  EXPECT_EQ(StreamVersion("contact-C1"), 0u);
}

TEST_F(LeadTest, ConvertedLeadAcceptsNoFurtherChange) {
  Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1"));
  for (const std::string& line : Changes()) {
    Outcome r = Rejected(line, "RULE_VIOLATION");
    EXPECT_THAT(r.message, HasSubstr("Converted"));
  }
  EXPECT_EQ(StreamVersion("account-A9"), 0u);
}

TEST_F(LeadTest, DisqualifiedLeadAcceptsNoFurtherChange) {
  Ok(Cmd("DisqualifyLead").S("lead_id", "L1").S("reason", "Spam"));
  for (const std::string& line : Changes()) {
    Outcome r = Rejected(line, "RULE_VIOLATION");
    EXPECT_THAT(r.message, HasSubstr("Disqualified"));
  }
}

TEST_F(LeadTest, QualifiedLeadConverts) {
  Ok(Cmd("QualifyLead").S("lead_id", "L1"));
  Ok(Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A1").S("contact_id", "C1"));
  EXPECT_THAT(TypesOf(Stream("lead-L1")),
              ElementsAre("LeadCreated", "LeadQualified", "LeadConverted"));
}

}  // namespace
}  // namespace crm::test
