// A row's values -> the SPEC §2 commands that create or update its entity. Values are checked by
// the executor (the same validation as `crm exec`); only what JSON itself needs is decided here.
#include <rapidjson/writer.h>

#include <memory>

#include "bulk/src/import_internal.h"

namespace crm::bulk {
namespace {

struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

// One command object under construction. Its writer lives on the heap so that a Json can be
// returned by value (the writer points at its sink).
class Json {
 public:
  Json(std::string_view type, std::string_view id_key, const std::string& id)
      : s_(std::make_unique<State>()) {
    s_->w.StartObject();
    Str("type", type);
    Str(id_key, id);
    type_ = type;
  }
  Json& Str(std::string_view key, std::string_view value) {
    Key(key);
    s_->w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  // A number already known to be JSON number syntax.
  Json& Number(std::string_view key, std::string_view literal) {
    Key(key);
    s_->w.RawValue(literal.data(), literal.size(), rapidjson::kNumberType);
    return *this;
  }
  void Key(std::string_view key) {
    s_->w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  }
  void StartObject() { s_->w.StartObject(); }
  void EndObject() { s_->w.EndObject(); }
  RowCommand Done(int trigger = -1) {
    s_->w.EndObject();
    return RowCommand{std::move(s_->json), type_, trigger};
  }

 private:
  struct State {
    std::string json;
    StringSink sink{&json};
    rapidjson::Writer<StringSink> w{sink};
  };
  std::unique_ptr<State> s_;
  std::string_view type_;
};

std::string_view IdKey(const RowValues& row) {
  return row.kind->fields[FieldWithUse(*row.kind, Use::kId)].name;
}

std::string_view JsonKey(const FieldDef& f) { return f.json_key.empty() ? f.name : f.json_key; }

std::string_view AddressOf(std::string_view part_name) {
  return part_name.substr(0, part_name.find('.'));
}

// The row's parts of the address `address` over `base` (the current parts, or none).
void AddressObject(const RowValues& row, std::string_view address, const Doc* base, Json& j) {
  j.Key(address);
  j.StartObject();
  for (size_t i = 0; i < row.kind->fields.size(); ++i) {
    const FieldDef& f = row.kind->fields[i];
    if (f.shape != Shape::kAddressPart || AddressOf(f.name) != address) continue;
    std::string value = row.v[i];
    if (value.empty() && base) {
      if (const Doc::Field* cur = base->Find(f.name)) value = cur->text;
    }
    if (!value.empty()) j.Str(f.name.substr(address.size() + 1), value);
  }
  j.EndObject();
}

bool AnyAddressPart(const RowValues& row, std::string_view address) {
  for (size_t i = 0; i < row.kind->fields.size(); ++i) {
    const FieldDef& f = row.kind->fields[i];
    if (f.shape == Shape::kAddressPart && AddressOf(f.name) == address && !row.v[i].empty()) {
      return true;
    }
  }
  return false;
}

// Writes the row's fields that `take` selects (addresses as nested objects over `base`).
template <typename Take>
void AddFields(const RowValues& row, const Doc* base, Json& j, Take take) {
  std::string_view last_address;
  for (size_t i = 0; i < row.kind->fields.size(); ++i) {
    const FieldDef& f = row.kind->fields[i];
    if (!take(f)) continue;
    if (f.shape == Shape::kAddressPart) {
      const std::string_view address = AddressOf(f.name);
      if (address == last_address) continue;
      last_address = address;
      if (AnyAddressPart(row, address)) AddressObject(row, address, base, j);
      continue;
    }
    if (row.v[i].empty()) continue;
    if (f.shape == Shape::kCount) {
      j.Number(JsonKey(f), row.v[i]);
    } else {
      j.Str(JsonKey(f), row.v[i]);
    }
  }
}

std::string Current(const Doc& d, std::string_view field) {
  const Doc::Field* f = d.Find(field);
  return f ? f->text : std::string();
}

// A follow-up command on the row's entity, at business time `at` (empty: now).
Json FollowUp(const RowValues& row, std::string_view type, const std::string& id,
              const std::string& at) {
  Json j(type, IdKey(row), id);
  if (!at.empty()) j.Str("occurred_at", at);
  return j;
}

RowError Problem(int field, std::string message) {
  return RowError{field, "VALIDATION_ERROR", std::move(message)};
}

int Field(const RowValues& row, std::string_view name) { return FieldNamed(*row.kind, name); }

// The business time of a later step: its own column, else the row's creation time.
std::string StepTime(const RowValues& row, std::string_view step_field) {
  const std::string& own = row.named(step_field);
  return own.empty() ? row.named(row.kind->fields[FieldWithUse(*row.kind, Use::kOccurredAt)].name)
                     : own;
}

}  // namespace

const std::string& RowValues::named(std::string_view name) const {
  static const std::string kNone;
  const int f = FieldNamed(*kind, name);
  return f < 0 ? kNone : v[f];
}

RowCommand ParentCommand(const std::string& account_id, const std::string& parent_id,
                         const std::string& occurred_at) {
  Json j("UpdateAccount", "account_id", account_id);
  j.Str("parent_account_id", parent_id);
  if (!occurred_at.empty()) j.Str("occurred_at", occurred_at);
  return j.Done();
}

Commands CreateCommands(const RowValues& row, const std::string& id, bool without_parent) {
  const std::string_view kind = row.kind->kind;
  const std::string& occurred = StepTime(row, "");
  std::vector<RowCommand> out;
  Json create(row.kind->create, IdKey(row), id);
  const int status = FieldWithUse(*row.kind, Use::kStatus);
  const std::string& state = status >= 0 ? row.v[status] : row.named("");
  // Opportunities open in an open stage; a closed one is won or lost right after.
  const bool closed_stage =
      kind == "opportunity" && (state == "ClosedWon" || state == "ClosedLost");
  AddFields(row, nullptr, create, [&](const FieldDef& f) {
    return f.use == Use::kCreate && !(without_parent && f.name == "parent_account_id");
  });
  if (kind == "opportunity" && !state.empty() && !closed_stage) create.Str("stage", state);
  if (!occurred.empty()) create.Str("occurred_at", occurred);
  out.push_back(create.Done());

  if (kind == "account") {
    if (state == "Inactive") {
      Json j = FollowUp(row, "DeactivateAccount", id, StepTime(row, "last_activity_at"));
      if (const auto& reason = row.named("deactivation_reason"); !reason.empty()) {
        j.Str("reason", reason);
      }
      out.push_back(j.Done(status));
    }
  } else if (kind == "lead") {
    if (state == "Qualified") {
      out.push_back(FollowUp(row, "QualifyLead", id, occurred).Done(status));
    } else if (state == "Disqualified") {
      const auto& reason = row.named("disqualify_reason");
      if (reason.empty()) {
        return Problem(status, "a Disqualified lead needs a disqualify_reason");
      }
      out.push_back(
          FollowUp(row, "DisqualifyLead", id, occurred).Str("reason", reason).Done(status));
    } else if (state == "Converted") {
      return Problem(status,
                     "a Converted lead cannot be imported: its conversion created an account, a "
                     "contact and perhaps an opportunity; import those instead");
    }
  } else if (kind == "opportunity" && closed_stage) {
    const std::string at = StepTime(row, "closed_at");
    if (state == "ClosedWon") {
      out.push_back(FollowUp(row, "WinOpportunity", id, at).Done(status));
    } else {
      Json j = FollowUp(row, "LoseOpportunity", id, at);
      if (const auto& reason = row.named("lost_reason"); !reason.empty()) j.Str("reason", reason);
      out.push_back(j.Done(status));
    }
  } else if (kind == "ticket") {
    // The lifecycle up to the row's status: New -> Assigned -> InProgress (-> Pending) ->
    // Resolved -> Closed.
    const int assignee_field = Field(row, "assignee");
    const std::string& assignee = row.v[assignee_field];
    const bool beyond_assigned = !state.empty() && state != "New" && state != "Assigned";
    if (state == "Assigned" || beyond_assigned) {
      if (assignee.empty()) {
        return Problem(
            status, "a ticket with status " + state + " needs an assignee (it is assigned first)");
      }
    }
    if (!assignee.empty()) {
      out.push_back(FollowUp(row, "AssignTicket", id, occurred)
                        .Str("assignee", assignee)
                        .Done(assignee_field));
    }
    if (beyond_assigned) {
      out.push_back(FollowUp(row, "ChangeTicketStatus", id, occurred)
                        .Str("status", "InProgress")
                        .Done(status));
    }
    if (state == "Pending") {
      out.push_back(
          FollowUp(row, "ChangeTicketStatus", id, occurred).Str("status", "Pending").Done(status));
    }
    if (state == "Resolved" || state == "Closed") {
      const auto& resolution = row.named("resolution");
      if (resolution.empty()) {
        return Problem(status, "a ticket with status " + state + " needs a resolution");
      }
      out.push_back(FollowUp(row, "ResolveTicket", id, StepTime(row, "resolved_at"))
                        .Str("resolution", resolution)
                        .Done(status));
    }
    if (state == "Closed") {
      out.push_back(FollowUp(row, "CloseTicket", id, StepTime(row, "closed_at")).Done(status));
    }
  }
  return out;
}

Commands UpdateCommands(const RowValues& row, const std::string& id, const Doc& current,
                        bool without_parent) {
  const std::string_view kind = row.kind->kind;
  std::vector<RowCommand> out;
  if (!row.kind->update.empty()) {
    bool any = false;
    for (size_t i = 0; i < row.kind->fields.size(); ++i) {
      const FieldDef& f = row.kind->fields[i];
      any = any || (f.updatable && !row.v[i].empty() &&
                    !(without_parent && f.name == "parent_account_id"));
    }
    if (any) {
      Json j(row.kind->update, IdKey(row), id);
      AddFields(row, &current, j, [&](const FieldDef& f) {
        return f.updatable && !(without_parent && f.name == "parent_account_id");
      });
      out.push_back(j.Done());
    }
  }
  const int status = FieldWithUse(*row.kind, Use::kStatus);
  const std::string& state = status >= 0 ? row.v[status] : row.named("");
  const bool state_differs =
      status >= 0 && !state.empty() && state != Current(current, row.kind->fields[status].name);
  auto differs = [&](std::string_view field) {
    const std::string& v = row.named(field);
    return !v.empty() && v != Current(current, field);
  };

  if (kind == "account") {
    if (differs("type")) {
      out.push_back(Json("ChangeAccountType", "account_id", id)
                        .Str("account_type", row.named("type"))
                        .Done(Field(row, "type")));
    }
    if (differs("owner")) {
      out.push_back(Json("AssignAccount", "account_id", id)
                        .Str("owner", row.named("owner"))
                        .Done(Field(row, "owner")));
    }
    if (state_differs && state == "Inactive") {
      Json j("DeactivateAccount", "account_id", id);
      if (const auto& reason = row.named("deactivation_reason"); !reason.empty()) {
        j.Str("reason", reason);
      }
      out.push_back(j.Done(status));
    } else if (state_differs) {
      out.push_back(Json("ReactivateAccount", "account_id", id).Done(status));
    }
  } else if (kind == "contact") {
    if (differs("account_id")) {
      out.push_back(Json("LinkContact", "contact_id", id)
                        .Str("account_id", row.named("account_id"))
                        .Done(Field(row, "account_id")));
    }
  } else if (kind == "lead") {
    if (state_differs && state == "Qualified") {
      out.push_back(Json("QualifyLead", "lead_id", id).Done(status));
    } else if (state_differs && state == "Disqualified") {
      const auto& reason = row.named("disqualify_reason");
      if (reason.empty()) return Problem(status, "a Disqualified lead needs a disqualify_reason");
      out.push_back(Json("DisqualifyLead", "lead_id", id).Str("reason", reason).Done(status));
    } else if (state_differs) {
      return Problem(status, "an import cannot change a lead's status to " + state +
                                 " (only to Qualified or Disqualified)");
    }
  } else if (kind == "opportunity") {
    if (state_differs && state == "ClosedWon") {
      out.push_back(Json("WinOpportunity", "opportunity_id", id).Done(status));
    } else if (state_differs && state == "ClosedLost") {
      Json j("LoseOpportunity", "opportunity_id", id);
      if (const auto& reason = row.named("lost_reason"); !reason.empty()) j.Str("reason", reason);
      out.push_back(j.Done(status));
    } else if (state_differs) {
      out.push_back(
          Json("ChangeOpportunityStage", "opportunity_id", id).Str("stage", state).Done(status));
    }
  } else if (kind == "ticket") {
    if (differs("assignee")) {
      out.push_back(Json("AssignTicket", "ticket_id", id)
                        .Str("assignee", row.named("assignee"))
                        .Done(Field(row, "assignee")));
    }
  }
  return out;
}

}  // namespace crm::bulk
