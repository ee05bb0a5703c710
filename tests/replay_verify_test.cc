// `crm replay --verify` finds projection rows altered behind the engine's back (a state row
// overwritten, a history entry deleted, a list entry planted) and names the family and the key;
// `crm replay` repairs them. `crm verify` fails while the projections lag the log (a log appended
// to without the projector) and passes once a writer's open has caught them up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "raw_db.h"
#include "replay_test_util.h"

namespace crm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The single JSON line a command printed (fails the test otherwise).
rapidjson::Document JsonLine(const ProcessResult& r) {
  rapidjson::Document d;
  std::vector<std::string> lines = Lines(r.out);
  EXPECT_EQ(lines.size(), 1u) << Describe(r);
  if (lines.empty()) {
    d.SetObject();
    return d;
  }
  d.Parse(lines[0].c_str());
  EXPECT_FALSE(d.HasParseError()) << lines[0];
  EXPECT_TRUE(d.IsObject()) << lines[0];
  if (d.HasParseError() || !d.IsObject()) d.SetObject();
  return d;
}

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key)) return "<absent>";
  if (v[key].IsString()) return v[key].GetString();
  if (v[key].IsBool()) return v[key].GetBool() ? "true" : "false";
  if (v[key].IsUint64()) return std::to_string(v[key].GetUint64());
  return "<not a scalar>";
}

class ReplayVerifyTest : public ProjectionsTest {
 protected:
  void SetUp() override {
    ProjectionsTest::SetUp();
    db_ = dir_.Sub("db");
  }

  // Closes the store: raw RocksDB needs the lock.
  void Close() {
    exec_.reset();
    store_.reset();
  }

  // `crm replay --verify [args]`: the exit code and the parsed line.
  struct Verify {
    int exit_code = -1;
    std::string err;
    rapidjson::Document json;
  };
  Verify RunVerify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"replay", "--verify"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Crm(db_, args);
    Verify v;
    v.exit_code = r.exit_code;
    v.err = r.err;
    v.json = JsonLine(r);
    return v;
  }

  // Checks the per-family part of a --verify line: which families are equal.
  static void ExpectFamilies(const rapidjson::Document& d, bool state, bool lists, bool history) {
    ASSERT_TRUE(d.HasMember("projections") && d["projections"].IsObject());
    const auto& p = d["projections"];
    EXPECT_EQ(Str(p["state"], "equal"), state ? "true" : "false");
    EXPECT_EQ(Str(p["lists"], "equal"), lists ? "true" : "false");
    EXPECT_EQ(Str(p["history"], "equal"), history ? "true" : "false");
    for (const char* f : {"state", "lists", "history"}) {
      EXPECT_EQ(p[f]["live_digest"].GetStringLength(), 64u) << f;
      if (Str(p[f], "equal") == "true") {
        EXPECT_EQ(Str(p[f], "live_digest"), Str(p[f], "rebuilt_digest")) << f;
        EXPECT_EQ(Str(p[f], "live_rows"), Str(p[f], "rebuilt_rows")) << f;
      } else {
        EXPECT_NE(Str(p[f], "live_digest"), Str(p[f], "rebuilt_digest")) << f;
      }
    }
  }

  std::string db_;
};

