// Dispatch, permissions, the account-type rules and the account commands.
#include "domain/src/decide.h"

#include "domain/src/mentions.h"

#include "domain/src/decide_internal.h"

namespace crm::domain {
namespace internal {
namespace {

using fb::AccountType;

bool IsManagerOrAdmin(fb::UserRole r) {
  return r == fb::UserRole::manager || r == fb::UserRole::admin;
}

const char* TypeName(AccountType t) { return fb::EnumNameAccountType(t); }

std::string_view CommandName(CommandType type) {
  for (const CommandSpec& spec : Catalog()) {
    if (spec.type == type) return spec.name;
  }
  return "this command";
}

std::optional<Error> CheckOwner(const Command& cmd, std::string_view field, StateView& view) {
  if (!cmd.Has(field) || cmd.Get(field).kind == Value::Kind::kNull) return std::nullopt;
  const std::string& owner = cmd.Str(field);
  auto user = view.Load(StreamName("user", owner));
  if (!user.ok()) return Storage(user.status());
  if (!(*user)->exists()) {
    return Err(ErrorCode::kNotFound, std::string(field) + " " + Quote(owner) + " is not a user");
  }
  return std::nullopt;
}

// The parent must exist, differ from the account, and not be one of its descendants.
std::optional<Error> CheckParent(const std::string& account_id, const std::string& parent_id,
                                 StateView& view) {
  if (parent_id == account_id) {
    return Err(ErrorCode::kRuleViolation, "an account cannot be its own parent");
  }
  std::string at = parent_id;
  for (int depth = 0; !at.empty(); ++depth) {
    auto parent = view.Load(StreamName("account", at));
    if (!parent.ok()) return Storage(parent.status());
    if (!(*parent)->exists()) {
      if (depth == 0) {
        return Err(ErrorCode::kNotFound,
                   "parent_account_id " + Quote(parent_id) + ": no such account");
      }
      break;
    }
    at = As<AccountState>(**parent)->parent_account_id;
    if (at == account_id || depth > 64) {
      return Err(ErrorCode::kRuleViolation, "parent_account_id " + Quote(parent_id) +
                                                " would make the account hierarchy a cycle");
    }
  }
  return std::nullopt;
}

// Old and new values of one UpdateAccount field, recorded when they differ.
struct AccountDiff {
  fb::AccountFieldsT old_fields, new_fields;
  std::vector<std::string> changed;

  void Str(const Command& cmd, const char* field, const std::string& current,
           std::string fb::AccountFieldsT::*member) {
    if (!cmd.Has(field)) return;
    const std::string next = cmd.StrOr(field);
    if (next == current) return;
    changed.emplace_back(field);
    old_fields.*member = current;
    new_fields.*member = next;
  }
  void Addr(const Command& cmd, const char* field, const Address& current,
            std::unique_ptr<fb::AddressT> fb::AccountFieldsT::*member) {
    if (!cmd.Has(field)) return;
    const Value& v = cmd.Get(field);
    const Address next = v.kind == Value::Kind::kNull ? Address{} : v.address;
    if (next == current) return;
    changed.emplace_back(field);
    if (!(current == Address{})) old_fields.*member = ToFb(current);
    if (!(next == Address{})) new_fields.*member = ToFb(next);
  }
};

Outcome OpenAccount(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("account_id");
  const std::string stream = StreamName("account", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "account", id));
  CRM_CHECK(CheckOwner(cmd, "owner", view));
  if (cmd.Has("parent_account_id")) CRM_CHECK(CheckParent(id, cmd.Str("parent_account_id"), view));

  fb::AccountOpenedT e;
  e.account_id = id;
  e.name = cmd.Str("name");
  e.type = cmd.Has("type") ? static_cast<AccountType>(cmd.Num("type")) : AccountType::NotValidated;
  e.industry = cmd.StrOr("industry");
  e.phone = cmd.StrOr("phone");
  e.email = cmd.StrOr("email");
  e.website = cmd.StrOr("website");
  if (cmd.Has("billing_address")) e.billing_address = ToFb(cmd.Get("billing_address").address);
  if (cmd.Has("shipping_address")) e.shipping_address = ToFb(cmd.Get("shipping_address").address);
  if (cmd.Has("number_of_employees")) e.number_of_employees = cmd.Num("number_of_employees");
  e.owner = cmd.StrOr("owner");
  e.parent_account_id = cmd.StrOr("parent_account_id");
  e.source = cmd.StrOr("source");
  e.notes = cmd.StrOr("notes");
  e.debtor_number = cmd.StrOr("debtor_number");
  e.creditor_number = cmd.StrOr("creditor_number");
  if (e.type != AccountType::NotValidated) {
    AccountState fresh;
    fresh.debtor_number = e.debtor_number;
    fresh.creditor_number = e.creditor_number;
    CRM_CHECK(CheckAccountType(fresh, e.type, AccountFacts{}, ctx, false));
  }
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome UpdateAccount(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("account_id");
  const std::string stream = StreamName("account", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "account", id));
  const AccountState& a = *As<AccountState>(current);

