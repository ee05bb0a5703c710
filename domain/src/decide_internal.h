// Helpers shared by the decide_*.cc files. Not part of any interface.
#pragma once

#include <string>
#include <utility>

#include "domain/src/decide.h"

namespace crm::domain::internal {

inline Error Err(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

inline Error Storage(const Status& s) { return Err(ErrorCode::kStorageError, s.ToString()); }

// Loads `stream` into `const StreamState& var`, or returns a STORAGE_ERROR from the decision.
#define CRM_LOAD(var, view, stream)                                \
  auto var##_loaded = (view).Load(stream);                         \
  if (!var##_loaded.ok()) return Storage(var##_loaded.status());   \
  const StreamState& var = **var##_loaded

template <typename T>
EventData Ev(T payload, std::string actor = {}) {
  EventData e;
  e.data.Set(std::move(payload));
  e.actor = std::move(actor);
  return e;
}

// Appends an event for `stream` to the decision, keeping one StreamEvents per stream.
inline void Emit(Decision& d, const std::string& stream, EventData e) {
  for (auto& w : d.writes) {
    if (w.stream == stream) {
      w.events.push_back(std::move(e));
      return;
    }
  }
  StreamEvents w;
  w.stream = stream;
  w.events.push_back(std::move(e));
  d.writes.push_back(std::move(w));
}

inline Decision Primary(std::string stream) {
  Decision d;
  d.primary_stream = std::move(stream);
  return d;
}

inline std::unique_ptr<fb::AddressT> ToFb(const Address& a) {
  auto out = std::make_unique<fb::AddressT>();
  out->street = a.street;
  out->city = a.city;
  out->state = a.state;
  out->postal_code = a.postal_code;
  out->country = a.country;
  return out;
}

inline std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// NOT_FOUND unless `state` exists; `what` names it ("account 'A1'").
inline std::optional<Error> MustExist(const StreamState& state, std::string_view kind,
                                      std::string_view id) {
  if (state.exists()) return std::nullopt;
  return Err(ErrorCode::kNotFound, std::string(kind) + " " + Quote(id) + " does not exist");
}

inline std::optional<Error> MustNotExist(const StreamState& state, std::string_view kind,
                                         std::string_view id) {
  if (!state.exists()) return std::nullopt;
  return Err(ErrorCode::kAlreadyExists, std::string(kind) + " " + Quote(id) + " already exists");
}

#define CRM_CHECK(expr)                   \
  do {                                    \
    if (auto crm_err_ = (expr)) return *crm_err_; \
  } while (0)

// Decision families (decide_*.cc). Each handles its command types.
Outcome DecideAccount(const Command& cmd, const Context& ctx, StateView& view);
Outcome DecideContactOrUser(const Command& cmd, const Context& ctx, StateView& view);
Outcome DecideLead(const Command& cmd, const Context& ctx, StateView& view);
Outcome DecideOpportunity(const Command& cmd, const Context& ctx, StateView& view);
Outcome DecideCommerce(const Command& cmd, const Context& ctx, StateView& view);
Outcome DecideService(const Command& cmd, const Context& ctx, StateView& view);

// The account's facts from its linked opportunity and order streams (all loaded, so all become
// conditions of the append).
Result<AccountFacts> LoadFacts(const std::string& account_stream, StateView& view);

// Automatic progression (SPEC §2): emits AccountTypeChanged by `system` into `d` when the
// account should move to `to` and may. `cause` explains it ("opportunity 'O1' opened").
void Progress(Decision& d, const std::string& account_stream, const AccountState& account,
              fb::AccountType to, const std::string& cause, const Context& ctx);

}  // namespace crm::domain::internal
