// Append: expected versions, results, idempotency, multi-stream atomicity, request validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;

class AppendTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_)); }

  Result<AppendResult> Append(const std::string& stream, ExpectedVersion expected, int n = 1) {
    return store_->Append(NoteRequest(stream, expected, Texts(stream + " #", n)));
  }
  uint64_t Version(const std::string& stream) {
    auto v = store_->StreamVersion(stream);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : ~uint64_t{0};
  }
  // The number of events a full ReadLog returns.
  size_t LogSize() {
    auto all = Drain(store_->ReadLog(1));
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? all->size() : 0;
  }
  // Asserts `r` is a conflict and nothing changed: log size, last position and stream version.
  void ExpectConflictAppendedNothing(const Result<AppendResult>& r, const std::string& stream,
                                     uint64_t last_position, uint64_t version) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kConcurrencyConflict) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(stream));
    EXPECT_EQ(store_->LastPosition(), last_position);
    EXPECT_EQ(LogSize(), last_position);
    EXPECT_EQ(Version(stream), version);
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST(ExpectedVersionTest, FactoriesMatchAndPrint) {
  EXPECT_EQ(ExpectedVersion::Exactly(0).kind(), ExpectedVersion::Kind::kNoStream);
  EXPECT_EQ(ExpectedVersion::Exactly(0).ToString(), "no_stream");
  EXPECT_EQ(ExpectedVersion::Exactly(7).kind(), ExpectedVersion::Kind::kExact);
  EXPECT_EQ(ExpectedVersion::Exactly(7).version(), 7u);
  EXPECT_EQ(ExpectedVersion::Any().ToString(), "any");
  EXPECT_EQ(ExpectedVersion::NoStream().ToString(), "no_stream");
  EXPECT_EQ(ExpectedVersion::Exists().ToString(), "exists");
  EXPECT_EQ(ExpectedVersion::Exactly(42).ToString(), "42");

  EXPECT_TRUE(ExpectedVersion::Any().Matches(0));
  EXPECT_TRUE(ExpectedVersion::Any().Matches(5));
  EXPECT_TRUE(ExpectedVersion::NoStream().Matches(0));
  EXPECT_FALSE(ExpectedVersion::NoStream().Matches(1));
  EXPECT_FALSE(ExpectedVersion::Exists().Matches(0));
  EXPECT_TRUE(ExpectedVersion::Exists().Matches(3));
  EXPECT_TRUE(ExpectedVersion::Exactly(3).Matches(3));
  EXPECT_FALSE(ExpectedVersion::Exactly(3).Matches(2));
  EXPECT_FALSE(ExpectedVersion::Exactly(3).Matches(4));
  EXPECT_FALSE(ExpectedVersion::Exactly(3).Matches(0));
}

TEST_F(AppendTest, FirstAppendResult) {
  ASSERT_OK_AND_ASSIGN(AppendResult r, Append("account-A1", ExpectedVersion::NoStream(), 3));
  EXPECT_EQ(r.first_position, 1u);
  EXPECT_EQ(r.last_position, 3u);
  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].stream, "account-A1");
  EXPECT_EQ(r.streams[0].first_version, 1u);
  EXPECT_EQ(r.streams[0].last_version, 3u);
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.command_id.size(), 36u) << "a generated command id is a UUID: " << r.command_id;
  EXPECT_EQ(store_->LastPosition(), 3u);
  EXPECT_EQ(Version("account-A1"), 3u);
  EXPECT_EQ(Version("account-none"), 0u);
}

TEST_F(AppendTest, AnyMatchesMissingAndExistingStreams) {
  ASSERT_OK_AND_ASSIGN(AppendResult r1, Append("account-A", ExpectedVersion::Any()));
  EXPECT_EQ(r1.streams[0].last_version, 1u);
  ASSERT_OK_AND_ASSIGN(AppendResult r2, Append("account-A", ExpectedVersion::Any(), 2));
  EXPECT_EQ(r2.streams[0].first_version, 2u);
  EXPECT_EQ(r2.streams[0].last_version, 3u);
  EXPECT_EQ(r2.first_position, 2u);
  EXPECT_EQ(r2.last_position, 3u);
}

