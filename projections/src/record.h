// The current-state model of every kind: a row is a fixed table of typed fields per kind, so one
// generic piece of code renders, filters, diffs (audit) and exports every kind.
//
// Field tables are part of the projector's version: adding, removing or reordering a field
// changes the stored rows, so it must bump kProjectorVersion (projector.h) and the projections
// are rebuilt from the log on the next open.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crm/status.h"

namespace crm::proj {

enum class Kind : uint8_t {
  kAccount = 0, kContact, kLead, kOpportunity, kTicket, kActivity, kQuote, kOrder, kInvoice, kUser,
};
inline constexpr size_t kKindCount = 10;

enum class Type : uint8_t { kString, kEnum, kInt, kMoney, kTime, kAddress };

struct FieldSpec {
  std::string_view name;
  Type type;
  // Maintained from other streams' events or bookkeeping (counters, last_activity_at): not a
  // change of the entity itself, so not part of its audit trail.
  bool derived = false;
};

struct KindSpec {
  Kind kind;
  std::string_view name;  // "account": also the stream prefix ("account-A1")
  std::span<const FieldSpec> fields;
};

const KindSpec& Spec(Kind kind);
std::optional<Kind> KindNamed(std::string_view name);
// The kind of a stream name ("account-A1" -> kAccount); nullopt for other streams (config-…).
std::optional<Kind> KindOfStream(std::string_view stream);
// Index of `field` in the kind's table, or -1.
int FieldIndex(Kind kind, std::string_view field);

// Field indexes, one enum per kind, in table order (record.cc holds the names and types).
namespace account {
enum : uint16_t {
  kAccountId, kName, kType, kStatus, kIndustry, kPhone, kEmail, kWebsite, kBillingAddress,
  kShippingAddress, kNumberOfEmployees, kOwner, kParentAccountId, kSource, kNotes, kDebtorNumber,
  kCreditorNumber, kDeactivationReason, kOpenedAt, kLastActivityAt, kTotalRevenue, kWonAmount,
  kContacts, kOpportunitiesOpen, kOpportunitiesWon, kOpportunitiesLost, kQuotes, kOrders,
  kInvoices, kTicketsOpen, kTicketsTotal, kCount
};
}
namespace contact {
enum : uint16_t {
  kContactId, kFirstName, kLastName, kEmail, kPhone, kTitle, kAccountId, kCreatedAt, kCount
};
}
namespace lead {
enum : uint16_t {
  kLeadId, kFirstName, kLastName, kCompany, kEmail, kPhone, kSource, kIndustry, kOwner, kStatus,
  kDisqualifyReason, kAccountId, kContactId, kOpportunityId, kCreatedAt, kConvertedAt, kCount
};
}
namespace opportunity {
enum : uint16_t {
  kOpportunityId, kAccountId, kName, kAmount, kCurrency, kStage, kProbability, kCloseDate, kOwner,
  kLeadId, kLostReason, kOpenedAt, kClosedAt, kCount
};
}
namespace ticket {
enum : uint16_t {
  kTicketId, kAccountId, kContactId, kSubject, kDescription, kPriority, kOrigin, kStatus,
  kAssignee, kResolution, kComments, kOpenedAt, kResolvedAt, kClosedAt, kCount
};
}
namespace activity {
enum : uint16_t {
  kActivityId, kKind, kSubject, kStatus, kAccountId, kContactId, kLeadId, kOpportunityId,
  kTicketId, kDueAt, kOutcome, kLoggedAt, kDoneAt, kCount
};
}
namespace quote {
enum : uint16_t { kQuoteId, kAccountId, kOpportunityId, kAmount, kStatus, kCreatedAt, kCount };
}
namespace order {
enum : uint16_t { kOrderId, kAccountId, kQuoteId, kAmount, kPlacedAt, kCount };
}
namespace invoice {
enum : uint16_t {
  kInvoiceId, kAccountId, kOrderId, kAmount, kDueDate, kStatus, kIssuedAt, kPaidAt, kCount
};
}
namespace user {
enum : uint16_t { kUserId, kName, kRole, kCreatedAt, kCount };
}

using Address = std::array<std::string, 5>;  // street, city, state, postal_code, country
inline constexpr std::array<std::string_view, 5> kAddressParts = {"street", "city", "state",
                                                                  "postal_code", "country"};

// An address, out of line: only two fields of one kind are addresses, and every Value of every
// row the projector caches would otherwise carry five strings (a Value was ~210 bytes, an account
// row ~6.5 KB; allocating and copying them was a quarter of an account's write cost). Copies are
// deep; an empty box reads as the empty address.
class AddressBox {
 public:
  AddressBox() = default;
  AddressBox(const AddressBox& o) : p_(o.p_ ? std::make_unique<Address>(*o.p_) : nullptr) {}
  AddressBox(AddressBox&&) noexcept = default;
  AddressBox& operator=(const AddressBox& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<Address>(*o.p_) : nullptr;
    return *this;
  }
  AddressBox& operator=(AddressBox&&) noexcept = default;
  AddressBox& operator=(const Address& a) {
    p_ = std::make_unique<Address>(a);
    return *this;
  }
  const Address& get() const {
    static const Address kEmpty{};
    return p_ ? *p_ : kEmpty;
  }
  Address& mutable_get() {
    if (!p_) p_ = std::make_unique<Address>();
    return *p_;
  }
  bool operator==(const AddressBox& o) const { return get() == o.get(); }

