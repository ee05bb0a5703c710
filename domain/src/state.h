// The state a decision needs, per stream: a fold of the stream's events. Pure: no I/O.
//
// One Apply() serves both stored events (unpacked from the log) and events a decision has just
// produced (so a pipeline of commands sees its own effects before they are committed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "crm/event.h"
#include "domain/src/command.h"

namespace crm::domain {

struct AccountState {
  std::string account_id, name, industry, phone, email, website, owner, parent_account_id, source,
      notes, debtor_number, creditor_number;
  Address billing_address, shipping_address;
  std::optional<int64_t> number_of_employees;
  fb::AccountType type = fb::AccountType::NotValidated;
  fb::AccountStatus status = fb::AccountStatus::Active;
};

struct ContactState {
  std::string contact_id, first_name, last_name, email, phone, title, account_id;
};

struct LeadState {
  std::string lead_id, first_name, last_name, company, email, phone, source, industry, owner;
  fb::LeadStatus status = fb::LeadStatus::New;
};

struct OpportunityState {
  std::string opportunity_id, account_id, name, currency, owner;
  int64_t amount = 0;
  fb::OpportunityStage stage = fb::OpportunityStage::Prospecting;
  bool open() const {
    return stage != fb::OpportunityStage::ClosedWon && stage != fb::OpportunityStage::ClosedLost;
  }
};

struct TicketState {
  std::string ticket_id, account_id, contact_id, subject, assignee;
  fb::TicketStatus status = fb::TicketStatus::New;
};

struct ActivityState {
  std::string activity_id;
  fb::ActivityStatus status = fb::ActivityStatus::Planned;
};

struct QuoteState {
  std::string quote_id, account_id, opportunity_id;
  int64_t amount = 0;
  bool accepted = false;
};

struct OrderState {
  std::string order_id, account_id, quote_id;
  int64_t amount = 0;
};

struct InvoiceState {
  std::string invoice_id, account_id, order_id;
  int64_t amount = 0;
  bool paid = false;
};

struct UserState {
  std::string user_id, name;
  fb::UserRole role = fb::UserRole::viewer;
};

struct SettingsState {
  bool strict = true;  // rules.strict
};

// The state of one stream. monostate: the stream does not exist (version 0).
using EntityState =
    std::variant<std::monostate, AccountState, ContactState, LeadState, OpportunityState,
                 TicketState, ActivityState, QuoteState, OrderState, InvoiceState, UserState,
                 SettingsState>;

struct StreamState {
  uint64_t version = 0;  // 0: no stream
  EntityState entity;
  bool exists() const { return version != 0; }
};

// Folds one event into its stream's state. Events of an unexpected type for the stream's kind
// are ignored (they cannot be produced by this domain).
void Apply(const fb::PayloadUnion& event, StreamState* state);

// The state of a stream kind before its first event ("config" streams start from defaults).
StreamState Initial(std::string_view stream);

// Accessors that return nullptr when the state is not of that kind (or does not exist).
template <typename T>
const T* As(const StreamState& s) {
  return s.exists() || std::is_same_v<T, SettingsState> ? std::get_if<T>(&s.entity) : nullptr;
}

}  // namespace crm::domain
