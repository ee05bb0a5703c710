// Every SPEC §2 error code through CommandExecutor, each rejection appending nothing, and
// command-level idempotency (a repeated command_id gets the first result again).
#include "domain_test_util.h"
#include "raw_db.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;

class DomainErrorsTest : public DomainTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DomainTest::SetUp());
    Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  }
};

TEST_F(DomainErrorsTest, BadRequest) {
  Rejected("this is not JSON", "BAD_REQUEST");
  Rejected(R"({"type":"OpenAccount","account_id":"A2")", "BAD_REQUEST");  // truncated
  Rejected(R"([{"type":"OpenAccount","account_id":"A2","name":"x"}])", "BAD_REQUEST");
  Rejected(R"("OpenAccount")", "BAD_REQUEST");
  Rejected(R"({"account_id":"A2","name":"x"})", "BAD_REQUEST");  // no type
  Outcome unknown = Rejected(R"({"type":"OpenAcount","account_id":"A2","name":"x"})",
                             "BAD_REQUEST");
  EXPECT_THAT(unknown.message, HasSubstr("OpenAcount"));
  Outcome wrong = Rejected(R"({"type":"OpenAccount","account_id":"A2","name":42})",
                           "BAD_REQUEST");
  EXPECT_THAT(wrong.message, HasSubstr("name"));
  Rejected(R"({"type":"OpenAccount","account_id":["A2"],"name":"x"})", "BAD_REQUEST");
  Rejected(R"({"type":7})", "BAD_REQUEST");
  Rejected("", "BAD_REQUEST");
  Rejected("{\"type\":\"AddAccountNote\",\"account_id\":\"A1\",\"text\":\"\xff\xfe\"}",
           "BAD_REQUEST");
}

TEST_F(DomainErrorsTest, ValidationError) {
  Outcome missing = Rejected(R"({"type":"OpenAccount","account_id":"A2"})", "VALIDATION_ERROR");
  EXPECT_THAT(missing.message, HasSubstr("name"));
  Rejected(R"({"type":"OpenAccount","account_id":"A2","name":""})", "VALIDATION_ERROR");
  Outcome email = Rejected(
      R"({"type":"OpenAccount","account_id":"A2","name":"x","email":"not-an-email"})",
      "VALIDATION_ERROR");
  EXPECT_THAT(email.message, HasSubstr("email"));
  Outcome negative = Rejected(Cmd("RecordAccountRevenue").S("account_id", "A1").Raw("amount", "-5"),
                              "VALIDATION_ERROR");
  EXPECT_THAT(negative.message, HasSubstr("amount"));
  Rejected(Cmd("RecordAccountRevenue").S("account_id", "A1").Raw("amount", "0"),
           "VALIDATION_ERROR");
  Rejected(Cmd("RecordAccountRevenue").S("account_id", "A1").Raw("amount", "1.234"),
           "VALIDATION_ERROR");
  Rejected(Cmd("RecordAccountRevenue").S("account_id", "A1").S("amount", "12,50"),
           "VALIDATION_ERROR");
  Outcome enumv = Rejected(Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "VIP"),
                           "VALIDATION_ERROR");
  EXPECT_THAT(enumv.message, HasSubstr("Prospect")) << "lists the allowed values";
  Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", std::string(70000, 'x')),
           "VALIDATION_ERROR");
  Rejected(Cmd("OpenAccount").S("account_id", "A2").S("name", std::string(256, 'n')),
           "VALIDATION_ERROR");
  Rejected(Cmd("OpenAccount").S("account_id", "A2").S("name", "x").S("colour", "red"),
           "VALIDATION_ERROR");
  Rejected(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "x")
               .Raw("amount", "1").S("currency", "euro"),
           "VALIDATION_ERROR");
  Rejected(Cmd("SetSetting").S("key", "rules.lenient").S("value", "true"), "VALIDATION_ERROR");
  Rejected(Cmd("SetSetting").S("key", "rules.strict").S("value", "maybe"), "VALIDATION_ERROR");
  Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
               .S("occurred_at", "2999-01-01T00:00:00Z"),
           "VALIDATION_ERROR");
}

