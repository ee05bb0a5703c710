// Contacts, users and settings.
#include "domain/src/decide_internal.h"

namespace crm::domain::internal {
namespace {

// Loads an optional referenced account; NOT_FOUND naming the field when it does not exist.
std::optional<Error> CheckAccountRef(const Command& cmd, const char* field, StateView& view) {
  if (!cmd.Has(field)) return std::nullopt;
  auto account = view.Load(StreamName("account", cmd.Str(field)));
  if (!account.ok()) return Storage(account.status());
  if (!(*account)->exists()) {
    return Err(ErrorCode::kNotFound,
               std::string(field) + " " + Quote(cmd.Str(field)) + ": no such account");
  }
  return std::nullopt;
}

Outcome CreateContact(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("contact_id");
  const std::string stream = StreamName("contact", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "contact", id));
  CRM_CHECK(CheckAccountRef(cmd, "account_id", view));
  fb::ContactCreatedT e;
  e.contact_id = id;
  e.first_name = cmd.Str("first_name");
  e.last_name = cmd.Str("last_name");
  e.email = cmd.StrOr("email");
  e.phone = cmd.StrOr("phone");
  e.title = cmd.StrOr("title");
  e.account_id = cmd.StrOr("account_id");
  Decision d = Primary(stream);
  if (!e.account_id.empty()) d.links.push_back({StreamName("account", e.account_id), stream});
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome UpdateContact(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("contact_id");
  const std::string stream = StreamName("contact", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "contact", id));
  const ContactState& c = *As<ContactState>(current);
  fb::ContactUpdatedT e;
  e.contact_id = id;
  e.old = std::make_unique<fb::ContactFieldsT>();
  e.new_ = std::make_unique<fb::ContactFieldsT>();
  auto diff = [&](const char* field, const std::string& now, std::string fb::ContactFieldsT::*m) {
    if (!cmd.Has(field)) return;
    const std::string next = cmd.StrOr(field);
    if (next == now) return;
    e.changed.emplace_back(field);
    (*e.old).*m = now;
    (*e.new_).*m = next;
  };
  diff("first_name", c.first_name, &fb::ContactFieldsT::first_name);
  diff("last_name", c.last_name, &fb::ContactFieldsT::last_name);
  diff("email", c.email, &fb::ContactFieldsT::email);
  diff("phone", c.phone, &fb::ContactFieldsT::phone);
  diff("title", c.title, &fb::ContactFieldsT::title);
  Decision d = Primary(stream);
  if (!e.changed.empty()) Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome LinkContact(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("contact_id");
  const std::string stream = StreamName("contact", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "contact", id));
  CRM_CHECK(CheckAccountRef(cmd, "account_id", view));
  const ContactState& c = *As<ContactState>(current);
  Decision d = Primary(stream);
  if (c.account_id == cmd.Str("account_id")) return d;
  fb::ContactLinkedT e;
  e.contact_id = id;
  e.account_id = cmd.Str("account_id");
  e.previous_account_id = c.account_id;
  d.links.push_back({StreamName("account", e.account_id), stream});
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

std::optional<Error> MayGrant(fb::UserRole granted, const Context& ctx) {
  if (granted == fb::UserRole::admin && ctx.role != fb::UserRole::admin) {
    return Err(ErrorCode::kForbidden, "only an admin may grant the admin role");
  }
  return std::nullopt;
}

Outcome CreateUser(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("user_id");
  const std::string stream = StreamName("user", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "user", id));
  fb::UserCreatedT e;
  e.user_id = id;
  e.name = cmd.Str("name");
  e.role = static_cast<fb::UserRole>(cmd.Num("role"));
  CRM_CHECK(MayGrant(e.role, ctx));
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome ChangeUserRole(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("user_id");
  const std::string stream = StreamName("user", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "user", id));
  const UserState& u = *As<UserState>(current);
  const auto to = static_cast<fb::UserRole>(cmd.Num("role"));
  Decision d = Primary(stream);
  if (to == u.role) return d;
  CRM_CHECK(MayGrant(to, ctx));
  if (u.role == fb::UserRole::admin) CRM_CHECK(MayGrant(u.role, ctx));  // demoting an admin
  fb::UserRoleChangedT e;
  e.user_id = id;
  e.from = u.role;
  e.to = to;
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome SetSetting(const Command& cmd, StateView& view) {
  const std::string stream = "config-settings";
  CRM_LOAD(current, view, stream);
  const SettingsState* settings = As<SettingsState>(current);
  const std::string& key = cmd.Str("key");
  const std::string& value = cmd.Str("value");
  const std::string previous = settings && !settings->strict ? "false" : "true";
  Decision d = Primary(stream);
  if (value == previous) return d;
  fb::SettingChangedT e;
  e.key = key;
  e.value = value;
  e.previous = previous;
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

}  // namespace

Outcome DecideContactOrUser(const Command& cmd, const Context& ctx, StateView& view) {
  switch (cmd.type) {
    case CommandType::kCreateContact: return CreateContact(cmd, view);
    case CommandType::kUpdateContact: return UpdateContact(cmd, view);
    case CommandType::kLinkContact: return LinkContact(cmd, view);
    case CommandType::kCreateUser: return CreateUser(cmd, ctx, view);
    case CommandType::kChangeUserRole: return ChangeUserRole(cmd, ctx, view);
    default: return SetSetting(cmd, view);
  }
}

}  // namespace crm::domain::internal
