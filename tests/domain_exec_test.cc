// CommandExecutor happy paths, part 1: accounts, contacts, leads, users and settings (SPEC §2).
// Every command type succeeds once with the SPEC result line, and the events it stored carry the
// command's fields. Part 2 (opportunities, service, commerce) is domain_exec_sales_test.cc.
#include <set>

#include "domain/src/command.h"
#include "domain_test_util.h"

namespace crm::test {
namespace {

using ::testing::ElementsAre;

// Every command type of the catalog has a happy-path test in part 1 or part 2; a new command type
// must add one (and its name here).
TEST(DomainExecCoverage, EveryCatalogCommandHasAHappyPathTest) {
  const std::set<std::string> covered = {
      "OpenAccount", "UpdateAccount", "ChangeAccountType", "DeactivateAccount",
      "ReactivateAccount", "AssignAccount", "AddAccountNote", "RecordAccountRevenue",
      "CreateContact", "UpdateContact", "LinkContact", "CreateLead", "UpdateLead", "QualifyLead",
      "DisqualifyLead", "ConvertLead", "OpenOpportunity", "ChangeOpportunityStage",
      "WinOpportunity", "LoseOpportunity", "OpenTicket", "AssignTicket", "ChangeTicketStatus",
      "ResolveTicket", "CloseTicket", "ReopenTicket", "CommentOnTicket", "LogActivity",
      "CompleteActivity", "CancelActivity", "CreateQuote", "AcceptQuote", "PlaceOrder",
      "IssueInvoice", "PayInvoice", "CreateUser", "ChangeUserRole", "SetSetting"};
  std::set<std::string> catalog;
  for (const auto& spec : domain::Catalog()) catalog.emplace(spec.name);
  EXPECT_EQ(catalog, covered);
}

using DomainExecTest = DomainTest;

TEST_F(DomainExecTest, OpenAccountWithEveryField) {
  AddUser("bob", "sales");
  Ok(Cmd("OpenAccount").S("account_id", "P1").S("name", "Parent"));
  const uint64_t before = Last();
  Outcome r = Ok(Cmd("OpenAccount")
                     .S("account_id", "A1")
                     .S("name", "Acme GmbH")
                     .S("industry", "Machinery")
                     .S("phone", "+49 30 1234567")
                     .S("email", "info@acme.example")
                     .S("website", "https://acme.example")
                     .Raw("billing_address",
                          R"({"street":"Main 1","city":"Berlin","postal_code":"10115","country":"DE"})")
                     .Raw("shipping_address", R"({"city":"Hamburg"})")
                     .I("number_of_employees", 250)
                     .S("owner", "bob")
                     .S("parent_account_id", "P1")
                     .S("source", "Trade fair")
                     .S("notes", "Met at the fair")
                     .S("debtor_number", "D-100")
                     .S("creditor_number", "K-200"));
  EXPECT_EQ(r.position, before + 1);
  EXPECT_EQ(r.stream, "account-A1");
  EXPECT_EQ(r.version, 1u);
  auto events = ExpectAppended(r, {"AccountOpened"});
  ASSERT_EQ(events.size(), 1u);
  const EventInfo info = Info(events[0]);
  EXPECT_EQ(info.actor, "admin");
  const auto* e = Data<fb::AccountOpened>(events[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(S(e->account_id()), "A1");
  EXPECT_EQ(S(e->name()), "Acme GmbH");
  EXPECT_EQ(e->type(), fb::AccountType::NotValidated) << "the default type";
  EXPECT_EQ(S(e->industry()), "Machinery");
  EXPECT_EQ(S(e->phone()), "+49 30 1234567");
  EXPECT_EQ(S(e->email()), "info@acme.example");
  EXPECT_EQ(S(e->website()), "https://acme.example");
  ASSERT_NE(e->billing_address(), nullptr);
  EXPECT_EQ(S(e->billing_address()->city()), "Berlin");
  EXPECT_EQ(S(e->billing_address()->postal_code()), "10115");
  ASSERT_NE(e->shipping_address(), nullptr);
  EXPECT_EQ(S(e->shipping_address()->city()), "Hamburg");
  ASSERT_TRUE(e->number_of_employees().has_value());
  EXPECT_EQ(*e->number_of_employees(), 250);
  EXPECT_EQ(S(e->owner()), "bob");
  EXPECT_EQ(S(e->parent_account_id()), "P1");
  EXPECT_EQ(S(e->source()), "Trade fair");
  EXPECT_EQ(S(e->notes()), "Met at the fair");
  EXPECT_EQ(S(e->debtor_number()), "D-100");
  EXPECT_EQ(S(e->creditor_number()), "K-200");
}

TEST_F(DomainExecTest, OpenAccountWithAnAllowedType) {
  Outcome r = Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("account_type",
                                                                             "Suspect"));
  auto events = ExpectAppended(r, {"AccountOpened"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::AccountOpened>(events[0])->type(), fb::AccountType::Suspect);
}

TEST_F(DomainExecTest, UpdateAccountRecordsOldAndNewValues) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("phone", "111"));
  Outcome r = Ok(Cmd("UpdateAccount")
                     .S("account_id", "A1")
                     .S("name", "Acme AG")
                     .Raw("phone", "null")
                     .S("email", "x@acme.example"));
  EXPECT_EQ(r.stream, "account-A1");
  EXPECT_EQ(r.version, 2u);
  auto events = ExpectAppended(r, {"AccountUpdated"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::AccountUpdated>(events[0]);
  ASSERT_NE(e, nullptr);
  std::set<std::string> changed;
  for (const auto* c : *e->changed()) changed.insert(c->str());
  EXPECT_EQ(changed, (std::set<std::string>{"name", "phone", "email"}));
  ASSERT_NE(e->old(), nullptr);
  ASSERT_NE(e->new_(), nullptr);
  EXPECT_EQ(S(e->old()->name()), "Acme");
  EXPECT_EQ(S(e->new_()->name()), "Acme AG");
  EXPECT_EQ(S(e->old()->phone()), "111");
  EXPECT_EQ(S(e->new_()->phone()), "") << "null clears the phone";
  EXPECT_EQ(S(e->new_()->email()), "x@acme.example");

  // Nothing differs: success, nothing appended.
  const uint64_t before = Last();
  Outcome same = Ok(Cmd("UpdateAccount").S("account_id", "A1").S("name", "Acme AG"));
  EXPECT_TRUE(same.events.empty()) << same.line;
  EXPECT_EQ(same.stream, "account-A1");
  EXPECT_EQ(same.version, 2u);
  EXPECT_EQ(Last(), before);
}

TEST_F(DomainExecTest, ChangeAccountType) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Outcome r = Ok(Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "Suspect"));
  auto events = ExpectAppended(r, {"AccountTypeChanged"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::AccountTypeChanged>(events[0]);
  EXPECT_EQ(S(e->account_id()), "A1");
  EXPECT_EQ(e->from(), fb::AccountType::NotValidated);
  EXPECT_EQ(e->to(), fb::AccountType::Suspect);
  EXPECT_EQ(Info(events[0]).actor, "admin");
  EXPECT_EQ(r.version, 2u);
}

TEST_F(DomainExecTest, DeactivateAndReactivateAccount) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Outcome off = Ok(Cmd("DeactivateAccount").S("account_id", "A1").S("reason", "Went bust"));
  auto events = ExpectAppended(off, {"AccountDeactivated"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::AccountDeactivated>(events[0])->reason()), "Went bust");
  EXPECT_EQ(S(Data<fb::AccountDeactivated>(events[0])->account_id()), "A1");

  Outcome on = Ok(Cmd("ReactivateAccount").S("account_id", "A1"));
  events = ExpectAppended(on, {"AccountReactivated"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::AccountReactivated>(events[0])->account_id()), "A1");
  EXPECT_EQ(on.version, 3u);
}

TEST_F(DomainExecTest, AssignAccount) {
  AddUser("bob", "sales");
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Outcome r = Ok(Cmd("AssignAccount").S("account_id", "A1").S("owner", "bob"));
  auto events = ExpectAppended(r, {"AccountAssigned"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::AccountAssigned>(events[0]);
  EXPECT_EQ(S(e->owner()), "bob");
  EXPECT_EQ(S(e->previous_owner()), "");
}

TEST_F(DomainExecTest, AddAccountNoteAndRecordRevenue) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Outcome note = Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "Called\nthem"));
  auto events = ExpectAppended(note, {"AccountNoteAdded"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::AccountNoteAdded>(events[0])->text()), "Called\nthem");

  Outcome rev = Ok(Cmd("RecordAccountRevenue")
                       .S("account_id", "A1")
                       .S("amount", "1234.5")
                       .S("description", "Consulting"));
  events = ExpectAppended(rev, {"AccountRevenueRecorded"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::AccountRevenueRecorded>(events[0])->amount(), 123450) << "kept in cents";
  EXPECT_EQ(S(Data<fb::AccountRevenueRecorded>(events[0])->description()), "Consulting");

  Outcome number = Ok(Cmd("RecordAccountRevenue").S("account_id", "A1").Raw("amount", "0.07"));
  events = ExpectAppended(number, {"AccountRevenueRecorded"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Data<fb::AccountRevenueRecorded>(events[0])->amount(), 7);
}

TEST_F(DomainExecTest, CreateContactLinkedToAnAccount) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Outcome r = Ok(Cmd("CreateContact")
                     .S("contact_id", "C1")
                     .S("first_name", "Ada")
                     .S("last_name", "Lovelace")
                     .S("email", "ada@acme.example")
                     .S("phone", "+44 20 7946 0000")
                     .S("title", "CTO")
                     .S("account_id", "A1"));
  EXPECT_EQ(r.stream, "contact-C1");
  EXPECT_EQ(r.version, 1u);
  auto events = ExpectAppended(r, {"ContactCreated"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::ContactCreated>(events[0]);
  EXPECT_EQ(S(e->first_name()), "Ada");
  EXPECT_EQ(S(e->last_name()), "Lovelace");
  EXPECT_EQ(S(e->email()), "ada@acme.example");
  EXPECT_EQ(S(e->title()), "CTO");
  EXPECT_EQ(S(e->account_id()), "A1");
  EXPECT_THAT(Links("account-A1"), ElementsAre("contact-C1"));
}

TEST_F(DomainExecTest, UpdateContact) {
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Ada").S("last_name", "L"));
  Outcome r = Ok(Cmd("UpdateContact").S("contact_id", "C1").S("title", "CEO"));
  auto events = ExpectAppended(r, {"ContactUpdated"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::ContactUpdated>(events[0]);
  ASSERT_EQ(e->changed()->size(), 1u);
  EXPECT_EQ(e->changed()->Get(0)->str(), "title");
  EXPECT_EQ(S(e->new_()->title()), "CEO");
  EXPECT_EQ(S(e->old()->title()), "");
}

TEST_F(DomainExecTest, LinkContact) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Beta"));
  Ok(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Ada").S("last_name", "L")
         .S("account_id", "A1"));
  Outcome r = Ok(Cmd("LinkContact").S("contact_id", "C1").S("account_id", "A2"));
  auto events = ExpectAppended(r, {"ContactLinked"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::ContactLinked>(events[0]);
  EXPECT_EQ(S(e->account_id()), "A2");
  EXPECT_EQ(S(e->previous_account_id()), "A1");
  EXPECT_THAT(Links("account-A2"), ElementsAre("contact-C1"));
}

TEST_F(DomainExecTest, CreateAndUpdateLead) {
  AddUser("bob", "sales");
  Outcome r = Ok(Cmd("CreateLead")
                     .S("lead_id", "L1")
                     .S("first_name", "Grace")
                     .S("last_name", "Hopper")
                     .S("company", "Navy Labs")
                     .S("email", "grace@navy.example")
                     .S("phone", "555-0100")
                     .S("source", "Web form")
                     .S("industry", "Defense")
                     .S("owner", "bob"));
  EXPECT_EQ(r.stream, "lead-L1");
  auto events = ExpectAppended(r, {"LeadCreated"});
  ASSERT_EQ(events.size(), 1u);
  const auto* e = Data<fb::LeadCreated>(events[0]);
  EXPECT_EQ(S(e->last_name()), "Hopper");
  EXPECT_EQ(S(e->company()), "Navy Labs");
  EXPECT_EQ(S(e->source()), "Web form");
  EXPECT_EQ(S(e->owner()), "bob");

  Outcome u = Ok(Cmd("UpdateLead").S("lead_id", "L1").S("company", "Navy Research"));
  events = ExpectAppended(u, {"LeadUpdated"});
  ASSERT_EQ(events.size(), 1u);
  const auto* up = Data<fb::LeadUpdated>(events[0]);
  EXPECT_EQ(S(up->old()->company()), "Navy Labs");
  EXPECT_EQ(S(up->new_()->company()), "Navy Research");
}

TEST_F(DomainExecTest, QualifyAndDisqualifyLead) {
  Ok(Cmd("CreateLead").S("lead_id", "L1").S("last_name", "Hopper"));
  Outcome q = Ok(Cmd("QualifyLead").S("lead_id", "L1"));
  auto events = ExpectAppended(q, {"LeadQualified"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::LeadQualified>(events[0])->lead_id()), "L1");

  Outcome d = Ok(Cmd("DisqualifyLead").S("lead_id", "L1").S("reason", "No budget"));
  events = ExpectAppended(d, {"LeadDisqualified"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(S(Data<fb::LeadDisqualified>(events[0])->reason()), "No budget");
  EXPECT_EQ(d.version, 3u);
}

TEST_F(DomainExecTest, ConvertLeadWithOpportunity) {
  Ok(Cmd("CreateLead").S("lead_id", "L1").S("last_name", "Hopper").S("company", "Navy Labs"));
  Outcome r = Ok(Cmd("ConvertLead")
                     .S("lead_id", "L1")
                     .S("account_id", "A1")
                     .S("contact_id", "C1")
                     .S("opportunity_id", "O1")
                     .S("opportunity_name", "Compilers")
                     .S("amount", "5000"));
  // The last event appended is the lead's LeadConverted.
  EXPECT_EQ(r.stream, "lead-L1");
  EXPECT_EQ(r.version, 2u);
  auto events = ExpectAppendedInAnyOrder(
      r, {"AccountOpened", "AccountTypeChanged", "ContactCreated", "OpportunityOpened",
          "LeadConverted"});
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(Info(events.back()).type, "LeadConverted") << "the command's own stream is last";
  auto [changed_event, changed] = Find<fb::AccountTypeChanged>(events);
  ASSERT_NE(changed, nullptr);
  EXPECT_EQ(Info(*changed_event).actor, "system") << "automatic progression to Prospect";
  EXPECT_EQ(changed->to(), fb::AccountType::Prospect);
  auto [opened_event, o] = Find<fb::OpportunityOpened>(events);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(S(o->name()), "Compilers");
  EXPECT_EQ(o->amount(), 500000);
  EXPECT_EQ(S(o->lead_id()), "L1");
  const auto* c = Data<fb::LeadConverted>(events[4]);
  EXPECT_EQ(S(c->account_id()), "A1");
  EXPECT_EQ(S(c->contact_id()), "C1");
  EXPECT_EQ(S(c->opportunity_id()), "O1");
  EXPECT_TRUE(c->account_created());
}

TEST_F(DomainExecTest, CreateUserAndChangeRole) {
  Outcome r = Ok(Cmd("CreateUser").S("user_id", "bob").S("name", "Bob").S("role", "sales"));
  EXPECT_EQ(r.stream, "user-bob");
  auto events = ExpectAppended(r, {"UserCreated"});
  ASSERT_EQ(events.size(), 1u);
  const auto* u = Data<fb::UserCreated>(events[0]);
  EXPECT_EQ(S(u->user_id()), "bob");
  EXPECT_EQ(S(u->name()), "Bob");
  EXPECT_EQ(u->role(), fb::UserRole::sales);

  Outcome c = Ok(Cmd("ChangeUserRole").S("user_id", "bob").S("role", "manager"));
  events = ExpectAppended(c, {"UserRoleChanged"});
  ASSERT_EQ(events.size(), 1u);
  const auto* rc = Data<fb::UserRoleChanged>(events[0]);
  EXPECT_EQ(rc->from(), fb::UserRole::sales);
  EXPECT_EQ(rc->to(), fb::UserRole::manager);
}

TEST_F(DomainExecTest, SetSettingRelaxesAndRestoresTheRules) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Rejected(Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "Prospect"),
           "RULE_VIOLATION");

  Outcome r = Ok(Cmd("SetSetting").S("key", "rules.strict").S("value", "false"));
  EXPECT_EQ(r.stream, "config-settings");
  auto events = ExpectAppended(r, {"SettingChanged"});
  ASSERT_EQ(events.size(), 1u);
  const auto* s = Data<fb::SettingChanged>(events[0]);
  EXPECT_EQ(S(s->key()), "rules.strict");
  EXPECT_EQ(S(s->value()), "false");
  EXPECT_EQ(S(s->previous()), "true");
  Ok(Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "Prospect"));

  // Setting the current value changes nothing.
  const uint64_t before = Last();
  Outcome same = Ok(Cmd("SetSetting").S("key", "rules.strict").Raw("value", "false"));
  EXPECT_TRUE(same.events.empty()) << same.line;
  EXPECT_EQ(Last(), before);

  r = Ok(Cmd("SetSetting").S("key", "rules.strict").Raw("value", "true"));
  ExpectAppended(r, {"SettingChanged"});
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Beta"));
  Rejected(Cmd("ChangeAccountType").S("account_id", "A2").S("account_type", "Prospect"),
           "RULE_VIOLATION");
}

TEST_F(DomainExecTest, CommonFieldsReachTheEnvelope) {
  AddUser("bob", "sales");
  Outcome r = Ok(Cmd("OpenAccount")
                     .S("account_id", "A1")
                     .S("name", "Acme")
                     .S("actor", "bob")
                     .S("command_id", "cmd-1")
                     .S("correlation_id", "corr-1")
                     .S("occurred_at", "2020-01-02T03:04:05Z"));
  auto events = ExpectAppended(r, {"AccountOpened"});
  ASSERT_EQ(events.size(), 1u);
  EventView v = events[0].view();
  EXPECT_EQ(S(v.envelope->actor()), "bob");
  EXPECT_EQ(S(v.envelope->command_id()), "cmd-1");
  EXPECT_EQ(S(v.envelope->correlation_id()), "corr-1");
  EXPECT_EQ(v.occurred_at_us(), int64_t{1577934245} * 1000000);
  EXPECT_GT(v.recorded_at_us(), v.occurred_at_us());

  // Without occurred_at, business time is the recording time; a command_id is generated.
  Outcome plain = Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "hi"));
  events = ExpectAppended(plain, {"AccountNoteAdded"});
  ASSERT_EQ(events.size(), 1u);
  v = events[0].view();
  EXPECT_EQ(v.occurred_at_us(), v.recorded_at_us());
  EXPECT_FALSE(S(v.envelope->command_id()).empty());
}

TEST_F(DomainExecTest, ExecuteBatchRunsInOrderSeeingEarlierCommands) {
  std::vector<std::string> lines = {
      Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"),
      Cmd("CreateContact").S("contact_id", "C1").S("first_name", "A").S("last_name", "B")
          .S("account_id", "A1"),
      Cmd("OpenAccount").S("account_id", "A1").S("name", "Again"),
      Cmd("AddAccountNote").S("account_id", "A1").S("text", "after"),
  };
  std::vector<std::string_view> views(lines.begin(), lines.end());
  std::vector<ExecResult> results = exec_->ExecuteBatch(views);
  ASSERT_EQ(results.size(), 4u);
  Outcome r0 = ParseOutcome(results[0].line), r1 = ParseOutcome(results[1].line),
          r2 = ParseOutcome(results[2].line), r3 = ParseOutcome(results[3].line);
  EXPECT_EQ(r0.code, "OK");
  EXPECT_EQ(r1.code, "OK");
  EXPECT_EQ(r2.code, "ALREADY_EXISTS");
  EXPECT_EQ(r3.code, "OK");
  EXPECT_EQ(r0.position, 2u);
  EXPECT_EQ(r1.position, 3u);
  EXPECT_EQ(r3.position, 4u);
  EXPECT_EQ(r3.version, 2u);
  EXPECT_EQ(TypesOf(Log(2)),
            (std::vector<std::string>{"AccountOpened", "ContactCreated", "AccountNoteAdded"}));
}

}  // namespace
}  // namespace crm::test
