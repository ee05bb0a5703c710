// Human-friendly subcommands, generated from the command catalog: `crm account open --id A1
// --name "Innovative Tech Solutions" --billing-city Techville`, `crm lead convert ...`. Each
// builds the same JSON command `crm exec` reads and runs it through the same executor.
#include "cli/entity_commands.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <map>

#include "cli/exec_command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "crm/commands.h"
#include "domain/src/command.h"

namespace crm::cli {
namespace {

using domain::CommandSpec;
using domain::FieldKind;

constexpr const char* kAddressParts[] = {"street", "city", "state", "postal_code", "country"};

std::string Dashed(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  return s;
}

// "ChangeAccountType" with kind "account" -> "change-type"; "CommentOnTicket" -> "comment".
std::string Verb(const CommandSpec& spec) {
  std::string name(spec.name);
  std::string kind(spec.kind);
  kind[0] = static_cast<char>(std::toupper(kind[0]));
  if (auto at = name.find(kind); at != std::string::npos) name.erase(at, kind.size());
  std::string verb;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c)) && !verb.empty()) verb.push_back('-');
    verb.push_back(static_cast<char>(std::tolower(c)));
  }
  if (verb.size() > 3 && verb.compare(verb.size() - 3, 3, "-on") == 0) verb.resize(verb.size() - 3);
  return verb;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// One option of a generated subcommand and where its value goes in the JSON command.
struct Binding {
  CLI::Option* option;
  std::string field;         // JSON key
  std::string address_part;  // set for the parts of an address field
  FieldKind kind;
  std::shared_ptr<std::string> value;
};

struct Generated {
  const CommandSpec* spec;
  std::vector<Binding> bindings;
};

std::string BuildJson(const Generated& gen) {
  std::string json;
  StringSink sink{&json};
  JsonWriter w(sink);
  w.StartObject();
  w.Key("type");
  w.String(gen.spec->name.data(), static_cast<rapidjson::SizeType>(gen.spec->name.size()));
  std::map<std::string, std::vector<const Binding*>> addresses;
  for (const Binding& b : gen.bindings) {
    if (b.option->count() == 0) continue;
    if (!b.address_part.empty()) {
      addresses[b.field].push_back(&b);
      continue;
    }
    // The account type's JSON key is "account_type": "type" names the command (README).
    w.Key(b.field == "type" ? "account_type" : b.field.c_str());
    const std::string& v = *b.value;
    const bool number = (b.kind == FieldKind::kCount || b.field == "expected_version") && AllDigits(v);
    if (number) {
      w.RawNumber(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), true);
    } else if (b.kind == FieldKind::kBool && (v == "true" || v == "false")) {
      w.Bool(v == "true");
    } else {
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
  }
  for (const auto& [field, parts] : addresses) {
    w.Key(field.c_str());
    w.StartObject();
    for (const Binding* b : parts) {
      w.Key(b->address_part.c_str());
      w.String(b->value->c_str());
    }
    w.EndObject();
  }
  w.EndObject();
  return json;
}

Binding Bind(CLI::App* sub, const std::string& flag, std::string field, std::string part,
             FieldKind kind, const std::string& help) {
  auto value = std::make_shared<std::string>();
  CLI::Option* opt = sub->add_option(flag, *value, help);
  return Binding{opt, std::move(field), std::move(part), kind, value};
}

// "account" -> "accounts", "opportunity" -> "opportunities" (every kind's plural is regular).
std::string Plural(const std::string& kind) {
  if (kind.size() > 1 && kind.back() == 'y') return kind.substr(0, kind.size() - 1) + "ies";
  return kind + "s";
}

}  // namespace

void AddEntityCommands(CLI::App& app, const Globals& g, Commands* commands) {
  std::map<std::string, CLI::App*> groups;
  for (const CommandSpec& spec : domain::Catalog()) {
    if (spec.type == domain::CommandType::kSetSetting) continue;  // `crm config set`
    const std::string kind(spec.kind);
    CLI::App*& group = groups[kind];
    if (!group) {
      group = app.add_subcommand(kind, "Commands on " + Plural(kind) + " (same as crm exec)");
      group->require_subcommand(1);
    }
    CLI::App* sub = group->add_subcommand(Verb(spec), std::string(spec.help) + " (" +
                                                          std::string(spec.name) + ")");
    auto gen = std::make_shared<Generated>();
    gen->spec = &spec;
    for (const auto& f : spec.fields) {
      const std::string field(f.name);
      std::string help(f.help);
      if (f.required) help += " (required)";
      if (f.kind == FieldKind::kEnum) {
        help += " [";
        for (size_t i = 0; i < f.enum_values.size(); ++i) {
          help += (i ? "|" : "") + std::string(f.enum_values[i]);
        }
        help += "]";
      }
      if (f.kind == FieldKind::kAddress) {
        std::string prefix = field.substr(0, field.find("_address"));
        for (const char* part : kAddressParts) {
          gen->bindings.push_back(Bind(sub, "--" + Dashed(prefix + "_" + part), field, part,
                                       FieldKind::kName, help + ": " + part));
        }
        continue;
      }
      std::string flags = "--" + Dashed(field == "type" ? "account_type" : field);
      if (field == "type") flags += ",--type";
      if (field == spec.primary_id_field) flags = "--id," + flags;
      gen->bindings.push_back(Bind(sub, flags, field, "", f.kind, help));
    }
    for (const char* common : {"command_id", "correlation_id", "expected_version",
                               "occurred_at"}) {
      gen->bindings.push_back(Bind(sub, "--" + Dashed(common), common, "", FieldKind::kId,
                                   std::string("the command's ") + common));
    }
    (*commands)[sub] = [&g, gen] { return RunOneCommand(g, BuildJson(*gen)); };
  }
}

}  // namespace crm::cli
