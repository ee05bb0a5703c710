// Helpers for the replay and time-travel tests (replay_*_test.cc): a seeded generator of a random
// but realistic CRM workload, running it through CommandExecutor::ExecuteBatch, the crm binary,
// and reading projection rows.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "crm/commands.h"
#include "crm/event_store.h"
#include "crm/projections.h"
#include "crm/replay.h"
#include "process.h"
#include "projections_test_util.h"

namespace crm::test {

// A seeded generator of CRM commands: accounts (types, owners, updates, notes with @mentions,
// revenue, deactivation), contacts (created with and without an account, linked and moved between
// accounts), leads (qualified, disqualified, converted into new and existing accounts),
// opportunities (through the stages, won, lost), tickets (assigned, in progress <-> pending,
// resolved, closed, reopened, commented), activities against accounts, contacts, leads,
// opportunities and tickets, quotes, orders, invoices (paid). It tracks what it created, assuming
// every command succeeds; some are rejected (a rule, a role, an inactive account), which is part
// of the mix. Some commands carry a past occurred_at, some another actor.
class WorkloadGenerator {
 public:
  explicit WorkloadGenerator(uint64_t seed, std::string prefix = "");

  // The users the workload runs as and assigns to (first commands to run).
  std::vector<std::string> Team() const;
  std::string Next();

 private:
  struct Ticket {
    std::string id;
    int status = 0;  // 0 New, 1 Assigned, 2 InProgress, 3 Pending, 4 Resolved, 5 Closed
  };
  struct Opportunity {
    std::string id;
    std::string account;
    int stage = 0;
  };
  struct Quote {
    std::string id;
    std::string account;
  };

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(int percent) { return static_cast<int>(Pick(100)) < percent; }
  template <typename T>
  const T& Any(const std::vector<T>& v) { return v[Pick(v.size())]; }
  std::string Id(const char* kind) { return prefix_ + kind + std::to_string(++serial_); }
  std::string Money();
  std::string NoteText();
  std::string Generate();

  std::mt19937_64 rng_;
  std::string prefix_;
  uint64_t serial_ = 0;
  std::vector<std::string> accounts_, inactive_, contacts_, leads_, activities_, invoices_;
  std::vector<Opportunity> opportunities_;
  std::vector<Ticket> tickets_;
  std::vector<Quote> quotes_, accepted_quotes_;
};

struct WorkloadStats {
  size_t commands = 0;
  size_t ok = 0;
  size_t rejected = 0;
  std::map<std::string, size_t> rejections_by_code;
};

// Runs the generator's team and then `commands` commands through `exec` in ExecuteBatch groups of
// `batch` commands. Fails the test on a STORAGE_ERROR or a malformed result.
WorkloadStats RunWorkload(CommandExecutor& exec, WorkloadGenerator& gen, size_t commands,
                          size_t batch = 512);

// The crm binary.
ProcessResult Crm(const std::string& db, std::vector<std::string> args,
                  std::string_view input = {});
std::string Describe(const ProcessResult& r);
std::vector<std::string> Lines(const std::string& out);

// Rows of a ProjectionReader / ProjectionSet.
std::map<std::string, std::string> RowsOf(ProjectionReader& reader);

// "h:<stream>\0<~position as 8 big-endian bytes>" (projections/README.md) and its printable form
// as `replay --verify` reports keys (non-printable bytes and '\' as \xNN).
std::string HistoryKey(std::string_view stream, uint64_t position);
std::string PrintableKey(std::string_view key);

// A store with the CRM projector and upcaster.
Options ReplayOptions(OpenMode mode = OpenMode::kReadWrite);

}  // namespace crm::test
