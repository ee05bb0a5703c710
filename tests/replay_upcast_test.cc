// Upcasting: the events of a database written by the previous release (tests/data/
// account_notes_v1.hex: AccountNoteAdded payload v1, without `mentions`) are planted into a
// database written with the same commands by this one. The stored bytes stay v1 (the hash chain
// is over them and stays intact); every reader given MakeCrmUpcaster() -- ReadStream, ReadLog,
// ReadEvent, subscriptions, `crm events`, the projections -- sees v2 with the mentions derived
// from the text, exactly as this release writes the same note; without an upcaster the stored v1
// is handed out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crm/time_format.h"
#include "raw_db.h"
#include "replay_test_util.h"

#ifndef CRM_TEST_DATA
#error "CRM_TEST_DATA must name tests/data"
#endif

namespace crm::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// position -> stored envelope bytes, from the fixture's "position hex" lines.
std::map<uint64_t, std::string> ReadFixture() {
  std::map<uint64_t, std::string> out;
  std::ifstream in(std::string(CRM_TEST_DATA) + "/account_notes_v1.hex");
  EXPECT_TRUE(in.good()) << "cannot read the fixture";
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    uint64_t position = 0;
    std::string hex;
    fields >> position >> hex;
    EXPECT_EQ(hex.size() % 2, 0u) << line.substr(0, 40);
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    out[position] = bytes;
  }
  return out;
}

std::vector<std::string> Mentions(const EventView& e) {
  std::vector<std::string> out;
  const auto* note = e.envelope->data_as_AccountNoteAdded();
  if (note && note->mentions()) {
    for (const auto* m : *note->mentions()) out.push_back(m->str());
  }
  return out;
}

// The "data" object of a `crm events` line, and one top-level field.
std::string DataOf(const std::string& line) {
  const auto at = line.find(R"("data":)");
  return at == std::string::npos ? "<no data>" : line.substr(at);
}
std::string FieldOf(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto at = line.find(k);
  if (at == std::string::npos) return "<absent>";
  const auto end = line.find_first_of(",}", at + k.size());
  return line.substr(at + k.size(), end - at - k.size());
}

class ReplayUpcastTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.Sub("db");
    fixture_ = ReadFixture();
    ASSERT_EQ(fixture_.size(), 5u);
    ASSERT_EQ(fixture_.begin()->first, 1u);
    ASSERT_EQ(fixture_.rbegin()->first, 5u);
    // The same commands as the previous release ran: the same positions, streams and versions.
    ProcessResult init = Crm(db_, {"init"});
    ASSERT_EQ(init.exit_code, 0) << Describe(init);
    ProcessResult exec =
        Crm(db_, {"exec", std::string(CRM_TEST_DATA) + "/account_notes_v1.jsonl"});
    ASSERT_EQ(exec.exit_code, 0) << Describe(exec);
    ASSERT_EQ(Lines(exec.out).size(), 4u) << exec.out;
    ProcessResult events = Crm(db_, {"events", "--type", "AccountNoteAdded"});
    ASSERT_EQ(events.exit_code, 0) << Describe(events);
    native_notes_ = Lines(events.out);
    ASSERT_EQ(native_notes_.size(), 3u);
    for (const auto& [position, bytes] : fixture_) {
      auto stored = GetRawEvent(db_, position);
      ASSERT_TRUE(stored.has_value()) << position;
      RecordedEvent ours{position, *stored}, theirs{position, bytes};
      ASSERT_EQ(ours.view().stream(), theirs.view().stream()) << position;
      ASSERT_EQ(ours.view().version(), theirs.view().version()) << position;
      ASSERT_EQ(ours.view().type(), theirs.view().type()) << position;
    }
    ASSERT_EQ(GetRawEvent(db_, 6), std::nullopt);
  }

  void Plant() {
    for (const auto& [position, bytes] : fixture_) {
      ASSERT_TRUE(PutRawEvent(db_, position, bytes)) << position;
    }
  }

  TempDir dir_;
  std::string db_;
  std::map<uint64_t, std::string> fixture_;
  std::vector<std::string> native_notes_;  // `crm events --type AccountNoteAdded` as written now
};

