// ParseCommand: one JSON Lines line -> a validated Command, or the SPEC §2 error to report.
//
// RapidJSON's SAX reader feeds a small tree of our own (JValue) instead of a rapidjson::Document,
// because a Document cannot keep both "this was a JSON number" and the number's literal text:
// money must be converted from its text, never through double. The reader runs iteratively
// (no recursion, so deeply nested input cannot exhaust the stack) and the tree records only the
// two levels a command uses (the command object and address objects); deeper containers are
// reduced to their type.
//
// Checks run in a fixed order so the reported problem is deterministic: JSON syntax and UTF-8,
// object shape, `type`, duplicate and unknown keys, the common fields, the command's fields in
// catalog order, then cross-field rules.
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "domain/src/parse_internal.h"

namespace crm::domain {
namespace {

using namespace parse_internal;  // NOLINT: this file's own internals

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\n\r") == std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// The JSON tree.

// True if `s` holds a UTF-16 surrogate encoded as UTF-8 (ED A0..BF ..). RapidJSON decodes a lone
// "\udc00" escape into such bytes even with kParseValidateEncodingFlag.
bool HasEncodedSurrogate(const char* s, size_t n) {
  const char* end = s + n;
  while (const void* hit = std::memchr(s, 0xED, end - s)) {
    const char* p = static_cast<const char*>(hit);
    if (p + 1 < end && static_cast<uint8_t>(p[1]) >= 0xA0) return true;
    s = p + 1;
  }
  return false;
}

class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  using SizeType = rapidjson::SizeType;
  // The command object and the objects directly inside it (addresses).
  static constexpr size_t kRecordedDepth = 2;

  bool Null() {
    Scalar(JValue::Type::kNull);
    return true;
  }
  bool Bool(bool b) {
    if (JValue* v = Scalar(JValue::Type::kBool)) v->boolean = b;
    return true;
  }
  bool RawNumber(const char* s, SizeType n, bool) {
    if (JValue* v = Scalar(JValue::Type::kNumber)) v->text.assign(s, n);
    return true;
  }
  bool String(const char* s, SizeType n, bool) {
    if (HasEncodedSurrogate(s, n)) return BadEncoding();
    if (JValue* v = Scalar(JValue::Type::kString)) v->text.assign(s, n);
    return true;
  }
  bool Key(const char* s, SizeType n, bool) {
    if (HasEncodedSurrogate(s, n)) return BadEncoding();
    if (skip_ == 0) key_.assign(s, n);
    return true;
  }
  bool StartObject() {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    JValue* v = Add(JValue::Type::kObject);
    if (open_.size() < kRecordedDepth) {
      open_.push_back(v);
    } else {
      skip_ = 1;
    }
    return true;
  }
  bool EndObject(SizeType) {
    if (skip_ > 0) {
      --skip_;
    } else {
      open_.pop_back();
    }
    return true;
  }
  bool StartArray() {
    // No command field is an array: record only that it is one.
    if (skip_ > 0) {
      ++skip_;
    } else {
      Add(JValue::Type::kArray);
      skip_ = 1;
    }
    return true;
  }
  bool EndArray(SizeType) {
    --skip_;
    return true;
  }

  JValue& root() { return root_; }
  bool bad_encoding() const { return bad_encoding_; }

 private:
  JValue* Scalar(JValue::Type type) { return skip_ > 0 ? nullptr : Add(type); }
  JValue* Add(JValue::Type type) {
    if (open_.empty()) {
      root_.type = type;
      return &root_;
    }
    // Only objects are ever open; the parent's earlier members are not referenced while it is.
    std::vector<JMember>& members = open_.back()->members;
    members.push_back(JMember{std::move(key_), JValue{}});
    key_.clear();
    members.back().value.type = type;
    return &members.back().value;
  }
  bool BadEncoding() {
    bad_encoding_ = true;
    return false;
  }