TEST_F(AppendTest, NoStreamMatchesOnlyAMissingStream) {
  ASSERT_OK_AND_ASSIGN(AppendResult r, Append("account-A", ExpectedVersion::NoStream(), 2));
  EXPECT_EQ(r.streams[0].last_version, 2u);
  ExpectConflictAppendedNothing(Append("account-A", ExpectedVersion::NoStream()), "account-A", 2,
                                2);
}

TEST_F(AppendTest, ExistsMatchesOnlyAnExistingStream) {
  ExpectConflictAppendedNothing(Append("account-A", ExpectedVersion::Exists()), "account-A", 0, 0);
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream()));
  ASSERT_OK_AND_ASSIGN(AppendResult r, Append("account-A", ExpectedVersion::Exists()));
  EXPECT_EQ(r.streams[0].first_version, 2u);
  EXPECT_EQ(r.last_position, 2u);
}

TEST_F(AppendTest, ExactMatchesOnlyTheCurrentVersion) {
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream(), 3));
  ASSERT_OK(Append("account-B", ExpectedVersion::NoStream(), 1));  // moves the log, not A
  ExpectConflictAppendedNothing(Append("account-A", ExpectedVersion::Exactly(2)), "account-A", 4,
                                3);
  ExpectConflictAppendedNothing(Append("account-A", ExpectedVersion::Exactly(4)), "account-A", 4,
                                3);
  ExpectConflictAppendedNothing(Append("account-A", ExpectedVersion::Exactly(1)), "account-A", 4,
                                3);
  ASSERT_OK_AND_ASSIGN(AppendResult r, Append("account-A", ExpectedVersion::Exactly(3), 2));
  EXPECT_EQ(r.streams[0].first_version, 4u);
  EXPECT_EQ(r.streams[0].last_version, 5u);
  EXPECT_EQ(r.first_position, 5u);
  EXPECT_EQ(r.last_position, 6u);
  ExpectConflictAppendedNothing(Append("account-missing", ExpectedVersion::Exactly(1)),
                                "account-missing", 6, 0);
}

TEST_F(AppendTest, ExactlyZeroIsNoStream) {
  ASSERT_OK_AND_ASSIGN(AppendResult r, Append("account-A", ExpectedVersion::Exactly(0)));
  EXPECT_EQ(r.streams[0].last_version, 1u);
  ExpectConflictAppendedNothing(Append("account-A", ExpectedVersion::Exactly(0)), "account-A", 1,
                                1);
}

TEST_F(AppendTest, MultiStreamAppendIsOrderedAndAtomic) {
  AppendRequest req;
  req.streams.push_back(Notes("account-A", ExpectedVersion::NoStream(), {"a1", "a2"}));
  req.streams.push_back(Notes("contact-B", ExpectedVersion::NoStream(), {"b1", "b2", "b3"}));
  ASSERT_OK_AND_ASSIGN(AppendResult r, store_->Append(std::move(req)));
  EXPECT_EQ(r.first_position, 1u);
  EXPECT_EQ(r.last_position, 5u);
  ASSERT_EQ(r.streams.size(), 2u);
  EXPECT_EQ(r.streams[0].stream, "account-A");
  EXPECT_EQ(r.streams[0].first_version, 1u);
  EXPECT_EQ(r.streams[0].last_version, 2u);
  EXPECT_EQ(r.streams[1].stream, "contact-B");
  EXPECT_EQ(r.streams[1].first_version, 1u);
  EXPECT_EQ(r.streams[1].last_version, 3u);

  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), 5u);
  const char* want[][3] = {{"account-A", "1", "a1"},
                           {"account-A", "2", "a2"},
                           {"contact-B", "1", "b1"},
                           {"contact-B", "2", "b2"},
                           {"contact-B", "3", "b3"}};
  for (size_t i = 0; i < 5; ++i) {
    EventView v = log[i].view();
    EXPECT_EQ(v.position, i + 1);
    EXPECT_EQ(v.stream(), want[i][0]);
    EXPECT_EQ(v.version(), std::stoull(want[i][1]));
    EXPECT_EQ(NoteText(v), want[i][2]);
    EXPECT_EQ(v.envelope->command_id()->str(), r.command_id);
  }
}

