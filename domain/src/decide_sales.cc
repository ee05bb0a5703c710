// Leads (with conversion), opportunities, quotes, orders and invoices.
#include "domain/src/decide_internal.h"

namespace crm::domain::internal {
namespace {

using fb::OpportunityStage;

// Default probability (percent) of each stage, SPEC §2.
uint8_t Probability(OpportunityStage s) {
  static constexpr uint8_t kByStage[] = {10, 20, 25, 65, 80, 100, 0};
  return kByStage[static_cast<int>(s)];
}

const char* StageName(OpportunityStage s) { return fb::EnumNameOpportunityStage(s); }

std::optional<Error> CheckUser(const std::string& field, const std::string& user,
                               StateView& view) {
  if (user.empty()) return std::nullopt;
  auto u = view.Load(StreamName("user", user));
  if (!u.ok()) return Storage(u.status());
  if (!(*u)->exists()) {
    return Err(ErrorCode::kNotFound, field + " " + Quote(user) + " is not a user");
  }
  return std::nullopt;
}

// An existing, active account, or the error.
Result<const AccountState*> ActiveAccount(const std::string& id, StateView& view,
                                          std::optional<Error>* error) {
  auto loaded = view.Load(StreamName("account", id));
  if (!loaded.ok()) return loaded.status();
  const AccountState* a = As<AccountState>(**loaded);
  if (!a) {
    *error = Err(ErrorCode::kNotFound, "account " + Quote(id) + " does not exist");
  } else if (a->status == fb::AccountStatus::Inactive) {
    *error = Err(ErrorCode::kRuleViolation, "account " + Quote(id) + " is inactive");
  }
  return a;
}

#define CRM_ACTIVE_ACCOUNT(var, id, view)                          \
  std::optional<Error> var##_error;                                \
  auto var##_r = ActiveAccount((id), (view), &var##_error);        \
  if (!var##_r.ok()) return Storage(var##_r.status());             \
  if (var##_error) return *var##_error;                            \
  const AccountState& var = **var##_r

std::optional<Error> LeadIsOpen(const LeadState& l) {
  if (l.status == fb::LeadStatus::Converted || l.status == fb::LeadStatus::Disqualified) {
    return Err(ErrorCode::kRuleViolation, "lead " + Quote(l.lead_id) + " is " +
                                              fb::EnumNameLeadStatus(l.status) +
                                              " and accepts no further change");
  }
  return std::nullopt;
}

Outcome CreateLead(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("lead_id");
  const std::string stream = StreamName("lead", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "lead", id));
  CRM_CHECK(CheckUser("owner", cmd.StrOr("owner"), view));
  fb::LeadCreatedT e;
  e.lead_id = id;
  e.first_name = cmd.StrOr("first_name");
  e.last_name = cmd.Str("last_name");
  e.company = cmd.StrOr("company");
  e.email = cmd.StrOr("email");
  e.phone = cmd.StrOr("phone");
  e.source = cmd.StrOr("source");
  e.industry = cmd.StrOr("industry");
  e.owner = cmd.StrOr("owner");
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome ChangeLead(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("lead_id");
  const std::string stream = StreamName("lead", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "lead", id));
  const LeadState& l = *As<LeadState>(current);
  CRM_CHECK(LeadIsOpen(l));
  Decision d = Primary(stream);
  switch (cmd.type) {
    case CommandType::kUpdateLead: {
      CRM_CHECK(CheckUser("owner", cmd.StrOr("owner"), view));
      fb::LeadUpdatedT e;
      e.lead_id = id;
      e.old = std::make_unique<fb::LeadFieldsT>();
      e.new_ = std::make_unique<fb::LeadFieldsT>();
      auto diff = [&](const char* f, const std::string& now, std::string fb::LeadFieldsT::*m) {
        if (!cmd.Has(f) || cmd.StrOr(f) == now) return;
        e.changed.emplace_back(f);
        (*e.old).*m = now;
        (*e.new_).*m = cmd.StrOr(f);
      };
      using F = fb::LeadFieldsT;
      diff("first_name", l.first_name, &F::first_name);
      diff("last_name", l.last_name, &F::last_name);
      diff("company", l.company, &F::company);
      diff("email", l.email, &F::email);
      diff("phone", l.phone, &F::phone);
      diff("source", l.source, &F::source);
      diff("industry", l.industry, &F::industry);
      diff("owner", l.owner, &F::owner);
      if (!e.changed.empty()) Emit(d, stream, Ev(std::move(e)));
      break;
    }
    case CommandType::kQualifyLead: {
      if (l.status == fb::LeadStatus::Qualified) {
        return Err(ErrorCode::kRuleViolation, "lead " + Quote(id) + " is already Qualified");
      }
      fb::LeadQualifiedT e;
      e.lead_id = id;
      Emit(d, stream, Ev(std::move(e)));
      break;
    }
    default: {  // DisqualifyLead
      fb::LeadDisqualifiedT e;
      e.lead_id = id;
      e.reason = cmd.Str("reason");
      Emit(d, stream, Ev(std::move(e)));
      break;
    }
  }
  return d;
}

// Creates or links the account, creates the contact and the optional opportunity, and marks the
// lead Converted: one decision, so one atomic append across all those streams.
Outcome ConvertLead(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& lead_id = cmd.Str("lead_id");
  const std::string lead_stream = StreamName("lead", lead_id);
  CRM_LOAD(lead_state, view, lead_stream);
  CRM_CHECK(MustExist(lead_state, "lead", lead_id));
  const LeadState& lead = *As<LeadState>(lead_state);
  CRM_CHECK(LeadIsOpen(lead));
  if (!cmd.Has("opportunity_id") && (cmd.Has("opportunity_name") || cmd.Has("amount"))) {
    return Err(ErrorCode::kValidation, "opportunity_name and amount need an opportunity_id");
  }

  Decision d = Primary(lead_stream);
  const std::string& account_id = cmd.Str("account_id");
  const std::string account_stream = StreamName("account", account_id);
  CRM_LOAD(account_state, view, account_stream);
  AccountState account;
  const bool create_account = !account_state.exists();
  if (create_account) {
    if (lead.company.empty()) {
      return Err(ErrorCode::kRuleViolation, "lead " + Quote(lead_id) +
                                                " has no company to name a new account; give "
                                                "the account_id of an existing account");
    }
    fb::AccountOpenedT e;
    e.account_id = account_id;
    e.name = lead.company;
    e.source = lead.source;
    e.industry = lead.industry;
    e.email = lead.email;
    e.phone = lead.phone;
    e.owner = lead.owner;
    account.account_id = account_id;
    account.name = lead.company;
    Emit(d, account_stream, Ev(std::move(e)));
  } else {
    account = *As<AccountState>(account_state);
    if (account.status == fb::AccountStatus::Inactive) {
      return Err(ErrorCode::kRuleViolation, "account " + Quote(account_id) + " is inactive");
    }
  }

  const std::string& contact_id = cmd.Str("contact_id");
  const std::string contact_stream = StreamName("contact", contact_id);
  CRM_LOAD(contact_state, view, contact_stream);
  CRM_CHECK(MustNotExist(contact_state, "contact", contact_id));
  fb::ContactCreatedT contact;
  contact.contact_id = contact_id;
  contact.first_name = lead.first_name;
  contact.last_name = lead.last_name;
  contact.email = lead.email;
  contact.phone = lead.phone;
  contact.account_id = account_id;
  Emit(d, contact_stream, Ev(std::move(contact)));
  d.links.push_back({account_stream, contact_stream});

  std::string opportunity_id;
  if (cmd.Has("opportunity_id")) {
    opportunity_id = cmd.Str("opportunity_id");
    const std::string opp_stream = StreamName("opportunity", opportunity_id);
    CRM_LOAD(opp_state, view, opp_stream);
    CRM_CHECK(MustNotExist(opp_state, "opportunity", opportunity_id));
    fb::OpportunityOpenedT o;
    o.opportunity_id = opportunity_id;
    o.account_id = account_id;
    o.name = cmd.StrOr("opportunity_name", (lead.company.empty() ? lead.last_name : lead.company) +
                                               " opportunity");
    o.amount = cmd.Has("amount") ? cmd.Num("amount") : 0;
    o.stage = OpportunityStage::Prospecting;
    o.probability = Probability(o.stage);
    o.owner = lead.owner;
    o.lead_id = lead_id;
    Emit(d, opp_stream, Ev(std::move(o)));
    d.links.push_back({account_stream, opp_stream});
    Progress(d, account_stream, account, fb::AccountType::Prospect,
             "opportunity " + Quote(opportunity_id) + " opened", ctx);
  }

  fb::LeadConvertedT converted;
  converted.lead_id = lead_id;
  converted.account_id = account_id;
  converted.contact_id = contact_id;
  converted.opportunity_id = opportunity_id;
  converted.account_created = create_account;
  Emit(d, lead_stream, Ev(std::move(converted)));
  d.links.push_back({account_stream, lead_stream});
  return d;
}

Outcome OpenOpportunity(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("opportunity_id");
  const std::string stream = StreamName("opportunity", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "opportunity", id));
  const std::string& account_id = cmd.Str("account_id");
  CRM_ACTIVE_ACCOUNT(account, account_id, view);
  CRM_CHECK(CheckUser("owner", cmd.StrOr("owner"), view));
  fb::OpportunityOpenedT e;
  e.opportunity_id = id;
  e.account_id = account_id;
  e.name = cmd.Str("name");
  e.amount = cmd.Num("amount");
  e.currency = cmd.StrOr("currency");
  e.stage = cmd.Has("stage") ? static_cast<OpportunityStage>(cmd.Num("stage"))
                             : OpportunityStage::Prospecting;
  if (e.stage == OpportunityStage::ClosedWon || e.stage == OpportunityStage::ClosedLost) {
    return Err(ErrorCode::kRuleViolation,
               "an opportunity opens in an open stage; use WinOpportunity or LoseOpportunity");
  }
  e.probability = Probability(e.stage);
  if (cmd.Has("close_date")) e.close_date = cmd.Num("close_date");
  e.owner = cmd.StrOr("owner");
  Decision d = Primary(stream);
  const std::string account_stream = StreamName("account", account_id);
  Emit(d, stream, Ev(std::move(e)));
  d.links.push_back({account_stream, stream});
  Progress(d, account_stream, account, fb::AccountType::Prospect,
           "opportunity " + Quote(id) + " opened", ctx);
  return d;
}

// Closes an open opportunity as won or lost (WinOpportunity, LoseOpportunity, or a stage change
// to ClosedWon/ClosedLost).
Outcome Close(const Command& cmd, const Context& ctx, StateView& view, const std::string& stream,
              const OpportunityState& o, bool won) {
  Decision d = Primary(stream);
  if (won) {
    fb::OpportunityWonT e;
    e.opportunity_id = o.opportunity_id;
    e.account_id = o.account_id;
    e.amount = cmd.Has("amount") ? cmd.Num("amount") : o.amount;
    e.from = o.stage;
    Emit(d, stream, Ev(std::move(e)));
    const std::string account_stream = StreamName("account", o.account_id);
    CRM_LOAD(account, view, account_stream);
    if (const AccountState* a = As<AccountState>(account)) {
      Progress(d, account_stream, *a, fb::AccountType::Customer,
               "opportunity " + Quote(o.opportunity_id) + " won", ctx);
    }
  } else {
    fb::OpportunityLostT e;
    e.opportunity_id = o.opportunity_id;
    e.account_id = o.account_id;
    e.reason = cmd.StrOr("reason");
    e.from = o.stage;
    Emit(d, stream, Ev(std::move(e)));
  }
  return d;
}

Outcome ChangeOpportunity(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("opportunity_id");
  const std::string stream = StreamName("opportunity", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "opportunity", id));
  const OpportunityState& o = *As<OpportunityState>(current);
  if (!o.open()) {
    return Err(ErrorCode::kRuleViolation, "opportunity " + Quote(id) + " is " +
                                              StageName(o.stage) + " and accepts no change");
  }
  switch (cmd.type) {
    case CommandType::kWinOpportunity: return Close(cmd, ctx, view, stream, o, true);
    case CommandType::kLoseOpportunity: return Close(cmd, ctx, view, stream, o, false);
    default: break;
  }
  const auto to = static_cast<OpportunityStage>(cmd.Num("stage"));
  if (to == OpportunityStage::ClosedWon) return Close(cmd, ctx, view, stream, o, true);
  if (to == OpportunityStage::ClosedLost) return Close(cmd, ctx, view, stream, o, false);
  if (to <= o.stage) {
    return Err(ErrorCode::kRuleViolation,
               std::string("opportunities only move forward: ") + StageName(o.stage) + " -> " +
                   StageName(to) + (to == o.stage ? " is no move" : " goes back"));
  }
  fb::OpportunityStageChangedT e;
  e.opportunity_id = id;
  e.from = o.stage;
  e.to = to;
  e.probability = Probability(to);
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome CreateQuote(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("quote_id");
  const std::string stream = StreamName("quote", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "quote", id));
  const std::string& account_id = cmd.Str("account_id");
  CRM_ACTIVE_ACCOUNT(account, account_id, view);
  (void)account;
  if (cmd.Has("opportunity_id")) {
    CRM_LOAD(opp, view, StreamName("opportunity", cmd.Str("opportunity_id")));
    CRM_CHECK(MustExist(opp, "opportunity", cmd.Str("opportunity_id")));
    if (As<OpportunityState>(opp)->account_id != account_id) {
      return Err(ErrorCode::kRuleViolation, "opportunity " + Quote(cmd.Str("opportunity_id")) +
                                                " belongs to another account");
    }
  }
  fb::QuoteCreatedT e;
  e.quote_id = id;
  e.account_id = account_id;
  e.opportunity_id = cmd.StrOr("opportunity_id");
  e.amount = cmd.Num("amount");
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  d.links.push_back({StreamName("account", account_id), stream});
  return d;
}

Outcome AcceptQuote(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("quote_id");
  const std::string stream = StreamName("quote", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "quote", id));
  const QuoteState& q = *As<QuoteState>(current);
  if (q.accepted) return Err(ErrorCode::kRuleViolation, "quote " + Quote(id) + " is already accepted");
  fb::QuoteAcceptedT e;
  e.quote_id = id;
  e.account_id = q.account_id;
  e.amount = q.amount;
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome PlaceOrder(const Command& cmd, const Context& ctx, StateView& view) {
  const std::string& id = cmd.Str("order_id");
  const std::string stream = StreamName("order", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "order", id));
  const std::string& account_id = cmd.Str("account_id");
  CRM_ACTIVE_ACCOUNT(account, account_id, view);
  if (cmd.Has("quote_id")) {
    CRM_LOAD(quote, view, StreamName("quote", cmd.Str("quote_id")));
    CRM_CHECK(MustExist(quote, "quote", cmd.Str("quote_id")));
    const QuoteState& q = *As<QuoteState>(quote);
    if (q.account_id != account_id) {
      return Err(ErrorCode::kRuleViolation,
                 "quote " + Quote(q.quote_id) + " belongs to another account");
    }
    if (!q.accepted) {
      return Err(ErrorCode::kRuleViolation, "quote " + Quote(q.quote_id) + " is not accepted");
    }
  }
  fb::OrderPlacedT e;
  e.order_id = id;
  e.account_id = account_id;
  e.quote_id = cmd.StrOr("quote_id");
  e.amount = cmd.Num("amount");
  Decision d = Primary(stream);
  const std::string account_stream = StreamName("account", account_id);
  Emit(d, stream, Ev(std::move(e)));
  d.links.push_back({account_stream, stream});
  Progress(d, account_stream, account, fb::AccountType::Customer,
           "order " + Quote(id) + " placed", ctx);
  return d;
}

