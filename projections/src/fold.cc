#include "projections/src/fold.h"

#include "crm/event_json.h"

namespace crm::proj {
namespace {

using P = fb::Payload;

std::string_view Sv(const flatbuffers::String* s) {
  return s ? std::string_view(s->data(), s->size()) : std::string_view();
}

Address ToAddress(const fb::Address* a) {
  if (!a) return {};
  return {std::string(Sv(a->street())), std::string(Sv(a->city())), std::string(Sv(a->state())),
          std::string(Sv(a->postal_code())), std::string(Sv(a->country()))};
}

std::string AccountStream(std::string_view id) { return StreamName("account", id); }

template <typename Opt>
void SetOptional(Record* r, uint16_t field, const Opt& v) {
  if (v.has_value()) {
    r->SetNumber(field, *v);
  } else {
    r->Unset(field);
  }
}

// The fields an *Updated event names in `changed`, from its `new` table (absent = cleared).
void ApplyAccountFields(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* changed,
                        const fb::AccountFields* f, Record* r) {
  if (!changed) return;
  for (const auto* c : *changed) {
    const std::string_view name = Sv(c);
    if (name == "billing_address") {
      r->SetAddress(account::kBillingAddress, ToAddress(f ? f->billing_address() : nullptr));
    } else if (name == "shipping_address") {
      r->SetAddress(account::kShippingAddress, ToAddress(f ? f->shipping_address() : nullptr));
    } else if (name == "number_of_employees") {
      if (f) {
        SetOptional(r, account::kNumberOfEmployees, f->number_of_employees());
      } else {
        r->Unset(account::kNumberOfEmployees);
      }
    } else {
      // Only the AccountFields names; absent `new` table = cleared.
      const int i = FieldIndex(Kind::kAccount, name);
      const flatbuffers::String* v = nullptr;
      switch (i) {
        case account::kName: v = f ? f->name() : nullptr; break;
        case account::kIndustry: v = f ? f->industry() : nullptr; break;
        case account::kPhone: v = f ? f->phone() : nullptr; break;
        case account::kEmail: v = f ? f->email() : nullptr; break;
        case account::kWebsite: v = f ? f->website() : nullptr; break;
        case account::kParentAccountId: v = f ? f->parent_account_id() : nullptr; break;
        case account::kSource: v = f ? f->source() : nullptr; break;
        case account::kNotes: v = f ? f->notes() : nullptr; break;
        case account::kDebtorNumber: v = f ? f->debtor_number() : nullptr; break;
        case account::kCreditorNumber: v = f ? f->creditor_number() : nullptr; break;
        default: continue;
      }
      r->SetText(static_cast<uint16_t>(i), Sv(v));
    }
  }
}

void ApplyContactFields(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* changed,
                        const fb::ContactFields* f, Record* r) {
  if (!changed) return;
  for (const auto* c : *changed) {
    const std::string_view name = Sv(c);
    const flatbuffers::String* v = nullptr;
    uint16_t field;
    if (name == "first_name") {
      field = contact::kFirstName, v = f ? f->first_name() : nullptr;
    } else if (name == "last_name") {
      field = contact::kLastName, v = f ? f->last_name() : nullptr;
    } else if (name == "email") {
      field = contact::kEmail, v = f ? f->email() : nullptr;
    } else if (name == "phone") {
      field = contact::kPhone, v = f ? f->phone() : nullptr;
    } else if (name == "title") {
      field = contact::kTitle, v = f ? f->title() : nullptr;
    } else {
      continue;
    }
    r->SetText(field, Sv(v));
  }
}

void ApplyLeadFields(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* changed,
                     const fb::LeadFields* f, Record* r) {
  if (!changed) return;
  for (const auto* c : *changed) {
    const std::string_view name = Sv(c);
    const int i = FieldIndex(Kind::kLead, name);
    const flatbuffers::String* v = nullptr;
    if (f) {
      switch (i) {
        case lead::kFirstName: v = f->first_name(); break;
        case lead::kLastName: v = f->last_name(); break;
        case lead::kCompany: v = f->company(); break;
        case lead::kEmail: v = f->email(); break;
        case lead::kPhone: v = f->phone(); break;
        case lead::kSource: v = f->source(); break;
        case lead::kIndustry: v = f->industry(); break;
        case lead::kOwner: v = f->owner(); break;
        default: continue;
      }
    } else if (i < 0 || i == lead::kLeadId || i > lead::kOwner) {
      continue;
    }
    r->SetText(static_cast<uint16_t>(i), Sv(v));
  }
}

bool TicketOpen(const Record& t) {
  if (!t.exists()) return false;
  auto s = t.str(ticket::kStatus);
  return s != "Resolved" && s != "Closed";
}

}  // namespace

bool KeepsHistory(Kind kind) {
  return kind == Kind::kAccount || kind == Kind::kContact || kind == Kind::kLead;
}

bool FoldOwn(const EventView& e, Record* r) {
  const fb::Envelope* env = e.envelope;
  const int64_t at = e.occurred_at_us();
  switch (env->data_type()) {
    // Accounts
    case P::AccountOpened: {
      const auto* p = env->data_as_AccountOpened();
      r->SetText(account::kAccountId, Sv(p->account_id()));
      r->SetText(account::kName, Sv(p->name()));
      r->SetText(account::kType, fb::EnumNameAccountType(p->type()));
      r->SetText(account::kStatus, "Active");
      r->SetText(account::kIndustry, Sv(p->industry()));
      r->SetText(account::kPhone, Sv(p->phone()));
      r->SetText(account::kEmail, Sv(p->email()));
      r->SetText(account::kWebsite, Sv(p->website()));
      r->SetAddress(account::kBillingAddress, ToAddress(p->billing_address()));
      r->SetAddress(account::kShippingAddress, ToAddress(p->shipping_address()));
      SetOptional(r, account::kNumberOfEmployees, p->number_of_employees());
      r->SetText(account::kOwner, Sv(p->owner()));
      r->SetText(account::kParentAccountId, Sv(p->parent_account_id()));
      r->SetText(account::kSource, Sv(p->source()));
      r->SetText(account::kNotes, Sv(p->notes()));
      r->SetText(account::kDebtorNumber, Sv(p->debtor_number()));
      r->SetText(account::kCreditorNumber, Sv(p->creditor_number()));
      r->SetNumber(account::kOpenedAt, at);
      for (uint16_t f : {account::kTotalRevenue, account::kWonAmount, account::kContacts,
                         account::kOpportunitiesOpen, account::kOpportunitiesWon,
                         account::kOpportunitiesLost, account::kQuotes, account::kOrders,
                         account::kInvoices, account::kTicketsOpen, account::kTicketsTotal}) {
        if (!r->at(f).set) r->SetNumber(f, 0);
      }
      break;
    }
    case P::AccountUpdated: {
      const auto* p = env->data_as_AccountUpdated();
      ApplyAccountFields(p->changed(), p->new_(), r);
      break;
    }
    case P::AccountTypeChanged:
      r->SetText(account::kType, fb::EnumNameAccountType(env->data_as_AccountTypeChanged()->to()));
      break;
    case P::AccountDeactivated:
      r->SetText(account::kStatus, "Inactive");
      r->SetText(account::kDeactivationReason, Sv(env->data_as_AccountDeactivated()->reason()));
      break;
    case P::AccountReactivated:
      r->SetText(account::kStatus, "Active");
      r->Unset(account::kDeactivationReason);
      break;
    case P::AccountAssigned:
      r->SetText(account::kOwner, Sv(env->data_as_AccountAssigned()->owner()));
      break;
    case P::AccountNoteAdded: break;  // an entry of the history, not a field
    case P::AccountRevenueRecorded:
      r->Add(account::kTotalRevenue, env->data_as_AccountRevenueRecorded()->amount());
      break;

    // Contacts
    case P::ContactCreated: {
      const auto* p = env->data_as_ContactCreated();
      r->SetText(contact::kContactId, Sv(p->contact_id()));
      r->SetText(contact::kFirstName, Sv(p->first_name()));
      r->SetText(contact::kLastName, Sv(p->last_name()));
      r->SetText(contact::kEmail, Sv(p->email()));
      r->SetText(contact::kPhone, Sv(p->phone()));
      r->SetText(contact::kTitle, Sv(p->title()));
      r->SetText(contact::kAccountId, Sv(p->account_id()));
      r->SetNumber(contact::kCreatedAt, at);
      if (p->account_id() && p->account_id()->size()) r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }
    case P::ContactUpdated: {
      const auto* p = env->data_as_ContactUpdated();
      ApplyContactFields(p->changed(), p->new_(), r);
      break;
    }
    case P::ContactLinked: {
      // The contact now belongs to the new account only: its later events go to that history.
      // The old account keeps the entries of the time the contact was its own.
      const auto* p = env->data_as_ContactLinked();
      const std::string_view previous = r->str(contact::kAccountId);
      if (!previous.empty()) {
        const std::string old = AccountStream(previous);
        std::erase(r->parents, old);
      }
      r->SetText(contact::kAccountId, Sv(p->account_id()));
      r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }

    // Leads
    case P::LeadCreated: {
      const auto* p = env->data_as_LeadCreated();
      r->SetText(lead::kLeadId, Sv(p->lead_id()));
      r->SetText(lead::kFirstName, Sv(p->first_name()));
      r->SetText(lead::kLastName, Sv(p->last_name()));
      r->SetText(lead::kCompany, Sv(p->company()));
      r->SetText(lead::kEmail, Sv(p->email()));
      r->SetText(lead::kPhone, Sv(p->phone()));
      r->SetText(lead::kSource, Sv(p->source()));
      r->SetText(lead::kIndustry, Sv(p->industry()));
      r->SetText(lead::kOwner, Sv(p->owner()));
      r->SetText(lead::kStatus, "New");
      r->SetNumber(lead::kCreatedAt, at);
      break;
    }
    case P::LeadUpdated: {
      const auto* p = env->data_as_LeadUpdated();
      ApplyLeadFields(p->changed(), p->new_(), r);
      break;
    }
    case P::LeadQualified: r->SetText(lead::kStatus, "Qualified"); break;
    case P::LeadDisqualified:
      r->SetText(lead::kStatus, "Disqualified");
      r->SetText(lead::kDisqualifyReason, Sv(env->data_as_LeadDisqualified()->reason()));
      break;
    case P::LeadConverted: {
      const auto* p = env->data_as_LeadConverted();
      r->SetText(lead::kStatus, "Converted");
      r->SetText(lead::kAccountId, Sv(p->account_id()));
      r->SetText(lead::kContactId, Sv(p->contact_id()));
      r->SetText(lead::kOpportunityId, Sv(p->opportunity_id()));
      r->SetNumber(lead::kConvertedAt, at);
      r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }

    // Opportunities
    case P::OpportunityOpened: {
      const auto* p = env->data_as_OpportunityOpened();
      r->SetText(opportunity::kOpportunityId, Sv(p->opportunity_id()));
      r->SetText(opportunity::kAccountId, Sv(p->account_id()));
      r->SetText(opportunity::kName, Sv(p->name()));
      r->SetNumber(opportunity::kAmount, p->amount());
      r->SetText(opportunity::kCurrency, Sv(p->currency()));
      r->SetText(opportunity::kStage, fb::EnumNameOpportunityStage(p->stage()));
      r->SetNumber(opportunity::kProbability, p->probability());
      SetOptional(r, opportunity::kCloseDate, p->close_date());
      r->SetText(opportunity::kOwner, Sv(p->owner()));
      r->SetText(opportunity::kLeadId, Sv(p->lead_id()));
      r->SetNumber(opportunity::kOpenedAt, at);
      r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }
    case P::OpportunityStageChanged: {
      const auto* p = env->data_as_OpportunityStageChanged();
      r->SetText(opportunity::kStage, fb::EnumNameOpportunityStage(p->to()));
      r->SetNumber(opportunity::kProbability, p->probability());
      break;
    }
    case P::OpportunityWon:
      r->SetText(opportunity::kStage, "ClosedWon");
      r->SetNumber(opportunity::kProbability, 100);
      r->SetNumber(opportunity::kAmount, env->data_as_OpportunityWon()->amount());
      r->SetNumber(opportunity::kClosedAt, at);
      break;
    case P::OpportunityLost:
      r->SetText(opportunity::kStage, "ClosedLost");
      r->SetNumber(opportunity::kProbability, 0);
      r->SetText(opportunity::kLostReason, Sv(env->data_as_OpportunityLost()->reason()));
      r->SetNumber(opportunity::kClosedAt, at);
      break;

    // Tickets
    case P::TicketOpened: {
      const auto* p = env->data_as_TicketOpened();
      r->SetText(ticket::kTicketId, Sv(p->ticket_id()));
      r->SetText(ticket::kAccountId, Sv(p->account_id()));
      r->SetText(ticket::kContactId, Sv(p->contact_id()));
      r->SetText(ticket::kSubject, Sv(p->subject()));
      r->SetText(ticket::kDescription, Sv(p->description()));
      r->SetText(ticket::kPriority, fb::EnumNameTicketPriority(p->priority()));
      if (p->origin().has_value()) {
        r->SetText(ticket::kOrigin, fb::EnumNameTicketOrigin(*p->origin()));
      }
      r->SetText(ticket::kStatus, "New");
      r->SetNumber(ticket::kComments, 0);
      r->SetNumber(ticket::kOpenedAt, at);
      r->AddParent(AccountStream(Sv(p->account_id())));
      if (p->contact_id() && p->contact_id()->size()) {
        r->AddParent(StreamName("contact", Sv(p->contact_id())));
      }
      break;
    }
    case P::TicketAssigned: {
      const auto* p = env->data_as_TicketAssigned();
      r->SetText(ticket::kAssignee, Sv(p->assignee()));
      r->SetText(ticket::kStatus, fb::EnumNameTicketStatus(p->to()));
      break;
    }
    case P::TicketStatusChanged:
      r->SetText(ticket::kStatus,
                 fb::EnumNameTicketStatus(env->data_as_TicketStatusChanged()->to()));
      break;
    case P::TicketResolved:
      r->SetText(ticket::kStatus, "Resolved");
      r->SetText(ticket::kResolution, Sv(env->data_as_TicketResolved()->resolution()));
      r->SetNumber(ticket::kResolvedAt, at);
      break;
    case P::TicketClosed:
      r->SetText(ticket::kStatus, "Closed");
      r->SetNumber(ticket::kClosedAt, at);
      break;
    case P::TicketReopened:
      r->SetText(ticket::kStatus, "InProgress");
      r->Unset(ticket::kResolution);
      r->Unset(ticket::kResolvedAt);
      r->Unset(ticket::kClosedAt);
      break;
    case P::TicketCommented: r->Add(ticket::kComments, 1); break;

    // Activities
    case P::ActivityLogged: {
      const auto* p = env->data_as_ActivityLogged();
      r->SetText(activity::kActivityId, Sv(p->activity_id()));
      r->SetText(activity::kKind, fb::EnumNameActivityKind(p->kind()));
      r->SetText(activity::kSubject, Sv(p->subject()));
      r->SetText(activity::kStatus, "Planned");
      SetOptional(r, activity::kDueAt, p->due_at());
      r->SetNumber(activity::kLoggedAt, at);
      const std::pair<uint16_t, std::pair<const flatbuffers::String*, std::string_view>> refs[] = {
          {activity::kAccountId, {p->account_id(), "account"}},
          {activity::kContactId, {p->contact_id(), "contact"}},
          {activity::kLeadId, {p->lead_id(), "lead"}},
          {activity::kOpportunityId, {p->opportunity_id(), "opportunity"}},
          {activity::kTicketId, {p->ticket_id(), "ticket"}},
      };
      for (const auto& [field, ref] : refs) {
        r->SetText(field, Sv(ref.first));
        if (ref.first && ref.first->size()) r->AddParent(StreamName(ref.second, Sv(ref.first)));
      }
      break;
    }
    case P::ActivityCompleted:
      r->SetText(activity::kStatus, "Completed");
      r->SetText(activity::kOutcome, Sv(env->data_as_ActivityCompleted()->outcome()));
      r->SetNumber(activity::kDoneAt, at);
      break;
    case P::ActivityCanceled:
      r->SetText(activity::kStatus, "Canceled");
      r->SetNumber(activity::kDoneAt, at);
      break;

    // Commerce
    case P::QuoteCreated: {
      const auto* p = env->data_as_QuoteCreated();
      r->SetText(quote::kQuoteId, Sv(p->quote_id()));
      r->SetText(quote::kAccountId, Sv(p->account_id()));
      r->SetText(quote::kOpportunityId, Sv(p->opportunity_id()));
      r->SetNumber(quote::kAmount, p->amount());
      r->SetText(quote::kStatus, "Open");
      r->SetNumber(quote::kCreatedAt, at);
      r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }
    case P::QuoteAccepted: r->SetText(quote::kStatus, "Accepted"); break;
    case P::OrderPlaced: {
      const auto* p = env->data_as_OrderPlaced();
      r->SetText(order::kOrderId, Sv(p->order_id()));
      r->SetText(order::kAccountId, Sv(p->account_id()));
      r->SetText(order::kQuoteId, Sv(p->quote_id()));
      r->SetNumber(order::kAmount, p->amount());
      r->SetNumber(order::kPlacedAt, at);
      r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }
    case P::InvoiceIssued: {
      const auto* p = env->data_as_InvoiceIssued();
      r->SetText(invoice::kInvoiceId, Sv(p->invoice_id()));
      r->SetText(invoice::kAccountId, Sv(p->account_id()));
      r->SetText(invoice::kOrderId, Sv(p->order_id()));
      r->SetNumber(invoice::kAmount, p->amount());
      SetOptional(r, invoice::kDueDate, p->due_date());
      r->SetText(invoice::kStatus, "Issued");
      r->SetNumber(invoice::kIssuedAt, at);
      r->AddParent(AccountStream(Sv(p->account_id())));
      break;
    }
    case P::InvoicePaid:
      r->SetText(invoice::kStatus, "Paid");
      r->SetNumber(invoice::kPaidAt, at);
      break;

    // Users
    case P::UserCreated: {
      const auto* p = env->data_as_UserCreated();
      r->SetText(user::kUserId, Sv(p->user_id()));
      r->SetText(user::kName, Sv(p->name()));
      r->SetText(user::kRole, fb::EnumNameUserRole(p->role()));
      r->SetNumber(user::kCreatedAt, at);
      break;
    }
    case P::UserRoleChanged:
      r->SetText(user::kRole, fb::EnumNameUserRole(env->data_as_UserRoleChanged()->to()));
      break;

    default: return false;  // settings, and types this build does not know
  }
  r->version = e.version();
  return true;
}

Prior Prior::Of(const Record& row) {
  Prior p;
  if (row.kind == Kind::kContact) p.contact_account_id = row.str(contact::kAccountId);
  if (row.kind == Kind::kTicket) p.ticket_open = TicketOpen(row);
  return p;
}

Effects CrossEffects(const EventView& e, const Prior& before, const Record& after) {
  Effects fx;
  const fb::Envelope* env = e.envelope;
  auto add = [&](std::string_view account_id, uint16_t field, int64_t delta) {
    if (!account_id.empty() && delta != 0) {
      fx.deltas.push_back({AccountStream(account_id), field, delta});
    }
  };
  switch (env->data_type()) {
    case P::ContactCreated: add(after.str(contact::kAccountId), account::kContacts, 1); break;
    case P::ContactLinked: {
      const auto* p = env->data_as_ContactLinked();
      const std::string_view to = Sv(p->account_id()), from = before.contact_account_id;
      if (to != from) {
        add(to, account::kContacts, 1);
        add(from, account::kContacts, -1);
        if (!from.empty()) fx.extra_holders.push_back(AccountStream(from));
      }
      fx.backfill.emplace(std::string(e.stream()), AccountStream(to));
      break;
    }
    case P::LeadConverted:
      fx.backfill.emplace(std::string(e.stream()),
                          AccountStream(Sv(env->data_as_LeadConverted()->account_id())));
      break;
    case P::OpportunityOpened:
      add(after.str(opportunity::kAccountId), account::kOpportunitiesOpen, 1);
      break;
    case P::OpportunityWon:
      add(after.str(opportunity::kAccountId), account::kOpportunitiesOpen, -1);
      add(after.str(opportunity::kAccountId), account::kOpportunitiesWon, 1);
      add(after.str(opportunity::kAccountId), account::kWonAmount,
          env->data_as_OpportunityWon()->amount());
      break;
    case P::OpportunityLost:
      add(after.str(opportunity::kAccountId), account::kOpportunitiesOpen, -1);
      add(after.str(opportunity::kAccountId), account::kOpportunitiesLost, 1);
      break;
    case P::QuoteCreated: add(after.str(quote::kAccountId), account::kQuotes, 1); break;
    case P::OrderPlaced: add(after.str(order::kAccountId), account::kOrders, 1); break;
    case P::InvoiceIssued: add(after.str(invoice::kAccountId), account::kInvoices, 1); break;
    case P::InvoicePaid:
      add(after.str(invoice::kAccountId), account::kTotalRevenue,
          env->data_as_InvoicePaid()->amount());
      break;
    case P::TicketOpened: add(after.str(ticket::kAccountId), account::kTicketsTotal, 1); [[fallthrough]];
    case P::TicketAssigned:
    case P::TicketStatusChanged:
    case P::TicketResolved:
    case P::TicketClosed:
    case P::TicketReopened:
      add(after.str(ticket::kAccountId), account::kTicketsOpen,
          int64_t{TicketOpen(after)} - int64_t{before.ticket_open});
      break;
    default: break;
  }
  return fx;
}

namespace {

// At most `max` bytes of `s`, cut at a UTF-8 character boundary, with "…" when cut.
std::string Clip(std::string_view s, size_t max = 80) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "…";
}

std::string Label(const Record& r, std::string_view kind_word) {
  std::string s(kind_word);
  s.push_back(' ');
  s.append(RecordId(r));
  std::string name = DisplayName(r);
  if (!name.empty()) s.append(" '").append(Clip(name, 60)).append("'");
  return s;
}

std::string Fields(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* changed) {
  std::string s;
  if (!changed) return s;
  for (const auto* c : *changed) {
    if (!s.empty()) s.append(", ");
    s.append(Sv(c));
  }
  return s;
}

}  // namespace

