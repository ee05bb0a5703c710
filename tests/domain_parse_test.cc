// crm::domain command catalog and ParseCommand: every command type parses, every SPEC §2 error
// class is reported with the right code and an actionable message, and no input crashes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/src/command.h"

namespace crm::domain {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Helpers.

::testing::AssertionResult IsCommand(const std::variant<Command, Error>& r) {
  if (std::holds_alternative<Command>(r)) return ::testing::AssertionSuccess();
  const Error& e = std::get<Error>(r);
  return ::testing::AssertionFailure() << ErrorCodeName(e.code) << ": " << e.message;
}

Command Parse(std::string_view line) {
  auto r = ParseCommand(line);
  EXPECT_TRUE(IsCommand(r)) << line.substr(0, 300);
  return std::holds_alternative<Command>(r) ? std::get<Command>(std::move(r)) : Command{};
}

Error Fail(std::string_view line) {
  auto r = ParseCommand(line);
  if (std::holds_alternative<Error>(r)) return std::get<Error>(std::move(r));
  ADD_FAILURE() << "parsed, but should not have: " << line.substr(0, 300);
  return Error{ErrorCode::kStorageError, ""};
}

#define EXPECT_ERROR(line, code_, ...)                                           \
  do {                                                                           \
    const Error e_ = Fail(line);                                                 \
    EXPECT_EQ(ErrorCodeName(e_.code), ErrorCodeName(code_)) << e_.message;       \
    for (const char* w_ : {__VA_ARGS__}) EXPECT_THAT(e_.message, HasSubstr(w_)); \
  } while (0)

#define EXPECT_BAD_REQUEST(line, ...) EXPECT_ERROR(line, ErrorCode::kBadRequest, __VA_ARGS__)
#define EXPECT_INVALID(line, ...) EXPECT_ERROR(line, ErrorCode::kValidation, __VA_ARGS__)

// A JSON literal that is valid for the field.
std::string Sample(const CommandSpec& cmd, const FieldSpec& f) {
  if (cmd.type == CommandType::kSetSetting) return f.name == "key" ? "\"rules.strict\"" : "true";
  if (f.name == "currency") return "\"EUR\"";
  switch (f.kind) {
    case FieldKind::kId:
      return "\"" + std::string(f.name) + "-1\"";
    case FieldKind::kName:
      return "\"Some name\"";
    case FieldKind::kText:
      return "\"Some text\\nwith two lines\"";
    case FieldKind::kEmail:
      return "\"someone@example.com\"";
    case FieldKind::kPhone:
      return "\"+1 (555) 010-2000\"";
    case FieldKind::kWebsite:
      return "\"https://example.com\"";
    case FieldKind::kEnum:
      return "\"" + std::string(f.enum_values.back()) + "\"";
    case FieldKind::kMoney:
      return "12.5";
    case FieldKind::kPositiveMoney:
      return "\"0.01\"";
    case FieldKind::kTime:
      return "\"2026-01-02\"";
    case FieldKind::kCount:
      return "12";
    case FieldKind::kAddress:
      return R"({"city":"Berlin"})";
    case FieldKind::kBool:
      return "true";
    case FieldKind::kSettingValue:
      return "\"true\"";
  }
  return "null";
}

bool IsUpdate(CommandType t) {
  return t == CommandType::kUpdateAccount || t == CommandType::kUpdateContact ||
         t == CommandType::kUpdateLead;
}

// The smallest valid object for `cmd`: its required fields (plus one field for Update*).
std::string MinimalJson(const CommandSpec& cmd) {
  std::string json = "{\"type\":\"" + std::string(cmd.name) + "\"";
  bool extra = false;
  for (const FieldSpec& f : cmd.fields) {
    const bool want =
        f.required || (IsUpdate(cmd.type) && !extra && f.name != cmd.primary_id_field);
    if (!want) continue;
    if (!f.required) extra = true;
    json += ",\"" + std::string(f.name) + "\":" + Sample(cmd, f);
  }
  return json + "}";
}

std::string FullJson(const CommandSpec& cmd) {
  std::string json = "{\"type\":\"" + std::string(cmd.name) +
                     "\",\"actor\":\"u1\",\"command_id\":\"c1\",\"correlation_id\":\"k1\","
                     "\"expected_version\":3,\"occurred_at\":\"2026-01-02T03:04:05Z\"";
  for (const FieldSpec& f : cmd.fields) {
    const std::string key = f.name == "type" ? "account_type" : std::string(f.name);
    json += ",\"" + key + "\":" + Sample(cmd, f);
  }
  return json + "}";
}

// An AddAccountNote line with `text` spliced in as raw JSON.
std::string Note(std::string_view text_json) {
  return R"({"type":"AddAccountNote","account_id":"A1","text":)" + std::string(text_json) + "}";
}

std::string OpenAccountWith(std::string_view extra) {
  return R"({"type":"OpenAccount","account_id":"A1","name":"Acme")" + std::string(extra) + "}";
}

std::string RevenueWith(std::string_view amount_json) {
  return R"({"type":"RecordAccountRevenue","account_id":"A1","amount":)" +
         std::string(amount_json) + "}";
}

std::string OpportunityWith(std::string_view amount_json, std::string_view extra = "") {
  return R"({"type":"OpenOpportunity","opportunity_id":"O1","account_id":"A1","name":"Deal",)"
         R"("amount":)" +
         std::string(amount_json) + std::string(extra) + "}";
}

constexpr int64_t kJan2_2026 = 1767312000LL * 1000000;

// ---------------------------------------------------------------------------------------------
// The catalog.

TEST(CatalogTest, HasEveryCommandTypeOnceInEnumOrder) {
  const auto& catalog = Catalog();
  ASSERT_EQ(catalog.size(), static_cast<size_t>(CommandType::kSetSetting) + 1);
  std::set<std::string_view> names;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const CommandSpec& spec = catalog[i];
    EXPECT_EQ(static_cast<size_t>(spec.type), i) << spec.name;
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_EQ(FindCommand(spec.name), &spec);
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_FALSE(spec.kind.empty()) << spec.name;
    std::set<std::string_view> fields;
    for (const FieldSpec& f : spec.fields) {
      EXPECT_TRUE(fields.insert(f.name).second) << spec.name << "." << f.name;
      EXPECT_FALSE(f.help.empty()) << spec.name << "." << f.name;
      EXPECT_EQ(f.kind == FieldKind::kEnum, !f.enum_values.empty()) << spec.name << "." << f.name;
      EXPECT_FALSE(f.required && f.nullable) << spec.name << "." << f.name;
    }
  }
  EXPECT_EQ(FindCommand("openaccount"), nullptr);
  EXPECT_EQ(FindCommand(""), nullptr);
}

