// The account-type rules (SPEC §2) as a table: every (from, to) pair of the 10 types, strict and
// relaxed, with the facts each rule needs present or absent, as admin, manager and sales. The
// expected answer is computed from the SPEC rules written out below, not from the engine's code.
// Also: the automatic progression (Prospect on a new opportunity, Customer on a contract).
#include <array>
#include <string>

#include "domain_test_util.h"

namespace crm::test {
namespace {

constexpr std::array<const char*, 10> kTypes = {"NotValidated", "Suspect",  "Lead",
                                                "Associate",    "Prospect", "Customer",
                                                "Supplier",     "Reseller", "Division", "Bank"};

// What the account has when the transition is attempted.
struct Facts {
  const char* name;
  bool debtor_number = false;
  bool creditor_number = false;
  bool open_opportunity = false;
  bool won_opportunity = false;
  bool order = false;
};

constexpr Facts kNone{"none"};
constexpr Facts kAllWithWon{"all_with_won_opportunity", true, true, true, true, false};
constexpr Facts kAllWithOrder{"all_with_order", true, true, true, false, true};
constexpr Facts kNoContract{"numbers_and_open_opportunity_no_contract", true, true, true, false,
                            false};
constexpr Facts kNoDebtor{"contract_without_debtor_number", false, true, true, true, true};
constexpr Facts kNoOpenOpportunity{"numbers_and_contract_no_open_opportunity", true, true, false,
                                   true, true};

// SPEC §2, "Account type rules", as an oracle.
std::string Expected(const std::string& from, const std::string& to, bool strict,
                     const std::string& role, const Facts& f) {
  if (from == to) return "OK";  // nothing to change: success without an event
  const bool restricted = to == "Customer" || to == "Supplier" || to == "Bank" || to == "Division";
  if (restricted && role != "admin" && role != "manager") return "FORBIDDEN";  // both modes
  if (!strict) return "OK";
  if (to == "NotValidated") return "RULE_VIOLATION";  // never back once validated
  if (from == "Customer" && (to == "Suspect" || to == "Lead" || to == "Prospect")) {
    return "RULE_VIOLATION";
  }
  if (to == "Prospect" && !f.open_opportunity) return "RULE_VIOLATION";
  if (to == "Customer" && (!f.debtor_number || !(f.won_opportunity || f.order))) {
    return "RULE_VIOLATION";
  }
  if ((to == "Supplier" || to == "Bank") && !f.creditor_number) return "RULE_VIOLATION";
  return "OK";
}

struct TableParam {
  bool strict;
  const char* role;
  Facts facts;
};

void PrintTo(const TableParam& p, std::ostream* os) {
  *os << (p.strict ? "strict " : "relaxed ") << p.role << " " << p.facts.name;
}

std::string ParamName(const ::testing::TestParamInfo<TableParam>& info) {
  return std::string(info.param.strict ? "strict_" : "relaxed_") + info.param.role + "_" +
         info.param.facts.name;
}

class AccountTypeTableTest : public DomainTest, public ::testing::WithParamInterface<TableParam> {
 protected:
  // Builds account `id` with the facts, then moves it to `from` (in relaxed mode, as admin).
  void BuildAccount(const std::string& id, const std::string& from, const Facts& f) {
    Cmd open("OpenAccount");
    open.S("account_id", id).S("name", "Account " + id);
    if (f.debtor_number) open.S("debtor_number", "D-" + id);
    if (f.creditor_number) open.S("creditor_number", "K-" + id);
    Ok(open);
    auto opportunity = [&](const std::string& oid) {
      Ok(Cmd("OpenOpportunity").S("opportunity_id", oid).S("account_id", id).S("name", "O")
             .Raw("amount", "100"));
    };
    if (f.open_opportunity) opportunity(id + "-open");
    if (f.won_opportunity) {
      opportunity(id + "-won");
      Ok(Cmd("WinOpportunity").S("opportunity_id", id + "-won"));
    }
    if (f.order) {
      Ok(Cmd("PlaceOrder").S("order_id", id + "-order").S("account_id", id).Raw("amount", "50"));
    }
    Run(Cmd("ChangeAccountType").S("account_id", id).S("account_type", from));
    ASSERT_EQ(CurrentType(id), from) << "could not set up " << id;
  }