TEST_F(AppendTest, OneConflictingStreamRejectsTheWholeAppend) {
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream()));
  AppendRequest req;
  req.streams.push_back(Notes("contact-C", ExpectedVersion::NoStream(), {"c1", "c2"}));
  req.streams.push_back(Notes("account-A", ExpectedVersion::NoStream(), {"a-again"}));
  auto r = store_->Append(std::move(req));
  ExpectConflictAppendedNothing(r, "account-A", 1, 1);
  EXPECT_EQ(Version("contact-C"), 0u);
  ASSERT_OK_AND_ASSIGN(auto stream_c,
                       Drain(store_->ReadStream("contact-C", 1, Direction::kForward)));
  EXPECT_TRUE(stream_c.empty());
  // The other stream is still free to be created.
  ASSERT_OK_AND_ASSIGN(AppendResult ok, Append("contact-C", ExpectedVersion::NoStream()));
  EXPECT_EQ(ok.first_position, 2u);
}

TEST_F(AppendTest, EnvelopeCarriesRequestMetadata) {
  AppendRequest req = NoteRequest("account-A", ExpectedVersion::Any(), {"x", "y"});
  req.streams[0].events[1].schema_version = 3;
  req.command_id = "cmd-meta";
  req.correlation_id = "corr-1";
  req.causation_id = "cause-1";
  req.actor = "alice";
  ASSERT_OK_AND_ASSIGN(AppendResult r, store_->Append(std::move(req)));
  EXPECT_EQ(r.command_id, "cmd-meta");
  ASSERT_OK(Append("account-B", ExpectedVersion::Any()));  // defaults

  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const fb::Envelope* e = log[i].view().envelope;
    EXPECT_EQ(e->command_id()->str(), "cmd-meta");
    EXPECT_EQ(e->correlation_id()->str(), "corr-1");
    EXPECT_EQ(e->causation_id()->str(), "cause-1");
    EXPECT_EQ(e->actor()->str(), "alice");
    EXPECT_EQ(e->schema_version(), i == 0 ? 1 : 3);
    EXPECT_EQ(log[i].view().type(), fb::Payload::AccountNoteAdded);
    EXPECT_EQ(log[i].view().type_name(), "AccountNoteAdded");
  }
  const fb::Envelope* d = log[2].view().envelope;
  ASSERT_NE(d->command_id(), nullptr);
  EXPECT_EQ(d->command_id()->size(), 36u);
  ASSERT_NE(d->correlation_id(), nullptr);
  ASSERT_NE(d->causation_id(), nullptr);
  EXPECT_EQ(d->correlation_id()->str(), d->command_id()->str());
  EXPECT_EQ(d->causation_id()->str(), d->command_id()->str());
  EXPECT_EQ(d->actor()->str(), "system");
  EXPECT_EQ(d->schema_version(), 1);
}

TEST_F(AppendTest, UserCreatedPayloadRoundTrips) {
  AppendRequest req;
  StreamEvents s;
  s.stream = "user-u1";
  s.expected = ExpectedVersion::NoStream();
  s.events.push_back(User("u1", "Una", fb::UserRole::manager));
  req.streams.push_back(std::move(s));
  ASSERT_OK(store_->Append(std::move(req)));
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadStream("user-u1", 1, Direction::kForward)));
  ASSERT_EQ(log.size(), 1u);
  EventView v = log[0].view();
  EXPECT_EQ(v.type_name(), "UserCreated");
  const fb::UserCreated* u = v.envelope->data_as_UserCreated();
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->user_id()->str(), "u1");
  EXPECT_EQ(u->name()->str(), "Una");
  EXPECT_EQ(u->role(), fb::UserRole::manager);
}

