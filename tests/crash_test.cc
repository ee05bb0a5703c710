// SIGKILL a kSync writer mid-stream; every acknowledged append must survive, every command in the
// log must be whole, and Verify() must pass. Three rounds on the same database.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "crash_shape.h"
#include "process.h"
#include "test_util.h"

#ifndef CRM_CRASH_CHILD
#error "CRM_CRASH_CHILD must name the crash_child helper binary"
#endif

namespace crm::test {
namespace {

using std::chrono::milliseconds;

struct Ack {
  std::string command_id;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  std::vector<StreamAppendResult> streams;
};

std::optional<Ack> ParseAck(const std::string& line) {
  std::istringstream in(line);
  std::string tag;
  Ack a;
  if (!(in >> tag >> a.command_id >> a.first_position >> a.last_position) || tag != "ACK") {
    return std::nullopt;
  }
  std::string s;
  while (in >> s) {
    auto c2 = s.rfind(':');
    auto c1 = s.rfind(':', c2 - 1);
    a.streams.push_back({s.substr(0, c1), std::stoull(s.substr(c1 + 1, c2 - c1 - 1)),
                         std::stoull(s.substr(c2 + 1))});
  }
  return a;
}

// The i of command id "crash-R-i".
int IndexOf(const std::string& command_id) {
  return std::stoi(command_id.substr(command_id.rfind('-') + 1));
}

// Runs crash_child for ~`run_for`, SIGKILLs it, returns the acknowledgements it wrote.
void RunAndKill(const std::string& dir, int round, milliseconds run_for, uint64_t expect_ready,
                std::vector<Ack>* acks) {
  auto child = ChildProcess::Start({CRM_CRASH_CHILD, dir, std::to_string(round)});
  ASSERT_NE(child, nullptr);
  auto ready = child->ReadLine(milliseconds(30000));
  ASSERT_TRUE(ready.has_value()) << "crash_child did not start";
  ASSERT_EQ(*ready, "READY " + std::to_string(expect_ready));

  std::vector<std::string> lines = child->ReadLinesFor(run_for);
  // Make sure the kill lands while it is appending, after at least a few acknowledgements.
  for (int waited = 0; lines.size() < 5 && waited < 100; ++waited) {
    auto more = child->ReadLinesFor(milliseconds(100));
    lines.insert(lines.end(), more.begin(), more.end());
  }
  child->Kill(SIGKILL);
  int status = child->Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "crash_child ended on its own: status " << status;
  auto rest = child->ReadLinesFor(milliseconds(2000));  // whatever was in the pipe
  lines.insert(lines.end(), rest.begin(), rest.end());
  ASSERT_GE(lines.size(), 5u);
  for (const auto& line : lines) {
    auto ack = ParseAck(line);
    ASSERT_TRUE(ack.has_value()) << "bad line: " << line;
    acks->push_back(*std::move(ack));
  }
}

// Checks the reopened store against every acknowledgement so far.
void CheckStore(EventStore& store, const std::vector<Ack>& acks) {
  ASSERT_OK_AND_ASSIGN(auto log, Drain(store.ReadLog(1)));
  ASSERT_EQ(log.size(), store.LastPosition());
  ASSERT_GE(store.LastPosition(), acks.back().last_position);

  std::map<std::string, uint64_t> max_version;
  for (const Ack& a : acks) {
    SCOPED_TRACE(a.command_id);
    std::multimap<std::string, uint64_t> want, got;
    for (const auto& s : a.streams) {
      for (uint64_t v = s.first_version; v <= s.last_version; ++v) want.emplace(s.stream, v);
      max_version[s.stream] = std::max(max_version[s.stream], s.last_version);
    }
    ASSERT_EQ(a.last_position - a.first_position + 1, want.size());
    for (uint64_t p = a.first_position; p <= a.last_position; ++p) {
      EventView v = log[p - 1].view();
      ASSERT_EQ(v.position, p);
      EXPECT_EQ(v.envelope->command_id()->str(), a.command_id);
      got.emplace(std::string(v.stream()), v.version());
    }
    EXPECT_EQ(got, want);
    ASSERT_OK_AND_ASSIGN(std::optional<AppendResult> looked, store.LookupCommand(a.command_id));
    ASSERT_TRUE(looked.has_value());
    EXPECT_EQ(looked->first_position, a.first_position);
    EXPECT_EQ(looked->last_position, a.last_position);
  }
  for (const auto& [stream, version] : max_version) {
    ASSERT_OK_AND_ASSIGN(uint64_t v, store.StreamVersion(stream));
    EXPECT_GE(v, version) << stream;
  }

  // Every command in the log -- acknowledged or not -- is whole and contiguous.
  std::map<std::string, std::pair<uint64_t, uint64_t>> spans;  // command -> (first, count)
  for (const auto& e : log) {
    std::string cmd = e.view().envelope->command_id()->str();
    auto [it, inserted] = spans.emplace(cmd, std::make_pair(e.position, uint64_t{0}));
    EXPECT_EQ(it->second.first + it->second.second, e.position) << cmd << " is not contiguous";
    ++it->second.second;
  }
  for (const auto& [cmd, span] : spans) {
    EXPECT_EQ(span.second, static_cast<uint64_t>(ShapeOf(IndexOf(cmd)).events()))
        << cmd << " is not whole";
  }

  ASSERT_OK_AND_ASSIGN(VerifyReport report, store.Verify());
  EXPECT_TRUE(report.ok()) << "first bad position " << report.first_bad_position << ": "
                           << report.first_problem;
  EXPECT_EQ(report.events, store.LastPosition());
  EXPECT_EQ(report.last_position, store.LastPosition());
}

TEST(CrashTest, AcknowledgedAppendsSurviveSigkill) {
  TempDir dir;
  std::vector<Ack> acks;
  uint64_t last_position = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    size_t before = acks.size();
    ASSERT_NO_FATAL_FAILURE(
        RunAndKill(dir.path(), round, milliseconds(300 + 100 * round), last_position, &acks));
    ASSERT_GT(acks.size(), before);
    std::unique_ptr<EventStore> store;
    Options o;
    o.durability = Durability::kSync;
    o.create_if_missing = false;
    ASSERT_NO_FATAL_FAILURE(OpenStore(dir.path(), o, &store));
    ASSERT_NO_FATAL_FAILURE(CheckStore(*store, acks));
    last_position = store->LastPosition();
    RecordProperty("round" + std::to_string(round) + "_acks",
                   static_cast<int>(acks.size() - before));
  }
}

}  // namespace
}  // namespace crm::test
