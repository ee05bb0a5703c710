// Decisions: (command, the state of the streams it reads) -> events, links, or an error.
// Pure: state comes through StateView; no clock (Context::now_us), no I/O of their own.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "crm/event_store.h"
#include "domain/src/command.h"
#include "domain/src/state.h"

namespace crm::domain {

// Read access to current state. The executor implements it over the store plus the decisions of
// its pipeline that are not committed yet, and records every stream read: each becomes a
// condition of the append (its version must not have moved), so two racing commands can never
// both succeed on stale state.
class StateView {
 public:
  virtual ~StateView() = default;
  // The state of `stream`; version 0 if it does not exist. Errors are storage errors.
  virtual Result<const StreamState*> Load(const std::string& stream) = 0;
  // The streams `from` links to (committed and decided).
  virtual Result<std::vector<std::string>> Links(const std::string& from) = 0;
};

struct Context {
  std::string actor;  // the user id the command runs as (validated to exist)
  fb::UserRole role = fb::UserRole::viewer;
  bool strict = true;   // rules.strict
  int64_t now_us = 0;
};

struct Decision {
  std::string primary_stream;        // the stream the result line names
  std::vector<StreamEvents> writes;  // events per stream (expected versions set by the executor)
  std::vector<StreamLink> links;
  bool empty() const { return writes.empty(); }
};

using Outcome = std::variant<Decision, Error>;

// Decides a parsed command. The actor's existence and the command-level permission are checked
// by Authorize() first; Decide() checks the finer rules (account-type roles, lifecycles, ...).
Outcome Decide(const Command& cmd, const Context& ctx, StateView& view);

// FORBIDDEN unless the role may run this command type at all (SPEC: viewer nothing; support
// tickets, activities, contacts; sales accounts, contacts, leads, opportunities, activities,
// quotes, orders; manager and admin everything).
std::optional<Error> Authorize(CommandType type, fb::UserRole role);

// Account-type rules (SPEC §2), shared by ChangeAccountType, OpenAccount and the automatic
// progression. `facts` are what the account has: open and won opportunities, placed orders.
struct AccountFacts {
  int open_opportunities = 0;
  int won_opportunities = 0;
  int orders = 0;
};
std::optional<Error> CheckAccountType(const AccountState& account, fb::AccountType to,
                                      const AccountFacts& facts, const Context& ctx,
                                      bool by_policy);

}  // namespace crm::domain