TEST_F(ReplayUpcastTest, V1FixtureVerifiesAndIsReadAsV2ByEventsReplayAndTimeTravel) {
  // This release writes v2 with the mentions.
  EXPECT_EQ(FieldOf(native_notes_[0], "schema_version"), "2");
  EXPECT_THAT(native_notes_[0], HasSubstr(R"("mentions":["sam","moses"])"));
  EXPECT_THAT(native_notes_[2], HasSubstr(R"("mentions":["anna"])"));

  ASSERT_NO_FATAL_FAILURE(Plant());
  // The fixture really is v1: schema_version 1 and no mentions in the stored bytes.
  for (uint64_t p : {3u, 4u, 5u}) {
    RecordedEvent stored{p, fixture_[p]};
    EXPECT_EQ(stored.view().envelope->schema_version(), 1) << p;
    EXPECT_EQ(stored.view().type_name(), "AccountNoteAdded");
    EXPECT_EQ(stored.view().envelope->data_as_AccountNoteAdded()->mentions(), nullptr) << p;
  }

  // 1. The hash chain over the stored v1 bytes is intact: crm verify, and computed here.
  ProcessResult verify = Crm(db_, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_THAT(verify.out, HasSubstr(R"("events":5,)"));
  Sha256Digest prev = ZeroDigest();
  for (const auto& [position, bytes] : fixture_) {
    RecordedEvent e{position, bytes};
    EXPECT_EQ(Hex(e.view().prev_hash()), Hex(prev)) << position;
    EXPECT_EQ(Hex(e.view().hash()), Hex(ExpectedHash(e.view()))) << position;
    prev = e.view().hash();
  }

  // 2. `crm events` upcasts: v2, mentions derived from the text -- the same data this release
  // writes for the same command; the stamp is the stored one.
  ProcessResult events = Crm(db_, {"events", "--type", "AccountNoteAdded"});
  ASSERT_EQ(events.exit_code, 0) << Describe(events);
  std::vector<std::string> notes = Lines(events.out);
  ASSERT_EQ(notes.size(), 3u) << events.out;
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(notes[i]);
    EXPECT_EQ(FieldOf(notes[i], "schema_version"), "2");
    EXPECT_EQ(DataOf(notes[i]), DataOf(native_notes_[i]));
    EXPECT_EQ(FieldOf(notes[i], "position"), std::to_string(3 + i));
    EXPECT_EQ(FieldOf(notes[i], "command_id"), "\"fx-" + std::to_string(2 + i) + "\"");
    RecordedEvent stored{3 + i, fixture_[3 + i]};
    EXPECT_EQ(FieldOf(notes[i], "hash"), "\"" + Hex(stored.view().hash()) + "\"");
    EXPECT_NE(FieldOf(notes[i], "hash"), FieldOf(native_notes_[i], "hash"));
  }
  EXPECT_THAT(notes[0], HasSubstr(R"("mentions":["sam","moses"])"));
  EXPECT_THAT(notes[1], Not(HasSubstr(R"("mentions":[")")));
  EXPECT_THAT(notes[1], HasSubstr("ops@acme.example"));
  EXPECT_THAT(notes[2], HasSubstr(R"("mentions":["anna"])"));

  // 3. Before the replay the projections were folded from other bytes (this release's events,
  // other times): --verify sees that they are not a fold of this log.
  ProcessResult stale = Crm(db_, {"replay", "--verify"});
  EXPECT_EQ(stale.exit_code, 5) << Describe(stale);

  // 4. `crm replay` folds the upcast events: note summaries name the mentions.
  ProcessResult replay = Crm(db_, {"replay"});
  ASSERT_EQ(replay.exit_code, 0) << Describe(replay);
  EXPECT_THAT(replay.out, HasSubstr(R"("events":5,)"));
  ProcessResult history = Crm(db_, {"history", "A1"});
  ASSERT_EQ(history.exit_code, 0) << Describe(history);
  std::vector<std::string> summaries;
  for (const std::string& line : Lines(history.out)) summaries.push_back(FieldOf(line, "summary"));
  // (FieldOf stops at the first ',' -- enough to tell the entries apart.)
  ASSERT_EQ(summaries.size(), 4u) << history.out;
  EXPECT_THAT(history.out,
              HasSubstr("Account A1 'Acme Corp' note added by admin (Called @sam about the "
                        "renewal; @moses joins the next call; mentions sam, moses)"));
  EXPECT_THAT(history.out, HasSubstr("note added by admin (@anna please send the quote; "
                                     "mentions anna)"));
  EXPECT_THAT(history.out, HasSubstr("note added by admin (No mentions in this one (mail: "
                                     "ops@acme.example))\""));
  ProcessResult clean = Crm(db_, {"replay", "--verify"});
  EXPECT_EQ(clean.exit_code, 0) << Describe(clean);
  verify = Crm(db_, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);

  // 5. Time travel over upcast events.
  {
    std::unique_ptr<EventStore> store;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, ReplayOptions(OpenMode::kFollower), &store));
    ASSERT_OK_AND_ASSIGN(auto live, CrmReader::Open(*store));
    ASSERT_OK_AND_ASSIGN(auto now, live->Get("account", "A1"));
    ASSERT_TRUE(now.has_value());
    ASSERT_OK_AND_ASSIGN(auto at_end, GetAsOf(*store, *live, "account", "A1",
                                              PointInTime::AtPosition(5)));
    ASSERT_TRUE(at_end.has_value());
    EXPECT_EQ(at_end->ToJson(), now->ToJson());
    ASSERT_OK_AND_ASSIGN(auto at_3, GetAsOf(*store, *live, "account", "A1",
                                            PointInTime::AtPosition(3)));
    ASSERT_TRUE(at_3.has_value());
    EXPECT_EQ(J(*at_3, "version"), "2");
    RecordedEvent first_note{3, fixture_[3]};
    // `crm exec` committed the four commands in one group: one recorded_at for positions 2..5.
    ASSERT_OK_AND_ASSIGN(auto recorded, GetAsOf(*store, *live, "account", "A1",
                                                PointInTime::RecordedAt(
                                                    first_note.view().recorded_at_us())));
    ASSERT_TRUE(recorded.has_value());
    EXPECT_EQ(recorded->ToJson(), now->ToJson());
    ASSERT_OK_AND_ASSIGN(auto at_1, GetAsOf(*store, *live, "account", "A1",
                                            PointInTime::AtPosition(1)));
    EXPECT_FALSE(at_1.has_value());
    ASSERT_OK_AND_ASSIGN(auto h, HistoryAsOf(*store, *live, "account-A1", 0, 0,
                                             PointInTime::AtPosition(3)));
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(Tx(h[0], "summary"),
              "Account A1 'Acme Corp' note added by admin (Called @sam about the renewal; "
              "@moses joins the next call; mentions sam, moses)");
    EXPECT_EQ(Tx(h[0], "recorded_at"), FormatTimestamp(first_note.view().recorded_at_us()));
  }
  ProcessResult at = Crm(db_, {"history", "A1", "--at", "4"});
  ASSERT_EQ(at.exit_code, 0) << Describe(at);
  EXPECT_EQ(Lines(at.out).size(), 3u) << at.out;
}