 private:
  std::unique_ptr<Address> p_;
};

// One field's value; its Type comes from the kind's FieldSpec. Unset = absent (JSON null).
struct Value {
  bool set = false;
  int64_t number = 0;  // kInt, kMoney (cents), kTime (µs since the epoch)
  std::string text;    // kString, kEnum
  AddressBox address;  // kAddress

  bool operator==(const Value&) const = default;
};

// a + b, held at the int64 limits instead of overflowing: a total of amounts can pass them
// (~92 of the largest amount the commands accept). Totals and report sums add with this.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

struct Record {
  Kind kind = Kind::kAccount;
  uint64_t version = 0;  // of the entity's own stream; 0: the entity does not exist
  uint64_t touches = 0;  // events that changed this row (see StateRow.touches)
  std::vector<Value> values;
  std::vector<std::string> parents;  // see StateRow.parents

  static Record Empty(Kind kind);
  bool exists() const { return version != 0; }

  const Value& at(uint16_t field) const { return values[field]; }
  std::string_view str(uint16_t field) const { return values[field].text; }
  int64_t num(uint16_t field) const { return values[field].number; }
  // Setting an empty string unsets the field (absent and "" are the same to users).
  void SetText(uint16_t field, std::string_view text);
  void SetNumber(uint16_t field, int64_t n);
  void Add(uint16_t field, int64_t delta) {
    SetNumber(field, SaturatingAdd(values[field].number, delta));
  }
  void SetAddress(uint16_t field, const Address& a);
  void Unset(uint16_t field) { values[field] = Value(); }
  void AddParent(std::string_view stream);
};

// Stored form (schemas/projections.fbs StateRow).
std::string EncodeRecord(const Record& r);
// Errors: kCorruption (fails verification, or a field table that does not match this build's).
Result<Record> DecodeRecord(std::string_view bytes);

// A field's value as a JSON literal: "\"Acme\"", "12.5", "42", "\"2026-…Z\"", {"street":…}, null.
void AppendJsonValue(const FieldSpec& spec, const Value& v, std::string* out);
// A field's value as plain text for tables and CSV ("" when unset).
std::string PlainValue(const FieldSpec& spec, const Value& v);

// Appends a JSON string literal (escaped) to out.
void AppendJsonString(std::string_view s, std::string* out);

// The user-facing id of the entity (its id field) and a short display name ("Acme",
// "Jane Doe", a ticket's subject); empty when it has none.
std::string_view RecordId(const Record& r);
std::string DisplayName(const Record& r);

}  // namespace crm::proj