  std::string CurrentType(const std::string& id) {
    std::string type = "NotValidated";
    for (const RecordedEvent& e : Stream("account-" + id)) {
      if (const auto* o = Data<fb::AccountOpened>(e)) type = fb::EnumNameAccountType(o->type());
      if (const auto* c = Data<fb::AccountTypeChanged>(e)) type = fb::EnumNameAccountType(c->to());
    }
    return type;
  }
};

TEST_P(AccountTypeTableTest, EveryTransition) {
  const TableParam& p = GetParam();
  const std::string role = p.role;
  if (role != "admin") AddUser(role, role);  // the user id is the role's name
  SetStrict(false);
  for (size_t i = 0; i < kTypes.size(); ++i) {
    for (size_t j = 0; j < kTypes.size(); ++j) {
      ASSERT_NO_FATAL_FAILURE(BuildAccount("X" + std::to_string(i) + std::to_string(j), kTypes[i],
                                           p.facts));
    }
  }
  SetStrict(p.strict);

  int checked = 0;
  for (size_t i = 0; i < kTypes.size(); ++i) {
    for (size_t j = 0; j < kTypes.size(); ++j) {
      const std::string id = "X" + std::to_string(i) + std::to_string(j);
      const std::string from = kTypes[i], to = kTypes[j];
      const std::string expected = Expected(from, to, p.strict, role, p.facts);
      const std::string context = from + " -> " + to + " (" + role + ", " +
                                  (p.strict ? "strict" : "relaxed") + ", facts " + p.facts.name +
                                  ")";
      const uint64_t before = Last();
      const uint64_t version = StreamVersion("account-" + id);
      Outcome r = Run(Cmd("ChangeAccountType").S("account_id", id).S("account_type", to)
                          .S("actor", role));
      EXPECT_EQ(r.code, expected) << context << ": " << r.line;
      ++checked;
      if (r.code != expected) continue;
      if (expected != "OK") {
        EXPECT_EQ(Last(), before) << context;
        EXPECT_EQ(CurrentType(id), from) << context;
      } else if (from == to) {
        EXPECT_TRUE(r.events.empty()) << context << ": " << r.line;
        EXPECT_EQ(Last(), before) << context;
      } else {
        auto events = ExpectAppended(r, {"AccountTypeChanged"});
        ASSERT_EQ(events.size(), 1u) << context;
        const auto* e = Data<fb::AccountTypeChanged>(events[0]);
        EXPECT_EQ(fb::EnumNameAccountType(e->from()), from) << context;
        EXPECT_EQ(fb::EnumNameAccountType(e->to()), to) << context;
        EXPECT_EQ(Info(events[0]).actor, role) << context;
        EXPECT_EQ(r.version, version + 1) << context;
      }
    }
  }
  EXPECT_EQ(checked, 100);
}

std::vector<TableParam> TableParams() {
  std::vector<TableParam> out;
  for (bool strict : {true, false}) {
    for (const Facts& f :
         {kNone, kAllWithWon, kAllWithOrder, kNoContract, kNoDebtor, kNoOpenOpportunity}) {
      out.push_back({strict, "admin", f});
    }
    out.push_back({strict, "manager", kAllWithWon});
    out.push_back({strict, "manager", kNone});
    out.push_back({strict, "sales", kAllWithWon});
    out.push_back({strict, "sales", kNone});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Table, AccountTypeTableTest, ::testing::ValuesIn(TableParams()),
                         ParamName);

// OpenAccount with a type follows the same rules (a new account has no facts).
using AccountTypeOpenTest = DomainTest;

TEST_F(AccountTypeOpenTest, OpeningWithATypeChecksTheRules) {
  AddUser("sales", "sales");
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "x").S("account_type", "Reseller"));
  Rejected(Cmd("OpenAccount").S("account_id", "A2").S("name", "x").S("account_type", "Prospect"),
           "RULE_VIOLATION");
  Rejected(Cmd("OpenAccount").S("account_id", "A3").S("name", "x").S("account_type", "Customer")
               .S("debtor_number", "D"),
           "RULE_VIOLATION");
  Rejected(Cmd("OpenAccount").S("account_id", "A4").S("name", "x").S("account_type", "Supplier"),
           "RULE_VIOLATION");
  Ok(Cmd("OpenAccount").S("account_id", "A5").S("name", "x").S("account_type", "Bank")
         .S("creditor_number", "K"));
  Rejected(Cmd("OpenAccount").S("account_id", "A6").S("name", "x").S("account_type", "Bank")
               .S("creditor_number", "K").S("actor", "sales"),
           "FORBIDDEN");
}

// The numbers a type needs cannot be cleared while it has that type (strict mode).
TEST_F(AccountTypeOpenTest, NumbersATypeNeedsCannotBeCleared) {
  SetStrict(false);
  Ok(Cmd("OpenAccount").S("account_id", "C").S("name", "x").S("account_type", "Customer")
         .S("debtor_number", "D"));
  Ok(Cmd("OpenAccount").S("account_id", "S").S("name", "x").S("account_type", "Supplier")
         .S("creditor_number", "K"));
  SetStrict(true);
  Rejected(Cmd("UpdateAccount").S("account_id", "C").Raw("debtor_number", "null"),
           "RULE_VIOLATION");
  Rejected(Cmd("UpdateAccount").S("account_id", "S").Raw("creditor_number", "null"),
           "RULE_VIOLATION");
  ExpectAppended(Ok(Cmd("UpdateAccount").S("account_id", "C").S("debtor_number", "D2")),
                 {"AccountUpdated"});
  SetStrict(false);
  ExpectAppended(Ok(Cmd("UpdateAccount").S("account_id", "C").Raw("debtor_number", "null")),
                 {"AccountUpdated"});
}

// Facts decided earlier in the same batch count: an opportunity opened (on an Associate, so no
// progression) makes the account eligible for Prospect in the next command of the batch.
TEST_F(AccountTypeOpenTest, FactsFromEarlierCommandsOfTheBatchCount) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "x").S("account_type", "Associate"));
  const std::string open = Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1")
                               .S("name", "O").Raw("amount", "1");
  const std::string prospect =
      Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "Prospect");
  std::vector<ExecResult> results = exec_->ExecuteBatch({open, prospect});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok) << results[0].line;
  EXPECT_TRUE(results[1].ok) << results[1].line;
  EXPECT_THAT(TypesOf(Stream("account-A1")),
              ::testing::ElementsAre("AccountOpened", "AccountTypeChanged"));
}