  AccountDiff diff;
  using F = fb::AccountFieldsT;
  diff.Str(cmd, "name", a.name, &F::name);
  diff.Str(cmd, "industry", a.industry, &F::industry);
  diff.Str(cmd, "phone", a.phone, &F::phone);
  diff.Str(cmd, "email", a.email, &F::email);
  diff.Str(cmd, "website", a.website, &F::website);
  diff.Addr(cmd, "billing_address", a.billing_address, &F::billing_address);
  diff.Addr(cmd, "shipping_address", a.shipping_address, &F::shipping_address);
  if (cmd.Has("number_of_employees")) {
    const Value& v = cmd.Get("number_of_employees");
    std::optional<int64_t> next =
        v.kind == Value::Kind::kNull ? std::nullopt : std::optional<int64_t>(v.num);
    if (next != a.number_of_employees) {
      diff.changed.emplace_back("number_of_employees");
      if (a.number_of_employees) diff.old_fields.number_of_employees = *a.number_of_employees;
      if (next) diff.new_fields.number_of_employees = *next;
    }
  }
  diff.Str(cmd, "parent_account_id", a.parent_account_id, &F::parent_account_id);
  diff.Str(cmd, "source", a.source, &F::source);
  diff.Str(cmd, "notes", a.notes, &F::notes);
  diff.Str(cmd, "debtor_number", a.debtor_number, &F::debtor_number);
  diff.Str(cmd, "creditor_number", a.creditor_number, &F::creditor_number);

