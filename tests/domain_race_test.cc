// Racing commands on stale state: executors sharing one store each cache the state they read. An
// executor notices when anyone else appended and decides on fresh state; a decision on state that
// moves before it is appended fails with CONCURRENCY_CONFLICT (never commits), the other change
// stands, and nothing is left stuck.
#include <atomic>
#include <barrier>
#include <thread>

#include "domain_test_util.h"

namespace crm::test {
namespace {

class RaceTest : public DomainTest {
 protected:
  // Options whose before_commit hook has `other` run `line` once -- between the decision of the
  // first batch and its append -- and expects it to succeed.
  ExecOptions InterfereOnce(CommandExecutor& other, std::string line) {
    ExecOptions options;
    auto pending = std::make_shared<bool>(true);
    options.before_commit = [this, &other, line = std::move(line), pending] {
      if (!*pending) return;
      *pending = false;
      Outcome r = Run(other, line);
      ASSERT_TRUE(r.ok) << r.line;
    };
    return options;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DomainTest::SetUp());
    AddUser("sue", "support");
    Ok(Cmd("OpenAccount").S("account_id", "X").S("name", "Original").S("account_type",
                                                                        "Associate"));
  }
};

// Another executor's change is seen: the executor notices the log moved and decides on fresh
// state (the old value it records is the other executor's).
TEST_F(RaceTest, ExecutorSeesAnotherExecutorsChange) {
  CommandExecutor a(store_.get()), b(store_.get());
  ASSERT_TRUE(Run(a, Cmd("AddAccountNote").S("account_id", "X").S("text", "from A")).ok);
  ASSERT_TRUE(Run(b, Cmd("UpdateAccount").S("account_id", "X").S("name", "Renamed by B")).ok);
  Outcome ra = Run(a, Cmd("UpdateAccount").S("account_id", "X").S("name", "Renamed by A"));
  auto appended = ExpectAppended(ra, {"AccountUpdated"});
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(S(Data<fb::AccountUpdated>(appended[0])->old()->name()), "Renamed by B");
  // A stream another executor created is seen too.
  const std::string note = Cmd("AddAccountNote").S("account_id", "Y").S("text", "x");
  EXPECT_THAT(Run(a, note), HasCode("NOT_FOUND"));
  ASSERT_TRUE(Run(b, Cmd("OpenAccount").S("account_id", "Y").S("name", "Y")).ok);
  EXPECT_TRUE(Run(a, note).ok);
  // And an explicit expected_version is checked against the store's version.
  ASSERT_TRUE(Run(b, Cmd("AddAccountNote").S("account_id", "X").S("text", "by B")).ok);
  EXPECT_TRUE(Run(a, Cmd("AddAccountNote").S("account_id", "X").S("text", "by A")
                         .I("expected_version", StreamVersion("account-X")))
                  .ok);
}

// A decision on state that moves before it is appended never commits: B acts between A's
// decision and A's append (the before_commit hook), so A gets CONCURRENCY_CONFLICT.
TEST_F(RaceTest, DecisionOnStateThatMovedConflictsAndTheOtherChangeStands) {
  CommandExecutor b(store_.get());
  ExecOptions options =
      InterfereOnce(b, Cmd("UpdateAccount").S("account_id", "X").S("name", "Renamed by B"));
  CommandExecutor a(store_.get(), options);
  const std::string update = Cmd("UpdateAccount").S("account_id", "X").S("name", "Renamed by A")
                                 .S("command_id", "a-1");
  Outcome ra = Run(a, update);
  EXPECT_EQ(ra.code, "CONCURRENCY_CONFLICT") << ra.line;
  std::vector<RecordedEvent> events = Stream("account-X");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(S(Data<fb::AccountUpdated>(events.back())->new_()->name()), "Renamed by B");
  // The conflict is not remembered under the command_id: the retry is decided afresh.
  Outcome retry = Run(a, update);
  auto appended = ExpectAppended(retry, {"AccountUpdated"});
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(S(Data<fb::AccountUpdated>(appended[0])->old()->name()), "Renamed by B");
}

// A stream a decision only read (the account, to open a quote on it) guards the append as well.
TEST_F(RaceTest, ReadOnlyStreamThatMovedConflictsToo) {
  CommandExecutor b(store_.get());
  ExecOptions options = InterfereOnce(b, Cmd("DeactivateAccount").S("account_id", "X"));
  CommandExecutor a(store_.get(), options);
  const std::string quote = Cmd("CreateQuote").S("quote_id", "Q1").S("account_id", "X")
                                .Raw("amount", "5");
  EXPECT_THAT(Run(a, quote), HasCode("CONCURRENCY_CONFLICT"));
  EXPECT_EQ(StreamVersion("quote-Q1"), 0u);
  EXPECT_THAT(Run(a, quote), HasCode("RULE_VIOLATION"));  // decided on fresh state: inactive
}

// In one batch, the commands after one that failed were decided assuming it would commit: they
// are decided again on fresh state, never appended on the failed one's assumptions.
TEST_F(RaceTest, BatchCommandDecidedOnAFailedEarlierCommandDoesNotCommit) {
  CommandExecutor b(store_.get());
  ExecOptions options =
      InterfereOnce(b, Cmd("AddAccountNote").S("account_id", "X").S("text", "by B"));
  CommandExecutor a(store_.get(), options);
  const std::string deactivate = Cmd("DeactivateAccount").S("account_id", "X");
  const std::string reactivate = Cmd("ReactivateAccount").S("account_id", "X");
  std::vector<ExecResult> results = a.ExecuteBatch({deactivate, reactivate});
  ASSERT_EQ(results.size(), 2u);
  Outcome r0 = ParseOutcome(results[0].line), r1 = ParseOutcome(results[1].line);
  EXPECT_EQ(r0.code, "CONCURRENCY_CONFLICT") << r0.line;
  EXPECT_EQ(r1.code, "RULE_VIOLATION") << "re-decided on fresh state (active): " << r1.line;
  for (const RecordedEvent& e : Stream("account-X")) {
    EXPECT_EQ(Data<fb::AccountReactivated>(e), nullptr)
        << "AccountReactivated at position " << Info(e).position
        << " on an account that was never deactivated";
  }
}

// N threads, each with its own executor, move the same opportunity forward from the same stage
// they all read: exactly one wins; the others conflict (or, had they read the new state, get a
// rule violation). Repeated over several opportunities.
TEST_F(RaceTest, ThreadsRacingOnOneOpportunity) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 15;
  const char* kTargets[] = {"Qualification", "NeedsAnalysis", "Proposal", "Negotiation"};
  std::vector<std::unique_ptr<CommandExecutor>> executors;
  for (int t = 0; t < kThreads; ++t) {
    executors.push_back(std::make_unique<CommandExecutor>(store_.get()));
  }
  int conflicts = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string opp = "O" + std::to_string(round);
    Ok(Cmd("OpenOpportunity").S("opportunity_id", opp).S("account_id", "X").S("name", "O")
           .Raw("amount", "1"));
    // Every executor reads the opportunity (Prospecting) into its cache.
    for (int t = 0; t < kThreads; ++t) {
      ASSERT_TRUE(Run(*executors[t], Cmd("LogActivity")
                                         .S("activity_id", opp + "-" + std::to_string(t))
                                         .S("kind", "Call").S("subject", "S")
                                         .S("opportunity_id", opp))
                      .ok);
    }
    const uint64_t before = Last();
    std::vector<std::string> results(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string line = Cmd("ChangeOpportunityStage").S("opportunity_id", opp)
                                     .S("stage", kTargets[t % 4]);
        start.arrive_and_wait();
        results[t] = executors[t]->Execute(line).line;
      });
    }
    for (auto& th : threads) th.join();

    // Several may win -- one that noticed the first winner's append decides on the new stage --
    // but never two on the same state: every stage change starts where the previous one ended,
    // and every loser was refused (conflict, or a rule checked on fresh state).
    int wins = 0;
    for (int t = 0; t < kThreads; ++t) {
      Outcome r = ParseOutcome(results[t]);
      if (r.ok) {
        ++wins;
        EXPECT_EQ(r.events, std::vector<std::string>{"OpportunityStageChanged"});
      } else {
        EXPECT_TRUE(r.code == "CONCURRENCY_CONFLICT" || r.code == "RULE_VIOLATION") << r.line;
        conflicts += r.code == "CONCURRENCY_CONFLICT";
      }
    }
    EXPECT_GE(wins, 1) << "round " << round;
    EXPECT_EQ(Last(), before + static_cast<uint64_t>(wins)) << "round " << round;
    fb::OpportunityStage stage = fb::OpportunityStage::Prospecting;
    for (const RecordedEvent& e : Stream("opportunity-" + opp)) {
      if (const auto* c = Data<fb::OpportunityStageChanged>(e)) {
        EXPECT_EQ(c->from(), stage) << "a lost update in round " << round;
        EXPECT_GT(c->to(), c->from());
        stage = c->to();
      }
    }

    // No executor is stuck: each, in turn, closes the opportunity. The first succeeds; the
    // others find it closed -- at most one conflict first (the winner's cache still holds its own
    // stage change), then a rule violation decided on fresh state.
    for (int t = 0; t < kThreads; ++t) {
      const std::string close = Cmd("ChangeOpportunityStage").S("opportunity_id", opp)
                                    .S("stage", "ClosedLost");
      Outcome again = Run(*executors[t], close);
      if (t == 0) {
        EXPECT_TRUE(again.ok) << "executor " << t << ": " << again.line;
        continue;
      }
      EXPECT_THAT(again, HasCode("RULE_VIOLATION")) << "executor " << t << " (already closed)";
    }
  }
  // Whether any thread decided on a stage that moved depends on scheduling (under load the
  // threads serialise and decide on fresh state); the conflict path itself is proven
  // deterministically by DecisionOnStateThatMovedConflictsAndTheOtherChangeStands.
  RecordProperty("conflicts", conflicts);
}