// ---------------------------------------------------------------------------------------------
// Automatic progression.

class ProgressionTest : public DomainTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DomainTest::SetUp());
    SetStrict(false);  // to put accounts into any starting type
  }
  void OpenAs(const std::string& id, const std::string& type, bool debtor) {
    Cmd open("OpenAccount");
    open.S("account_id", id).S("name", id);
    if (debtor) open.S("debtor_number", "D-" + id);
    if (type != "NotValidated") open.S("account_type", type);
    Ok(open);
  }
};

TEST_F(ProgressionTest, OpeningAnOpportunityMakesEarlyAccountsProspects) {
  for (const char* type : kTypes) {
    const std::string id = std::string("A-") + type;
    OpenAs(id, type, false);
    Outcome r = Ok(Cmd("OpenOpportunity").S("opportunity_id", id).S("account_id", id)
                       .S("name", "O").Raw("amount", "1").S("command_id", "open-" + id));
    const std::string t = type;
    const bool progresses = t == "NotValidated" || t == "Suspect" || t == "Lead";
    if (!progresses) {
      ExpectAppended(r, {"OpportunityOpened"});
      EXPECT_EQ(r.stream, "opportunity-" + id) << type;
      continue;
    }
    auto events = ExpectAppendedInAnyOrder(r, {"OpportunityOpened", "AccountTypeChanged"});
    ASSERT_EQ(events.size(), 2u) << type;
    auto [opened_event, opened_data] = Find<fb::OpportunityOpened>(events);
    auto [changed_event, e] = Find<fb::AccountTypeChanged>(events);
    ASSERT_NE(opened_data, nullptr);
    ASSERT_NE(e, nullptr);
    const EventInfo opened = Info(*opened_event), changed = Info(*changed_event);
    EXPECT_EQ(Info(events[1]).position, Info(events[0]).position + 1) << "contiguous";
    EXPECT_EQ(opened.command_id, "open-" + id);
    EXPECT_EQ(changed.command_id, "open-" + id);
    EXPECT_EQ(opened.actor, "admin");
    EXPECT_EQ(changed.actor, "system") << type;
    EXPECT_EQ(opened.stream, "opportunity-" + id);
    EXPECT_EQ(changed.stream, "account-" + id);
    EXPECT_EQ(fb::EnumNameAccountType(e->from()), t);
    EXPECT_EQ(e->to(), fb::AccountType::Prospect);
    EXPECT_FALSE(S(e->reason()).empty()) << "names its cause";
  }
}