  JValue root_;
  std::vector<JValue*> open_;  // the recorded objects being filled, innermost last
  int skip_ = 0;               // nesting depth inside a container that is not recorded
  std::string key_;
  bool bad_encoding_ = false;
};

// ---------------------------------------------------------------------------------------------
// The common fields.

constexpr std::string_view kCommonFields[] = {
    "type", "actor", "command_id", "correlation_id", "expected_version", "occurred_at"};

bool IsCommonField(std::string_view name) {
  return std::find(std::begin(kCommonFields), std::end(kCommonFields), name) !=
         std::end(kCommonFields);
}

// ---------------------------------------------------------------------------------------------
// Command-specific rules.

// Fields that exist elsewhere: naming the command that changes them beats "unknown field".
std::optional<std::string> Redirect(CommandType type, std::string_view key) {
  if (type == CommandType::kUpdateAccount && (key == "type" || key == "account_type")) {
    return "use ChangeAccountType to change the type";
  }
  if (type == CommandType::kUpdateAccount && key == "owner") {
    return "use AssignAccount to change the owner";
  }
  if (type == CommandType::kUpdateContact && key == "account_id") {
    return "use LinkContact to link the contact to an account";
  }
  return std::nullopt;
}

bool IsUpdate(CommandType type) {
  return type == CommandType::kUpdateAccount || type == CommandType::kUpdateContact ||
         type == CommandType::kUpdateLead;
}

// Rules across fields, after every field parsed.
std::optional<Error> CheckCommandRules(const CommandSpec& spec, const Command& cmd) {
  if (IsUpdate(spec.type) && cmd.fields.size() <= 1) {
    std::vector<std::string_view> names;
    for (const FieldSpec& f : spec.fields) {
      if (f.name != spec.primary_id_field) names.push_back(f.name);
    }
    return Invalid(std::string(spec.name) +
                   " needs at least one field to change; any of: " + Join(names));
  }
  return std::nullopt;
}

// Rules on one field beyond its kind, run as soon as it parses so that problems are reported in
// catalog order. May normalize `value`.
std::optional<Error> CheckFieldRules(const CommandSpec& spec, const FieldSpec& field,
                                     const Command& cmd, Value* value) {
  if (field.name == "currency") {
    const std::string& c = value->str;
    if (c.size() != 3 ||
        !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
      return Invalid(
          "currency must be an ISO 4217 code of 3 upper-case letters such as \"EUR\", not " +
          Quote(c));
    }
  }
  if (spec.type != CommandType::kSetSetting) return std::nullopt;
  // SetSetting: the key must be known (checked before the value), and the value fit the key.
  if (field.name == "key" && value->str != "rules.strict") {
    return Invalid("unknown setting " + Quote(value->str) + "; known: rules.strict");
  }
  if (field.name == "value") {
    // rules.strict: a boolean, kept as kBool with str "true"/"false".
    if (value->str != "true" && value->str != "false") {
      return Invalid("setting " + cmd.Str("key") + " must be true or false, not " +
                     Quote(value->str));
    }
    value->kind = Value::Kind::kBool;
    value->num = value->str == "true" ? 1 : 0;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

// The JSON key of the account-type field. SPEC §2 names it `type`, like the command type, and
// one JSON object cannot hold two usable "type" keys for most tools (jq, Python keep the last).
// So the account type is written "account_type"; a second "type" key is accepted as well (the
// literal SPEC form), told apart from the command type by its value: no account type is also a
// command name. Either way the Command carries it as field "type".
constexpr std::string_view kAccountTypeKey = "account_type";

bool HasAccountTypeField(const CommandSpec& spec) {
  return std::any_of(spec.fields.begin(), spec.fields.end(),
                     [](const FieldSpec& f) { return f.name == "type"; });
}

std::variant<Command, Error> BuildCommand(JValue& root) {
  std::vector<JMember>& members = root.members;

  // The command type: the first "type" key, or of several, the first naming a known command.
  std::vector<JMember*> type_members;
  for (JMember& m : members) {
    if (m.key == "type") type_members.push_back(&m);
  }
  if (type_members.empty()) return BadRequest("missing \"type\": every command names its type");
  JMember* type = type_members[0];
  for (JMember* m : type_members) {
    if (m->value.type == JValue::Type::kString && FindCommand(m->value.text) != nullptr) {
      type = m;
      break;
    }
  }
  if (type->value.type != JValue::Type::kString) {
    return BadRequest("\"type\" must be a string naming the command, e.g. \"OpenAccount\", not " +
                      std::string(JsonTypeName(type->value)));
  }
  const CommandSpec* spec = FindCommand(type->value.text);
  if (spec == nullptr) {
    std::vector<std::string_view> names;
    for (const CommandSpec& s : Catalog()) names.push_back(s.name);
    return BadRequest("unknown command type " + Quote(type->value.text) +
                      DidYouMean(Suggest(type->value.text, names)));
  }
  const bool has_account_type = HasAccountTypeField(*spec);

  // Every other key under its field name ("account_type" -> "type"); duplicates are errors.
  std::unordered_map<std::string_view, JValue*> by_key;
  by_key.reserve(members.size());
  for (JMember& m : members) {
    if (&m == type) continue;
    std::string_view key = m.key;
    if (has_account_type && key == kAccountTypeKey) key = "type";
    if (key == "type" && !has_account_type) {
      if (std::optional<std::string> hint = Redirect(spec->type, key)) {
        return Invalid("the account type cannot be changed with " + std::string(spec->name) + "; " +
                       *hint);
      }
      return Invalid("duplicate field \"type\"; give each field once");
    }
    if (!by_key.emplace(key, &m.value).second) {
      if (key == "type") {
        return Invalid("the account type is given twice; give it once, as \"account_type\"");
      }
      return Invalid("duplicate field " + Quote(m.key) + "; give each field once");
    }
  }
  // Unknown keys, in document order.
  for (const JMember& m : members) {
    if (&m == type || (has_account_type && m.key == kAccountTypeKey)) continue;
    if (IsCommonField(m.key)) continue;
    const bool known = std::any_of(spec->fields.begin(), spec->fields.end(),
                                   [&](const FieldSpec& f) { return f.name == m.key; });
    if (known) continue;
    if (std::optional<std::string> hint = Redirect(spec->type, m.key)) {
      return Invalid(FieldRef(m.key) + " cannot be changed with " + std::string(spec->name) + "; " +
                     *hint);
    }
    std::vector<std::string_view> names;
    for (const FieldSpec& f : spec->fields) {
      names.push_back(f.name == "type" ? kAccountTypeKey : f.name);
    }
    std::vector<std::string_view> candidates = names;
    candidates.insert(candidates.end(), std::begin(kCommonFields), std::end(kCommonFields));
    return Invalid("unknown field " + Quote(m.key) + " for " + std::string(spec->name) +
                   DidYouMean(Suggest(m.key, candidates)) + "; allowed: " + Join(names));
  }
  auto find = [&by_key](std::string_view key) -> JValue* {
    const auto it = by_key.find(key);
    return it == by_key.end() ? nullptr : it->second;
  };

  Command cmd;
  cmd.type = spec->type;
  cmd.type_name = std::string(spec->name);
  if (JValue* v = find("actor")) {
    if (auto e = ParseCommonId("actor", *v, &cmd.actor)) return *e;
  }
  if (JValue* v = find("command_id")) {
    if (auto e = ParseCommonId("command_id", *v, &cmd.command_id)) return *e;
  }
  if (JValue* v = find("correlation_id")) {
    if (auto e = ParseCommonId("correlation_id", *v, &cmd.correlation_id)) return *e;
  }
  if (JValue* v = find("expected_version")) {
    if (auto e = ParseExpectedVersion(*v, &cmd.expected_version)) return *e;
  }
  if (JValue* v = find("occurred_at")) {
    if (auto e = ParseOccurredAt(*v, &cmd.occurred_at_us)) return *e;
  }

  for (const FieldSpec& f : spec->fields) {
    JValue* v = find(f.name);
    if (v == nullptr) {
      if (!f.required) continue;
      if (f.name == "type") {
        return Invalid(
            "missing required field \"account_type\" (the account's type; \"type\" "
            "names the command)");
      }
      return Invalid("missing required field \"" + std::string(f.name) + "\"");
    }
    Value value;
    if (auto e = ParseField(f, *v, &value)) return *e;
    if (value.kind != Value::Kind::kNull) {
      if (auto e = CheckFieldRules(*spec, f, cmd, &value)) return *e;
    }
    cmd.fields.emplace(std::string(f.name), std::move(value));
  }
  if (auto e = CheckCommandRules(*spec, cmd)) return *e;
  return cmd;
}

}  // namespace

std::variant<Command, Error> ParseCommand(std::string_view line) {
  if (IsBlank(line)) return BadRequest("empty line");
  if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
    return BadRequest("not valid JSON: a NUL byte at byte " + std::to_string(nul));
  }
  TreeBuilder builder;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(line.data(), line.size());
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseIterativeFlag;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);
  if (result.IsError()) {
    const std::string at = " at byte " + std::to_string(result.Offset());
    if (builder.bad_encoding() || result.Code() == rapidjson::kParseErrorStringInvalidEncoding) {
      return BadRequest("not valid UTF-8: a string holds an invalid byte sequence" + at);
    }
    std::string_view what = rapidjson::GetParseError_En(result.Code());  // "Invalid value."
    if (!what.empty() && what.back() == '.') what.remove_suffix(1);
    return BadRequest("not valid JSON: " + std::string(what) + at);
  }
  if (builder.root().type != JValue::Type::kObject) {
    return BadRequest(std::string("a command must be a JSON object, not ") +
                      JsonTypeName(builder.root()));
  }
  return BuildCommand(builder.root());
}

}  // namespace crm::domain