TEST_F(AppendTest, InvalidRequestsAreRejectedAndAppendNothing) {
  ASSERT_OK(Append("account-A", ExpectedVersion::Any()));
  std::vector<std::pair<std::string, AppendRequest>> cases;
  cases.emplace_back("empty request", AppendRequest{});
  {
    AppendRequest r;
    r.streams.push_back(Notes("account-B", ExpectedVersion::Any(), {}));
    cases.emplace_back("stream without events", std::move(r));
  }
  cases.emplace_back("empty stream name", NoteRequest("", ExpectedVersion::Any(), {"x"}));
  cases.emplace_back("NUL in stream name",
                     NoteRequest(std::string("account-\0B", 10), ExpectedVersion::Any(), {"x"}));
  cases.emplace_back("newline in stream name",
                     NoteRequest("account-\nB", ExpectedVersion::Any(), {"x"}));
  cases.emplace_back("513-byte stream name", NoteRequest("account-" + std::string(505, 'x'),
                                                         ExpectedVersion::Any(), {"x"}));
  {
    AppendRequest r;
    r.streams.push_back(Notes("account-B", ExpectedVersion::Any(), {"b1"}));
    r.streams.push_back(Notes("account-B", ExpectedVersion::Any(), {"b2"}));
    cases.emplace_back("same stream twice", std::move(r));
  }
  {
    AppendRequest r;
    r.streams.push_back(Notes("account-B", ExpectedVersion::Any(), {}));
    r.streams.push_back(Notes("account-C", ExpectedVersion::Any(), {}));
    cases.emplace_back("only condition streams, no event", std::move(r));
  }
  {
    AppendRequest r = NoteRequest("account-B", ExpectedVersion::Any(), {"ok"});
    r.links.push_back({"account-B", ""});
    cases.emplace_back("link to an empty stream name", std::move(r));
  }
  {
    AppendRequest r = NoteRequest("account-B", ExpectedVersion::Any(), {"ok"});
    r.rejection = Rejection{"RULE_VIOLATION", "no"};
    cases.emplace_back("rejection with streams", std::move(r));
  }
  {
    AppendRequest r;
    r.rejection = Rejection{"RULE_VIOLATION", "no"};
    cases.emplace_back("rejection without command_id", std::move(r));
  }
  for (auto& [name, req] : cases) {
    auto r = store_->Append(std::move(req));
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << name << ": " << r.status().ToString();
    EXPECT_EQ(store_->LastPosition(), 1u) << name;
  }
  EXPECT_EQ(LogSize(), 1u);
  EXPECT_EQ(Version("account-B"), 0u);
  EXPECT_EQ(Version("account-C"), 0u);

  // The boundary: 512 bytes is allowed.
  std::string longest = "account-" + std::string(504, 'y');
  ASSERT_EQ(longest.size(), 512u);
  ASSERT_OK_AND_ASSIGN(AppendResult r, Append(longest, ExpectedVersion::NoStream()));
  EXPECT_EQ(r.last_position, 2u);
  EXPECT_EQ(Version(longest), 1u);
}

TEST_F(AppendTest, EventWithoutPayloadIsInvalid) {
  AppendRequest req = NoteRequest("account-A", ExpectedVersion::Any(), {"ok"});
  req.streams[0].events.emplace_back();  // type NONE
  auto r = store_->Append(std::move(req));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), 0u);
}

TEST_F(AppendTest, Utf8StreamNamesAreAllowed) {
  const std::string stream = "account-Z\xc3\xbcrich-\xe6\x9d\xb1\xe4\xba\xac";
  ASSERT_OK(Append(stream, ExpectedVersion::NoStream(), 2));
  EXPECT_EQ(Version(stream), 2u);
  ASSERT_OK_AND_ASSIGN(auto events, Drain(store_->ReadStream(stream, 1, Direction::kForward)));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].view().stream(), stream);
}