TEST_F(ReplayVerifyTest, NamesTheFamilyAndKeyOfARowAlteredBehindTheEnginesBack) {
  AddTeam();
  BuildAcme();
  Ok(Cmd("OpenAccount").S("account_id", "A2").S("name", "Beta Ltd").S("industry", "Tech"));
  const uint64_t last = store_->LastPosition();
  // The position of A1's note, one of its history entries.
  uint64_t note = 0;
  for (const Doc& h : History("A1")) {
    if (Tx(h, "type") == "AccountNoteAdded") note = std::stoull(Tx(h, "position"));
  }
  ASSERT_GT(note, 0u);
  // Beside the running writer: --verify runs as a follower; a rebuild needs the writer's lock.
  {
    Verify v = RunVerify();
    EXPECT_EQ(v.exit_code, 0) << v.err;
    EXPECT_EQ(Str(v.json, "position"), std::to_string(last));
    ProcessResult busy = Crm(db_, {"replay"});
    EXPECT_EQ(busy.exit_code, 4) << Describe(busy);
    ProcessResult usage = Crm(db_, {"replay", "--projection", "state"});
    EXPECT_EQ(usage.exit_code, 2) << Describe(usage);
    EXPECT_THAT(usage.err, HasSubstr("--verify"));
  }
  Close();

  // A clean database.
  {
    Verify v = RunVerify();
    EXPECT_EQ(v.exit_code, 0) << v.err;
    EXPECT_EQ(Str(v.json, "ok"), "true");
    EXPECT_EQ(Str(v.json, "position"), std::to_string(last));
    ExpectFamilies(v.json, true, true, true);
    EXPECT_FALSE(v.json.HasMember("first_difference"));
  }

  // 1. A state row overwritten (with a valid row: another account's).
  const std::string a1 = "s:account-A1";
  const auto original = GetRawKey(db_, "projections", a1);
  const auto other = GetRawKey(db_, "projections", "s:account-A2");
  ASSERT_TRUE(original.has_value() && other.has_value());
  ASSERT_TRUE(PutRawKey(db_, "projections", a1, *other));
  {
    Verify v = RunVerify();
    EXPECT_EQ(v.exit_code, 5) << v.err;
    EXPECT_EQ(Str(v.json, "ok"), "false");
    ExpectFamilies(v.json, false, true, true);
    ASSERT_TRUE(v.json.HasMember("first_difference"));
    const auto& diff = v.json["first_difference"];
    EXPECT_EQ(Str(diff, "projection"), "state");
    EXPECT_EQ(Str(diff, "key"), "s:account-A1");
    EXPECT_EQ(Str(diff, "problem"), "values differ");
    EXPECT_THAT(v.err, HasSubstr("state key s:account-A1"));
    // Only the family asked for: history is equal (exit 0), state is not (exit 5).
    Verify history = RunVerify({"--projection", "history"});
    EXPECT_EQ(history.exit_code, 0) << history.err;
    EXPECT_FALSE(history.json["projections"].HasMember("state"));
    EXPECT_FALSE(history.json.HasMember("first_difference"));
    Verify state = RunVerify({"--projection", "state"});
    EXPECT_EQ(state.exit_code, 5) << state.err;
    EXPECT_EQ(Str(state.json["first_difference"], "key"), "s:account-A1");
  }
  // `crm get` serves what is stored (the tampered row), which is why --verify exists.
  ProcessResult get = Crm(db_, {"get", "account", "A1"});
  EXPECT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_THAT(get.out, StartsWith(R"({"account_id":"A2","name":"Beta Ltd")"));
  ASSERT_TRUE(PutRawKey(db_, "projections", a1, *original));
  EXPECT_EQ(RunVerify().exit_code, 0);

  // 2. One history entry deleted.
  const std::string entry = HistoryKey("account-A1", note);
  ASSERT_TRUE(GetRawKey(db_, "projections", entry).has_value())
      << "the history key layout is h:<stream>\\0<~position big-endian>";
  ASSERT_TRUE(DeleteRawKey(db_, "projections", entry));
  {
    Verify v = RunVerify();
    EXPECT_EQ(v.exit_code, 5) << v.err;
    ExpectFamilies(v.json, true, true, false);
    const auto& diff = v.json["first_difference"];
    EXPECT_EQ(Str(diff, "projection"), "history");
    EXPECT_EQ(Str(diff, "key"), PrintableKey(entry));
    EXPECT_THAT(Str(diff, "key"), StartsWith("h:account-A1\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff"));
    EXPECT_EQ(Str(diff, "problem"), "missing from the live projections");
    const auto& history = v.json["projections"]["history"];
    EXPECT_EQ(history["live_rows"].GetUint64() + 1, history["rebuilt_rows"].GetUint64());
  }
  // The history as served lacks the entry.
  ProcessResult h = Crm(db_, {"history", "A1", "--limit", "0"});
  EXPECT_EQ(h.exit_code, 0) << Describe(h);
  EXPECT_THAT(h.out, ::testing::Not(HasSubstr("note added")));

  // 3. A list entry planted.
  std::string planted = "x:account:industry:bogus";
  planted.push_back('\0');
  planted += "A1";
  ASSERT_TRUE(PutRawKey(db_, "projections", planted, ""));
  {
    Verify v = RunVerify();
    EXPECT_EQ(v.exit_code, 5) << v.err;
    ExpectFamilies(v.json, true, false, false);
    // Both differ; the first in key order is the history key ('h' < 'x').
    EXPECT_EQ(Str(v.json["first_difference"], "projection"), "history");
    Verify lists = RunVerify({"--projection", "lists"});
    EXPECT_EQ(lists.exit_code, 5) << lists.err;
    // The first difference is a history key, so a --projection lists run names none.
    EXPECT_FALSE(lists.json.HasMember("first_difference"));
  }

  // `crm replay` rebuilds from the log: everything is equal again.
  ProcessResult replay = Crm(db_, {"replay"});
  ASSERT_EQ(replay.exit_code, 0) << Describe(replay);
  rapidjson::Document summary = JsonLine(replay);
  EXPECT_EQ(Str(summary, "ok"), "true");
  EXPECT_EQ(Str(summary, "events"), std::to_string(last));
  EXPECT_TRUE(summary.HasMember("seconds") && summary["seconds"].IsNumber());
  EXPECT_TRUE(summary.HasMember("events_per_second") && summary["events_per_second"].IsUint64());
  {
    Verify v = RunVerify();
    EXPECT_EQ(v.exit_code, 0) << v.err;
    ExpectFamilies(v.json, true, true, true);
  }
  EXPECT_EQ(GetRawKey(db_, "projections", a1), original);
  EXPECT_TRUE(GetRawKey(db_, "projections", entry).has_value());
  EXPECT_EQ(GetRawKey(db_, "projections", planted), std::nullopt);
  h = Crm(db_, {"history", "A1", "--limit", "0"});
  EXPECT_THAT(h.out, HasSubstr("note added by moses (Met at the fair)"));
}