TEST_F(DomainErrorsTest, NotFound) {
  Outcome r = Rejected(Cmd("UpdateAccount").S("account_id", "NOPE").S("name", "x"), "NOT_FOUND");
  EXPECT_THAT(r.message, HasSubstr("NOPE"));
  Rejected(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "NOPE").S("name", "x")
               .Raw("amount", "1"),
           "NOT_FOUND");
  Rejected(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "a").S("last_name", "b")
               .S("account_id", "NOPE"),
           "NOT_FOUND");
  Rejected(Cmd("AssignAccount").S("account_id", "A1").S("owner", "nobody"), "NOT_FOUND");
  Rejected(Cmd("PayInvoice").S("invoice_id", "I9"), "NOT_FOUND");
  Rejected(Cmd("ChangeUserRole").S("user_id", "nobody").S("role", "sales"), "NOT_FOUND");
  EXPECT_EQ(StreamVersion("opportunity-O1"), 0u);
  EXPECT_EQ(StreamVersion("contact-C1"), 0u);
}

TEST_F(DomainErrorsTest, AlreadyExists) {
  Outcome r = Rejected(Cmd("OpenAccount").S("account_id", "A1").S("name", "Again"),
                       "ALREADY_EXISTS");
  EXPECT_THAT(r.message, HasSubstr("A1"));
  Rejected(Cmd("CreateUser").S("user_id", "admin").S("name", "x").S("role", "viewer"),
           "ALREADY_EXISTS");
  EXPECT_EQ(StreamVersion("account-A1"), 1u);
}

TEST_F(DomainErrorsTest, ConcurrencyConflictOnExplicitExpectedVersion) {
  Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "v2"));
  Outcome r = Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
                           .I("expected_version", 1),
                       "CONCURRENCY_CONFLICT");
  EXPECT_THAT(r.message, HasSubstr("account-A1"));
  Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
               .S("expected_version", "no_stream"),
           "CONCURRENCY_CONFLICT");
  Rejected(Cmd("OpenAccount").S("account_id", "A9").S("name", "x").S("expected_version", "exists"),
           "CONCURRENCY_CONFLICT");
  Rejected(Cmd("OpenAccount").S("account_id", "A1").S("name", "x").I("expected_version", 3),
           "CONCURRENCY_CONFLICT");
  Rejected(Cmd("SetSetting").S("key", "rules.strict").S("value", "false").I("expected_version", 4),
           "CONCURRENCY_CONFLICT");

  // The matching expectations succeed.
  ExpectAppended(Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "ok")
                        .I("expected_version", 2)),
                 {"AccountNoteAdded"});
  ExpectAppended(Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "ok")
                        .S("expected_version", "exists")),
                 {"AccountNoteAdded"});
  ExpectAppended(Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "ok")
                        .S("expected_version", "any")),
                 {"AccountNoteAdded"});
  ExpectAppended(Ok(Cmd("OpenAccount").S("account_id", "A9").S("name", "x")
                        .S("expected_version", "no_stream")),
                 {"AccountOpened"});
  EXPECT_EQ(StreamVersion("account-A1"), 5u);
}

TEST_F(DomainErrorsTest, RuleViolation) {
  Ok(Cmd("DeactivateAccount").S("account_id", "A1"));
  Outcome r = Rejected(Cmd("DeactivateAccount").S("account_id", "A1"), "RULE_VIOLATION");
  EXPECT_THAT(r.message, HasSubstr("inactive"));
  Rejected(Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "A1").S("name", "x")
               .Raw("amount", "1"),
           "RULE_VIOLATION");
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "x"));
  Rejected(Cmd("UpdateAccount").S("account_id", "A2").S("parent_account_id", "A2"),
           "RULE_VIOLATION");
}

TEST_F(DomainErrorsTest, ForbiddenForAnUnknownActor) {
  Outcome r = Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
                           .S("actor", "ghost"),
                       "FORBIDDEN");
  EXPECT_THAT(r.message, HasSubstr("ghost"));
  ExecOptions ghost;
  ghost.default_actor = "ghost";
  CommandExecutor as_ghost(store_.get(), ghost);
  const uint64_t before = Last();
  EXPECT_THAT(Run(as_ghost, Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")),
              HasCode("FORBIDDEN"));
  EXPECT_EQ(Last(), before);
}