  const std::string parent = cmd.StrOr("parent_account_id", a.parent_account_id);
  if (!parent.empty() && parent != a.parent_account_id) CRM_CHECK(CheckParent(id, parent, view));
  if (ctx.strict) {
    if (a.type == AccountType::Customer && cmd.Has("debtor_number") &&
        cmd.StrOr("debtor_number").empty()) {
      return Err(ErrorCode::kRuleViolation,
                 "a Customer needs a debtor_number: it cannot be cleared");
    }
    if ((a.type == AccountType::Supplier || a.type == AccountType::Bank) &&
        cmd.Has("creditor_number") && cmd.StrOr("creditor_number").empty()) {
      return Err(ErrorCode::kRuleViolation, std::string("a ") + TypeName(a.type) +
                                                " needs a creditor_number: it cannot be cleared");
    }
  }
  Decision d = Primary(stream);
  if (diff.changed.empty()) return d;  // nothing differs: nothing to record
  fb::AccountUpdatedT e;
  e.account_id = id;
  e.changed = std::move(diff.changed);
  e.old = std::make_unique<F>(std::move(diff.old_fields));
  e.new_ = std::make_unique<F>(std::move(diff.new_fields));
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome ChangeAccountType(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("account_id");
  const std::string stream = StreamName("account", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "account", id));
  const AccountState& a = *As<AccountState>(current);
  const auto to = static_cast<AccountType>(cmd.Num("type"));
  Decision d = Primary(stream);
  if (to == a.type) return d;
  AccountFacts facts;
  if (ctx.strict && (to == AccountType::Prospect || to == AccountType::Customer)) {
    auto loaded = LoadFacts(stream, view);
    if (!loaded.ok()) return Storage(loaded.status());
    facts = *loaded;
  }
  CRM_CHECK(CheckAccountType(a, to, facts, ctx, false));
  fb::AccountTypeChangedT e;
  e.account_id = id;
  e.from = a.type;
  e.to = to;
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome SimpleAccountEvent(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("account_id");
  const std::string stream = StreamName("account", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "account", id));
  const AccountState& a = *As<AccountState>(current);
  Decision d = Primary(stream);
  switch (cmd.type) {
    case CommandType::kDeactivateAccount: {
      if (a.status == fb::AccountStatus::Inactive) {
        return Err(ErrorCode::kRuleViolation, "account " + Quote(id) + " is already inactive");
      }
      fb::AccountDeactivatedT e;
      e.account_id = id;
      e.reason = cmd.StrOr("reason");
      Emit(d, stream, Ev(std::move(e)));
      break;
    }
    case CommandType::kReactivateAccount: {
      if (a.status == fb::AccountStatus::Active) {
        return Err(ErrorCode::kRuleViolation, "account " + Quote(id) + " is already active");
      }
      fb::AccountReactivatedT e;
      e.account_id = id;
      Emit(d, stream, Ev(std::move(e)));
      break;
    }
    case CommandType::kAssignAccount: {
      CRM_CHECK(CheckOwner(cmd, "owner", view));
      if (cmd.Str("owner") == a.owner) return d;
      fb::AccountAssignedT e;
      e.account_id = id;
      e.owner = cmd.Str("owner");
      e.previous_owner = a.owner;
      Emit(d, stream, Ev(std::move(e)));
      break;
    }
    case CommandType::kAddAccountNote: {
      fb::AccountNoteAddedT e;
      e.account_id = id;
      e.text = cmd.Str("text");
      e.mentions = ExtractMentions(e.text);
      EventData ev = Ev(std::move(e));
      ev.schema_version = kAccountNoteAddedVersion;
      Emit(d, stream, std::move(ev));
      break;
    }
    case CommandType::kRecordAccountRevenue: {
      fb::AccountRevenueRecordedT e;
      e.account_id = id;
      e.amount = cmd.Num("amount");
      e.description = cmd.StrOr("description");
      Emit(d, stream, Ev(std::move(e)));
      break;
    }
    default:
      break;
  }
  (void)ctx;
  return d;
}

}  // namespace

Result<AccountFacts> LoadFacts(const std::string& account_stream, StateView& view) {
  auto links = view.Links(account_stream);
  if (!links.ok()) return links.status();
  AccountFacts facts;
  for (const std::string& linked : *links) {
    const std::string_view kind = StreamKind(linked);
    if (kind != "opportunity" && kind != "order") continue;
    auto state = view.Load(linked);
    if (!state.ok()) return state.status();
    if (const auto* o = As<OpportunityState>(**state)) {
      if (o->open()) ++facts.open_opportunities;
      if (o->stage == fb::OpportunityStage::ClosedWon) ++facts.won_opportunities;
    } else if (As<OrderState>(**state)) {
      ++facts.orders;
    }
  }
  return facts;
}

void Progress(Decision& d, const std::string& account_stream, const AccountState& account,
              AccountType to, const std::string& cause, const Context& ctx) {
  bool move = false;
  const AccountType from = account.type;
  if (to == AccountType::Prospect) {
    move = from == AccountType::NotValidated || from == AccountType::Suspect ||
           from == AccountType::Lead;
  } else if (to == AccountType::Customer) {
    move = !account.debtor_number.empty() &&
           (from == AccountType::NotValidated || from == AccountType::Suspect ||
            from == AccountType::Lead || from == AccountType::Associate ||
            from == AccountType::Prospect);
  }
  if (!move || account.status == fb::AccountStatus::Inactive) return;
  fb::AccountTypeChangedT e;
  e.account_id = account.account_id;
  e.from = from;
  e.to = to;
  e.reason = cause;
  (void)ctx;
  Emit(d, account_stream, Ev(std::move(e), "system"));
}

Outcome DecideAccount(const Command& cmd, const Context& ctx, StateView& view) {
  switch (cmd.type) {
    case CommandType::kOpenAccount: return OpenAccount(cmd, ctx, view);
    case CommandType::kUpdateAccount: return UpdateAccount(cmd, ctx, view);
    case CommandType::kChangeAccountType: return ChangeAccountType(cmd, ctx, view);
    default: return SimpleAccountEvent(cmd, ctx, view);
  }
}

}  // namespace internal

using namespace internal;