// A stream name that is a prefix of another must not see the other's events (index keys).
TEST_F(AppendTest, StreamNamesThatArePrefixesStayApart) {
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream(), 2));
  ASSERT_OK(Append("account-AB", ExpectedVersion::NoStream(), 3));
  ASSERT_OK(Append("account-A", ExpectedVersion::Exactly(2), 1));
  EXPECT_EQ(Version("account-A"), 3u);
  EXPECT_EQ(Version("account-AB"), 3u);
  ASSERT_OK_AND_ASSIGN(auto a, Drain(store_->ReadStream("account-A", 1, Direction::kForward)));
  ASSERT_EQ(a.size(), 3u);
  for (const auto& e : a) EXPECT_EQ(e.view().stream(), "account-A");
  ASSERT_OK_AND_ASSIGN(auto back,
                       Drain(store_->ReadStream("account-A", UINT64_MAX, Direction::kBackward)));
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].position, 6u);
}

// With a tiny stream-version cache, versions come from disk after eviction and stay exact.
TEST_F(AppendTest, SmallStreamCacheKeepsVersionsExact) {
  store_.reset();
  Options o = FastOptions();
  o.stream_cache_entries = 2;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), o, &store_));
  for (int round = 0; round < 5; ++round) {
    for (int k = 0; k < 10; ++k) {
      std::string stream = "account-c" + std::to_string(k);
      ASSERT_OK(Append(stream, ExpectedVersion::Exactly(round * 2), 2));
      auto stale = Append(stream, ExpectedVersion::Exactly(round * 2));
      ASSERT_EQ(stale.status().code(), Code::kConcurrencyConflict) << stream;
    }
  }
  for (int k = 0; k < 10; ++k) EXPECT_EQ(Version("account-c" + std::to_string(k)), 10u);
  EXPECT_EQ(store_->LastPosition(), 100u);
}

// ---- idempotency ----

TEST_F(AppendTest, RetryWithSameCommandIdReturnsFirstResult) {
  ASSERT_OK(Append("account-X", ExpectedVersion::Any()));
  AppendRequest req = NoteRequest("account-A", ExpectedVersion::NoStream(), {"n1", "n2"});
  req.command_id = "cmd-1";
  ASSERT_OK_AND_ASSIGN(AppendResult first, store_->Append(req));
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.command_id, "cmd-1");
  EXPECT_EQ(first.first_position, 2u);
  EXPECT_EQ(first.last_position, 3u);

  // The retry would conflict (NoStream) if it were appended: it is answered from the record.
  ASSERT_OK_AND_ASSIGN(AppendResult again, store_->Append(req));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.command_id, "cmd-1");
  EXPECT_EQ(again.first_position, 2u);
  EXPECT_EQ(again.last_position, 3u);
  ASSERT_EQ(again.streams.size(), 1u);
  EXPECT_EQ(again.streams[0].stream, "account-A");
  EXPECT_EQ(again.streams[0].first_version, 1u);
  EXPECT_EQ(again.streams[0].last_version, 2u);
  EXPECT_EQ(store_->LastPosition(), 3u);
  EXPECT_EQ(LogSize(), 3u);
  EXPECT_EQ(Version("account-A"), 2u);

  // A different payload under the same id is still the same command.
  AppendRequest other = NoteRequest("account-Z", ExpectedVersion::Any(), {"zzz"});
  other.command_id = "cmd-1";
  ASSERT_OK_AND_ASSIGN(AppendResult third, store_->Append(std::move(other)));
  EXPECT_TRUE(third.duplicate);
  EXPECT_EQ(third.last_position, 3u);
  EXPECT_EQ(Version("account-Z"), 0u);

  ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> looked, store_->LookupCommand("cmd-1"));
  ASSERT_TRUE(looked.has_value());
  EXPECT_EQ(looked->command_id, "cmd-1");
  EXPECT_EQ(looked->first_position, 2u);
  EXPECT_EQ(looked->last_position, 3u);
  ASSERT_EQ(looked->streams.size(), 1u);
  EXPECT_EQ(looked->streams[0].stream, "account-A");
  EXPECT_EQ(looked->streams[0].first_version, 1u);
  EXPECT_EQ(looked->streams[0].last_version, 2u);

  ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> none, store_->LookupCommand("cmd-unknown"));
  EXPECT_FALSE(none.has_value());
}