// Every reader of the store given the upcaster hands out v2 with the mentions and the stored
// stamp; without one, the stored v1 bytes. `crm events --stream` reads a stream the same way.
TEST_F(ReplayUpcastTest, StoreReadersHandOutV2WithTheUpcasterAndV1Without) {
  ASSERT_NO_FATAL_FAILURE(Plant());
  {
    Options with = ReplayOptions(OpenMode::kFollower);
    Options without = with;
    without.upcaster = nullptr;
    std::unique_ptr<EventStore> up, raw;
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, with, &up));
    ASSERT_NO_FATAL_FAILURE(OpenStore(db_, without, &raw));
    const std::vector<std::vector<std::string>> mentions = {{"sam", "moses"}, {}, {"anna"}};

    ASSERT_OK_AND_ASSIGN(auto stream, Drain(up->ReadStream("account-A1", 1, Direction::kForward)));
    ASSERT_EQ(stream.size(), 4u);
    ASSERT_OK_AND_ASSIGN(auto log, Drain(up->ReadLog(1)));
    ASSERT_EQ(log.size(), 5u);
    ASSERT_OK_AND_ASSIGN(auto backward,
                         Drain(up->ReadStream("account-A1", UINT64_MAX, Direction::kBackward)));
    ASSERT_EQ(backward.size(), 4u);
    ASSERT_OK_AND_ASSIGN(auto raw_stream,
                         Drain(raw->ReadStream("account-A1", 1, Direction::kForward)));
    ASSERT_OK_AND_ASSIGN(auto raw_log, Drain(raw->ReadLog(1)));
    ASSERT_EQ(raw_log.size(), 5u);
    for (size_t i = 0; i < 3; ++i) {
      const uint64_t p = 3 + i;
      SCOPED_TRACE("position " + std::to_string(p));
      RecordedEvent stored{p, fixture_[p]};
      ASSERT_OK_AND_ASSIGN(auto one, up->ReadEvent(p));
      ASSERT_TRUE(one.has_value());
      const std::pair<const char*, const RecordedEvent*> readers[] = {
          {"ReadStream forward", &stream[1 + i]},
          {"ReadLog", &log[2 + i]},
          {"ReadStream backward", &backward[2 - i]},
          {"ReadEvent", &*one}};
      for (const auto& [reader, e] : readers) {
        SCOPED_TRACE(reader);
        const EventView v = e->view();
        EXPECT_EQ(v.position, p);
        EXPECT_EQ(v.envelope->schema_version(), kAccountNoteAddedVersion);
        EXPECT_EQ(Mentions(v), mentions[i]);
        // Everything else is the stored event's.
        EXPECT_EQ(NoteText(v), NoteText(stored.view()));
        EXPECT_EQ(v.stream(), "account-A1");
        EXPECT_EQ(v.version(), stored.view().version());
        EXPECT_EQ(v.recorded_at_us(), stored.view().recorded_at_us());
        EXPECT_EQ(v.occurred_at_us(), stored.view().occurred_at_us());
        EXPECT_EQ(Hex(v.hash()), Hex(stored.view().hash()));
        EXPECT_EQ(Hex(v.prev_hash()), Hex(stored.view().prev_hash()));
        EXPECT_EQ(v.envelope->command_id()->str(), "fx-" + std::to_string(p - 1));
        EXPECT_EQ(v.envelope->actor()->str(), stored.view().envelope->actor()->str());
      }
      // Without an upcaster: the stored bytes, v1.
      ASSERT_OK_AND_ASSIGN(auto as_stored, raw->ReadEvent(p));
      ASSERT_TRUE(as_stored.has_value());
      EXPECT_EQ(as_stored->bytes, fixture_[p]);
      EXPECT_EQ(raw_stream[1 + i].bytes, fixture_[p]);
      EXPECT_EQ(raw_log[2 + i].bytes, fixture_[p]);
      EXPECT_EQ(as_stored->view().envelope->schema_version(), 1);
      EXPECT_THAT(Mentions(as_stored->view()), ::testing::IsEmpty());
    }
    // Other events are handed out as stored, upcaster or not.
    EXPECT_EQ(log[0].bytes, fixture_[1]);
    EXPECT_EQ(log[1].bytes, fixture_[2]);
  }


  // The CLI reads a stream through ReadStream.
  ProcessResult events = Crm(db_, {"events", "--stream", "account-A1"});
  ASSERT_EQ(events.exit_code, 0) << Describe(events);
  std::vector<std::string> lines = Lines(events.out);
  ASSERT_EQ(lines.size(), 4u) << events.out;
  for (size_t i = 1; i < 4; ++i) {
    SCOPED_TRACE(lines[i]);
    EXPECT_EQ(FieldOf(lines[i], "schema_version"), "2");
    EXPECT_EQ(DataOf(lines[i]), DataOf(native_notes_[i - 1]));
  }
  EXPECT_THAT(lines[1], HasSubstr(R"("mentions":["sam","moses"])"));
  EXPECT_THAT(lines[3], HasSubstr(R"("mentions":["anna"])"));
}