TEST_F(ProgressionTest, ProgressionAlsoHappensInStrictMode) {
  SetStrict(true);
  OpenAs("A1", "NotValidated", true);
  ExpectAppendedInAnyOrder(
      Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "O")
             .Raw("amount", "1")),
      {"OpportunityOpened", "AccountTypeChanged"});
  auto events = ExpectAppendedInAnyOrder(Ok(Cmd("WinOpportunity").S("opportunity_id", "O1")),
                                         {"OpportunityWon", "AccountTypeChanged"});
  const auto* changed = Find<fb::AccountTypeChanged>(events).second;
  ASSERT_NE(changed, nullptr);
  EXPECT_EQ(changed->from(), fb::AccountType::Prospect);
  EXPECT_EQ(changed->to(), fb::AccountType::Customer);
}

TEST_F(ProgressionTest, WinningMakesAnAccountWithADebtorNumberACustomer) {
  for (const char* type : {"NotValidated", "Suspect", "Lead", "Associate", "Prospect"}) {
    for (bool debtor : {true, false}) {
      const std::string id = std::string(debtor ? "D-" : "N-") + type;
      OpenAs(id, type, debtor);
      Ok(Cmd("OpenOpportunity").S("opportunity_id", id).S("account_id", id).S("name", "O")
             .Raw("amount", "1"));
      Outcome r = Ok(Cmd("WinOpportunity").S("opportunity_id", id).S("command_id", "win-" + id));
      if (!debtor) {
        ExpectAppended(r, {"OpportunityWon"});
        continue;
      }
      auto events = ExpectAppendedInAnyOrder(r, {"OpportunityWon", "AccountTypeChanged"});
      auto [changed_event, e] = Find<fb::AccountTypeChanged>(events);
      ASSERT_NE(e, nullptr);
      const EventInfo changed = Info(*changed_event);
      EXPECT_EQ(changed.actor, "system");
      EXPECT_EQ(changed.command_id, "win-" + id);
      EXPECT_EQ(changed.stream, "account-" + id);
      EXPECT_EQ(Info(events[1]).position, Info(events[0]).position + 1);
      EXPECT_EQ(e->to(), fb::AccountType::Customer) << id;
    }
  }
}

TEST_F(ProgressionTest, PlacingAnOrderMakesAnAccountWithADebtorNumberACustomer) {
  for (const char* type : {"NotValidated", "Suspect", "Lead", "Associate", "Prospect"}) {
    for (bool debtor : {true, false}) {
      const std::string id = std::string(debtor ? "D-" : "N-") + type;
      OpenAs(id, type, debtor);
      Outcome r = Ok(Cmd("PlaceOrder").S("order_id", id).S("account_id", id).Raw("amount", "9")
                         .S("command_id", "order-" + id));
      if (!debtor) {
        ExpectAppended(r, {"OrderPlaced"});
        continue;
      }
      auto events = ExpectAppendedInAnyOrder(r, {"OrderPlaced", "AccountTypeChanged"});
      auto [changed_event, e] = Find<fb::AccountTypeChanged>(events);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(Info(*changed_event).actor, "system");
      EXPECT_EQ(Info(*changed_event).command_id, "order-" + id);
      EXPECT_EQ(e->to(), fb::AccountType::Customer) << id;
    }
  }
}

TEST_F(ProgressionTest, ACustomerStaysACustomer) {
  OpenAs("A1", "Customer", true);
  ExpectAppended(Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1")
                        .S("name", "O").Raw("amount", "1")),
                 {"OpportunityOpened"});
  ExpectAppended(Ok(Cmd("WinOpportunity").S("opportunity_id", "O1")), {"OpportunityWon"});
  ExpectAppended(Ok(Cmd("PlaceOrder").S("order_id", "P1").S("account_id", "A1")
                        .Raw("amount", "9")),
                 {"OrderPlaced"});
}

TEST_F(ProgressionTest, LosingDoesNotProgress) {
  OpenAs("A1", "Associate", true);
  Ok(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "O")
         .Raw("amount", "1"));
  ExpectAppended(Ok(Cmd("LoseOpportunity").S("opportunity_id", "O1")), {"OpportunityLost"});
}

}  // namespace
}  // namespace crm::test
