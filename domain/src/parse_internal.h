// Internals of ParseCommand shared by parse.cc (the JSON reader and command assembly) and
// parse_values.cc (one field value per catalog kind). Not for use outside domain/src/parse*.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/src/command.h"

namespace crm::domain::parse_internal {

// A parsed JSON value. Only the levels a command uses are recorded (see parse.cc).
struct JMember;
struct JValue {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;              // a string's contents, or a number's literal text
  std::vector<JMember> members;  // objects at the recorded depths only
};
struct JMember {
  std::string key;
  JValue value;
};

// Messages. Structural problems (wrong JSON type, null, missing) say `field "x"`; problems with
// a value start with the bare name: "amount must not be negative".
Error BadRequest(std::string message);
Error Invalid(std::string message);
// `s` in double quotes, shortened to about 64 bytes (on a UTF-8 boundary), control characters
// escaped, so that echoing user input keeps a message short and on one line.
std::string Quote(std::string_view s);
std::string FieldRef(std::string_view name);                   // field "name"
std::string Join(const std::vector<std::string_view>& names);  // "a, b, c"
const char* JsonTypeName(const JValue& v);                     // "a number", "an array", ...
// The candidate closest to `input` (case-insensitively, at most 2 edits), or empty.
std::string_view Suggest(std::string_view input, const std::vector<std::string_view>& candidates);
// ` (did you mean "x"?)`, or empty for an empty suggestion.
std::string DidYouMean(std::string_view suggestion);

// One field of the command's own, per its catalog kind (SetSetting's value is normalized by the
// caller). `json` is consumed: strings are moved out.
std::optional<Error> ParseField(const FieldSpec& spec, JValue& json, Value* out);

// The common fields (SPEC §2).
std::optional<Error> ParseCommonId(std::string_view field, JValue& json, std::string* out);
std::optional<Error> ParseExpectedVersion(const JValue& json, std::optional<ExpectedVersion>* out);
std::optional<Error> ParseOccurredAt(const JValue& json, int64_t* out);

}  // namespace crm::domain::parse_internal
