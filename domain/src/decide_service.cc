// Tickets (cases) and activities.
#include "domain/src/decide_internal.h"

namespace crm::domain::internal {
namespace {

using fb::TicketStatus;

const char* StatusName(TicketStatus s) { return fb::EnumNameTicketStatus(s); }

Error TicketRule(const std::string& id, TicketStatus from, const std::string& what) {
  return Err(ErrorCode::kRuleViolation,
             "ticket " + Quote(id) + " is " + StatusName(from) + ": " + what);
}

// CloseTicket, or a status change to Closed: only a Resolved ticket closes.
Outcome Close(Decision& d, const std::string& stream, const std::string& id, TicketStatus from) {
  if (from != TicketStatus::Resolved) return TicketRule(id, from, "only a Resolved ticket closes");
  fb::TicketClosedT e;
  e.ticket_id = id;
  e.from = from;
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome OpenTicket(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("ticket_id");
  const std::string stream = StreamName("ticket", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "ticket", id));
  const std::string& account_id = cmd.Str("account_id");
  CRM_LOAD(account, view, StreamName("account", account_id));
  CRM_CHECK(MustExist(account, "account", account_id));
  if (cmd.Has("contact_id")) {
    CRM_LOAD(contact, view, StreamName("contact", cmd.Str("contact_id")));
    CRM_CHECK(MustExist(contact, "contact", cmd.Str("contact_id")));
  }
  fb::TicketOpenedT e;
  e.ticket_id = id;
  e.account_id = account_id;
  e.contact_id = cmd.StrOr("contact_id");
  e.subject = cmd.Str("subject");
  e.description = cmd.StrOr("description");
  e.priority = static_cast<fb::TicketPriority>(cmd.Num("priority"));
  if (cmd.Has("origin")) e.origin = static_cast<fb::TicketOrigin>(cmd.Num("origin"));
  Decision d = Primary(stream);
  Emit(d, stream, Ev(std::move(e)));
  d.links.push_back({StreamName("account", account_id), stream});
  return d;
}

Outcome ChangeTicket(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("ticket_id");
  const std::string stream = StreamName("ticket", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "ticket", id));
  const TicketState& t = *As<TicketState>(current);
  const TicketStatus from = t.status;
  const bool done = from == TicketStatus::Resolved || from == TicketStatus::Closed;
  Decision d = Primary(stream);
  switch (cmd.type) {
    case CommandType::kAssignTicket: {
      if (done) return TicketRule(id, from, "reopen it before assigning it");
      const std::string& assignee = cmd.Str("assignee");
      CRM_LOAD(user, view, StreamName("user", assignee));
      if (!user.exists()) {
        return Err(ErrorCode::kNotFound, "assignee " + Quote(assignee) + " is not a user");
      }
      if (assignee == t.assignee) return d;
      fb::TicketAssignedT e;
      e.ticket_id = id;
      e.assignee = assignee;
      e.previous_assignee = t.assignee;
      e.from = from;
      e.to = from == TicketStatus::New ? TicketStatus::Assigned : from;
      Emit(d, stream, Ev(std::move(e)));
      return d;
    }
    case CommandType::kChangeTicketStatus: {
      const auto to = static_cast<TicketStatus>(cmd.Num("status"));
      if (to == from) return TicketRule(id, from, "it already has that status");
      if (to == TicketStatus::Resolved) {
        return TicketRule(id, from, "resolving needs a resolution: use ResolveTicket");
      }
      if (to == TicketStatus::Closed) return Close(d, stream, id, from);
      const bool allowed = (from == TicketStatus::Assigned && to == TicketStatus::InProgress) ||
                           (from == TicketStatus::InProgress && to == TicketStatus::Pending) ||
                           (from == TicketStatus::Pending && to == TicketStatus::InProgress);
      if (!allowed) {
        return TicketRule(id, from,
                          std::string("it cannot move to ") + StatusName(to) +
                              " (New -> Assigned -> InProgress <-> Pending -> Resolved -> Closed)");
      }
      fb::TicketStatusChangedT e;
      e.ticket_id = id;
      e.from = from;
      e.to = to;
      Emit(d, stream, Ev(std::move(e)));
      return d;
    }
    case CommandType::kResolveTicket: {
      if (from != TicketStatus::InProgress && from != TicketStatus::Pending) {
        return TicketRule(id, from, "only an InProgress or Pending ticket is resolved");
      }
      fb::TicketResolvedT e;
      e.ticket_id = id;
      e.resolution = cmd.Str("resolution");
      e.from = from;
      Emit(d, stream, Ev(std::move(e)));
      return d;
    }
    case CommandType::kCloseTicket:
      return Close(d, stream, id, from);
    case CommandType::kReopenTicket: {
      if (!done) return TicketRule(id, from, "only a Resolved or Closed ticket is reopened");
      fb::TicketReopenedT e;
      e.ticket_id = id;
      e.reason = cmd.StrOr("reason");
      e.from = from;
      Emit(d, stream, Ev(std::move(e)));
      return d;
    }
    default: {  // CommentOnTicket
      fb::TicketCommentedT e;
      e.ticket_id = id;
      e.text = cmd.Str("text");
      Emit(d, stream, Ev(std::move(e)));
      return d;
    }
  }
}

Outcome LogActivity(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("activity_id");
  const std::string stream = StreamName("activity", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustNotExist(current, "activity", id));
  Decision d = Primary(stream);
  static constexpr std::pair<const char*, const char*> kRefs[] = {
      {"account_id", "account"}, {"contact_id", "contact"}, {"lead_id", "lead"},
      {"opportunity_id", "opportunity"}, {"ticket_id", "ticket"}};
  for (const auto& [field, kind] : kRefs) {
    if (!cmd.Has(field)) continue;
    const std::string ref = StreamName(kind, cmd.Str(field));
    CRM_LOAD(state, view, ref);
    CRM_CHECK(MustExist(state, kind, cmd.Str(field)));
    d.links.push_back({ref, stream});
  }
  fb::ActivityLoggedT e;
  e.activity_id = id;
  e.kind = static_cast<fb::ActivityKind>(cmd.Num("kind"));
  e.subject = cmd.Str("subject");
  e.account_id = cmd.StrOr("account_id");
  e.contact_id = cmd.StrOr("contact_id");
  e.lead_id = cmd.StrOr("lead_id");
  e.opportunity_id = cmd.StrOr("opportunity_id");
  e.ticket_id = cmd.StrOr("ticket_id");
  if (cmd.Has("due_at")) e.due_at = cmd.Num("due_at");
  Emit(d, stream, Ev(std::move(e)));
  return d;
}

Outcome FinishActivity(const Command& cmd, StateView& view) {
  const std::string& id = cmd.Str("activity_id");
  const std::string stream = StreamName("activity", id);
  CRM_LOAD(current, view, stream);
  CRM_CHECK(MustExist(current, "activity", id));
  const ActivityState& a = *As<ActivityState>(current);
  if (a.status != fb::ActivityStatus::Planned) {
    return Err(ErrorCode::kRuleViolation, "activity " + Quote(id) + " is already " +
                                              fb::EnumNameActivityStatus(a.status));
  }
  Decision d = Primary(stream);
  if (cmd.type == CommandType::kCompleteActivity) {
    fb::ActivityCompletedT e;
    e.activity_id = id;
    e.outcome = cmd.StrOr("outcome");
    Emit(d, stream, Ev(std::move(e)));
  } else {
    fb::ActivityCanceledT e;
    e.activity_id = id;
    Emit(d, stream, Ev(std::move(e)));
  }
  return d;
}

}  // namespace

Outcome DecideService(const Command& cmd, const Context& ctx, StateView& view) {
  (void)ctx;
  switch (cmd.type) {
    case CommandType::kOpenTicket: return OpenTicket(cmd, view);
    case CommandType::kLogActivity: return LogActivity(cmd, view);
    case CommandType::kCompleteActivity:
    case CommandType::kCancelActivity: return FinishActivity(cmd, view);
    default: return ChangeTicket(cmd, view);
  }
}

}  // namespace crm::domain::internal
