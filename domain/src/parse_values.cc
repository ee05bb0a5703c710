// Field values for ParseCommand: one checker per catalog FieldKind, and the common fields.
// Money is converted from its decimal text (never through double); times through
// crm::ParseTimestamp after a strict RFC 3339 shape check.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "crm/time_format.h"
#include "domain/src/parse_internal.h"

namespace crm::domain::parse_internal {
namespace {

constexpr size_t kIdLimit = 128;
constexpr size_t kNameLimit = 255;
constexpr size_t kTextLimit = 65536;
constexpr size_t kEmailLimit = 254;
constexpr size_t kPhoneLimit = 32;
constexpr size_t kWebsiteLimit = 255;
constexpr size_t kAddressPartLimit = 255;
constexpr size_t kSettingValueLimit = 255;
constexpr int64_t kMaxCount = int64_t{1} << 53;
constexpr size_t kMaxMoneyIntegerDigits = 15;

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive edit distance counting an adjacent transposition as one edit (optimal string
// alignment); inputs are short (callers cap them).
size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t w = b.size() + 1;
  std::vector<size_t> d((a.size() + 1) * w);
  auto at = [&](size_t i, size_t j) -> size_t& { return d[i * w + j]; };
  for (size_t i = 0; i <= a.size(); ++i) at(i, 0) = i;
  for (size_t j = 0; j <= b.size(); ++j) at(0, j) = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const char x = AsciiLower(a[i - 1]), y = AsciiLower(b[j - 1]);
      at(i, j) =
          std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (x == y ? 0 : 1)});
      if (i > 1 && j > 1 && x == AsciiLower(b[j - 2]) && AsciiLower(a[i - 2]) == y) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.size(), b.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Messages.

Error BadRequest(std::string message) { return Error{ErrorCode::kBadRequest, std::move(message)}; }
Error Invalid(std::string message) { return Error{ErrorCode::kValidation, std::move(message)}; }

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  bool cut = false;
  if (s.size() > kMax) {
    size_t n = kMax;
    while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    cut = true;
  }
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<uint8_t>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

std::string FieldRef(std::string_view name) { return "field \"" + std::string(name) + "\""; }

std::string Join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

const char* JsonTypeName(const JValue& v) {
  switch (v.type) {
    case JValue::Type::kNull:
      return "null";
    case JValue::Type::kBool:
      return v.boolean ? "true" : "false";
    case JValue::Type::kNumber:
      return "a number";
    case JValue::Type::kString:
      return "a string";
    case JValue::Type::kArray:
      return "an array";
    case JValue::Type::kObject:
      return "an object";
  }
  return "a value";
}

std::string_view Suggest(std::string_view input, const std::vector<std::string_view>& candidates) {
  if (input.empty() || input.size() > 64) return {};
  const size_t max_distance = std::min<size_t>(2, (input.size() - 1) / 2);
  std::string_view best;
  size_t best_distance = max_distance + 1;
  for (std::string_view c : candidates) {
    const size_t d = EditDistance(input, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view suggestion) {
  return suggestion.empty() ? "" : " (did you mean \"" + std::string(suggestion) + "\"?)";
}

namespace {

std::string Subject(std::string_view name) { return std::string(name); }

Error WrongType(std::string_view field, std::string_view expected, const JValue& got) {
  return BadRequest(FieldRef(field) + " must be " + std::string(expected) + ", not " +
                    JsonTypeName(got));
}

// ---------------------------------------------------------------------------------------------
// Text checks.

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsControl(char c) {
  const auto u = static_cast<uint8_t>(c);
  return u < 0x20 || u == 0x7f;
}
bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsBlank(std::string_view s) { return std::all_of(s.begin(), s.end(), IsJsonSpace); }

// The offset of the first control character (other than tab/newline/CR when `allow_breaks`), or
// npos.
size_t FindControl(std::string_view s, bool allow_breaks) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsControl(s[i]) && !(allow_breaks && (s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))) {
      return i;
    }
  }
  return std::string::npos;
}

std::optional<Error> CheckLength(std::string_view field, std::string_view s, size_t limit) {
  if (s.size() <= limit) return std::nullopt;
  return Invalid(Subject(field) + " is " + std::to_string(s.size()) + " bytes; the limit is " +
                 std::to_string(limit));
}

std::optional<Error> CheckNoControl(std::string_view field, std::string_view s, bool allow_breaks) {
  const size_t at = FindControl(s, allow_breaks);
  if (at == std::string::npos) return std::nullopt;
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<uint8_t>(s[at]));
  return Invalid(Subject(field) + " contains a control character (" + buf + " at byte " +
                 std::to_string(at) + ")");
}