TEST_F(AppendTest, RejectedCommandIdIsNotRemembered) {
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream()));
  AppendRequest bad = NoteRequest("account-A", ExpectedVersion::NoStream(), {"again"});
  bad.command_id = "cmd-2";
  auto r = store_->Append(bad);
  ASSERT_EQ(r.status().code(), Code::kConcurrencyConflict);
  ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> looked, store_->LookupCommand("cmd-2"));
  EXPECT_FALSE(looked.has_value());

  AppendRequest good = NoteRequest("account-A", ExpectedVersion::Exactly(1), {"again"});
  good.command_id = "cmd-2";
  ASSERT_OK_AND_ASSIGN(AppendResult ok, store_->Append(std::move(good)));
  EXPECT_FALSE(ok.duplicate);
  EXPECT_EQ(ok.last_position, 2u);
}

TEST_F(AppendTest, IdempotencySurvivesReopen) {
  AppendRequest req;
  req.streams.push_back(Notes("account-A", ExpectedVersion::NoStream(), {"a"}));
  req.streams.push_back(Notes("contact-B", ExpectedVersion::NoStream(), {"b1", "b2"}));
  req.command_id = "cmd-reopen";
  ASSERT_OK_AND_ASSIGN(AppendResult first, store_->Append(req));
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.path(), FastOptions(), &store_));

  ASSERT_OK_AND_ASSIGN(AppendResult again, store_->Append(req));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.first_position, 1u);
  EXPECT_EQ(again.last_position, 3u);
  ASSERT_EQ(again.streams.size(), 2u);
  EXPECT_EQ(again.streams[1].stream, "contact-B");
  EXPECT_EQ(again.streams[1].last_version, 2u);
  EXPECT_EQ(store_->LastPosition(), 3u);

  ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> looked, store_->LookupCommand("cmd-reopen"));
  ASSERT_TRUE(looked.has_value());
  EXPECT_EQ(looked->first_position, first.first_position);
  EXPECT_EQ(looked->last_position, first.last_position);
  ASSERT_EQ(looked->streams.size(), 2u);
  EXPECT_EQ(looked->streams[0].stream, "account-A");
  EXPECT_EQ(looked->streams[0].last_version, 1u);
}

// A stream without events is a condition: its expected version must hold, nothing is written to it.
TEST_F(AppendTest, ConditionStreamsGuardWithoutWriting) {
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream(), 2));
  {
    AppendRequest r = NoteRequest("opportunity-O", ExpectedVersion::NoStream(), {"o1"});
    r.streams.push_back(Notes("account-A", ExpectedVersion::Exactly(2), {}));
    ASSERT_OK_AND_ASSIGN(AppendResult res, store_->Append(std::move(r)));
    ASSERT_EQ(res.streams.size(), 2u);
    EXPECT_EQ(res.streams[1].stream, "account-A");
    EXPECT_EQ(res.streams[1].first_version, 2u);
    EXPECT_EQ(res.streams[1].last_version, 2u);
    EXPECT_EQ(res.first_position, 3u);
    EXPECT_EQ(res.last_position, 3u);
  }
  EXPECT_EQ(Version("account-A"), 2u);
  {
    AppendRequest r = NoteRequest("opportunity-P", ExpectedVersion::NoStream(), {"p1"});
    r.streams.push_back(Notes("account-A", ExpectedVersion::Exactly(1), {}));  // stale
    auto res = store_->Append(std::move(r));
    EXPECT_EQ(res.status().code(), Code::kConcurrencyConflict) << res.status().ToString();
  }
  EXPECT_EQ(Version("opportunity-P"), 0u);
  EXPECT_EQ(store_->LastPosition(), 3u);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok()) << report.first_problem;
}

