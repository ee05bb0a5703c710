// The command catalog: every command type of SPEC §2 with its fields, their kinds and help texts.
// Parsing (parse.cc) validates against it; the CLI renders help and subcommands from it.
#include <utility>

#include "domain/src/command.h"

namespace crm::domain {
namespace {

using EnumValues = std::vector<std::string_view>;

// Wire order: the index is the value of the matching enum in schemas/envelope.fbs.
const EnumValues& AccountTypes() {
  static const EnumValues v = {"NotValidated", "Suspect",  "Lead",     "Associate", "Prospect",
                               "Customer",     "Supplier", "Reseller", "Division",  "Bank"};
  return v;
}
const EnumValues& OpportunityStages() {
  static const EnumValues v = {"Prospecting", "Qualification", "NeedsAnalysis", "Proposal",
                               "Negotiation", "ClosedWon",     "ClosedLost"};
  return v;
}
const EnumValues& TicketPriorities() {
  static const EnumValues v = {"Low", "Normal", "High", "Urgent"};
  return v;
}
const EnumValues& TicketStatuses() {
  static const EnumValues v = {"New", "Assigned", "InProgress", "Pending", "Resolved", "Closed"};
  return v;
}
const EnumValues& TicketOrigins() {
  static const EnumValues v = {"Phone", "Email", "Web", "Social", "Other"};
  return v;
}
const EnumValues& ActivityKinds() {
  static const EnumValues v = {"Call", "Meeting", "Email", "Task"};
  return v;
}
const EnumValues& UserRoles() {
  static const EnumValues v = {"viewer", "support", "sales", "manager", "admin"};
  return v;
}

FieldSpec Req(std::string_view name, FieldKind kind, std::string_view help) {
  return FieldSpec{name, kind, /*required=*/true, /*nullable=*/false, {}, help};
}
FieldSpec Opt(std::string_view name, FieldKind kind, std::string_view help) {
  return FieldSpec{name, kind, /*required=*/false, /*nullable=*/false, {}, help};
}
FieldSpec ReqEnum(std::string_view name, const EnumValues& values, std::string_view help) {
  return FieldSpec{name, FieldKind::kEnum, /*required=*/true, /*nullable=*/false, values, help};
}
FieldSpec OptEnum(std::string_view name, const EnumValues& values, std::string_view help) {
  return FieldSpec{name, FieldKind::kEnum, /*required=*/false, /*nullable=*/false, values, help};
}

// The update form of a creating command's optional fields: optional, nullable unless listed.
std::vector<FieldSpec> AsUpdates(std::vector<FieldSpec> fields,
                                 std::initializer_list<std::string_view> not_nullable) {
  for (FieldSpec& f : fields) {
    f.required = false;
    f.nullable = true;
    for (std::string_view name : not_nullable) {
      if (f.name == name) f.nullable = false;
    }
  }
  return fields;
}

std::vector<FieldSpec> Concat(std::vector<FieldSpec> a, std::vector<FieldSpec> b) {
  for (FieldSpec& f : b) a.push_back(std::move(f));
  return a;
}

// OpenAccount's descriptive fields that UpdateAccount may change (type and owner have their own
// commands).
std::vector<FieldSpec> AccountDetailFields() {
  using K = FieldKind;
  return {
      Opt("industry", K::kName, "Industry, e.g. \"Manufacturing\""),
      Opt("phone", K::kPhone, "Main phone number, e.g. \"+1 (555) 010-2000\""),
      Opt("email", K::kEmail, "Main e-mail address"),
      Opt("website", K::kWebsite, "Web site, e.g. \"https://example.com\""),
      Opt("billing_address", K::kAddress,
          "Billing address {street, city, state, postal_code, country}"),
      Opt("shipping_address", K::kAddress,
          "Shipping address {street, city, state, postal_code, country}"),
      Opt("number_of_employees", K::kCount, "Head count, a whole number >= 0"),
  };
}
std::vector<FieldSpec> AccountTailFields() {
  using K = FieldKind;
  return {
      Opt("parent_account_id", K::kId, "Id of the parent account (for divisions)"),
      Opt("source", K::kName, "Where the account came from, e.g. \"Trade fair\""),
      Opt("notes", K::kText, "Free-form notes"),
      Opt("debtor_number", K::kId, "Accounts-receivable number (needed to become a Customer)"),
      Opt("creditor_number", K::kId,
          "Accounts-payable number (needed to become a Supplier or Bank)"),
  };
}

std::vector<FieldSpec> ContactDetailFields() {
  using K = FieldKind;
  return {
      Opt("email", K::kEmail, "E-mail address"),
      Opt("phone", K::kPhone, "Phone number"),
      Opt("title", K::kName, "Job title, e.g. \"CFO\""),
  };
}

std::vector<FieldSpec> LeadDetailFields() {
  using K = FieldKind;
  return {
      Opt("company", K::kName, "The lead's company name"),
      Opt("email", K::kEmail, "E-mail address"),
      Opt("phone", K::kPhone, "Phone number"),
      Opt("source", K::kName, "Where the lead came from, e.g. \"Web form\""),
      Opt("industry", K::kName, "Industry of the lead's company"),
      Opt("owner", K::kId, "User id of the lead's owner"),
  };
}

std::vector<CommandSpec> BuildCatalog() {
  using K = FieldKind;
  using T = CommandType;
  std::vector<CommandSpec> c;
  auto add = [&c](T type, std::string_view name, std::string_view kind,
                  std::string_view primary_id_field, bool creates, std::vector<FieldSpec> fields,
                  std::string_view help) {
    c.push_back(CommandSpec{type, name, kind, primary_id_field, creates, std::move(fields), help});
  };
  const FieldSpec account_id = Req("account_id", K::kId, "Id of the account");
  const FieldSpec contact_id = Req("contact_id", K::kId, "Id of the contact");
  const FieldSpec lead_id = Req("lead_id", K::kId, "Id of the lead");
  const FieldSpec opportunity_id = Req("opportunity_id", K::kId, "Id of the opportunity");
  const FieldSpec ticket_id = Req("ticket_id", K::kId, "Id of the ticket");
  const FieldSpec activity_id = Req("activity_id", K::kId, "Id of the activity");
  const FieldSpec quote_id = Req("quote_id", K::kId, "Id of the quote");
  const FieldSpec order_id = Req("order_id", K::kId, "Id of the order");
  const FieldSpec invoice_id = Req("invoice_id", K::kId, "Id of the invoice");
  const FieldSpec user_id = Req("user_id", K::kId, "Id of the user");

  // Accounts.
  add(T::kOpenAccount, "OpenAccount", "account", "account_id", true,
      Concat(Concat({Req("account_id", K::kId, "Id of the new account"),
                     Req("name", K::kName, "Account name"),
                     OptEnum("type", AccountTypes(),
                             "Account type (default NotValidated); JSON key \"account_type\"")},
                    AccountDetailFields()),
             Concat({Opt("owner", K::kId, "User id of the account's owner")}, AccountTailFields())),
      "Open a new account");
  add(T::kUpdateAccount, "UpdateAccount", "account", "account_id", false,
      Concat({account_id}, AsUpdates(Concat(Concat({Opt("name", K::kName, "Account name")},
                                                   AccountDetailFields()),
                                            AccountTailFields()),
                                     {"name"})),
      "Change an account's details (null clears a field); at least one field");
  add(T::kChangeAccountType, "ChangeAccountType", "account", "account_id", false,
      {account_id,
       ReqEnum("type", AccountTypes(), "The new account type; JSON key \"account_type\"")},
      "Change an account's type (subject to the account type rules)");
  add(T::kDeactivateAccount, "DeactivateAccount", "account", "account_id", false,
      {account_id, Opt("reason", K::kText, "Why the account is deactivated")},
      "Mark an account Inactive");
  add(T::kReactivateAccount, "ReactivateAccount", "account", "account_id", false, {account_id},
      "Mark an inactive account Active again");
  add(T::kAssignAccount, "AssignAccount", "account", "account_id", false,
      {account_id, Req("owner", K::kId, "User id of the new owner")},
      "Give an account a new owner");
  add(T::kAddAccountNote, "AddAccountNote", "account", "account_id", false,
      {account_id, Req("text", K::kText, "The note")}, "Add a note to an account");
  add(T::kRecordAccountRevenue, "RecordAccountRevenue", "account", "account_id", false,
      {account_id, Req("amount", K::kPositiveMoney, "Revenue amount, > 0, at most 2 decimals"),
       Opt("description", K::kText, "What the revenue was for")},
      "Record revenue earned from an account outside of invoices");

  // Contacts.
  add(T::kCreateContact, "CreateContact", "contact", "contact_id", true,
      Concat({Req("contact_id", K::kId, "Id of the new contact"),
              Req("first_name", K::kName, "First name"), Req("last_name", K::kName, "Last name")},
             Concat(ContactDetailFields(),
                    {Opt("account_id", K::kId, "Id of the account the contact works for")})),
      "Create a contact, optionally linked to an account");
  add(T::kUpdateContact, "UpdateContact", "contact", "contact_id", false,
      Concat({contact_id}, AsUpdates(Concat({Opt("first_name", K::kName, "First name"),
                                             Opt("last_name", K::kName, "Last name")},
                                            ContactDetailFields()),
                                     {"first_name", "last_name"})),
      "Change a contact's details (null clears a field); at least one field");
  add(T::kLinkContact, "LinkContact", "contact", "contact_id", false,
      {contact_id, Req("account_id", K::kId, "Id of the account to link the contact to")},
      "Link a contact to an account");

  // Leads.
  add(T::kCreateLead, "CreateLead", "lead", "lead_id", true,
      Concat({Req("lead_id", K::kId, "Id of the new lead"),
              Opt("first_name", K::kName, "First name"), Req("last_name", K::kName, "Last name")},
             LeadDetailFields()),
      "Create a lead");
  add(T::kUpdateLead, "UpdateLead", "lead", "lead_id", false,
      Concat({lead_id}, AsUpdates(Concat({Opt("first_name", K::kName, "First name"),
                                          Opt("last_name", K::kName, "Last name")},
                                         LeadDetailFields()),
                                  {"last_name"})),
      "Change a lead's details (null clears a field); at least one field");
  add(T::kQualifyLead, "QualifyLead", "lead", "lead_id", false, {lead_id}, "Mark a lead Qualified");
  add(T::kDisqualifyLead, "DisqualifyLead", "lead", "lead_id", false,
      {lead_id, Req("reason", K::kText, "Why the lead is disqualified")},
      "Mark a lead Disqualified");
  add(T::kConvertLead, "ConvertLead", "lead", "lead_id", false,
      {lead_id, Req("account_id", K::kId, "Id of the account to create (or an existing one)"),
       Req("contact_id", K::kId, "Id of the contact to create"),
       Opt("opportunity_id", K::kId, "Id of an opportunity to open as well"),
       Opt("opportunity_name", K::kName, "Name of that opportunity"),
       Opt("amount", K::kMoney, "Amount of that opportunity, >= 0, at most 2 decimals")},
      "Convert a lead into an account, a contact and optionally an opportunity, atomically");

  // Opportunities.
  add(T::kOpenOpportunity, "OpenOpportunity", "opportunity", "opportunity_id", true,
      {Req("opportunity_id", K::kId, "Id of the new opportunity"), account_id,
       Req("name", K::kName, "Opportunity name"),
       Req("amount", K::kMoney, "Expected amount, >= 0, at most 2 decimals"),
       Opt("currency", K::kId, "ISO 4217 currency code, 3 upper-case letters, e.g. \"EUR\""),
       OptEnum("stage", OpportunityStages(), "Sales stage (default Prospecting)"),
       Opt("close_date", K::kTime, "Expected close date, RFC 3339 date or date-time"),
       Opt("owner", K::kId, "User id of the opportunity's owner")},
      "Open a sales opportunity on an account");
  add(T::kChangeOpportunityStage, "ChangeOpportunityStage", "opportunity", "opportunity_id", false,
      {opportunity_id, ReqEnum("stage", OpportunityStages(), "The new sales stage")},
      "Move an opportunity to another stage");
  add(T::kWinOpportunity, "WinOpportunity", "opportunity", "opportunity_id", false,
      {opportunity_id, Opt("amount", K::kMoney, "Final amount, >= 0 (default: the expected one)")},
      "Mark an opportunity won");
  add(T::kLoseOpportunity, "LoseOpportunity", "opportunity", "opportunity_id", false,
      {opportunity_id, Opt("reason", K::kText, "Why it was lost")}, "Mark an opportunity lost");

  // Tickets.
  add(T::kOpenTicket, "OpenTicket", "ticket", "ticket_id", true,
      {Req("ticket_id", K::kId, "Id of the new ticket"), account_id,
       Opt("contact_id", K::kId, "Id of the contact who raised it"),
       Req("subject", K::kName, "One-line summary"),
       Opt("description", K::kText, "Full description"),
       ReqEnum("priority", TicketPriorities(), "Priority"),
       OptEnum("origin", TicketOrigins(), "How the ticket came in")},
      "Open a support ticket for an account");
  add(T::kAssignTicket, "AssignTicket", "ticket", "ticket_id", false,
      {ticket_id, Req("assignee", K::kId, "User id of the assignee")}, "Assign a ticket to a user");
  add(T::kChangeTicketStatus, "ChangeTicketStatus", "ticket", "ticket_id", false,
      {ticket_id, ReqEnum("status", TicketStatuses(), "The new status")},
      "Change a ticket's status");
  add(T::kResolveTicket, "ResolveTicket", "ticket", "ticket_id", false,
      {ticket_id, Req("resolution", K::kText, "How it was resolved")}, "Resolve a ticket");
  add(T::kCloseTicket, "CloseTicket", "ticket", "ticket_id", false, {ticket_id}, "Close a ticket");
  add(T::kReopenTicket, "ReopenTicket", "ticket", "ticket_id", false,
      {ticket_id, Opt("reason", K::kText, "Why it is reopened")}, "Reopen a ticket");
  add(T::kCommentOnTicket, "CommentOnTicket", "ticket", "ticket_id", false,
      {ticket_id, Req("text", K::kText, "The comment")}, "Add a comment to a ticket");

  // Activities.
  add(T::kLogActivity, "LogActivity", "activity", "activity_id", true,
      {Req("activity_id", K::kId, "Id of the new activity"),
       ReqEnum("kind", ActivityKinds(), "Kind of activity"),
       Req("subject", K::kName, "One-line summary"),
       Opt("account_id", K::kId, "Id of the related account"),
       Opt("contact_id", K::kId, "Id of the related contact"),
       Opt("lead_id", K::kId, "Id of the related lead"),
       Opt("opportunity_id", K::kId, "Id of the related opportunity"),
       Opt("ticket_id", K::kId, "Id of the related ticket"),
       Opt("due_at", K::kTime, "When it is due, RFC 3339 date or date-time")},
      "Log a call, meeting, e-mail or task");
  add(T::kCompleteActivity, "CompleteActivity", "activity", "activity_id", false,
      {activity_id, Opt("outcome", K::kText, "What came of it")}, "Mark an activity completed");
  add(T::kCancelActivity, "CancelActivity", "activity", "activity_id", false, {activity_id},
      "Cancel an activity");

  // Commerce.
  add(T::kCreateQuote, "CreateQuote", "quote", "quote_id", true,
      {Req("quote_id", K::kId, "Id of the new quote"), account_id,
       Opt("opportunity_id", K::kId, "Id of the opportunity it is for"),
       Req("amount", K::kPositiveMoney, "Quoted amount, > 0, at most 2 decimals")},
      "Create a quote for an account");
  add(T::kAcceptQuote, "AcceptQuote", "quote", "quote_id", false, {quote_id}, "Accept a quote");
  add(T::kPlaceOrder, "PlaceOrder", "order", "order_id", true,
      {Req("order_id", K::kId, "Id of the new order"), account_id,
       Opt("quote_id", K::kId, "Id of the quote it fulfils"),
       Req("amount", K::kPositiveMoney, "Order amount, > 0, at most 2 decimals")},
      "Place an order for an account");
  add(T::kIssueInvoice, "IssueInvoice", "invoice", "invoice_id", true,
      {Req("invoice_id", K::kId, "Id of the new invoice"), account_id,
       Opt("order_id", K::kId, "Id of the order it bills"),
       Req("amount", K::kPositiveMoney, "Invoiced amount, > 0, at most 2 decimals"),
       Opt("due_date", K::kTime, "Payment due date, RFC 3339 date or date-time")},
      "Issue an invoice to an account");
  add(T::kPayInvoice, "PayInvoice", "invoice", "invoice_id", false, {invoice_id},
      "Mark an invoice paid");

  // Users.
  add(T::kCreateUser, "CreateUser", "user", "user_id", true,
      {Req("user_id", K::kId, "Id of the new user"), Req("name", K::kName, "Display name"),
       ReqEnum("role", UserRoles(), "Role")},
      "Create a user");
  add(T::kChangeUserRole, "ChangeUserRole", "user", "user_id", false,
      {user_id, ReqEnum("role", UserRoles(), "The new role")}, "Change a user's role");

  // Settings.
  add(T::kSetSetting, "SetSetting", "config", "", false,
      {Req("key", K::kId, "Setting name; known: rules.strict"),
       Req("value", K::kSettingValue, "Setting value (rules.strict: true or false)")},
      "Change an engine setting (the JSON form of `crm config set`)");
  return c;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "BAD_REQUEST";
    case ErrorCode::kValidation:
      return "VALIDATION_ERROR";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case ErrorCode::kConcurrencyConflict:
      return "CONCURRENCY_CONFLICT";
    case ErrorCode::kRuleViolation:
      return "RULE_VIOLATION";
    case ErrorCode::kForbidden:
      return "FORBIDDEN";
    case ErrorCode::kStorageError:
      return "STORAGE_ERROR";
  }
  return "UNKNOWN_ERROR";
}

const std::vector<CommandSpec>& Catalog() {
  static const std::vector<CommandSpec> catalog = BuildCatalog();
  return catalog;
}

const CommandSpec* FindCommand(std::string_view name) {
  for (const CommandSpec& spec : Catalog()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace crm::domain
