#include "projections/src/index.h"

#include <algorithm>

#include "crm/event.h"
#include "projections/src/keys.h"

namespace crm::proj {
namespace {

constexpr FilterSpec kAccount[] = {{"type", account::kType, false},
                                   {"status", account::kStatus, false},
                                   {"industry", account::kIndustry, false},
                                   {"owner", account::kOwner, false},
                                   {"name", kDisplayName, true}};
constexpr FilterSpec kContact[] = {{"name", kDisplayName, true}};
constexpr FilterSpec kLead[] = {{"status", lead::kStatus, false},
                                {"industry", lead::kIndustry, false},
                                {"owner", lead::kOwner, false},
                                {"name", kDisplayName, true}};
constexpr FilterSpec kOpportunity[] = {{"stage", opportunity::kStage, false},
                                       {"owner", opportunity::kOwner, false},
                                       {"name", kDisplayName, true}};
constexpr FilterSpec kTicket[] = {{"status", ticket::kStatus, false},
                                  {"priority", ticket::kPriority, false},
                                  {"owner", ticket::kAssignee, false},
                                  {"name", kDisplayName, true}};
constexpr FilterSpec kActivity[] = {{"type", activity::kKind, false},
                                    {"status", activity::kStatus, false},
                                    {"name", kDisplayName, true}};
constexpr FilterSpec kQuote[] = {{"status", quote::kStatus, false}};
constexpr FilterSpec kInvoice[] = {{"status", invoice::kStatus, false}};
constexpr FilterSpec kUser[] = {{"type", user::kRole, false}, {"name", kDisplayName, true}};

constexpr MatchSpec kAccountMatch[] = {{"email", account::kEmail}, {"phone", account::kPhone}};
constexpr MatchSpec kContactMatch[] = {{"email", contact::kEmail}};

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<std::string_view> Names(const char* const* names) {
  std::vector<std::string_view> out;
  for (; *names; ++names) out.emplace_back(*names);
  return out;
}

}  // namespace

std::vector<std::string_view> AllowedValues(Kind kind, std::string_view filter) {
  switch (kind) {
    case Kind::kAccount:
      if (filter == "type") return Names(fb::EnumNamesAccountType());
      if (filter == "status") return Names(fb::EnumNamesAccountStatus());
      break;
    case Kind::kLead:
      if (filter == "status") return Names(fb::EnumNamesLeadStatus());
      break;
    case Kind::kOpportunity:
      if (filter == "stage") return Names(fb::EnumNamesOpportunityStage());
      break;
    case Kind::kTicket:
      if (filter == "status") return Names(fb::EnumNamesTicketStatus());
      if (filter == "priority") return Names(fb::EnumNamesTicketPriority());
      break;
    case Kind::kActivity:
      if (filter == "type") return Names(fb::EnumNamesActivityKind());
      if (filter == "status") return Names(fb::EnumNamesActivityStatus());
      break;
    case Kind::kQuote:
      if (filter == "status") return {"Open", "Accepted"};
      break;
    case Kind::kInvoice:
      if (filter == "status") return {"Issued", "Paid"};
      break;
    case Kind::kUser:
      if (filter == "type") return Names(fb::EnumNamesUserRole());
      break;
    default: break;
  }
  return {};
}

std::span<const FilterSpec> Filters(Kind kind) {
  switch (kind) {
    case Kind::kAccount: return kAccount;
    case Kind::kContact: return kContact;
    case Kind::kLead: return kLead;
    case Kind::kOpportunity: return kOpportunity;
    case Kind::kTicket: return kTicket;
    case Kind::kActivity: return kActivity;
    case Kind::kQuote: return kQuote;
    case Kind::kOrder: return {};
    case Kind::kInvoice: return kInvoice;
    case Kind::kUser: return kUser;
  }
  return {};
}

const FilterSpec* FindFilter(Kind kind, std::string_view filter) {
  for (const auto& f : Filters(kind)) {
    if (f.filter == filter) return &f;
  }
  return nullptr;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string FilterValue(const Record& r, const FilterSpec& f) {
  return Lower(f.field == kDisplayName ? DisplayName(r) : std::string(r.str(f.field)));
}

std::span<const MatchSpec> MatchKeys(Kind kind) {
  switch (kind) {
    case Kind::kAccount: return kAccountMatch;
    case Kind::kContact: return kContactMatch;
    default: return {};
  }
}

std::string NormalizeMatch(std::string_view key, std::string_view value) {
  if (key == "phone") {
    std::string digits;
    for (char c : value) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    return digits.size() >= 3 ? digits : std::string();
  }
  if (key == "email") {
    while (!value.empty() && IsAsciiSpace(value.front())) value.remove_prefix(1);
    while (!value.empty() && IsAsciiSpace(value.back())) value.remove_suffix(1);
  }
  return Lower(value);
}

std::vector<std::string> IndexKeys(const Record& r) {
  std::vector<std::string> out;
  if (!r.exists()) return out;
  const std::string_view kind = Spec(r.kind).name;
  const std::string_view id = RecordId(r);
  const auto filters = Filters(r.kind);
  const auto matches = MatchKeys(r.kind);
  out.reserve(filters.size() + matches.size());
  // keys::Index(kind, filter, Lower(value), id), built in place: called for every row a group
  // changes (twice: the committed keys and the new ones).
  auto add = [&](std::string_view filter, std::string_view value, bool lower) {
    std::string k;
    k.reserve(2 + kind.size() + filter.size() + value.size() + id.size() + 3);
    keys::AppendIndexPrefix(&k, kind, filter);
    const size_t at = k.size();
    k.append(value);
    if (lower) {
      for (size_t i = at; i < k.size(); ++i) {
        if (k[i] >= 'A' && k[i] <= 'Z') k[i] = static_cast<char>(k[i] - 'A' + 'a');
      }
    }
    k.push_back('\0');
    k.append(id);
    out.push_back(std::move(k));
  };
  for (const auto& f : filters) {
    if (f.field == kDisplayName) {
      const std::string name = DisplayName(r);
      if (!name.empty()) add(f.filter, name, true);
    } else if (const std::string_view v = r.str(f.field); !v.empty()) {
      add(f.filter, v, true);
    }
  }
  for (const auto& m : matches) {
    const std::string v = NormalizeMatch(m.key, r.str(static_cast<uint16_t>(m.field)));
    if (!v.empty()) add(m.key, v, false);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace crm::proj