TEST_F(AppendTest, LinksAreStoredOnceWithTheirAppend) {
  AppendRequest r = NoteRequest("contact-C1", ExpectedVersion::NoStream(), {"c"});
  r.links.push_back({"account-A", "contact-C1"});
  r.links.push_back({"account-A", "contact-C1"});  // the same link twice in one append
  ASSERT_OK(store_->Append(std::move(r)));
  AppendRequest r2 = NoteRequest("opportunity-O1", ExpectedVersion::NoStream(), {"o"});
  r2.links.push_back({"account-A", "opportunity-O1"});
  r2.links.push_back({"account-A", "contact-C1"});  // linked before: a no-op
  ASSERT_OK(store_->Append(std::move(r2)));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> links, store_->Links("account-A"));
  EXPECT_EQ(links, (std::vector<std::string>{"contact-C1", "opportunity-O1"}));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> none, store_->Links("account-AB"));
  EXPECT_TRUE(none.empty());
  // A rejected append makes no link.
  AppendRequest r3 = NoteRequest("opportunity-O1", ExpectedVersion::NoStream(), {"dup"});
  r3.links.push_back({"account-B", "opportunity-O1"});
  EXPECT_EQ(store_->Append(std::move(r3)).status().code(), Code::kConcurrencyConflict);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> b, store_->Links("account-B"));
  EXPECT_TRUE(b.empty());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok()) << report.first_problem;
}

TEST_F(AppendTest, PerEventActorOverridesTheRequestActor) {
  AppendRequest r = NoteRequest("account-A", ExpectedVersion::NoStream(), {"by sam", "policy"});
  r.actor = "sam";
  r.streams[0].events[1].actor = "system";
  ASSERT_OK(store_->Append(std::move(r)));
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store_->ReadLog(1)));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].view().envelope->actor()->str(), "sam");
  EXPECT_EQ(log[1].view().envelope->actor()->str(), "system");
}

TEST_F(AppendTest, RecordedRejectionIsTheFirstResultOfItsCommand) {
  AppendRequest reject;
  reject.command_id = "cmd-1";
  reject.rejection = Rejection{"RULE_VIOLATION", "Prospect needs an open opportunity"};
  ASSERT_OK_AND_ASSIGN(AppendResult first, store_->Append(std::move(reject)));
  ASSERT_TRUE(first.rejection.has_value());
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(store_->LastPosition(), 0u);
  // The retry -- even one that would now succeed -- gets the recorded rejection.
  AppendRequest retry = NoteRequest("account-A", ExpectedVersion::Any(), {"x"});
  retry.command_id = "cmd-1";
  ASSERT_OK_AND_ASSIGN(AppendResult again, store_->Append(std::move(retry)));
  EXPECT_TRUE(again.duplicate);
  ASSERT_TRUE(again.rejection.has_value());
  EXPECT_EQ(again.rejection->code, "RULE_VIOLATION");
  EXPECT_EQ(again.rejection->message, "Prospect needs an open opportunity");
  EXPECT_EQ(store_->LastPosition(), 0u);
  ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> looked, store_->LookupCommand("cmd-1"));
  ASSERT_TRUE(looked.has_value() && looked->rejection.has_value());
}

TEST_F(AppendTest, BatchDecidesEachRequestInOrderInOneGroup) {
  std::vector<AppendRequest> batch;
  batch.push_back(NoteRequest("account-A", ExpectedVersion::NoStream(), {"a1"}));
  batch.push_back(NoteRequest("account-A", ExpectedVersion::Exactly(1), {"a2"}));  // sees a1
  batch.push_back(NoteRequest("account-A", ExpectedVersion::NoStream(), {"dup"}));  // conflict
  batch.push_back(AppendRequest{});                                                // invalid
  batch.push_back(NoteRequest("account-B", ExpectedVersion::Any(), {"b1", "b2"}));
  std::vector<Result<AppendResult>> results = store_->AppendBatch(std::move(batch));
  ASSERT_EQ(results.size(), 5u);
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->last_position, 1u);
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->streams[0].last_version, 2u);
  EXPECT_EQ(results[2].status().code(), Code::kConcurrencyConflict);
  EXPECT_EQ(results[3].status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(results[4].ok());
  EXPECT_EQ(results[4]->first_position, 3u);
  EXPECT_EQ(results[4]->last_position, 4u);
  EXPECT_EQ(store_->LastPosition(), 4u);
}