// The same command (one command_id) sent concurrently through several executors is appended
// once, and every sender gets the first result.
TEST_F(RaceTest, SameCommandIdFromManyThreadsAppendsOnce) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string line = Cmd("AddAccountNote").S("account_id", "X").S("text", "once")
                                 .S("command_id", "dup-" + std::to_string(round));
    std::vector<std::unique_ptr<CommandExecutor>> executors;
    for (int t = 0; t < kThreads; ++t) {
      executors.push_back(std::make_unique<CommandExecutor>(store_.get()));
    }
    const uint64_t before = Last();
    std::vector<std::string> results(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        results[t] = executors[t]->Execute(line).line;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(Last(), before + 1) << "round " << round;
    EXPECT_EQ(ParseOutcome(results[0]).code, "OK") << results[0];
    for (int t = 1; t < kThreads; ++t) {
      EXPECT_EQ(results[t], results[0]) << "round " << round << ", thread " << t;
    }
  }
}

// The same command_id raced with different bodies: one is appended, the others get its result
// back as a duplicate. A loser's own decision was never appended, so it must not become that
// executor's idea of the stream: its next command must see the winner's state.
TEST_F(RaceTest, DuplicateResultDoesNotCacheTheLosersOwnDecision) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 60;
  int probed = 0, wrong = 0;
  std::string example;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = "R" + std::to_string(round);
    Ok(Cmd("OpenAccount").S("account_id", id).S("name", "start"));
    std::vector<std::unique_ptr<CommandExecutor>> executors;
    for (int t = 0; t < kThreads; ++t) {
      executors.push_back(std::make_unique<CommandExecutor>(store_.get()));
      // Each executor caches the account first (a refused command reads it, appends nothing).
      ASSERT_THAT(Run(*executors[t], Cmd("ReactivateAccount").S("account_id", id)),
                  HasCode("RULE_VIOLATION"));
    }
    std::vector<std::string> results(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string line = Cmd("UpdateAccount").S("account_id", id)
                                     .S("name", "N" + std::to_string(t))
                                     .S("command_id", "rename-" + id);
        start.arrive_and_wait();
        results[t] = executors[t]->Execute(line).line;
      });
    }
    for (auto& th : threads) th.join();
    const auto winner_update = Data<fb::AccountUpdated>(Stream("account-" + id).back());
    ASSERT_NE(winner_update, nullptr);
    const std::string winner_name = S(winner_update->new_()->name());
    // Probe one executor whose body lost but whose result was the (shared) success.
    for (int t = 0; t < kThreads; ++t) {
      if ("N" + std::to_string(t) == winner_name || !ParseOutcome(results[t]).ok) continue;
      Outcome probe = Run(*executors[t], Cmd("UpdateAccount").S("account_id", id)
                                             .S("name", "probe"));
      if (probe.code == "CONCURRENCY_CONFLICT") break;  // it had reloaded or was behind
      ++probed;
      auto events = ExpectAppended(probe, {"AccountUpdated"});
      ASSERT_EQ(events.size(), 1u);
      const std::string seen = S(Data<fb::AccountUpdated>(events[0])->old()->name());
      if (seen != winner_name) {
        ++wrong;
        if (example.empty()) {
          example = "round " + std::to_string(round) + ": executor " + std::to_string(t) +
                    " recorded old name " + seen + " (its own never-appended rename), the " +
                    "stream had " + winner_name;
        }
      }
      break;
    }
  }
  RecordProperty("probed_rounds", probed);
  EXPECT_EQ(wrong, 0) << "of " << probed << " probed rounds; e.g. " << example;
}