// Only the planted row differs: it is reported as present in the live projections only.
// A stored history entry damaged behind the engine's back. Linking its contact to an account
// copies the contact's history into the account's; the projector used to read and mutate the
// copy unverified (a SEGV, found by fuzzing). The entry is verified first: the link fails,
// naming the entry, and nothing is appended.
TEST_F(ReplayVerifyTest, ALinkOverADamagedHistoryEntryFailsWithoutACrash) {
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme"));
  Ok(Cmd("CreateContact").S("contact_id", "C2").S("first_name", "Jo").S("last_name", "Doe"));
  const uint64_t last = store_->LastPosition();
  Close();
  std::string key;
  for (const auto& [k, v] : ReadRawColumnFamily(db_, "projections")) {
    if (k.rfind(std::string("h:contact-C2") + '\0', 0) == 0) key = k;
  }
  ASSERT_FALSE(key.empty());
  ASSERT_TRUE(PutRawKey(db_, "projections", key, std::string("\x01\x00", 2)));
  Options o = FastOptions();
  o.projector = MakeCrmProjector();
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store_));
  exec_ = std::make_unique<CommandExecutor>(store_.get());
  ExecResult r =
      exec_->Execute(Cmd("LinkContact").S("contact_id", "C2").S("account_id", "A1").str());
  EXPECT_FALSE(r.ok) << r.line;
  EXPECT_THAT(r.line, HasSubstr("fails verification")) << r.line;
  EXPECT_EQ(store_->LastPosition(), last);
}