TEST(CatalogTest, PrimaryIdIsTheFirstRequiredIdField) {
  for (const CommandSpec& spec : Catalog()) {
    if (spec.type == CommandType::kSetSetting) {
      EXPECT_EQ(spec.primary_id_field, "");
      EXPECT_EQ(spec.kind, "config");
      continue;
    }
    ASSERT_FALSE(spec.fields.empty()) << spec.name;
    EXPECT_EQ(spec.fields[0].name, spec.primary_id_field) << spec.name;
    EXPECT_EQ(spec.fields[0].kind, FieldKind::kId) << spec.name;
    EXPECT_TRUE(spec.fields[0].required) << spec.name;
    EXPECT_EQ(std::string(spec.kind) + "_id", spec.primary_id_field) << spec.name;
  }
}

TEST(CatalogTest, CreatingCommands) {
  std::set<std::string_view> creating;
  for (const CommandSpec& spec : Catalog()) {
    if (spec.creates) creating.insert(spec.name);
  }
  EXPECT_EQ(creating,
            (std::set<std::string_view>{
                "OpenAccount", "CreateContact", "CreateLead", "OpenOpportunity", "OpenTicket",
                "LogActivity", "CreateQuote", "PlaceOrder", "IssueInvoice", "CreateUser"}));
}

const FieldSpec& FieldOf(std::string_view command, std::string_view field) {
  const CommandSpec* spec = FindCommand(command);
  EXPECT_NE(spec, nullptr) << command;
  for (const FieldSpec& f : spec->fields) {
    if (f.name == field) return f;
  }
  ADD_FAILURE() << command << " has no field " << field;
  static const FieldSpec none{};
  return none;
}

TEST(CatalogTest, EnumsAreInWireOrder) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(FieldOf("OpenAccount", "type").enum_values,
            (V{"NotValidated", "Suspect", "Lead", "Associate", "Prospect", "Customer", "Supplier",
               "Reseller", "Division", "Bank"}));
  EXPECT_EQ(FieldOf("ChangeAccountType", "type").enum_values,
            FieldOf("OpenAccount", "type").enum_values);
  EXPECT_EQ(FieldOf("OpenOpportunity", "stage").enum_values,
            (V{"Prospecting", "Qualification", "NeedsAnalysis", "Proposal", "Negotiation",
               "ClosedWon", "ClosedLost"}));
  EXPECT_EQ(FieldOf("OpenTicket", "priority").enum_values, (V{"Low", "Normal", "High", "Urgent"}));
  EXPECT_EQ(FieldOf("ChangeTicketStatus", "status").enum_values,
            (V{"New", "Assigned", "InProgress", "Pending", "Resolved", "Closed"}));
  EXPECT_EQ(FieldOf("OpenTicket", "origin").enum_values,
            (V{"Phone", "Email", "Web", "Social", "Other"}));
  EXPECT_EQ(FieldOf("LogActivity", "kind").enum_values, (V{"Call", "Meeting", "Email", "Task"}));
  EXPECT_EQ(FieldOf("CreateUser", "role").enum_values,
            (V{"viewer", "support", "sales", "manager", "admin"}));
}

TEST(CatalogTest, UpdateCommandsHaveOptionalClearableFields) {
  const CommandSpec* update = FindCommand("UpdateAccount");
  ASSERT_NE(update, nullptr);
  for (const FieldSpec& f : update->fields) {
    EXPECT_NE(f.name, "type");
    EXPECT_NE(f.name, "owner");
    if (f.name == "account_id") continue;
    EXPECT_FALSE(f.required) << f.name;
    EXPECT_EQ(f.nullable, f.name != "name") << f.name;
  }
  EXPECT_EQ(update->fields.size(), 14u);  // account_id + 13 changeable fields
  EXPECT_FALSE(FieldOf("UpdateContact", "first_name").nullable);
  EXPECT_FALSE(FieldOf("UpdateContact", "last_name").nullable);
  EXPECT_TRUE(FieldOf("UpdateContact", "title").nullable);
  EXPECT_TRUE(FieldOf("UpdateLead", "first_name").nullable);
  EXPECT_FALSE(FieldOf("UpdateLead", "last_name").nullable);
  EXPECT_TRUE(FieldOf("UpdateLead", "owner").nullable);
  EXPECT_FALSE(FieldOf("OpenAccount", "email").nullable);
}

TEST(CatalogTest, ErrorCodeNames) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kBadRequest), "BAD_REQUEST");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kValidation), "VALIDATION_ERROR");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotFound), "NOT_FOUND");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kAlreadyExists), "ALREADY_EXISTS");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kConcurrencyConflict), "CONCURRENCY_CONFLICT");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kRuleViolation), "RULE_VIOLATION");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kForbidden), "FORBIDDEN");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kStorageError), "STORAGE_ERROR");
}

// ---------------------------------------------------------------------------------------------
// Valid commands.

TEST(ParseValidTest, EveryCommandTypeMinimal) {
  for (const CommandSpec& spec : Catalog()) {
    SCOPED_TRACE(spec.name);
    const std::string json = MinimalJson(spec);
    const Command cmd = Parse(json);
    EXPECT_EQ(cmd.type, spec.type);
    EXPECT_EQ(cmd.type_name, spec.name);
    EXPECT_FALSE(cmd.expected_version.has_value());
    EXPECT_EQ(cmd.occurred_at_us, 0);
    EXPECT_TRUE(cmd.actor.empty());
    for (const FieldSpec& f : spec.fields) {
      if (f.required) {
        EXPECT_TRUE(cmd.Has(f.name)) << f.name;
      }
    }
  }
}

TEST(ParseValidTest, EveryCommandTypeWithAllFields) {
  for (const CommandSpec& spec : Catalog()) {
    SCOPED_TRACE(spec.name);
    const Command cmd = Parse(FullJson(spec));
    EXPECT_EQ(cmd.type, spec.type);
    EXPECT_EQ(cmd.fields.size(), spec.fields.size());
    EXPECT_EQ(cmd.actor, "u1");
    EXPECT_EQ(cmd.command_id, "c1");
    EXPECT_EQ(cmd.correlation_id, "k1");
    ASSERT_TRUE(cmd.expected_version.has_value());
    EXPECT_EQ(cmd.expected_version->kind(), ExpectedVersion::Kind::kExact);
    EXPECT_EQ(cmd.expected_version->version(), 3u);
    EXPECT_EQ(cmd.occurred_at_us, kJan2_2026 + (3 * 3600 + 4 * 60 + 5) * 1000000LL);
  }
}