// Ids, names and texts: non-blank, bounded, no control characters.
std::optional<Error> CheckPlainText(std::string_view field, std::string_view s, size_t limit,
                                    bool allow_breaks) {
  if (s.empty()) return Invalid(Subject(field) + " must not be empty");
  if (auto e = CheckLength(field, s, limit)) return e;
  if (IsBlank(s)) return Invalid(Subject(field) + " must not be blank");
  return CheckNoControl(field, s, allow_breaks);
}

std::optional<Error> CheckEmail(std::string_view field, std::string_view s) {
  if (s.empty()) return Invalid(Subject(field) + " must not be empty");
  if (auto e = CheckLength(field, s, kEmailLimit)) return e;
  auto bad = [&](std::string_view why) {
    return Invalid(Subject(field) + " is not a valid e-mail address: " + Quote(s) + " " +
                   std::string(why));
  };
  if (std::any_of(s.begin(), s.end(), [](char c) { return IsControl(c) || c == ' '; })) {
    return bad("contains whitespace or a control character");
  }
  const size_t at = s.find('@');
  if (at == std::string_view::npos) return bad("has no '@'");
  if (s.find('@', at + 1) != std::string_view::npos) return bad("has more than one '@'");
  if (at == 0) return bad("has nothing before the '@'");
  const std::string_view domain = s.substr(at + 1);
  if (domain.find('.') == std::string_view::npos) {
    return bad("needs a domain with a dot after the '@', e.g. example.com");
  }
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != domain.npos) {
    return bad("has an empty part in its domain");
  }
  return std::nullopt;
}

std::optional<Error> CheckPhone(std::string_view field, std::string_view s) {
  if (s.empty()) return Invalid(Subject(field) + " must not be empty");
  if (auto e = CheckLength(field, s, kPhoneLimit)) return e;
  auto bad = [&](std::string_view why) {
    return Invalid(Subject(field) + " is not a valid phone number: " + Quote(s) + " " +
                   std::string(why));
  };
  int digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (IsDigit(c)) {
      ++digits;
    } else if (c == '+') {
      if (i != 0) return bad("has a '+' that is not at the start");
    } else if (std::strchr(" -()./", c) == nullptr || c == '\0') {
      return bad("may contain only digits, spaces and + - ( ) . /");
    }
  }
  if (s.front() == ' ' || s.back() == ' ') return bad("starts or ends with a space");
  if (digits < 3) return bad("needs at least 3 digits");
  return std::nullopt;
}

std::optional<Error> CheckWebsite(std::string_view field, std::string_view s) {
  if (s.empty()) return Invalid(Subject(field) + " must not be empty");
  if (auto e = CheckLength(field, s, kWebsiteLimit)) return e;
  if (std::any_of(s.begin(), s.end(), [](char c) { return IsControl(c) || c == ' '; })) {
    return Invalid(Subject(field) + " is not a valid web address: " + Quote(s) +
                   " contains whitespace or a control character");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Numbers and times.

enum class MoneyProblem { kNone, kShape, kExponent, kNegative, kDecimals, kTooLarge };

// Decimal text -> integer cents, exactly. Accepts [-]digits[.digits]; extra fractional digits are
// allowed only when they are zeros ("1.500").
MoneyProblem ParseCents(std::string_view t, int64_t* cents) {
  if (t.find_first_of("eE") != std::string_view::npos) {
    return t.find_first_not_of("0123456789.eE+-") == std::string_view::npos
               ? MoneyProblem::kExponent
               : MoneyProblem::kShape;
  }
  size_t i = 0;
  const bool negative = !t.empty() && t[0] == '-';
  if (negative) i = 1;
  const size_t int_begin = i;
  while (i < t.size() && IsDigit(t[i])) ++i;
  const size_t int_end = i;
  if (int_end == int_begin) return MoneyProblem::kShape;
  size_t frac_begin = i, frac_end = i;
  if (i < t.size() && t[i] == '.') {
    frac_begin = ++i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    frac_end = i;
    if (frac_end == frac_begin) return MoneyProblem::kShape;
  }
  if (i != t.size()) return MoneyProblem::kShape;
  if (negative) return MoneyProblem::kNegative;
  while (frac_end - frac_begin > 2 && t[frac_end - 1] == '0') --frac_end;
  if (frac_end - frac_begin > 2) return MoneyProblem::kDecimals;
  size_t first = int_begin;
  while (first + 1 < int_end && t[first] == '0') ++first;
  if (int_end - first > kMaxMoneyIntegerDigits) return MoneyProblem::kTooLarge;
  int64_t value = 0;
  for (size_t k = first; k < int_end; ++k) value = value * 10 + (t[k] - '0');
  int64_t fraction = 0;
  for (size_t k = 0; k < 2; ++k) {
    const size_t at = frac_begin + k;
    fraction = fraction * 10 + (at < frac_end ? t[at] - '0' : 0);
  }
  *cents = value * 100 + fraction;
  return MoneyProblem::kNone;
}

// A JSON number's literal as a whole number in [0, max]; `why` explains a failure.
std::optional<int64_t> ParseWholeNumber(std::string_view t, int64_t max, std::string* why) {
  if (!t.empty() && t[0] == '-') {
    *why = "must not be negative";
    return std::nullopt;
  }
  if (t.empty() || !std::all_of(t.begin(), t.end(), IsDigit)) {
    *why = "must be a whole number (no fraction or exponent)";
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size() || value > max) {
    *why = "is too large (at most " + std::to_string(max) + ")";
    return std::nullopt;
  }
  return value;
}

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

bool HasShape(std::string_view s, std::string_view pattern) {
  if (s.size() != pattern.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (pattern[i] == 'd' ? !IsDigit(s[i]) : s[i] != pattern[i]) return false;
  }
  return true;
}

bool IsCalendarDate(std::string_view s) {  // "YYYY-MM-DD"
  if (!HasShape(s, "dddd-dd-dd")) return false;
  const int year = TwoDigits(s, 0) * 100 + TwoDigits(s, 2);
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(TwoDigits(s, 5))},
                                        std::chrono::day{static_cast<unsigned>(TwoDigits(s, 8))}};
  return ymd.ok();
}