TEST_F(ReplayVerifyTest, ARowThatNoRebuildHasIsNamed) {
  AddTeam();
  Ok(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme").S("industry", "Retail"));
  Close();
  std::string planted = "x:account:industry:bogus";
  planted.push_back('\0');
  planted += "A1";
  ASSERT_TRUE(PutRawKey(db_, "projections", planted, ""));
  Verify v = RunVerify();
  EXPECT_EQ(v.exit_code, 5) << v.err;
  ExpectFamilies(v.json, true, false, true);
  const auto& diff = v.json["first_difference"];
  EXPECT_EQ(Str(diff, "projection"), "lists");
  EXPECT_EQ(Str(diff, "key"), "x:account:industry:bogus\\x00A1");
  EXPECT_THAT(Str(diff, "problem"), StartsWith("present in the live projections only"));
  const auto& lists = v.json["projections"]["lists"];
  EXPECT_EQ(lists["live_rows"].GetUint64(), lists["rebuilt_rows"].GetUint64() + 1);
}

// `crm verify` checks the projections' checkpoint against the log.
TEST(ReplayVerifyLagTest, VerifyFailsWhileTheProjectionsLagTheLogAndPassesOnceCaughtUp) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  ProcessResult init = Crm(db, {"init"});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  {
    ProcessResult v = Crm(db, {"verify"});
    EXPECT_EQ(v.exit_code, 0) << Describe(v);
    rapidjson::Document d = JsonLine(v);
    EXPECT_EQ(Str(d["projections"], "ok"), "true");
    EXPECT_EQ(Str(d["projections"], "checkpoint"), "1");
  }
  // A program that runs without the projector appends to the log.
  uint64_t last = 0;
  {
    Options o = FastOptions();
    o.create_if_missing = false;
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db, o, &store));
    CommandExecutor exec(store.get());
    for (const std::string& line :
         {std::string(Cmd("OpenAccount").S("account_id", "A1").S("name", "Acme")),
          std::string(Cmd("CreateContact").S("contact_id", "C1").S("first_name", "Jane")
                          .S("last_name", "Doe").S("account_id", "A1")),
          std::string(Cmd("AddAccountNote").S("account_id", "A1").S("text", "Hi @admin"))}) {
      ExecResult r = exec.Execute(line);
      ASSERT_TRUE(r.ok) << r.line;
    }
    last = store->LastPosition();
  }
  ASSERT_EQ(last, 4u);
  {
    ProcessResult v = Crm(db, {"verify"});
    EXPECT_EQ(v.exit_code, 5) << Describe(v);
    rapidjson::Document d = JsonLine(v);
    EXPECT_EQ(Str(d, "ok"), "false");
    EXPECT_EQ(Str(d, "bad_records"), "0") << "the log itself is fine";
    EXPECT_EQ(Str(d, "last_position"), "4");
    EXPECT_EQ(Str(d["projections"], "ok"), "false");
    EXPECT_THAT(Str(d["projections"], "problem"), HasSubstr("up to position 1 of 4"));
    EXPECT_THAT(v.err, HasSubstr("the projections do not reflect the log"));
  }
  // Reads refuse the lagging projections (never a stale answer), --verify too.
  ProcessResult get = Crm(db, {"get", "account", "A1"});
  EXPECT_EQ(get.exit_code, 4) << Describe(get);
  ProcessResult cmp = Crm(db, {"replay", "--verify"});
  EXPECT_EQ(cmp.exit_code, 4) << Describe(cmp);

  // A writer's open catches the projections up (events 2..4).
  {
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    Options o = ReplayOptions();
    o.create_if_missing = false;
    o.projection_progress = [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db, o, &store));
    EXPECT_EQ(calls, (std::vector<std::pair<uint64_t, uint64_t>>{{3, 3}}));
  }
  {
    ProcessResult v = Crm(db, {"verify"});
    EXPECT_EQ(v.exit_code, 0) << Describe(v);
    rapidjson::Document d = JsonLine(v);
    EXPECT_EQ(Str(d, "ok"), "true");
    EXPECT_EQ(Str(d["projections"], "ok"), "true");
    EXPECT_EQ(Str(d["projections"], "checkpoint"), "4");
  }
  get = Crm(db, {"get", "account", "A1"});
  EXPECT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_THAT(get.out, HasSubstr(R"("contacts":1,)"));
  ProcessResult history = Crm(db, {"history", "A1"});
  EXPECT_THAT(history.out, HasSubstr("note added by admin (Hi @admin; mentions admin)"));
  cmp = Crm(db, {"replay", "--verify"});
  EXPECT_EQ(cmp.exit_code, 0) << Describe(cmp);
}

}  // namespace
}  // namespace crm::test