// A subscription of the writer hands out upcast events as well.
TEST_F(ReplayUpcastTest, SubscriptionsUpcast) {
  ASSERT_NO_FATAL_FAILURE(Plant());
  std::unique_ptr<EventStore> store;
  Options o = ReplayOptions();
  o.create_if_missing = false;
  ASSERT_NO_FATAL_FAILURE(OpenStore(db_, o, &store));
  ASSERT_OK_AND_ASSIGN(auto sub, store->Subscribe(3, TypeFilter::Only({fb::Payload::AccountNoteAdded})));
  std::vector<std::vector<std::string>> seen;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto next, sub->Next(std::chrono::milliseconds(2000)));
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->position, 3u + i);
    EXPECT_EQ(next->envelope->schema_version(), kAccountNoteAddedVersion);
    seen.push_back(Mentions(*next));
  }
  EXPECT_THAT(seen, ElementsAre(ElementsAre("sam", "moses"), ::testing::IsEmpty(),
                                ElementsAre("anna")));
  // A note written now is v2 natively and is not rewritten.
  CommandExecutor exec(store.get());
  ExecResult r = exec.Execute(Cmd("AddAccountNote").S("account_id", "A1").S("text", "cc @dustin").str());
  ASSERT_TRUE(r.ok) << r.line;
  ASSERT_OK_AND_ASSIGN(auto next, sub->Next(std::chrono::milliseconds(2000)));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->position, 6u);
  EXPECT_EQ(next->envelope->schema_version(), kAccountNoteAddedVersion);
  EXPECT_THAT(Mentions(*next), ElementsAre("dustin"));
  sub.reset();
  store.reset();
  // The new event chains onto the stored v1 bytes' hash.
  ProcessResult verify = Crm(db_, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  auto stored = GetRawEvent(db_, 6);
  ASSERT_TRUE(stored.has_value());
  RecordedEvent sixth{6, *stored}, fifth{5, fixture_[5]};
  EXPECT_EQ(Hex(sixth.view().prev_hash()), Hex(fifth.view().hash()));
  EXPECT_EQ(sixth.view().envelope->schema_version(), kAccountNoteAddedVersion);
}

}  // namespace
}  // namespace crm::test