TEST_F(DomainErrorsTest, ForbiddenForARoleThatMayNot) {
  AddUser("vic", "viewer");
  AddUser("bob", "sales");
  Outcome r = Rejected(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
                           .S("actor", "vic"),
                       "FORBIDDEN");
  EXPECT_THAT(r.message, HasSubstr("viewer"));
  Rejected(Cmd("ChangeAccountType").S("account_id", "A1").S("account_type", "Division")
               .S("actor", "bob"),
           "FORBIDDEN");
}

// The permission check comes before the state checks: a viewer learns nothing about what exists.
TEST_F(DomainErrorsTest, ForbiddenBeforeNotFound) {
  AddUser("vic", "viewer");
  Rejected(Cmd("UpdateAccount").S("account_id", "NOPE").S("name", "x").S("actor", "vic"),
           "FORBIDDEN");
}

// A store whose last record is damaged opens with appends latched off: every command that would
// append gets STORAGE_ERROR, and nothing is appended.
TEST(DomainStorageErrorTest, DamagedLastRecordMakesWritesStorageErrors) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db, FastOptions(), &store));
    ASSERT_OK(EnsureAdminUser(*store));
    CommandExecutor exec(store.get());
    ASSERT_TRUE(exec.Execute(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").str()).ok);
    ASSERT_TRUE(exec.Execute(Cmd("OpenAccount").S("account_id", "B2").S("name", "Beta").str()).ok);
    ASSERT_EQ(store->LastPosition(), 3u);
  }
  ASSERT_TRUE(PutRawEvent(db, 3, "garbage"));

  auto reopened = EventStore::Open(db, FastOptions());
  if (!reopened.ok()) {
    // The engine may refuse to open instead; then no command can run at all.
    GTEST_SKIP() << "the store does not open with a damaged last record: "
                 << reopened.status().ToString();
  }
  std::unique_ptr<EventStore> store = std::move(reopened).value();
  CommandExecutor exec(store.get());
  const uint64_t before = store->LastPosition();
  // A command on an undamaged stream: decided, but the append is refused.
  Outcome r = ParseOutcome(
      exec.Execute(Cmd("AddAccountNote").S("account_id", "A1").S("text", "x").S("command_id", "c1").str())
          .line);
  EXPECT_EQ(r.code, "STORAGE_ERROR") << r.line;
  // A command that reads the damaged stream.
  Outcome r2 = ParseOutcome(exec.Execute(Cmd("AddAccountNote").S("account_id", "B2").S("text", "x").str())
                                .line);
  EXPECT_EQ(r2.code, "STORAGE_ERROR") << r2.line;
  EXPECT_EQ(store->LastPosition(), before);
  // A storage error is not an answer to remember: the command id is still free.
  ASSERT_OK_AND_ASSIGN(auto first, store->LookupCommand("c1"));
  EXPECT_FALSE(first.has_value());
}

// ---------------------------------------------------------------------------------------------
// Command-level idempotency.

using DomainIdempotencyTest = DomainErrorsTest;

TEST_F(DomainIdempotencyTest, RepeatedSuccessReturnsTheFirstResult) {
  const std::string cmd = Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
                              .S("command_id", "note-1");
  Outcome first = Ok(cmd);
  const uint64_t after = Last();
  EXPECT_EQ(Run(cmd).line, first.line);
  // A different body under the same command_id is still the same command.
  EXPECT_EQ(Run(Cmd("AddAccountNote").S("account_id", "A1").S("text", "other")
                    .S("command_id", "note-1")).line,
            first.line);
  // Another executor (no shared cache) answers the same from the store.
  CommandExecutor other(store_.get());
  EXPECT_EQ(Run(other, cmd).line, first.line);
  EXPECT_EQ(Last(), after);
  EXPECT_EQ(StreamVersion("account-A1"), 2u);
}

TEST_F(DomainIdempotencyTest, RepeatedMultiEventCommandReturnsTheFirstResult) {
  Ok(Cmd("OpenAccount").S("account_id", "N1").S("name", "New"));
  Ok(Cmd("CreateLead").S("lead_id", "L1").S("last_name", "H").S("company", "Co"));
  const std::string open = Cmd("OpenOpportunity").S("opportunity_id", "O1").S("account_id", "N1")
                               .S("name", "D").Raw("amount", "1").S("command_id", "open-1");
  const std::string convert = Cmd("ConvertLead").S("lead_id", "L1").S("account_id", "A7")
                                  .S("contact_id", "C7").S("opportunity_id", "O7")
                                  .S("command_id", "convert-1");
  Outcome o1 = Ok(open);
  Outcome c1 = Ok(convert);
  ASSERT_EQ(o1.events.size(), 2u) << "with the progression to Prospect";
  const uint64_t after = Last();
  CommandExecutor other(store_.get());
  EXPECT_EQ(Run(open).line, o1.line);
  EXPECT_EQ(Run(convert).line, c1.line);
  EXPECT_EQ(Run(other, open).line, o1.line);
  EXPECT_EQ(Run(other, convert).line, c1.line);
  EXPECT_EQ(Last(), after);
}

