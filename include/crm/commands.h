// Executing CRM commands (SPEC §2): JSON in, validated against current state, events out.
//
// CommandExecutor is what `crm exec` runs on: it parses each command, checks the actor and its
// role, loads the state of the streams the command touches (cached), decides, and appends the
// events with the versions it read as conditions -- so a command decided on stale state is
// rejected with CONCURRENCY_CONFLICT instead of committing.
//
// Threads: one executor per thread (it owns caches); several executors may share one EventStore.
// Lifetime: the EventStore must outlive the executor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crm/event_store.h"

namespace crm {

struct ExecOptions {
  std::string default_actor = "admin";  // when a command carries no "actor"
  size_t state_cache_entries = size_t{1} << 16;  // LRU of folded stream states
  // Fault injection for tests: called after a batch is decided and before it is appended, so a
  // test can make another writer act in between (a decision on state that has since moved).
  std::function<void()> before_commit;
};

// One command's outcome: the SPEC §2 result line (a JSON object, no newline).
struct ExecResult {
  bool ok = false;
  std::string line;
};

class CommandExecutor {
 public:
  explicit CommandExecutor(EventStore* store, ExecOptions options = {});
  ~CommandExecutor();
  CommandExecutor(const CommandExecutor&) = delete;
  CommandExecutor& operator=(const CommandExecutor&) = delete;

  // Executes one command line. Never throws; every failure is a result line.
  ExecResult Execute(std::string_view line);

  // Executes commands in order, each seeing the effects of the earlier ones, and commits all
  // their events in one group (one RocksDB write, one fsync). Results are in input order; a
  // result is final (durable under the store's durability) when this returns.
  std::vector<ExecResult> ExecuteBatch(const std::vector<std::string_view>& lines);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes sure the database has its first admin user (user-admin, role admin), appending it as
// `system` if missing. `crm init` and any write to a new database call it. Returns whether it
// created the user.
Result<bool> EnsureAdminUser(EventStore& store);

}  // namespace crm
