// The columns `crm import` understands, per kind: the field each maps to, how the row uses it
// (a field of the creating command, the id, business time, a status that becomes follow-up
// commands, …), its value shape and its header aliases.
//
// Canonical names are the columns `crm export` writes, so an exported file imports as it is.
// Aliases are compared after NormalizeHeader: ASCII letters lower-cased, everything but letters
// and digits dropped ("E-mail", "Email", "e_mail" -> "email"; "Billing City" -> "billingcity").
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace crm::bulk {

enum class Use : uint8_t {
  kId,          // the entity's id (generated when the file has none)
  kCreate,      // a field of the kind's creating command (and of its update command if updatable)
  kOccurredAt,  // business time of the row's creating command (the export's opened_at/created_at)
  kStatus,      // a state reached by follow-up commands after the create (kind-specific)
  kAux,         // read by follow-up commands only (a reason, the time of a later step, …)
  kComputed,    // written by `crm export`, computed by crm from events: not imported
};

enum class Shape : uint8_t {
  kText,
  kCount,        // a whole number: written to the command as a JSON number
  kMoney,        // decimal text, passed as a JSON string (exact)
  kEnum,         // matched case-, space- and underscore-insensitively to `values`
  kTime,         // RFC 3339; a full date "2024-03-01" is taken as midnight UTC
  kAddressPart,  // "<address>.<part>": one part of a nested address object
};

struct FieldDef {
  std::string_view name;  // canonical column name, e.g. "billing_address.city"
  Use use;
  Shape shape = Shape::kText;
  std::string_view aliases = {};  // space-separated, already normalised
  bool required = false;          // the creating command needs it: the file must have a column
  bool updatable = false;         // a field of the kind's Update* command
  const char* const* values = nullptr;  // kEnum: null-terminated names (FlatBuffers EnumNames*)
  std::string_view json_key = {};       // the command's key when it differs from `name`
};

struct KindDef {
  std::string_view kind;    // "account"
  std::string_view create;  // "OpenAccount"
  std::string_view update;  // "UpdateAccount"; empty: the kind has no update command
  std::span<const FieldDef> fields;
};

// nullptr for a kind that is not importable.
const KindDef* FindKind(std::string_view kind);
std::string NormalizeHeader(std::string_view header);
// The field whose canonical name or alias is `header` (normalised first), or -1.
int FindField(const KindDef& kind, std::string_view header);
// The field with this canonical name, or -1.
int FieldNamed(const KindDef& kind, std::string_view name);
// The field of a kind with this use (the first one), or -1.
int FieldWithUse(const KindDef& kind, Use use);
// The enum value `text` stands for (case-, space-, '-' and '_'-insensitively), or nullptr.
const char* MatchEnum(const char* const* values, std::string_view text);
// "a, b, c" of an enum's names.
std::string EnumList(const char* const* values);

}  // namespace crm::bulk