TEST(ParseValidTest, OpenAccountWithEveryFieldTyped) {
  const Command cmd = Parse(
      R"({"type":"OpenAccount","account_id":"A1","name":"Acme GmbH","account_type":"Customer",)"
      R"("industry":"Manufacturing","phone":"555-0321","email":"info@acme.example.com",)"
      R"("website":"https://acme.example.com",)"
      R"("billing_address":{"street":"Main St 1","city":"Berlin","state":"BE",)"
      R"("postal_code":"10115","country":"DE"},"shipping_address":{"country":"DE"},)"
      R"("number_of_employees":250,"owner":"u7","parent_account_id":"A0",)"
      R"("source":"Trade fair","notes":"Met at booth 12.\nFollow up in May.",)"
      R"("debtor_number":"D-100","creditor_number":"K-200"})");
  EXPECT_EQ(cmd.type, CommandType::kOpenAccount);
  EXPECT_EQ(cmd.Str("account_id"), "A1");
  EXPECT_EQ(cmd.Str("name"), "Acme GmbH");
  EXPECT_EQ(cmd.Get("name").kind, Value::Kind::kString);
  EXPECT_EQ(cmd.Str("phone"), "555-0321");
  EXPECT_EQ(cmd.Str("email"), "info@acme.example.com");
  const Value& billing = cmd.Get("billing_address");
  EXPECT_EQ(billing.kind, Value::Kind::kAddress);
  EXPECT_EQ(billing.address, (Address{"Main St 1", "Berlin", "BE", "10115", "DE"}));
  EXPECT_EQ(cmd.Get("shipping_address").address, (Address{"", "", "", "", "DE"}));
  EXPECT_EQ(cmd.Get("number_of_employees").kind, Value::Kind::kInt);
  EXPECT_EQ(cmd.Num("number_of_employees"), 250);
  EXPECT_EQ(cmd.Str("notes"), "Met at booth 12.\nFollow up in May.");
  EXPECT_EQ(cmd.Str("creditor_number"), "K-200");
  EXPECT_EQ(cmd.Get("type").kind, Value::Kind::kEnum);
  EXPECT_EQ(cmd.Num("type"), 5);
  EXPECT_EQ(cmd.Str("type"), "Customer");
  EXPECT_EQ(cmd.fields.size(), 16u);
  EXPECT_FALSE(Parse(OpenAccountWith("")).Has("type"));
}

// SPEC §2 calls the account type `type`, like the command type. It is written "account_type";
// a second "type" key (the literal SPEC form) is accepted too, in either order.
TEST(ParseValidTest, AccountTypeKey) {
  for (const char* line :
       {R"({"type":"ChangeAccountType","account_id":"A1","account_type":"Customer"})",
        R"({"type":"ChangeAccountType","account_id":"A1","type":"Customer"})",
        R"({"type":"Customer","account_id":"A1","type":"ChangeAccountType"})",
        R"({"account_id":"A1","account_type":"Customer","type":"ChangeAccountType"})"}) {
    SCOPED_TRACE(line);
    const Command cmd = Parse(line);
    EXPECT_EQ(cmd.type, CommandType::kChangeAccountType);
    EXPECT_EQ(cmd.type_name, "ChangeAccountType");
    EXPECT_EQ(cmd.Num("type"), 5);
    EXPECT_EQ(cmd.Str("type"), "Customer");
  }
  EXPECT_EQ(Parse(OpenAccountWith(R"(,"type":"Bank")")).Num("type"), 9);
  EXPECT_INVALID(R"({"type":"ChangeAccountType","account_id":"A1"})",
                 "missing required field \"account_type\"");
  EXPECT_INVALID(R"({"type":"ChangeAccountType","account_id":"A1","account_type":"Customer",)"
                 R"("type":"Bank"})",
                 "account type is given twice");
  EXPECT_INVALID(R"({"type":"ChangeAccountType","account_id":"A1","account_type":"Gold"})",
                 "invalid type \"Gold\"", "allowed: NotValidated, Suspect");
  EXPECT_INVALID(R"({"type":"ChangeAccountType","account_id":"A1","type":"OpenAccount"})",
                 "invalid type \"OpenAccount\"");
  EXPECT_INVALID(R"({"type":"CloseTicket","ticket_id":"T1","account_type":"Customer"})",
                 "unknown field \"account_type\"");
  EXPECT_INVALID(OpenAccountWith(R"(,"x":1)"), "allowed: account_id, name, account_type,");
}

TEST(ParseValidTest, OpenOpportunityTypedValues) {
  const Command cmd = Parse(OpportunityWith(
      "\"1500.25\"",
      R"(,"currency":"EUR","stage":"Negotiation","close_date":"2026-01-02","owner":"u2")"));
  EXPECT_EQ(cmd.Get("amount").kind, Value::Kind::kMoney);
  EXPECT_EQ(cmd.Num("amount"), 150025);
  EXPECT_EQ(cmd.Get("stage").kind, Value::Kind::kEnum);
  EXPECT_EQ(cmd.Num("stage"), 4);
  EXPECT_EQ(cmd.Str("stage"), "Negotiation");
  EXPECT_EQ(cmd.Get("close_date").kind, Value::Kind::kTime);
  EXPECT_EQ(cmd.Num("close_date"), kJan2_2026);
  EXPECT_EQ(cmd.Str("currency"), "EUR");
}

TEST(ParseValidTest, TicketActivityUserEnums) {
  Command t = Parse(R"({"type":"OpenTicket","ticket_id":"T1","account_id":"A1",)"
                    R"("subject":"Printer on fire","priority":"Urgent","origin":"Web"})");
  EXPECT_EQ(t.Num("priority"), 3);
  EXPECT_EQ(t.Num("origin"), 2);
  Command a = Parse(R"({"type":"LogActivity","activity_id":"X1","kind":"Meeting",)"
                    R"("subject":"Kick-off","due_at":"2026-03-31T17:00:00.25+02:00"})");
  EXPECT_EQ(a.Num("kind"), 1);
  EXPECT_EQ(a.Num("due_at"), 1774969200LL * 1000000 + 250000);
  Command u = Parse(R"({"type":"CreateUser","user_id":"u1","name":"Ada","role":"manager"})");
  EXPECT_EQ(u.Num("role"), 3);
  Command s = Parse(R"({"type":"ChangeTicketStatus","ticket_id":"T1","status":"Resolved"})");
  EXPECT_EQ(s.Num("status"), 4);
}

