#include "domain/src/state.h"

#include <algorithm>

namespace crm::domain {
namespace {

Address FromFb(const std::unique_ptr<fb::AddressT>& a) {
  if (!a) return {};
  return Address{a->street, a->city, a->state, a->postal_code, a->country};
}

bool Names(const std::vector<std::string>& changed, std::string_view field) {
  return std::find(changed.begin(), changed.end(), field) != changed.end();
}

// Copies the fields named in `changed` from an *Fields table (absent = cleared).
void ApplyAccountFields(const std::vector<std::string>& changed, const fb::AccountFieldsT* f,
                        AccountState* a) {
  fb::AccountFieldsT empty;
  if (!f) f = &empty;
  if (Names(changed, "name")) a->name = f->name;
  if (Names(changed, "industry")) a->industry = f->industry;
  if (Names(changed, "phone")) a->phone = f->phone;
  if (Names(changed, "email")) a->email = f->email;
  if (Names(changed, "website")) a->website = f->website;
  if (Names(changed, "billing_address")) a->billing_address = FromFb(f->billing_address);
  if (Names(changed, "shipping_address")) a->shipping_address = FromFb(f->shipping_address);
  if (Names(changed, "number_of_employees")) {
    a->number_of_employees = f->number_of_employees ? std::optional<int64_t>(*f->number_of_employees)
                                                    : std::nullopt;
  }
  if (Names(changed, "parent_account_id")) a->parent_account_id = f->parent_account_id;
  if (Names(changed, "source")) a->source = f->source;
  if (Names(changed, "notes")) a->notes = f->notes;
  if (Names(changed, "debtor_number")) a->debtor_number = f->debtor_number;
  if (Names(changed, "creditor_number")) a->creditor_number = f->creditor_number;
}

void ApplyContactFields(const std::vector<std::string>& changed, const fb::ContactFieldsT* f,
                        ContactState* c) {
  fb::ContactFieldsT empty;
  if (!f) f = &empty;
  if (Names(changed, "first_name")) c->first_name = f->first_name;
  if (Names(changed, "last_name")) c->last_name = f->last_name;
  if (Names(changed, "email")) c->email = f->email;
  if (Names(changed, "phone")) c->phone = f->phone;
  if (Names(changed, "title")) c->title = f->title;
}

void ApplyLeadFields(const std::vector<std::string>& changed, const fb::LeadFieldsT* f,
                     LeadState* l) {
  fb::LeadFieldsT empty;
  if (!f) f = &empty;
  if (Names(changed, "first_name")) l->first_name = f->first_name;
  if (Names(changed, "last_name")) l->last_name = f->last_name;
  if (Names(changed, "company")) l->company = f->company;
  if (Names(changed, "email")) l->email = f->email;
  if (Names(changed, "phone")) l->phone = f->phone;
  if (Names(changed, "source")) l->source = f->source;
  if (Names(changed, "industry")) l->industry = f->industry;
  if (Names(changed, "owner")) l->owner = f->owner;
}

// The state of kind T in `s`, created if the stream did not exist yet.
template <typename T>
T& Ensure(StreamState* s) {
  if (!std::holds_alternative<T>(s->entity)) s->entity = T{};
  return std::get<T>(s->entity);
}

template <typename T>
T* Existing(StreamState* s) {
  return std::get_if<T>(&s->entity);
}

}  // namespace

StreamState Initial(std::string_view stream) {
  StreamState s;
  if (StreamKind(stream) == "config") s.entity = SettingsState{};
  return s;
}

void Apply(const fb::PayloadUnion& event, StreamState* s) {
  using P = fb::Payload;
  switch (event.type) {
    case P::AccountOpened: {
      const auto* e = event.AsAccountOpened();
      AccountState& a = Ensure<AccountState>(s);
      a.account_id = e->account_id;
      a.name = e->name;
      a.type = e->type;
      a.industry = e->industry;
      a.phone = e->phone;
      a.email = e->email;
      a.website = e->website;
      a.billing_address = FromFb(e->billing_address);
      a.shipping_address = FromFb(e->shipping_address);
      a.number_of_employees =
          e->number_of_employees ? std::optional<int64_t>(*e->number_of_employees) : std::nullopt;
      a.owner = e->owner;
      a.parent_account_id = e->parent_account_id;
      a.source = e->source;
      a.notes = e->notes;
      a.debtor_number = e->debtor_number;
      a.creditor_number = e->creditor_number;
      break;
    }
    case P::AccountUpdated:
      if (auto* a = Existing<AccountState>(s)) {
        const auto* e = event.AsAccountUpdated();
        ApplyAccountFields(e->changed, e->new_.get(), a);
      }
      break;
    case P::AccountTypeChanged:
      if (auto* a = Existing<AccountState>(s)) a->type = event.AsAccountTypeChanged()->to;
      break;
    case P::AccountDeactivated:
      if (auto* a = Existing<AccountState>(s)) a->status = fb::AccountStatus::Inactive;
      break;
    case P::AccountReactivated:
      if (auto* a = Existing<AccountState>(s)) a->status = fb::AccountStatus::Active;
      break;
    case P::AccountAssigned:
      if (auto* a = Existing<AccountState>(s)) a->owner = event.AsAccountAssigned()->owner;
      break;
    case P::ContactCreated: {
      const auto* e = event.AsContactCreated();
      ContactState& c = Ensure<ContactState>(s);
      c = ContactState{e->contact_id, e->first_name, e->last_name, e->email,
                       e->phone,      e->title,      e->account_id};
      break;
    }
    case P::ContactUpdated:
      if (auto* c = Existing<ContactState>(s)) {
        const auto* e = event.AsContactUpdated();
        ApplyContactFields(e->changed, e->new_.get(), c);
      }
      break;
    case P::ContactLinked:
      if (auto* c = Existing<ContactState>(s)) c->account_id = event.AsContactLinked()->account_id;
      break;
    case P::LeadCreated: {
      const auto* e = event.AsLeadCreated();
      LeadState& l = Ensure<LeadState>(s);
      l = LeadState{e->lead_id, e->first_name, e->last_name, e->company,  e->email,
                    e->phone,   e->source,     e->industry,  e->owner,    fb::LeadStatus::New};
      break;
    }
    case P::LeadUpdated:
      if (auto* l = Existing<LeadState>(s)) {
        const auto* e = event.AsLeadUpdated();
        ApplyLeadFields(e->changed, e->new_.get(), l);
      }
      break;
    case P::LeadQualified:
      if (auto* l = Existing<LeadState>(s)) l->status = fb::LeadStatus::Qualified;
      break;
    case P::LeadDisqualified:
      if (auto* l = Existing<LeadState>(s)) l->status = fb::LeadStatus::Disqualified;
      break;
    case P::LeadConverted:
      if (auto* l = Existing<LeadState>(s)) l->status = fb::LeadStatus::Converted;
      break;
    case P::OpportunityOpened: {
      const auto* e = event.AsOpportunityOpened();
      OpportunityState& o = Ensure<OpportunityState>(s);
      o.opportunity_id = e->opportunity_id;
      o.account_id = e->account_id;
      o.name = e->name;
      o.currency = e->currency;
      o.owner = e->owner;
      o.amount = e->amount;
      o.stage = e->stage;
      break;
    }
    case P::OpportunityStageChanged:
      if (auto* o = Existing<OpportunityState>(s)) o->stage = event.AsOpportunityStageChanged()->to;
      break;
    case P::OpportunityWon:
      if (auto* o = Existing<OpportunityState>(s)) {
        o->stage = fb::OpportunityStage::ClosedWon;
        o->amount = event.AsOpportunityWon()->amount;
      }
      break;
    case P::OpportunityLost:
      if (auto* o = Existing<OpportunityState>(s)) o->stage = fb::OpportunityStage::ClosedLost;
      break;
    case P::TicketOpened: {
      const auto* e = event.AsTicketOpened();
      TicketState& t = Ensure<TicketState>(s);
      t = TicketState{e->ticket_id, e->account_id, e->contact_id, e->subject, {},
                      fb::TicketStatus::New};
      break;
    }
    case P::TicketAssigned:
      if (auto* t = Existing<TicketState>(s)) {
        t->assignee = event.AsTicketAssigned()->assignee;
        t->status = event.AsTicketAssigned()->to;
      }
      break;
    case P::TicketStatusChanged:
      if (auto* t = Existing<TicketState>(s)) t->status = event.AsTicketStatusChanged()->to;
      break;
    case P::TicketResolved:
      if (auto* t = Existing<TicketState>(s)) t->status = fb::TicketStatus::Resolved;
      break;
    case P::TicketClosed:
      if (auto* t = Existing<TicketState>(s)) t->status = fb::TicketStatus::Closed;
      break;
    case P::TicketReopened:
      if (auto* t = Existing<TicketState>(s)) t->status = fb::TicketStatus::InProgress;
      break;
    case P::ActivityLogged:
      Ensure<ActivityState>(s) = ActivityState{event.AsActivityLogged()->activity_id,
                                               fb::ActivityStatus::Planned};
      break;
    case P::ActivityCompleted:
      if (auto* a = Existing<ActivityState>(s)) a->status = fb::ActivityStatus::Completed;
      break;
    case P::ActivityCanceled:
      if (auto* a = Existing<ActivityState>(s)) a->status = fb::ActivityStatus::Canceled;
      break;
    case P::QuoteCreated: {
      const auto* e = event.AsQuoteCreated();
      Ensure<QuoteState>(s) = QuoteState{e->quote_id, e->account_id, e->opportunity_id, e->amount,
                                         false};
      break;
    }
    case P::QuoteAccepted:
      if (auto* q = Existing<QuoteState>(s)) q->accepted = true;
      break;
    case P::OrderPlaced: {
      const auto* e = event.AsOrderPlaced();
      Ensure<OrderState>(s) = OrderState{e->order_id, e->account_id, e->quote_id, e->amount};
      break;
    }
    case P::InvoiceIssued: {
      const auto* e = event.AsInvoiceIssued();
      Ensure<InvoiceState>(s) =
          InvoiceState{e->invoice_id, e->account_id, e->order_id, e->amount, false};
      break;
    }
    case P::InvoicePaid:
      if (auto* i = Existing<InvoiceState>(s)) i->paid = true;
      break;
    case P::UserCreated: {
      const auto* e = event.AsUserCreated();
      Ensure<UserState>(s) = UserState{e->user_id, e->name, e->role};
      break;
    }
    case P::UserRoleChanged:
      if (auto* u = Existing<UserState>(s)) u->role = event.AsUserRoleChanged()->to;
      break;
    case P::SettingChanged: {
      const auto* e = event.AsSettingChanged();
      SettingsState& st = Ensure<SettingsState>(s);
      if (e->key == "rules.strict") st.strict = e->value != "false";
      break;
    }
    default:
      break;  // notes, revenue, comments: no state a decision needs
  }
  ++s->version;
}

}  // namespace crm::domain