// RFC 3339 date-time, checked for shape here (crm::ParseTimestamp is lenient about the offset's
// range) and converted by crm::ParseTimestamp.
std::optional<int64_t> ParseDateTime(std::string_view s) {
  if (s.size() < 20 || !IsCalendarDate(s.substr(0, 10))) return std::nullopt;
  if (s[10] != 'T' && s[10] != 't') return std::nullopt;
  if (!HasShape(s.substr(11, 8), "dd:dd:dd")) return std::nullopt;
  size_t i = 19;
  if (s[i] == '.') {
    const size_t begin = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == begin) return std::nullopt;
  }
  const std::string_view zone = s.substr(i);
  if (zone != "Z" && zone != "z") {
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') ||
        !HasShape(zone.substr(1), "dd:dd") || TwoDigits(zone, 1) > 23 || TwoDigits(zone, 4) > 59) {
      return std::nullopt;
    }
  }
  return ParseTimestamp(s);
}

std::optional<int64_t> ParseDateOrDateTime(std::string_view s) {
  if (IsCalendarDate(s)) return ParseTimestamp(std::string(s) + "T00:00:00Z");
  return ParseDateTime(s);
}

// ---------------------------------------------------------------------------------------------
// Values by kind.

Value StringValue(std::string s) {
  Value v;
  v.kind = Value::Kind::kString;
  v.str = std::move(s);
  return v;
}

Value NumberValue(Value::Kind kind, int64_t num) {
  Value v;
  v.kind = kind;
  v.num = num;
  return v;
}

std::optional<Error> ParseAddress(std::string_view field, JValue& json, Value* out) {
  static const std::vector<std::string_view> kParts = {"street", "city", "state", "postal_code",
                                                       "country"};
  if (json.type != JValue::Type::kObject) {
    return WrongType(field, "an object {street, city, state, postal_code, country}", json);
  }
  Address address;
  std::string* slots[] = {&address.street, &address.city, &address.state, &address.postal_code,
                          &address.country};
  std::array<bool, 5> seen{};
  bool any = false;
  for (JMember& m : json.members) {
    const auto it = std::find(kParts.begin(), kParts.end(), m.key);
    if (it == kParts.end()) {
      return Invalid(Subject(field) + " has an unknown part " + Quote(m.key) +
                     DidYouMean(Suggest(m.key, kParts)) + "; allowed: " + Join(kParts));
    }
    const size_t index = it - kParts.begin();
    const std::string part = std::string(field) + "." + std::string(m.key);
    if (seen[index]) return Invalid("duplicate " + FieldRef(part));
    seen[index] = true;
    if (m.value.type != JValue::Type::kString) return WrongType(part, "a string", m.value);
    if (auto e = CheckLength(part, m.value.text, kAddressPartLimit)) return e;
    if (auto e = CheckNoControl(part, m.value.text, /*allow_breaks=*/true)) return e;
    any = any || !IsBlank(m.value.text);
    *slots[index] = std::move(m.value.text);
  }
  if (!any) {
    return Invalid(Subject(field) + " needs at least one non-empty part of " + Join(kParts));
  }
  out->kind = Value::Kind::kAddress;
  out->address = std::move(address);
  return std::nullopt;
}