std::string Summary(const EventView& e, const Record& r) {
  const fb::Envelope* env = e.envelope;
  std::string what;        // "closed", "moved from X to Y"
  std::string detail;      // appended in parentheses
  std::string kind_word;   // "Ticket", "Call"
  switch (r.kind) {
    case Kind::kAccount: kind_word = "Account"; break;
    case Kind::kContact: kind_word = "Contact"; break;
    case Kind::kLead: kind_word = "Lead"; break;
    case Kind::kOpportunity: kind_word = "Opportunity"; break;
    case Kind::kTicket: kind_word = "Ticket"; break;
    case Kind::kActivity: kind_word = std::string(r.str(activity::kKind)); break;
    case Kind::kQuote: kind_word = "Quote"; break;
    case Kind::kOrder: kind_word = "Order"; break;
    case Kind::kInvoice: kind_word = "Invoice"; break;
    case Kind::kUser: kind_word = "User"; break;
  }
  if (kind_word.empty()) kind_word = "Activity";
  switch (env->data_type()) {
    case P::AccountOpened: what = "opened"; detail = "type " + std::string(r.str(account::kType)); break;
    case P::AccountUpdated:
      what = "updated";
      detail = Fields(env->data_as_AccountUpdated()->changed());
      break;
    case P::AccountTypeChanged: {
      const auto* p = env->data_as_AccountTypeChanged();
      what = std::string("type changed from ") + fb::EnumNameAccountType(p->from()) + " to " +
             fb::EnumNameAccountType(p->to());
      detail = Clip(Sv(p->reason()));
      break;
    }
    case P::AccountDeactivated:
      what = "deactivated";
      detail = Clip(Sv(env->data_as_AccountDeactivated()->reason()));
      break;
    case P::AccountReactivated: what = "reactivated"; break;
    case P::AccountAssigned:
      what = "assigned to " + std::string(Sv(env->data_as_AccountAssigned()->owner()));
      break;
    case P::AccountNoteAdded: {
      const auto* p = env->data_as_AccountNoteAdded();
      what = "note added";
      detail = Clip(Sv(p->text()));
      if (p->mentions() && p->mentions()->size()) {
        std::string m;
        for (const auto* id : *p->mentions()) m.append(m.empty() ? "" : ", ").append(Sv(id));
        detail.append("; mentions ").append(m);
      }
      break;
    }
    case P::AccountRevenueRecorded: {
      const auto* p = env->data_as_AccountRevenueRecorded();
      what = "revenue of " + FormatCents(p->amount()) + " recorded";
      detail = Clip(Sv(p->description()));
      break;
    }
    case P::ContactCreated: what = "created"; break;
    case P::ContactUpdated:
      what = "updated";
      detail = Fields(env->data_as_ContactUpdated()->changed());
      break;
    case P::ContactLinked:
      what = "linked to account " + std::string(Sv(env->data_as_ContactLinked()->account_id()));
      break;
    case P::LeadCreated: what = "created"; detail = Clip(r.str(lead::kCompany)); break;
    case P::LeadUpdated:
      what = "updated";
      detail = Fields(env->data_as_LeadUpdated()->changed());
      break;
    case P::LeadQualified: what = "qualified"; break;
    case P::LeadDisqualified:
      what = "disqualified";
      detail = Clip(Sv(env->data_as_LeadDisqualified()->reason()));
      break;
    case P::LeadConverted:
      what = "converted into account " +
             std::string(Sv(env->data_as_LeadConverted()->account_id()));
      break;
    case P::OpportunityOpened:
      what = "opened";
      detail = FormatCents(r.num(opportunity::kAmount)) + ", " +
               std::string(r.str(opportunity::kStage));
      break;
    case P::OpportunityStageChanged: {
      const auto* p = env->data_as_OpportunityStageChanged();
      what = std::string("moved from ") + fb::EnumNameOpportunityStage(p->from()) + " to " +
             fb::EnumNameOpportunityStage(p->to());
      break;
    }
    case P::OpportunityWon:
      what = "won";
      detail = FormatCents(env->data_as_OpportunityWon()->amount());
      break;
    case P::OpportunityLost:
      what = "lost";
      detail = Clip(Sv(env->data_as_OpportunityLost()->reason()));
      break;
    case P::TicketOpened: what = "opened"; detail = "priority " + std::string(r.str(ticket::kPriority)); break;
    case P::TicketAssigned:
      what = "assigned to " + std::string(Sv(env->data_as_TicketAssigned()->assignee()));
      break;
    case P::TicketStatusChanged: {
      const auto* p = env->data_as_TicketStatusChanged();
      what = std::string("moved from ") + fb::EnumNameTicketStatus(p->from()) + " to " +
             fb::EnumNameTicketStatus(p->to());
      break;
    }
    case P::TicketResolved:
      what = "resolved";
      detail = Clip(Sv(env->data_as_TicketResolved()->resolution()));
      break;
    case P::TicketClosed: what = "closed"; break;
    case P::TicketReopened:
      what = "reopened";
      detail = Clip(Sv(env->data_as_TicketReopened()->reason()));
      break;
    case P::TicketCommented:
      what = "commented";
      detail = Clip(Sv(env->data_as_TicketCommented()->text()));
      break;
    case P::ActivityLogged: what = "logged"; break;
    case P::ActivityCompleted:
      what = "completed";
      detail = Clip(Sv(env->data_as_ActivityCompleted()->outcome()));
      break;
    case P::ActivityCanceled: what = "canceled"; break;
    case P::QuoteCreated: what = "created"; detail = FormatCents(r.num(quote::kAmount)); break;
    case P::QuoteAccepted: what = "accepted"; detail = FormatCents(r.num(quote::kAmount)); break;
    case P::OrderPlaced: what = "placed"; detail = FormatCents(r.num(order::kAmount)); break;
    case P::InvoiceIssued: what = "issued"; detail = FormatCents(r.num(invoice::kAmount)); break;
    case P::InvoicePaid: what = "paid"; detail = FormatCents(r.num(invoice::kAmount)); break;
    case P::UserCreated: what = "created"; detail = std::string(r.str(user::kRole)); break;
    case P::UserRoleChanged: what = "role changed to " + std::string(r.str(user::kRole)); break;
    default: what = std::string(e.type_name()); break;
  }
  std::string s = Label(r, kind_word);
  s.push_back(' ');
  s.append(what);
  s.append(" by ");
  s.append(Sv(env->actor()));
  if (!detail.empty()) s.append(" (").append(detail).append(")");
  return s;
}

}  // namespace crm::proj
