// Commands as the domain sees them: parsed from one JSON object (SPEC §2), every field validated
// and typed. Parsing is the only place that knows JSON; decisions only see Command.
//
// Pure code: no I/O, no clock (the caller passes `now`), thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crm/event_store.h"

namespace crm::domain {

// SPEC §2 error codes, in the order of the table there.
enum class ErrorCode : uint8_t {
  kBadRequest,           // not JSON, not an object, unknown type, wrong JSON type, bad UTF-8
  kValidation,           // missing or invalid field, unknown field, over-long text, bad enum value
  kNotFound,
  kAlreadyExists,
  kConcurrencyConflict,  // expected_version mismatch
  kRuleViolation,        // a business rule
  kForbidden,            // the actor's role may not, or the actor does not exist
  kStorageError,
};

// "BAD_REQUEST", "VALIDATION_ERROR", "NOT_FOUND", "ALREADY_EXISTS", "CONCURRENCY_CONFLICT",
// "RULE_VIOLATION", "FORBIDDEN", "STORAGE_ERROR".
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // a sentence a person can act on, naming the field or rule
};

struct Address {
  std::string street, city, state, postal_code, country;
  bool operator==(const Address&) const = default;
};

// A validated field value. `kind` tells which member is meaningful.
struct Value {
  enum class Kind : uint8_t {
    kNull,     // JSON null: "clear this field" (only where the catalog allows it)
    kString,   // ids, names, texts, e-mail, phone, website: `str`
    kInt,      // counts: `num`
    kEnum,     // `num` = the enum's wire value, `str` = its name
    kMoney,    // `num` = integer cents
    kTime,     // `num` = microseconds since the epoch (UTC)
    kAddress,  // `address`
    kBool,     // `num` 0/1
  };
  Kind kind = Kind::kNull;
  std::string str;
  int64_t num = 0;
  Address address;
};

// The command types of SPEC §2 (plus SetSetting, the JSON form of `crm config set`).
enum class CommandType : uint8_t {
  kOpenAccount, kUpdateAccount, kChangeAccountType, kDeactivateAccount, kReactivateAccount,
  kAssignAccount, kAddAccountNote, kRecordAccountRevenue,
  kCreateContact, kUpdateContact, kLinkContact,
  kCreateLead, kUpdateLead, kQualifyLead, kDisqualifyLead, kConvertLead,
  kOpenOpportunity, kChangeOpportunityStage, kWinOpportunity, kLoseOpportunity,
  kOpenTicket, kAssignTicket, kChangeTicketStatus, kResolveTicket, kCloseTicket, kReopenTicket,
  kCommentOnTicket,
  kLogActivity, kCompleteActivity, kCancelActivity,
  kCreateQuote, kAcceptQuote, kPlaceOrder, kIssueInvoice, kPayInvoice,
  kCreateUser, kChangeUserRole,
  kSetSetting,
};

struct Command {
  CommandType type;
  std::string type_name;  // "OpenAccount"
  // The common fields every command may carry (SPEC §2). Empty/absent when not given.
  std::string actor;
  std::string command_id;
  std::string correlation_id;
  std::optional<ExpectedVersion> expected_version;
  int64_t occurred_at_us = 0;  // 0: not given
  // The command's own fields, validated, by name. Absent fields are not in the map.
  std::map<std::string, Value, std::less<>> fields;

  bool Has(std::string_view name) const { return fields.find(name) != fields.end(); }
  // REQUIRES: Has(name) for the accessors below, except the *Or forms.
  const Value& Get(std::string_view name) const { return fields.find(name)->second; }
  const std::string& Str(std::string_view name) const { return Get(name).str; }
  std::string StrOr(std::string_view name, std::string fallback = {}) const {
    auto it = fields.find(name);
    return it == fields.end() || it->second.kind == Value::Kind::kNull ? fallback
                                                                       : it->second.str;
  }
  int64_t Num(std::string_view name) const { return Get(name).num; }
};

// Parses and validates one JSON Lines line (without its newline) into a Command, or the error
// to report for it. Never throws, whatever the bytes.
//   BAD_REQUEST: not valid JSON (including invalid UTF-8), not an object, missing or unknown
//     `type`, a field of the wrong JSON type.
//   VALIDATION_ERROR: a required field missing, an unknown field, an invalid value (message names
//     the field and, for enums, lists the allowed values).
std::variant<Command, Error> ParseCommand(std::string_view line);

// The catalog, for help texts and the CLI's human-friendly subcommands.
enum class FieldKind : uint8_t {
  kId,        // non-empty, <= 128 bytes, no control characters
  kName,      // non-empty, <= 255 bytes
  kText,      // non-empty, <= 64 KiB
  kEmail,
  kPhone,
  kWebsite,   // <= 255 bytes, no spaces
  kEnum,      // one of `enum_values`
  kMoney,     // >= 0, at most 2 decimals (JSON number or decimal string) -> cents
  kPositiveMoney,  // > 0
  kTime,      // RFC 3339 date-time or full-date -> microseconds
  kCount,     // integer >= 0
  kAddress,   // object {street, city, state, postal_code, country}, each optional, <= 255 bytes
  kBool,      // JSON true/false (or the strings "true"/"false")
  kSettingValue,  // a string, <= 255 bytes
};

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  bool required = false;
  bool nullable = false;  // JSON null accepted, meaning "clear" (Update* commands)
  std::vector<std::string_view> enum_values;  // kEnum: in wire order (index = wire value)
  std::string_view help;
};

struct CommandSpec {
  CommandType type;
  std::string_view name;  // "OpenAccount"
  std::string_view kind;  // the stream kind of its primary entity: "account", "user", "config"
  std::string_view primary_id_field;  // "account_id"; empty for SetSetting
  bool creates = false;   // creating commands imply expected_version "no_stream"
  std::vector<FieldSpec> fields;
  std::string_view help;
};

const std::vector<CommandSpec>& Catalog();
const CommandSpec* FindCommand(std::string_view name);

}  // namespace crm::domain
