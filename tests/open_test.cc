// Opening: missing databases, the single-writer lock across processes, followers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "process.h"
#include "test_util.h"

#ifndef CRM_STORE_PROBE
#error "CRM_STORE_PROBE must name the store_probe helper binary"
#endif

namespace crm::test {
namespace {

using std::chrono::milliseconds;

std::string Probe(const std::string& dir, const std::string& mode) {
  ProcessResult r = RunProcess({CRM_STORE_PROBE, "open", dir, mode});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

TEST(OpenTest, MissingDatabaseWithoutCreateIsNotFound) {
  TempDir dir;
  const std::string missing = dir.Sub("nope");
  Options o = FastOptions();
  o.create_if_missing = false;
  auto r = EventStore::Open(missing, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a failed open must not create the directory";

  o.mode = OpenMode::kFollower;
  o.create_if_missing = true;  // a follower never creates
  auto f = EventStore::Open(missing, o);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Code::kNotFound) << f.status().ToString();
}

TEST(OpenTest, ExistingDatabaseWithoutCreateOpens) {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), FastOptions(), &store));
  ASSERT_OK(store->Append(NoteRequest("account-A", ExpectedVersion::Any(), {"a"})));
  store.reset();
  Options o = FastOptions();
  o.create_if_missing = false;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), o, &store));
  EXPECT_EQ(store->LastPosition(), 1u);
}

TEST(OpenTest, SecondWriterProcessIsBusy) {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), FastOptions(), &store));
  ASSERT_OK(store->Append(NoteRequest("account-A", ExpectedVersion::Any(), Texts("a", 3))));

  EXPECT_EQ(Probe(dir.path(), "readwrite"), "BUSY");
  EXPECT_EQ(Probe(dir.path(), "follower"), "OK 3") << "followers open beside the writer";
  store.reset();
  EXPECT_EQ(Probe(dir.path(), "readwrite"), "OK 3") << "the lock is released on close";
}

// RocksDB, linked statically, constructs its global objects after the program's own; opened
// from a global constructor it took every file of the database directory for trash and deleted
// it. The open is refused instead, and the database is untouched.
TEST(OpenTest, OpenDuringStaticInitialisationIsRefusedAndDeletesNothing) {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), FastOptions(), &store));
  ASSERT_OK(store->Append(NoteRequest("account-A", ExpectedVersion::Any(), Texts("a", 3))));
  store.reset();
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }

  ProcessResult r = RunProcess({CRM_STORE_PROBE}, {"CRM_PROBE_STATIC_OPEN=" + dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ABORTED\n") << r.err;
  EXPECT_NE(r.err.find("static initialisation"), std::string::npos) << r.err;

  size_t after = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++after;
  }
  EXPECT_EQ(after, files) << "files of the database were removed";
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), FastOptions(), &store));
  EXPECT_EQ(store->LastPosition(), 3u);
}

TEST(OpenTest, WriterInAnotherProcessBlocksThisOneAndFollowerCatchesUp) {
  TempDir dir;
  auto holder = ChildProcess::Start({CRM_STORE_PROBE, "hold", dir.path()});
  ASSERT_NE(holder, nullptr);
  ASSERT_EQ(holder->ReadLine(milliseconds(30000)).value_or("(nothing)"), "READY 0");

  auto second = EventStore::Open(dir.path(), FastOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().ToString();

  Options fo = FastOptions();
  fo.mode = OpenMode::kFollower;
  std::unique_ptr<EventStore> follower;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), fo, &follower));
  EXPECT_EQ(follower->LastPosition(), 0u);

  ASSERT_TRUE(holder->WriteStdin("append 5\n"));
  ASSERT_EQ(holder->ReadLine(milliseconds(30000)).value_or("(nothing)"), "APPENDED 5");
  ASSERT_OK(follower->CatchUp());
  EXPECT_EQ(follower->LastPosition(), 5u);
  ASSERT_OK_AND_ASSIGN(auto log, Drain(follower->ReadLog(1)));
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(NoteText(log[4].view()), "held 4");
  ASSERT_OK_AND_ASSIGN(uint64_t v, follower->StreamVersion("account-held"));
  EXPECT_EQ(v, 5u);

  ASSERT_TRUE(holder->WriteStdin("append 2\n"));
  ASSERT_EQ(holder->ReadLine(milliseconds(30000)).value_or("(nothing)"), "APPENDED 7");
  EXPECT_EQ(follower->LastPosition(), 5u) << "a follower moves only on CatchUp()";
  ASSERT_OK(follower->CatchUp());
  EXPECT_EQ(follower->LastPosition(), 7u);

  holder->CloseStdin();
  int status = holder->Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::unique_ptr<EventStore> writer;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), FastOptions(), &writer));
  EXPECT_EQ(writer->LastPosition(), 7u);
}

TEST(OpenTest, FollowerInTheSameProcessReadsAndCatchesUp) {
  TempDir dir;
  std::unique_ptr<EventStore> writer;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), FastOptions(), &writer));
  ASSERT_OK(writer->Append(NoteRequest("account-A", ExpectedVersion::Any(), Texts("a", 10))));

  Options fo = FastOptions();
  fo.mode = OpenMode::kFollower;
  std::unique_ptr<EventStore> follower;
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), fo, &follower));
  EXPECT_EQ(follower->LastPosition(), 10u);
  ASSERT_OK_AND_ASSIGN(auto log, Drain(follower->ReadLog(1)));
  EXPECT_EQ(log.size(), 10u);

  ASSERT_OK_AND_ASSIGN(uint64_t a_before, follower->StreamVersion("account-A"));
  EXPECT_EQ(a_before, 10u);
  ASSERT_OK(writer->Append(NoteRequest("account-B", ExpectedVersion::NoStream(), {"b"})));
  ASSERT_OK(writer->Append(NoteRequest("account-A", ExpectedVersion::Exactly(10), {"a11"})));
  ASSERT_OK(follower->CatchUp());
  EXPECT_EQ(follower->LastPosition(), 12u);
  ASSERT_OK_AND_ASSIGN(uint64_t a_after, follower->StreamVersion("account-A"));
  EXPECT_EQ(a_after, 11u);
  ASSERT_OK_AND_ASSIGN(auto b, Drain(follower->ReadStream("account-B", 1, Direction::kForward)));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].position, 11u);
  EXPECT_EQ(NoteText(b[0].view()), "b");
  ASSERT_OK_AND_ASSIGN(VerifyReport report, follower->Verify());
  EXPECT_TRUE(report.ok()) << report.first_problem;
  EXPECT_EQ(report.last_position, 12u);

  auto r = follower->Append(NoteRequest("account-C", ExpectedVersion::Any(), {"c"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotSupported) << r.status().ToString();
  EXPECT_EQ(writer->LastPosition(), 12u);
}

}  // namespace
}  // namespace crm::test