std::optional<Error> ParseMoney(const FieldSpec& spec, const JValue& json, Value* out) {
  const std::string_view field = spec.name;
  if (json.type != JValue::Type::kNumber && json.type != JValue::Type::kString) {
    return WrongType(field, "a number or a decimal string such as \"12.50\"", json);
  }
  int64_t cents = 0;
  switch (ParseCents(json.text, &cents)) {
    case MoneyProblem::kNone:
      break;
    case MoneyProblem::kShape:
      return Invalid(Subject(field) + " must be a decimal amount such as 12.50, not " +
                     Quote(json.text));
    case MoneyProblem::kExponent:
      return Invalid(Subject(field) + " must be written without an exponent, e.g. 1500.00");
    case MoneyProblem::kNegative:
      return Invalid(Subject(field) + " must not be negative");
    case MoneyProblem::kDecimals:
      return Invalid(Subject(field) + " has more than 2 decimals: " + Quote(json.text));
    case MoneyProblem::kTooLarge:
      return Invalid(Subject(field) + " is too large (at most " +
                     std::to_string(kMaxMoneyIntegerDigits) + " digits before the point)");
  }
  if (spec.kind == FieldKind::kPositiveMoney && cents == 0) {
    return Invalid(Subject(field) + " must be positive");
  }
  *out = NumberValue(Value::Kind::kMoney, cents);
  return std::nullopt;
}

std::optional<Error> ParseEnum(const FieldSpec& spec, const JValue& json, Value* out) {
  if (json.type != JValue::Type::kString) return WrongType(spec.name, "a string", json);
  const auto& values = spec.enum_values;
  const auto it = std::find(values.begin(), values.end(), json.text);
  if (it == values.end()) {
    return Invalid("invalid " + std::string(spec.name) + " " + Quote(json.text) +
                   DidYouMean(Suggest(json.text, values)) + "; allowed: " + Join(values));
  }
  *out = NumberValue(Value::Kind::kEnum, it - values.begin());
  out->str = std::string(*it);
  return std::nullopt;
}