// A group touching many streams: the leader's record of versions decided earlier in the group
// switches from a linear list to a hash index past 16 streams; every later append of the group
// must still see them, and the small groups after it must start clean.
TEST_F(AppendTest, BatchOverManyStreamsSeesItsOwnDecisions) {
  constexpr int kStreams = 40;
  std::vector<AppendRequest> batch;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kStreams; ++i) {
      const std::string stream = "account-M" + std::to_string(i);
      batch.push_back(NoteRequest(stream,
                                  round == 0 ? ExpectedVersion::NoStream()
                                             : ExpectedVersion::Exactly(round),
                                  {"r" + std::to_string(round)}));
    }
  }
  // Stale expectations on streams decided in the same group: conflicts, the rest unaffected.
  batch.push_back(NoteRequest("account-M3", ExpectedVersion::Exactly(1), {"stale"}));
  batch.push_back(NoteRequest("account-M39", ExpectedVersion::NoStream(), {"stale"}));
  auto results = store_->AppendBatch(std::move(batch));
  ASSERT_EQ(results.size(), 3u * kStreams + 2);
  for (int k = 0; k < 3 * kStreams; ++k) {
    ASSERT_TRUE(results[k].ok()) << k << ": " << results[k].status().ToString();
    EXPECT_EQ(results[k]->streams[0].last_version, static_cast<uint64_t>(k / kStreams + 1));
  }
  EXPECT_EQ(results[3 * kStreams].status().code(), Code::kConcurrencyConflict);
  EXPECT_EQ(results[3 * kStreams + 1].status().code(), Code::kConcurrencyConflict);
  EXPECT_EQ(store_->LastPosition(), 3u * kStreams);
  for (int i = 0; i < kStreams; ++i) EXPECT_EQ(Version("account-M" + std::to_string(i)), 3u);
  // The next, single-append groups decide against the committed versions only.
  ASSERT_OK(Append("account-M0", ExpectedVersion::Exactly(3)));
  ASSERT_OK(Append("account-M0", ExpectedVersion::Exactly(4)));
  EXPECT_EQ(Version("account-M0"), 5u);
}

TEST_F(AppendTest, StopAtFirstFailureAbortsTheRest) {
  std::vector<AppendRequest> batch;
  batch.push_back(NoteRequest("account-A", ExpectedVersion::NoStream(), {"a1"}));
  batch.push_back(NoteRequest("account-A", ExpectedVersion::NoStream(), {"dup"}));  // conflict
  batch.push_back(NoteRequest("account-B", ExpectedVersion::Any(), {"b1"}));       // aborted
  auto results = store_->AppendBatch(std::move(batch), EventStore::BatchMode::kStopAtFirstFailure);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), Code::kConcurrencyConflict);
  EXPECT_EQ(results[2].status().code(), Code::kAborted);
  EXPECT_EQ(store_->LastPosition(), 1u);
  EXPECT_EQ(Version("account-B"), 0u);
}

TEST_F(AppendTest, CommandThatChangedNothingIsRecordedWithItsConditions) {
  ASSERT_OK(Append("account-A", ExpectedVersion::NoStream()));
  AppendRequest noop;
  noop.command_id = "noop-1";
  noop.streams.push_back(Notes("account-A", ExpectedVersion::Exactly(1), {}));
  ASSERT_OK_AND_ASSIGN(AppendResult r, store_->Append(std::move(noop)));
  EXPECT_EQ(r.first_position, 0u);
  EXPECT_EQ(store_->LastPosition(), 1u);
  ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> looked, store_->LookupCommand("noop-1"));
  ASSERT_TRUE(looked.has_value());
  EXPECT_EQ(looked->first_position, 0u);
  ASSERT_EQ(looked->streams.size(), 1u);
  EXPECT_EQ(looked->streams[0].last_version, 1u);
  AppendRequest stale;
  stale.command_id = "noop-2";
  stale.streams.push_back(Notes("account-A", ExpectedVersion::Exactly(7), {}));
  EXPECT_EQ(store_->Append(std::move(stale)).status().code(), Code::kConcurrencyConflict);
}

}  // namespace
}  // namespace crm::test