Outcome IssueInvoice(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("invoice_id");
  const std::string stream = StreamName("invoice", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "invoice", id));
  const std::string& account_id = cmd.Str("account_id");
  CRM_LOAD(account, view, StreamName("account", account_id));
  CRM_CHECK(MustExist(account, "account", account_id));
  if (cmd.Has("order_id")) {
    CRM_LOAD(order, view, StreamName("order", cmd.Str("order_id")));
    CRM_CHECK(MustExist(order, "order", cmd.Str("order_id")));
    if (As<OrderState>(order)->account_id != account_id) {
      return Err(ErrorCode::kRuleViolation,
                 "order " + Quote(cmd.Str("order_id")) + " belongs to another account");
    }
  }
  fb::InvoiceIssuedT e;
  e.invoice_id = id;
  e.account_id = account_id;
  e.order_id = cmd.StrOr("order_id");
  e.amount = cmd.Num("amount");
  if (cmd.Has("due_date")) e.due_date = cmd.Num("due_date");
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  d.links.push_back({StreamName("account", account_id), stream});
  return d;
}

Outcome PayInvoice(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("invoice_id");
  const std::string stream = StreamName("invoice", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "invoice", id));
  const InvoiceState& inv = *As<InvoiceState>(current);
  if (inv.paid) return Err(ErrorCode::kRuleViolation, "invoice " + Quote(id) + " is already paid");
  fb::InvoicePaidT e;
  e.invoice_id = id;
  e.account_id = inv.account_id;
  e.amount = inv.amount;
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

}  // namespace

Outcome DecideLead(const Command& cmd, const Context& ctx, StateView& view) {
  switch (cmd.type) {
    case CommandType::kCreateLead: return CreateLead(cmd, view);
    case CommandType::kConvertLead: return ConvertLead(cmd, ctx, view);
    default: return ChangeLead(cmd, view);
  }
}

Outcome DecideOpportunity(const Command& cmd, const Context& ctx, StateView& view) {
  if (cmd.type == CommandType::kOpenOpportunity) return OpenOpportunity(cmd, ctx, view);
  return ChangeOpportunity(cmd, ctx, view);
}

Outcome DecideCommerce(const Command& cmd, const Context& ctx, StateView& view) {
  switch (cmd.type) {
    case CommandType::kCreateQuote: return CreateQuote(cmd, view);
    case CommandType::kAcceptQuote: return AcceptQuote(cmd, view);
    case CommandType::kPlaceOrder: return PlaceOrder(cmd, ctx, view);
    case CommandType::kIssueInvoice: return IssueInvoice(cmd, view);
    default: return PayInvoice(cmd, view);
  }
}

}  // namespace crm::domain::internal