TEST(ParseValidTest, MoneyIsExactCents) {
  struct Case {
    const char* json;
    int64_t cents;
  };
  for (const Case& c :
       {Case{"12", 1200}, Case{"12.5", 1250}, Case{"12.50", 1250}, Case{"0.1", 10}, Case{"0.01", 1},
        Case{"\"0.10\"", 10}, Case{"\"12\"", 1200}, Case{"\"007.5\"", 750}, Case{"1.500", 150},
        Case{"\"1.2300\"", 123}, Case{"0.29", 29}, Case{"1.15", 115},
        Case{"999999999999999.99", 99999999999999999},
        Case{"\"999999999999999.99\"", 99999999999999999}, Case{"0", 0}, Case{"0.0", 0}}) {
    SCOPED_TRACE(c.json);
    const Command cmd = Parse(OpportunityWith(c.json));
    EXPECT_EQ(cmd.Num("amount"), c.cents);
  }
  EXPECT_EQ(Parse(RevenueWith("0.01")).Num("amount"), 1);
}

TEST(ParseValidTest, UpdateWithNullClearsAField) {
  const Command cmd =
      Parse(R"({"type":"UpdateAccount","account_id":"A1","phone":null,"industry":"Retail",)"
            R"("billing_address":null,"number_of_employees":0})");
  EXPECT_EQ(cmd.Get("phone").kind, Value::Kind::kNull);
  EXPECT_EQ(cmd.StrOr("phone", "none"), "none");
  EXPECT_EQ(cmd.Get("billing_address").kind, Value::Kind::kNull);
  EXPECT_EQ(cmd.Str("industry"), "Retail");
  EXPECT_EQ(cmd.Num("number_of_employees"), 0);
  EXPECT_FALSE(cmd.Has("name"));
  const Command lead = Parse(R"({"type":"UpdateLead","lead_id":"L1","owner":null})");
  EXPECT_EQ(lead.Get("owner").kind, Value::Kind::kNull);
}

TEST(ParseValidTest, SetSettingNormalizesRulesStrict) {
  for (const char* v : {"false", "\"false\""}) {
    const Command cmd =
        Parse(std::string(R"({"type":"SetSetting","key":"rules.strict","value":)") + v + "}");
    EXPECT_EQ(cmd.Str("key"), "rules.strict");
    EXPECT_EQ(cmd.Get("value").kind, Value::Kind::kBool);
    EXPECT_EQ(cmd.Str("value"), "false");
    EXPECT_EQ(cmd.Num("value"), 0);
  }
  const Command on = Parse(R"({"type":"SetSetting","key":"rules.strict","value":true})");
  EXPECT_EQ(on.Str("value"), "true");
  EXPECT_EQ(on.Num("value"), 1);
}

TEST(ParseValidTest, WhitespaceUnicodeAndKeyOrderAreFine) {
  const Command cmd = Parse(
      " \t{ \"name\" : \"Müller & Söhne \\u00e9\\ud83d\\ude00\" , \"account_id\":\"Ä-1\","
      " \"type\" : \"OpenAccount\" }\r");
  EXPECT_EQ(cmd.Str("name"), "Müller & Söhne é😀");
  EXPECT_EQ(cmd.Str("account_id"), "Ä-1");
  // Names keep their surrounding spaces (only blank names are rejected).
  EXPECT_EQ(Parse(OpenAccountWith("")).Str("name"), "Acme");
  EXPECT_EQ(Parse(R"({"type":"OpenAccount","account_id":"A1","name":" Acme "})").Str("name"),
            " Acme ");
}

TEST(ParseValidTest, PhoneAndEmailShapes) {
  for (const char* phone : {"555-0321", "+1 (555) 010-2000", "030/1234.56", "112"}) {
    SCOPED_TRACE(phone);
    Parse(OpenAccountWith(std::string(R"(,"phone":")") + phone + "\""));
  }
  for (const char* email : {"a@b.co", "first.last+tag@sub.example.org", "x@münchen.de"}) {
    SCOPED_TRACE(email);
    Parse(OpenAccountWith(std::string(R"(,"email":")") + email + "\""));
  }
}

// ---------------------------------------------------------------------------------------------
// Common fields.

TEST(CommonFieldsTest, ExpectedVersionForms) {
  auto ev = [](std::string_view v) {
    return Parse(R"({"type":"CloseTicket","ticket_id":"T1","expected_version":)" + std::string(v) +
                 "}")
        .expected_version;
  };
  auto five = ev("5");
  ASSERT_TRUE(five.has_value());
  EXPECT_EQ(five->kind(), ExpectedVersion::Kind::kExact);
  EXPECT_EQ(five->version(), 5u);
  EXPECT_EQ(ev("0")->kind(), ExpectedVersion::Kind::kNoStream);
  EXPECT_EQ(ev("\"any\"")->kind(), ExpectedVersion::Kind::kAny);
  EXPECT_EQ(ev("\"no_stream\"")->kind(), ExpectedVersion::Kind::kNoStream);
  EXPECT_EQ(ev("\"exists\"")->kind(), ExpectedVersion::Kind::kExists);

  auto line = [](std::string_view v) {
    return R"({"type":"CloseTicket","ticket_id":"T1","expected_version":)" + std::string(v) + "}";
  };
  EXPECT_INVALID(line("\"5\""), "expected_version", "JSON number");
  EXPECT_INVALID(line("-1"), "expected_version", "negative");
  EXPECT_INVALID(line("1.5"), "expected_version", "whole number");
  EXPECT_INVALID(line("1e3"), "expected_version");
  EXPECT_INVALID(line("\"ANY\""), "expected_version", "\"any\"", "\"exists\"");
  EXPECT_INVALID(line("99999999999999999999"), "expected_version", "too large");
  EXPECT_INVALID(line("null"), "expected_version", "null");
  EXPECT_BAD_REQUEST(line("true"), "expected_version");
  EXPECT_BAD_REQUEST(line("[1]"), "expected_version");
  EXPECT_BAD_REQUEST(line("{}"), "expected_version");
}

TEST(CommonFieldsTest, CreatingCommandsLeaveExpectedVersionUnset) {
  EXPECT_FALSE(Parse(OpenAccountWith("")).expected_version.has_value());
  const Command cmd = Parse(OpenAccountWith(R"(,"expected_version":"any")"));
  EXPECT_EQ(cmd.expected_version->kind(), ExpectedVersion::Kind::kAny);
}