TEST_F(DomainIdempotencyTest, RepeatedRejectionReturnsTheFirstResultEvenIfItWouldNowSucceed) {
  const std::string cmd = Cmd("AddAccountNote").S("account_id", "B2").S("text", "x")
                              .S("command_id", "early-1");
  Outcome first = Rejected(cmd, "NOT_FOUND");
  Ok(Cmd("OpenAccount").S("account_id", "B2").S("name", "Beta"));
  const uint64_t after = Last();
  EXPECT_EQ(Run(cmd).line, first.line);
  CommandExecutor other(store_.get());
  EXPECT_EQ(Run(other, cmd).line, first.line);
  EXPECT_EQ(Last(), after);
  EXPECT_EQ(StreamVersion("account-B2"), 1u);

  // The same for a permission rejection.
  AddUser("vic", "viewer");
  const std::string denied = Cmd("AddAccountNote").S("account_id", "B2").S("text", "x")
                                 .S("actor", "vic").S("command_id", "denied-1");
  Outcome d1 = Rejected(denied, "FORBIDDEN");
  Ok(Cmd("ChangeUserRole").S("user_id", "vic").S("role", "sales"));
  const uint64_t later = Last();
  EXPECT_EQ(Run(denied).line, d1.line);
  EXPECT_EQ(Last(), later);
}

TEST_F(DomainIdempotencyTest, RepeatInsideOneBatch) {
  const std::string note = Cmd("AddAccountNote").S("account_id", "A1").S("text", "x")
                               .S("command_id", "b-1");
  const std::string missing = Cmd("AddAccountNote").S("account_id", "B2").S("text", "x")
                                  .S("command_id", "b-2");
  const std::string create = Cmd("OpenAccount").S("account_id", "B2").S("name", "Beta");
  const uint64_t before = Last();
  std::vector<std::string_view> batch = {note, missing, note, create, missing};
  std::vector<ExecResult> results = exec_->ExecuteBatch(batch);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(ParseOutcome(results[0].line).code, "OK");
  EXPECT_EQ(ParseOutcome(results[1].line).code, "NOT_FOUND");
  EXPECT_EQ(results[2].line, results[0].line);
  EXPECT_EQ(ParseOutcome(results[3].line).code, "OK");
  EXPECT_EQ(results[4].line, results[1].line) << "the first answer, though B2 now exists";
  EXPECT_EQ(Last(), before + 2);
  EXPECT_EQ(TypesOf(Log(before + 1)),
            (std::vector<std::string>{"AccountNoteAdded", "AccountOpened"}));
  // And after the batch, from the store.
  EXPECT_EQ(Run(note).line, results[0].line);
  EXPECT_EQ(Run(missing).line, results[1].line);
  EXPECT_EQ(Last(), before + 2);
}

// A command that changed nothing (assigning the current owner) must not run again under its
// command_id once the state has moved on: the first result is the answer.
TEST_F(DomainIdempotencyTest, RepeatedNoOpCommandAppendsNothingLater) {
  AddUser("bob", "sales");
  const std::string assign = Cmd("AssignAccount").S("account_id", "A1").S("owner", "admin")
                                 .S("command_id", "assign-admin");
  Ok(Cmd("AssignAccount").S("account_id", "A1").S("owner", "admin"));
  Outcome first = Ok(assign);
  EXPECT_TRUE(first.events.empty()) << first.line;
  Ok(Cmd("AssignAccount").S("account_id", "A1").S("owner", "bob"));
  const uint64_t after = Last();
  Outcome retry = Run(assign);
  EXPECT_EQ(retry.line, first.line);
  EXPECT_EQ(Last(), after) << "the retry of a command that already ran appended again";
}

}  // namespace
}  // namespace crm::test