std::optional<Error> ParseBool(std::string_view field, const JValue& json, Value* out) {
  if (json.type == JValue::Type::kBool) {
    *out = NumberValue(Value::Kind::kBool, json.boolean ? 1 : 0);
  } else if (json.type == JValue::Type::kString) {
    if (json.text != "true" && json.text != "false") {
      return Invalid(Subject(field) + " must be true or false, not " + Quote(json.text));
    }
    *out = NumberValue(Value::Kind::kBool, json.text == "true" ? 1 : 0);
  } else {
    return WrongType(field, "true or false", json);
  }
  out->str = out->num ? "true" : "false";
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ParseField.

std::optional<Error> ParseField(const FieldSpec& spec, JValue& json, Value* out) {
  const std::string_view field = spec.name;
  if (json.type == JValue::Type::kNull) {
    if (spec.nullable) {
      *out = Value{};
      return std::nullopt;
    }
    return Invalid(FieldRef(field) + " may not be null" +
                   (spec.required ? " (it is required)" : "; leave it out instead"));
  }
  const bool is_string = json.type == JValue::Type::kString;
  std::optional<Error> problem;
  switch (spec.kind) {
    case FieldKind::kId:
    case FieldKind::kName:
    case FieldKind::kText:
    case FieldKind::kEmail:
    case FieldKind::kPhone:
    case FieldKind::kWebsite: {
      if (!is_string) return WrongType(field, "a string", json);
      const std::string& s = json.text;
      if (spec.kind == FieldKind::kId) {
        problem = CheckPlainText(field, s, kIdLimit, /*allow_breaks=*/false);
      } else if (spec.kind == FieldKind::kName) {
        problem = CheckPlainText(field, s, kNameLimit, /*allow_breaks=*/true);
      } else if (spec.kind == FieldKind::kText) {
        problem = CheckPlainText(field, s, kTextLimit, /*allow_breaks=*/true);
      } else if (spec.kind == FieldKind::kEmail) {
        problem = CheckEmail(field, s);
      } else if (spec.kind == FieldKind::kPhone) {
        problem = CheckPhone(field, s);
      } else {
        problem = CheckWebsite(field, s);
      }
      if (problem) return problem;
      *out = StringValue(std::move(json.text));
      return std::nullopt;
    }
    case FieldKind::kEnum:
      return ParseEnum(spec, json, out);
    case FieldKind::kMoney:
    case FieldKind::kPositiveMoney:
      return ParseMoney(spec, json, out);
    case FieldKind::kTime: {
      if (!is_string) return WrongType(field, "a string", json);
      const std::optional<int64_t> us = ParseDateOrDateTime(json.text);
      if (!us) {
        return Invalid(Subject(field) + " must be an RFC 3339 date or date-time, e.g. " +
                       "\"2026-03-31\" or \"2026-03-31T17:00:00Z\", not " + Quote(json.text));
      }
      *out = NumberValue(Value::Kind::kTime, *us);
      return std::nullopt;
    }
    case FieldKind::kCount: {
      if (json.type != JValue::Type::kNumber) return WrongType(field, "a JSON number", json);
      std::string why;
      const std::optional<int64_t> n = ParseWholeNumber(json.text, kMaxCount, &why);
      if (!n) return Invalid(Subject(field) + " " + why);
      *out = NumberValue(Value::Kind::kInt, *n);
      return std::nullopt;
    }
    case FieldKind::kAddress:
      return ParseAddress(field, json, out);
    case FieldKind::kBool:
      return ParseBool(field, json, out);
    case FieldKind::kSettingValue: {
      if (json.type == JValue::Type::kBool) {
        *out = StringValue(json.boolean ? "true" : "false");
      } else if (json.type == JValue::Type::kNumber || is_string) {
        if (auto e = CheckLength(field, json.text, kSettingValueLimit)) return e;
        if (auto e = CheckNoControl(field, json.text, /*allow_breaks=*/false)) return e;
        *out = StringValue(std::move(json.text));
      } else {
        return WrongType(field, "a string, a number, true or false", json);
      }
      return std::nullopt;
    }
  }
  return BadRequest(FieldRef(field) + " has a kind this build does not know");
}

// ---------------------------------------------------------------------------------------------
// The common fields.

std::optional<Error> ParseCommonId(std::string_view field, JValue& json, std::string* out) {
  if (json.type == JValue::Type::kNull) return Invalid(FieldRef(field) + " may not be null");
  if (json.type != JValue::Type::kString) return WrongType(field, "a string", json);
  if (auto e = CheckPlainText(field, json.text, kIdLimit, /*allow_breaks=*/false)) return e;
  *out = std::move(json.text);
  return std::nullopt;
}

std::optional<Error> ParseExpectedVersion(const JValue& json, std::optional<ExpectedVersion>* out) {
  static const std::string kAllowed =
      "a stream version >= 0 or one of \"any\", \"no_stream\", \"exists\"";
  const std::string field = Subject("expected_version");
  switch (json.type) {
    case JValue::Type::kNumber: {
      std::string why;
      const std::optional<int64_t> n =
          ParseWholeNumber(json.text, std::numeric_limits<int64_t>::max(), &why);
      if (!n) return Invalid(field + " " + why + "; it must be " + kAllowed);
      *out = ExpectedVersion::Exactly(static_cast<uint64_t>(*n));
      return std::nullopt;
    }
    case JValue::Type::kString:
      if (json.text == "any") {
        *out = ExpectedVersion::Any();
      } else if (json.text == "no_stream") {
        *out = ExpectedVersion::NoStream();
      } else if (json.text == "exists") {
        *out = ExpectedVersion::Exists();
      } else {
        return Invalid(
            field + " must be " + kAllowed + ", not " + Quote(json.text) +
            (!json.text.empty() && std::all_of(json.text.begin(), json.text.end(), IsDigit)
                 ? " (write a version as a JSON number)"
                 : ""));
      }
      return std::nullopt;
    case JValue::Type::kNull:
      return Invalid(field + " may not be null");
    default:
      return WrongType("expected_version", kAllowed, json);
  }
}

std::optional<Error> ParseOccurredAt(const JValue& json, int64_t* out) {
  if (json.type == JValue::Type::kNull)
    return Invalid(FieldRef("occurred_at") + " may not be null");
  if (json.type != JValue::Type::kString) return WrongType("occurred_at", "a string", json);
  const std::optional<int64_t> us = ParseDateTime(json.text);
  if (!us) {
    return Invalid(Subject("occurred_at") +
                   " must be an RFC 3339 date-time such as \"2026-03-31T17:00:00Z\", not " +
                   Quote(json.text));
  }
  // 0 means "not given" (AppendRequest::occurred_at_us), and business time before the epoch is
  // not a CRM's business.
  if (*us <= 0) return Invalid(Subject("occurred_at") + " must be after 1970-01-01T00:00:00Z");
  *out = *us;
  return std::nullopt;
}

}  // namespace crm::domain::parse_internal