TEST(CommonFieldsTest, OccurredAt) {
  auto at = [](std::string_view t) {
    return Parse(R"({"type":"CloseTicket","ticket_id":"T1","occurred_at":")" + std::string(t) +
                 "\"}")
        .occurred_at_us;
  };
  EXPECT_EQ(at("2026-01-02T00:00:00Z"), kJan2_2026);
  EXPECT_EQ(at("2026-01-02T02:00:00+02:00"), kJan2_2026);
  EXPECT_EQ(at("2026-01-01T19:00:00-05:00"), kJan2_2026);
  EXPECT_EQ(at("2026-01-02T00:00:00.5Z"), kJan2_2026 + 500000);
  EXPECT_EQ(at("2026-01-02T00:00:00.123456Z"), kJan2_2026 + 123456);
  EXPECT_EQ(at("2026-01-02t00:00:00z"), kJan2_2026);

  auto line = [](std::string_view t) {
    return R"({"type":"CloseTicket","ticket_id":"T1","occurred_at":)" + std::string(t) + "}";
  };
  for (const char* bad :
       {"\"2026-01-02\"", "\"2026-01-02 00:00:00Z\"", "\"2026-01-02T00:00:00\"",
        "\"2026-13-02T00:00:00Z\"", "\"2026-02-30T00:00:00Z\"", "\"2026-01-02T24:00:00Z\"",
        "\"2026-01-02T00:00:00+0200\"", "\"2026-01-02T00:00:00+25:00\"",
        "\"2026-01-02T00:00:00.Z\"", "\"yesterday\"", "\"\"", "\"1969-12-31T00:00:00Z\""}) {
    SCOPED_TRACE(bad);
    EXPECT_INVALID(line(bad), "occurred_at");
  }
  EXPECT_BAD_REQUEST(line("1767312000"), "occurred_at", "must be a string");
}

TEST(CommonFieldsTest, ActorCommandIdCorrelationIdAreIds) {
  const Command cmd =
      Parse(R"({"type":"CloseTicket","ticket_id":"T1","actor":"alice","command_id":"cmd-42",)"
            R"("correlation_id":"flow-7"})");
  EXPECT_EQ(cmd.actor, "alice");
  EXPECT_EQ(cmd.command_id, "cmd-42");
  EXPECT_EQ(cmd.correlation_id, "flow-7");
  EXPECT_INVALID(R"({"type":"CloseTicket","ticket_id":"T1","actor":""})", "actor", "empty");
  EXPECT_INVALID(R"({"type":"CloseTicket","ticket_id":"T1","command_id":"a\nb"})", "command_id",
                 "control character");
  EXPECT_BAD_REQUEST(R"({"type":"CloseTicket","ticket_id":"T1","actor":7})", "actor",
                     "must be a string");
  EXPECT_INVALID(R"({"type":"CloseTicket","ticket_id":"T1","actor":null})", "actor", "null");
}

TEST(CommonFieldsTest, CommonFieldsAreCheckedBeforeCommandFields) {
  EXPECT_INVALID(R"({"type":"OpenAccount","actor":"","name":""})", "actor");
}

// ---------------------------------------------------------------------------------------------
// BAD_REQUEST.

TEST(BadRequestTest, NotJson) {
  EXPECT_BAD_REQUEST("hello", "not valid JSON", "at byte 0");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount",)", "not valid JSON", "at byte");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount"} {})", "not valid JSON");
  EXPECT_BAD_REQUEST(R"({'type':'OpenAccount'})", "not valid JSON");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount","x":NaN})", "not valid JSON");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount","x":Infinity})", "not valid JSON");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount","x":-Infinity})", "not valid JSON");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount",})", "not valid JSON");
  EXPECT_BAD_REQUEST(std::string("{\"type\":\"OpenAccount\"}\0junk", 25), "not valid JSON", "NUL");
  EXPECT_BAD_REQUEST(std::string(100000, '['), "not valid JSON");
}

TEST(BadRequestTest, EmptyLine) {
  EXPECT_BAD_REQUEST("", "empty line");
  EXPECT_BAD_REQUEST("   \t\r", "empty line");
}

TEST(BadRequestTest, NotAnObject) {
  EXPECT_BAD_REQUEST("[]", "must be a JSON object");
  EXPECT_BAD_REQUEST(R"([{"type":"OpenAccount"}])", "must be a JSON object");
  EXPECT_BAD_REQUEST("42", "must be a JSON object");
  EXPECT_BAD_REQUEST("\"OpenAccount\"", "must be a JSON object");
  EXPECT_BAD_REQUEST("null", "must be a JSON object");
}

TEST(BadRequestTest, Type) {
  EXPECT_BAD_REQUEST(R"({"account_id":"A1"})", "missing \"type\"");
  EXPECT_BAD_REQUEST("{}", "missing \"type\"");
  EXPECT_BAD_REQUEST(R"({"type":5})", "\"type\" must be a string");
  EXPECT_BAD_REQUEST(R"({"type":null})", "\"type\" must be a string");
  EXPECT_BAD_REQUEST(R"({"type":"Foo"})", "unknown command type \"Foo\"");
  EXPECT_BAD_REQUEST(R"({"type":"openaccount","account_id":"A1","name":"Acme"})",
                     "unknown command type", "did you mean \"OpenAccount\"");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAcount"})", "did you mean \"OpenAccount\"");
  EXPECT_BAD_REQUEST(R"({"type":""})", "unknown command type \"\"");
}

TEST(BadRequestTest, WrongJsonTypeForAField) {
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount","account_id":"A1","name":5})",
                     "field \"name\" must be a string");
  EXPECT_BAD_REQUEST(R"({"type":"OpenAccount","account_id":7,"name":"Acme"})",
                     "field \"account_id\" must be a string");
  EXPECT_BAD_REQUEST(OpenAccountWith(R"(,"billing_address":"Main St 1")"),
                     "field \"billing_address\" must be an object");
  EXPECT_BAD_REQUEST(OpenAccountWith(R"(,"billing_address":["Main St 1"])"),
                     "field \"billing_address\" must be an object");
  EXPECT_BAD_REQUEST(OpenAccountWith(R"(,"billing_address":{"city":5})"),
                     "field \"billing_address.city\" must be a string");
  EXPECT_BAD_REQUEST(OpenAccountWith(R"(,"number_of_employees":"12")"),
                     "field \"number_of_employees\" must be a JSON number");
  EXPECT_BAD_REQUEST(OpenAccountWith(R"(,"number_of_employees":true)"), "number_of_employees");
  EXPECT_BAD_REQUEST(OpenAccountWith(R"(,"type":["Customer"])"), "\"type\" must be a string");
  EXPECT_BAD_REQUEST(RevenueWith("true"), "field \"amount\" must be a number or a decimal string");
  EXPECT_BAD_REQUEST(RevenueWith("{}"), "field \"amount\"");
  EXPECT_BAD_REQUEST(OpportunityWith("1", R"(,"stage":3)"), "field \"stage\" must be a string");
  EXPECT_BAD_REQUEST(OpportunityWith("1", R"(,"close_date":20260102)"),
                     "field \"close_date\" must be a string");
  EXPECT_BAD_REQUEST(R"({"type":"SetSetting","key":"rules.strict","value":{"on":true}})",
                     "field \"value\"");
  EXPECT_BAD_REQUEST(R"({"type":"SetSetting","key":"rules.strict","value":[true]})",
                     "field \"value\"");
  EXPECT_BAD_REQUEST(Note(R"({"text":"nested"})"), "field \"text\" must be a string",
                     "not an object");
}