// Many threads appending to different streams through their own executors all succeed.
TEST_F(RaceTest, IndependentCommandsInParallelAllSucceed) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  const uint64_t before = Last();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CommandExecutor ex(store_.get());
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "P" + std::to_string(t) + "-" + std::to_string(i);
        if (!ex.Execute(Cmd("OpenAccount").S("account_id", id).S("name", id).str()).ok) ++failures;
        if (!ex.Execute(Cmd("AddAccountNote").S("account_id", id).S("text", "n").str()).ok) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Last(), before + 2 * kThreads * kPerThread);
}

// A rejection decided while another executor answers the same command_id first: the first answer
// is the one returned, now and on every retry.
TEST_F(RaceTest, RejectionRecordLosingToAnotherAnswerReturnsTheFirstAnswer) {
  CommandExecutor b(store_.get());
  const std::string as_admin = Cmd("CreateUser").S("user_id", "sam").S("name", "Sam")
                                   .S("role", "sales").S("command_id", "k-1");
  ExecOptions options = InterfereOnce(b, as_admin);
  options.default_actor = "nobody";  // A's decision: FORBIDDEN (unknown user)
  CommandExecutor a(store_.get(), options);
  const std::string line = Cmd("CreateUser").S("user_id", "sam").S("name", "Sam")
                               .S("role", "sales").S("command_id", "k-1");
  Outcome first = Run(a, line);
  EXPECT_TRUE(first.ok) << first.line;
  Outcome retry = Run(a, line);
  EXPECT_EQ(retry.line, first.line);
}

}  // namespace
}  // namespace crm::test