std::optional<Error> CheckAccountType(const AccountState& account, AccountType to,
                                      const AccountFacts& facts, const Context& ctx,
                                      bool by_policy) {
  if (!by_policy && (to == AccountType::Customer || to == AccountType::Supplier ||
                     to == AccountType::Bank || to == AccountType::Division) &&
      !IsManagerOrAdmin(ctx.role)) {
    return Err(ErrorCode::kForbidden, std::string("only admin and manager may set type ") +
                                          TypeName(to) + "; " + ctx.actor + " is " +
                                          fb::EnumNameUserRole(ctx.role));
  }
  if (!ctx.strict) return std::nullopt;
  const AccountType from = account.type;
  if (to == AccountType::NotValidated && from != AccountType::NotValidated) {
    return Err(ErrorCode::kRuleViolation, std::string("a validated account never goes back to "
                                                      "NotValidated (it is ") +
                                              TypeName(from) + ")");
  }
  if (from == AccountType::Customer &&
      (to == AccountType::Suspect || to == AccountType::Lead || to == AccountType::Prospect)) {
    return Err(ErrorCode::kRuleViolation,
               std::string("a Customer does not go back to ") + TypeName(to));
  }
  switch (to) {
    case AccountType::Prospect:
      if (facts.open_opportunities == 0) {
        return Err(ErrorCode::kRuleViolation,
                   "Prospect needs at least one open opportunity (a sales forecast) on the account");
      }
      break;
    case AccountType::Customer:
      if (account.debtor_number.empty()) {
        return Err(ErrorCode::kRuleViolation, "Customer needs a debtor_number");
      }
      if (facts.won_opportunities == 0 && facts.orders == 0) {
        return Err(ErrorCode::kRuleViolation,
                   "Customer needs a won opportunity or a placed order (a contract)");
      }
      break;
    case AccountType::Supplier:
    case AccountType::Bank:
      if (account.creditor_number.empty()) {
        return Err(ErrorCode::kRuleViolation,
                   std::string(TypeName(to)) + " needs a creditor_number");
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::optional<Error> Authorize(CommandType type, fb::UserRole role) {
  using R = fb::UserRole;
  using T = CommandType;
  if (role == R::admin || role == R::manager) return std::nullopt;
  bool allowed = false;
  switch (type) {
    case T::kCreateContact: case T::kUpdateContact: case T::kLinkContact:
    case T::kLogActivity: case T::kCompleteActivity: case T::kCancelActivity:
      allowed = role == R::support || role == R::sales;
      break;
    case T::kOpenTicket: case T::kAssignTicket: case T::kChangeTicketStatus:
    case T::kResolveTicket: case T::kCloseTicket: case T::kReopenTicket: case T::kCommentOnTicket:
      allowed = role == R::support;
      break;
    case T::kIssueInvoice: case T::kPayInvoice: case T::kCreateUser: case T::kChangeUserRole:
    case T::kSetSetting:
      allowed = false;  // managers and admins only
      break;
    default:  // accounts, leads, opportunities, quotes, orders
      allowed = role == R::sales;
      break;
  }
  if (allowed) return std::nullopt;
  return Err(ErrorCode::kForbidden, std::string("role ") + fb::EnumNameUserRole(role) +
                                        " may not run " +
                                        std::string(CommandName(type)));
}

Outcome Decide(const Command& cmd, const Context& ctx, StateView& view) {
  using T = CommandType;
  switch (cmd.type) {
    case T::kOpenAccount: case T::kUpdateAccount: case T::kChangeAccountType:
    case T::kDeactivateAccount: case T::kReactivateAccount: case T::kAssignAccount:
    case T::kAddAccountNote: case T::kRecordAccountRevenue:
      return DecideAccount(cmd, ctx, view);
    case T::kCreateContact: case T::kUpdateContact: case T::kLinkContact:
    case T::kCreateUser: case T::kChangeUserRole: case T::kSetSetting:
      return DecideContactOrUser(cmd, ctx, view);
    case T::kCreateLead: case T::kUpdateLead: case T::kQualifyLead: case T::kDisqualifyLead:
    case T::kConvertLead:
      return DecideLead(cmd, ctx, view);
    case T::kOpenOpportunity: case T::kChangeOpportunityStage: case T::kWinOpportunity:
    case T::kLoseOpportunity:
      return DecideOpportunity(cmd, ctx, view);
    case T::kCreateQuote: case T::kAcceptQuote: case T::kPlaceOrder: case T::kIssueInvoice:
    case T::kPayInvoice:
      return DecideCommerce(cmd, ctx, view);
    default:
      return DecideService(cmd, ctx, view);
  }
}

}  // namespace crm::domain