TEST(BadRequestTest, InvalidUtf8) {
  EXPECT_BAD_REQUEST(Note("\"caf\xc3\""), "not valid UTF-8");
  EXPECT_BAD_REQUEST(Note("\"\xff\xfe\""), "not valid UTF-8");
  EXPECT_BAD_REQUEST(Note("\"\xed\xa0\x80\""), "not valid UTF-8");  // an encoded surrogate
  EXPECT_BAD_REQUEST(Note("\"\xc0\xaf\""), "not valid UTF-8");      // overlong
  EXPECT_BAD_REQUEST(Note("\"\\udc00\""), "UTF-8");                 // lone low surrogate
  EXPECT_BAD_REQUEST(Note("\"\\ud800\""), "not valid JSON");        // lone high surrogate
  EXPECT_BAD_REQUEST(R"({"type":"AddAccountNote","account_id":"A1","te)"
                     "\xff"
                     R"(xt":"x"})",
                     "not valid UTF-8");
}

// ---------------------------------------------------------------------------------------------
// VALIDATION_ERROR.

TEST(ValidationTest, MissingRequiredField) {
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1"})", "missing required field \"name\"");
  EXPECT_INVALID(R"({"type":"OpenAccount","name":"Acme"})",
                 "missing required field \"account_id\"");
  // Catalog order decides which one is reported first.
  EXPECT_INVALID(R"({"type":"OpenAccount"})", "missing required field \"account_id\"");
  EXPECT_INVALID(R"({"type":"OpenTicket","ticket_id":"T1","account_id":"A1","subject":"x"})",
                 "missing required field \"priority\"");
  EXPECT_INVALID(R"({"type":"SetSetting","key":"rules.strict"})",
                 "missing required field \"value\"");
}

TEST(ValidationTest, UnknownField) {
  EXPECT_INVALID(OpenAccountWith(R"(,"x":1)"), "unknown field \"x\" for OpenAccount",
                 "allowed: account_id, name, account_type, industry");
  EXPECT_INVALID(OpenAccountWith(R"(,"nmae":"y")"), "unknown field \"nmae\"",
                 "did you mean \"name\"");
  EXPECT_INVALID(R"({"type":"CloseTicket","ticket_id":"T1","reason":"done"})",
                 "unknown field \"reason\" for CloseTicket", "allowed: ticket_id");
  // A deeply nested unknown field is still just an unknown field.
  EXPECT_INVALID(OpenAccountWith(R"(,"extra":)" + std::string(5000, '[') + std::string(5000, ']')),
                 "unknown field \"extra\"");
}

TEST(ValidationTest, DuplicateKey) {
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1","name":"Acme","name":"Other"})",
                 "duplicate field \"name\"");
  EXPECT_INVALID(R"({"type":"CloseTicket","type":"CloseTicket","ticket_id":"T1"})",
                 "duplicate field \"type\"");
  EXPECT_INVALID(R"({"type":"CloseTicket","ticket_id":"T1","ticket_id":"T1"})",
                 "duplicate field \"ticket_id\"");
  EXPECT_INVALID(OpenAccountWith(R"(,"billing_address":{"city":"A","city":"B"})"), "duplicate",
                 "billing_address.city");
}

TEST(ValidationTest, Ids) {
  auto account = [](std::string_view id_json) {
    return R"({"type":"ReactivateAccount","account_id":)" + std::string(id_json) + "}";
  };
  EXPECT_EQ(Parse(account("\"" + std::string(128, 'a') + "\"")).Str("account_id").size(), 128u);
  EXPECT_INVALID(account("\"" + std::string(129, 'a') + "\""), "account_id", "129 bytes",
                 "limit is 128");
  EXPECT_INVALID(account("\"\""), "account_id", "empty");
  EXPECT_INVALID(account("\"   \""), "account_id", "blank");
  EXPECT_INVALID(account("\"a\\tb\""), "account_id", "control character");
  EXPECT_INVALID(account("\"a\\u0000b\""), "account_id", "control character");
  EXPECT_INVALID(account("\"a\\u007fb\""), "account_id", "control character");
  EXPECT_INVALID(account("null"), "account_id", "may not be null");
}

TEST(ValidationTest, NamesAndTexts) {
  const std::string long_name(256, 'n');
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1","name":")" + long_name + "\"}",
                 "name is 256 bytes; the limit is 255");
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1","name":""})", "name", "empty");
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1","name":"  \t "})", "name", "blank");
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1","name":"a\u0001b"})", "name",
                 "control character");
  EXPECT_EQ(Parse(Note("\"" + std::string(65536, 'x') + "\"")).Str("text").size(), 65536u);
  EXPECT_INVALID(Note("\"" + std::string(65537, 'x') + "\""), "text", "65537 bytes",
                 "limit is 65536");
  EXPECT_INVALID(Note("\"\""), "text must not be empty");
  EXPECT_INVALID(Note("\"\\n\\n\""), "text must not be blank");
}

TEST(ValidationTest, TenMegabyteTextIsRejectedQuickly) {
  const std::string line = Note("\"" + std::string(10 * 1024 * 1024, 'x') + "\"");
  const auto start = std::chrono::steady_clock::now();
  const auto result = ParseCommand(line);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(std::holds_alternative<Error>(result));
  const Error& e = std::get<Error>(result);
  EXPECT_EQ(e.code, ErrorCode::kValidation);
  EXPECT_THAT(e.message, HasSubstr("text is 10485760 bytes; the limit is 65536"));
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(ValidationTest, TenMegabyteJunkIsRejectedQuickly) {
  std::string line = R"({"type":"OpenAccount","account_id":"A1","name":"Acme","notes":")";
  line.append(10 * 1024 * 1024, '\xe4');  // invalid UTF-8 all along
  line += "\"}";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_BAD_REQUEST(line, "not valid UTF-8");
  EXPECT_BAD_REQUEST(std::string(10 * 1024 * 1024, '{'), "not valid JSON");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ValidationTest, Email) {
  auto with = [](std::string_view email) {
    return OpenAccountWith(R"(,"email":")" + std::string(email) + "\"");
  };
  EXPECT_INVALID(with("no-at-sign.example.com"), "email is not a valid e-mail address", "'@'");
  EXPECT_INVALID(with("a@b@example.com"), "email", "more than one '@'");
  EXPECT_INVALID(with("@example.com"), "email", "before the '@'");
  EXPECT_INVALID(with("someone@localhost"), "email", "dot");
  EXPECT_INVALID(with("someone@.example.com"), "email", "domain");
  EXPECT_INVALID(with("someone@example.com."), "email", "domain");
  EXPECT_INVALID(with("someone@example..com"), "email", "domain");
  EXPECT_INVALID(with("some one@example.com"), "email", "whitespace");
  EXPECT_INVALID(with(" someone@example.com"), "email", "whitespace");
  EXPECT_INVALID(with("someone@example.com "), "email", "whitespace");
  EXPECT_INVALID(with("a\\tb@example.com"), "email");
  EXPECT_INVALID(with(""), "email", "empty");
  EXPECT_INVALID(with(std::string(250, 'a') + "@b.co"), "email", "limit is 254");
}

TEST(ValidationTest, Phone) {
  auto with = [](std::string_view phone) {
    return OpenAccountWith(R"(,"phone":")" + std::string(phone) + "\"");
  };
  EXPECT_INVALID(with("call me"), "phone is not a valid phone number",
                 "only digits, spaces and + - ( ) . /");
  EXPECT_INVALID(with("12"), "phone", "at least 3 digits");
  EXPECT_INVALID(with("555+0321"), "phone", "'+'");
  EXPECT_INVALID(with("555-0321 ext. 5"), "phone");
  EXPECT_INVALID(with(" 555-0321"), "phone");
  EXPECT_INVALID(with(std::string(33, '5')), "phone", "limit is 32");
  EXPECT_INVALID(with(""), "phone", "empty");
}

TEST(ValidationTest, Website) {
  EXPECT_INVALID(OpenAccountWith(R"(,"website":"https://exa mple.com")"), "website", "whitespace");
  EXPECT_INVALID(OpenAccountWith(R"(,"website":"")"), "website", "empty");
  EXPECT_INVALID(OpenAccountWith(R"(,"website":")" + std::string(256, 'w') + "\""), "website",
                 "limit is 255");
}

TEST(ValidationTest, EnumListsAllowedValues) {
  EXPECT_INVALID(R"({"type":"ChangeOpportunityStage","opportunity_id":"O1","stage":"Won"})",
                 "invalid stage \"Won\"",
                 "allowed: Prospecting, Qualification, NeedsAnalysis, Proposal, Negotiation, "
                 "ClosedWon, ClosedLost");
  EXPECT_INVALID(R"({"type":"CreateUser","user_id":"u1","name":"Ada","role":"Admin"})",
                 "invalid role \"Admin\"", "did you mean \"admin\"",
                 "allowed: viewer, support, sales, manager, admin");
  EXPECT_INVALID(R"({"type":"OpenTicket","ticket_id":"T1","account_id":"A1","subject":"s",)"
                 R"("priority":""})",
                 "invalid priority", "allowed: Low, Normal, High, Urgent");
}

TEST(ValidationTest, Money) {
  EXPECT_INVALID(RevenueWith("-5"), "amount must not be negative");
  EXPECT_INVALID(RevenueWith("\"-5.00\""), "amount", "must not be negative");
  EXPECT_INVALID(OpportunityWith("-0.01"), "amount", "must not be negative");
  EXPECT_INVALID(RevenueWith("\"1.005\""), "amount has more than 2 decimals");
  EXPECT_INVALID(RevenueWith("1.005"), "amount", "more than 2 decimals");
  EXPECT_INVALID(OpportunityWith("0.001"), "amount", "more than 2 decimals");
  EXPECT_INVALID(RevenueWith("0"), "amount must be positive");
  EXPECT_INVALID(RevenueWith("\"0.00\""), "amount", "positive");
  EXPECT_INVALID(R"({"type":"CreateQuote","quote_id":"Q1","account_id":"A1","amount":0})", "amount",
                 "positive");
  EXPECT_INVALID(RevenueWith("1e3"), "amount", "exponent");
  EXPECT_INVALID(RevenueWith("1.5E2"), "amount", "exponent");
  EXPECT_INVALID(RevenueWith("\"1e3\""), "amount", "exponent");
  EXPECT_INVALID(RevenueWith("\"+5\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("\"12,50\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("\" 12\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("\"12.\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("\".5\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("\"\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("\"ten\""), "amount", "decimal amount");
  EXPECT_INVALID(RevenueWith("1000000000000000"), "amount", "too large");
  EXPECT_INVALID(RevenueWith("\"99999999999999999999999.5\""), "amount", "too large");
  EXPECT_INVALID(RevenueWith("null"), "amount", "may not be null");
}

TEST(ValidationTest, Dates) {
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026/01/02", "02.01.2026", "2026-1-2",
                          "tomorrow", "", "2026-01-02T10:00", "2026-01-02T10:00:00"}) {
    SCOPED_TRACE(bad);
    EXPECT_INVALID(OpportunityWith("1", R"(,"close_date":")" + std::string(bad) + "\""),
                   "close_date must be an RFC 3339 date or date-time");
  }
  EXPECT_EQ(
      Parse(OpportunityWith("1", R"(,"close_date":"2026-01-02T10:00:00Z")")).Num("close_date"),
      kJan2_2026 + 10LL * 3600 * 1000000);
  EXPECT_EQ(Parse(OpportunityWith("1", R"(,"close_date":"2028-02-29")")).Num("close_date"),
            1835395200LL * 1000000);
}

TEST(ValidationTest, Counts) {
  EXPECT_INVALID(OpenAccountWith(R"(,"number_of_employees":-1)"), "number_of_employees",
                 "negative");
  EXPECT_INVALID(OpenAccountWith(R"(,"number_of_employees":12.5)"), "number_of_employees",
                 "whole number");
  EXPECT_INVALID(OpenAccountWith(R"(,"number_of_employees":1e2)"), "number_of_employees",
                 "whole number");
  EXPECT_INVALID(OpenAccountWith(R"(,"number_of_employees":9007199254740993)"),
                 "number_of_employees", "too large");
  EXPECT_EQ(Parse(OpenAccountWith(R"(,"number_of_employees":9007199254740992)"))
                .Num("number_of_employees"),
            9007199254740992);
}

TEST(ValidationTest, Addresses) {
  EXPECT_INVALID(OpenAccountWith(R"(,"billing_address":{"zip":"10115"})"), "billing_address",
                 "unknown part \"zip\"", "street, city, state, postal_code, country");
  EXPECT_INVALID(OpenAccountWith(R"(,"billing_address":{})"), "billing_address", "at least one");
  EXPECT_INVALID(OpenAccountWith(R"(,"billing_address":{"city":"  "})"), "billing_address",
                 "at least one");
  EXPECT_INVALID(
      OpenAccountWith(R"(,"shipping_address":{"street":")" + std::string(256, 's') + "\"}"),
      "shipping_address.street", "limit is 255");
  EXPECT_INVALID(OpenAccountWith(R"(,"billing_address":null)"), "billing_address",
                 "may not be null");
}

TEST(ValidationTest, Currency) {
  EXPECT_INVALID(OpportunityWith("1", R"(,"currency":"eur")"), "currency", "ISO 4217");
  EXPECT_INVALID(OpportunityWith("1", R"(,"currency":"EURO")"), "currency", "3 upper-case");
  EXPECT_INVALID(OpportunityWith("1", R"(,"currency":"")"), "currency");
}

TEST(ValidationTest, UpdateNeedsAField) {
  EXPECT_INVALID(R"({"type":"UpdateAccount","account_id":"A1"})",
                 "UpdateAccount needs at least one field to change", "industry");
  EXPECT_INVALID(R"({"type":"UpdateContact","contact_id":"C1"})",
                 "UpdateContact needs at least one field to change");
  EXPECT_INVALID(R"({"type":"UpdateLead","lead_id":"L1","actor":"u1"})",
                 "UpdateLead needs at least one field to change");
}

TEST(ValidationTest, UpdateAccountPointsToTheRightCommand) {
  EXPECT_INVALID(R"({"type":"UpdateAccount","account_id":"A1","owner":"u2"})", "owner",
                 "use AssignAccount");
  EXPECT_INVALID(R"({"type":"UpdateAccount","account_id":"A1","type":"Customer"})", "account type",
                 "use ChangeAccountType to change the type");
  EXPECT_INVALID(R"({"type":"UpdateAccount","account_id":"A1","account_type":"Customer"})",
                 "account_type", "use ChangeAccountType to change the type");
  EXPECT_INVALID(R"({"type":"UpdateContact","contact_id":"C1","account_id":"A1"})",
                 "use LinkContact");
}

TEST(ValidationTest, NullOnNonNullableField) {
  EXPECT_INVALID(R"({"type":"UpdateAccount","account_id":"A1","name":null})",
                 "field \"name\" may not be null");
  EXPECT_INVALID(R"({"type":"UpdateContact","contact_id":"C1","last_name":null})", "last_name",
                 "may not be null");
  EXPECT_INVALID(OpenAccountWith(R"(,"email":null)"), "field \"email\" may not be null");
  EXPECT_INVALID(R"({"type":"OpenAccount","account_id":"A1","name":null})", "name", "required");
}

TEST(ValidationTest, Settings) {
  EXPECT_INVALID(R"({"type":"SetSetting","key":"rules.lenient","value":true})",
                 "unknown setting \"rules.lenient\"", "known: rules.strict");
  EXPECT_INVALID(R"({"type":"SetSetting","key":"rules.lenient","value":[]})", "unknown setting");
  EXPECT_INVALID(R"({"type":"SetSetting","key":"rules.strict","value":"yes"})", "rules.strict",
                 "true or false");
  EXPECT_INVALID(R"({"type":"SetSetting","key":"rules.strict","value":1})", "true or false");
  EXPECT_INVALID(R"({"type":"SetSetting","key":"rules.strict","value":null})", "value", "null");
}

TEST(ValidationTest, EchoedInputIsShortAndOnOneLine) {
  const Error e = Fail(R"({"type":")" + std::string(5000, 'Z') + "\\n\"}");
  EXPECT_EQ(e.code, ErrorCode::kBadRequest);
  EXPECT_LT(e.message.size(), 200u);
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  const Error f = Fail(R"({"type":"CreateUser","user_id":"u","name":"n","role":"a\nb"})");
  EXPECT_EQ(f.message.find('\n'), std::string::npos);
  EXPECT_THAT(f.message, HasSubstr("\\u000a"));
}

// ---------------------------------------------------------------------------------------------
// Robustness.

TEST(RobustnessTest, RandomAndMutatedLinesNeverCrash) {
  std::mt19937 rng(20260102);
  std::vector<std::string> seeds;
  for (const CommandSpec& spec : Catalog()) {
    seeds.push_back(MinimalJson(spec));
    seeds.push_back(FullJson(spec));
  }
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string tokens[] = {"{",
                                "}",
                                "[",
                                "]",
                                "\"",
                                ":",
                                ",",
                                "null",
                                "true",
                                "-",
                                "1e9",
                                "\\u0000",
                                "\\ud800",
                                "\xff",
                                "\xc3",
                                "\xed\xa0\x80",
                                "\0",
                                "0.005",
                                "\"type\"",
                                "\"OpenAccount\"",
                                "{\"a\":{\"b\":{}}}"};
  int commands = 0, errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string line;
    const int mode = i % 5;
    if (mode == 0) {  // pure random bytes
      line.resize(pick(200));
      for (char& c : line) c = static_cast<char>(pick(256));
    } else {
      line = seeds[pick(seeds.size())];
      const int edits = 1 + static_cast<int>(pick(mode == 4 ? 20 : 3));
      for (int k = 0; k < edits && !line.empty(); ++k) {
        const size_t at = pick(line.size());
        switch (pick(5)) {
          case 0:
            line[at] = static_cast<char>(pick(256));
            break;
          case 1:
            line.erase(at, 1 + pick(8));
            break;
          case 2:
            line.insert(at, tokens[pick(std::size(tokens))]);
            break;
          case 3:
            line.resize(at);
            break;
          case 4:
            line.insert(at, line.substr(pick(line.size()), 1 + pick(16)));
            break;
        }
      }
    }
    const auto result = ParseCommand(line);
    if (std::holds_alternative<Command>(result)) {
      ++commands;
      EXPECT_NE(FindCommand(std::get<Command>(result).type_name), nullptr);
    } else {
      ++errors;
      EXPECT_FALSE(std::get<Error>(result).message.empty()) << line;
    }
  }
  EXPECT_EQ(commands + errors, 2000);
  EXPECT_GT(errors, 1000);
}

}  // namespace
}  // namespace crm::domain
