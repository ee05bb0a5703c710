#include "bulk/src/fields.h"

#include "crm/schemas/envelope_generated.h"

namespace crm::bulk {
namespace {

using U = Use;
using S = Shape;

constexpr FieldDef F(std::string_view name, Use use, std::string_view aliases,
                     Shape shape = Shape::kText) {
  return FieldDef{name, use, shape, aliases};
}
constexpr FieldDef Req(FieldDef f) {
  f.required = true;
  return f;
}
constexpr FieldDef Upd(FieldDef f) {
  f.updatable = true;
  return f;
}
constexpr FieldDef En(FieldDef f, const char* const* values) {
  f.shape = Shape::kEnum;
  f.values = values;
  return f;
}
constexpr FieldDef Key(FieldDef f, std::string_view json_key) {
  f.json_key = json_key;
  return f;
}
constexpr FieldDef Computed(std::string_view name) { return FieldDef{name, Use::kComputed}; }

constexpr std::string_view kCreatedAliases =
    "occurredat createdat created createddate createdon datecreated creationdate";

// Accounts (OpenAccount, UpdateAccount; type, owner and status through their own commands).
const FieldDef kAccount[] = {
    F("account_id", U::kId, "id accountid"),
    Req(Upd(F("name", U::kCreate,
              "name accountname company companyname organization organisation "
              "organizationname organisationname account"))),
    Key(En(F("type", U::kCreate, "type accounttype"), fb::EnumNamesAccountType()), "account_type"),
    En(F("status", U::kStatus, "status accountstatus"), fb::EnumNamesAccountStatus()),
    Upd(F("industry", U::kCreate, "industry sector")),
    Upd(F("phone", U::kCreate,
          "phone phonenumber telephone telephonenumber tel mainphone businessphone officephone")),
    Upd(F("email", U::kCreate, "email emailaddress mail")),
    Upd(F("website", U::kCreate, "website web url homepage site webaddress")),
    Upd(F("billing_address.street", U::kCreate,
          "billingstreet billingaddress street streetaddress address address1", S::kAddressPart)),
    Upd(F("billing_address.city", U::kCreate, "billingcity city town", S::kAddressPart)),
    Upd(F("billing_address.state", U::kCreate,
          "billingstate billingprovince billingstateprovince state province stateprovince region "
          "county",
          S::kAddressPart)),
    Upd(F("billing_address.postal_code", U::kCreate,
          "billingpostalcode billingzip billingzipcode billingpostcode postalcode zip zipcode "
          "postcode",
          S::kAddressPart)),
    Upd(F("billing_address.country", U::kCreate, "billingcountry country", S::kAddressPart)),
    Upd(F("shipping_address.street", U::kCreate, "shippingstreet shippingaddress",
          S::kAddressPart)),
    Upd(F("shipping_address.city", U::kCreate, "shippingcity", S::kAddressPart)),
    Upd(F("shipping_address.state", U::kCreate,
          "shippingstate shippingprovince shippingstateprovince", S::kAddressPart)),
    Upd(F("shipping_address.postal_code", U::kCreate,
          "shippingpostalcode shippingzip shippingzipcode shippingpostcode", S::kAddressPart)),
    Upd(F("shipping_address.country", U::kCreate, "shippingcountry", S::kAddressPart)),
    Upd(F("number_of_employees", U::kCreate,
          "employees numberofemployees employeecount noofemployees headcount staff", S::kCount)),
    F("owner", U::kCreate, "owner accountowner ownerid ownedby"),
    Upd(F("parent_account_id", U::kCreate, "parentid parentaccount parent")),
    Upd(F("source", U::kCreate, "source accountsource leadsource")),
    Upd(F("notes", U::kCreate, "notes note description comments comment")),
    Upd(F("debtor_number", U::kCreate, "debtornumber debtorno debtor customernumber customerno")),
    Upd(F("creditor_number", U::kCreate,
          "creditornumber creditorno creditor suppliernumber vendornumber")),
    F("deactivation_reason", U::kAux, "deactivationreason inactivereason"),
    F("opened_at", U::kOccurredAt, kCreatedAliases, S::kTime),
    F("last_activity_at", U::kAux, "lastactivityat lastactivity", S::kTime),
    Computed("total_revenue"),
    Computed("won_amount"),
    Computed("contacts"),
    Computed("opportunities_open"),
    Computed("opportunities_won"),
    Computed("opportunities_lost"),
    Computed("quotes"),
    Computed("orders"),
    Computed("invoices"),
    Computed("tickets_open"),
    Computed("tickets_total"),
    Computed("version"),
};

// Contacts (CreateContact, UpdateContact; the account through LinkContact on update).
const FieldDef kContact[] = {
    F("contact_id", U::kId, "id contactid"),
    Req(Upd(F("first_name", U::kCreate, "firstname first givenname forename"))),
    Req(Upd(F("last_name", U::kCreate, "lastname last surname familyname"))),
    Upd(F("email", U::kCreate, "email emailaddress mail")),
    Upd(F("phone", U::kCreate,
          "phone phonenumber telephone tel mobile mobilephone cell cellphone businessphone")),
    Upd(F("title", U::kCreate, "title jobtitle position")),
    F("account_id", U::kCreate, "accountid account"),
    F("created_at", U::kOccurredAt, kCreatedAliases, S::kTime),
    Computed("version"),
};

// Leads (CreateLead, UpdateLead; Qualified / Disqualified through their commands).
const FieldDef kLead[] = {
    F("lead_id", U::kId, "id leadid"),
    Upd(F("first_name", U::kCreate, "firstname first givenname forename")),
    Req(Upd(F("last_name", U::kCreate, "lastname last surname familyname"))),
    Upd(F("company", U::kCreate,
          "company companyname organization organisation account accountname")),
    Upd(F("email", U::kCreate, "email emailaddress mail")),
    Upd(F("phone", U::kCreate,
          "phone phonenumber telephone tel mobile mobilephone cell cellphone businessphone")),
    Upd(F("source", U::kCreate, "source leadsource origin")),
    Upd(F("industry", U::kCreate, "industry sector")),
    Upd(F("owner", U::kCreate, "owner leadowner ownerid ownedby")),
    En(F("status", U::kStatus, "status leadstatus"), fb::EnumNamesLeadStatus()),
    F("disqualify_reason", U::kAux, "disqualifyreason disqualificationreason"),
    Computed("account_id"),
    Computed("contact_id"),
    Computed("opportunity_id"),
    F("created_at", U::kOccurredAt, kCreatedAliases, S::kTime),
    Computed("converted_at"),
    Computed("version"),
};

// Opportunities (OpenOpportunity; ClosedWon / ClosedLost through WinOpportunity and
// LoseOpportunity; on update only the stage changes).
const FieldDef kOpportunity[] = {
    F("opportunity_id", U::kId, "id opportunityid dealid"),
    Req(F("account_id", U::kCreate, "accountid account")),
    Req(F("name", U::kCreate, "name opportunityname opportunity dealname deal")),
    Req(F("amount", U::kCreate, "amount value dealvalue expectedrevenue", S::kMoney)),
    F("currency", U::kCreate, "currency currencycode"),
    En(F("stage", U::kStatus, "stage salesstage dealstage"), fb::EnumNamesOpportunityStage()),
    Computed("probability"),
    F("close_date", U::kCreate, "closedate expectedclosedate closingdate", S::kTime),
    F("owner", U::kCreate, "owner opportunityowner ownerid ownedby"),
    Computed("lead_id"),
    F("lost_reason", U::kAux, "lostreason reasonlost lossreason"),
    F("opened_at", U::kOccurredAt, kCreatedAliases, S::kTime),
    F("closed_at", U::kAux, "closedat closeddate dateclosed", S::kTime),
    Computed("version"),
};

// Tickets (OpenTicket; assignee and status through AssignTicket, ChangeTicketStatus,
// ResolveTicket, CloseTicket; on update only the assignee changes).
const FieldDef kTicket[] = {
    F("ticket_id", U::kId, "id ticketid casenumber caseid"),
    Req(F("account_id", U::kCreate, "accountid account")),
    F("contact_id", U::kCreate, "contactid contact"),
    Req(F("subject", U::kCreate, "subject title summary")),
    F("description", U::kCreate, "description details body"),
    Req(En(F("priority", U::kCreate, "priority"), fb::EnumNamesTicketPriority())),
    En(F("origin", U::kCreate, "origin channel caseorigin"), fb::EnumNamesTicketOrigin()),
    En(F("status", U::kStatus, "status ticketstatus"), fb::EnumNamesTicketStatus()),
    F("assignee", U::kAux, "assignee assignedto owner"),
    F("resolution", U::kAux, "resolution"),
    Computed("comments"),
    F("opened_at", U::kOccurredAt, kCreatedAliases, S::kTime),
    F("resolved_at", U::kAux, "resolvedat", S::kTime),
    F("closed_at", U::kAux, "closedat", S::kTime),
    Computed("version"),
};

const KindDef kKinds[] = {
    {"account", "OpenAccount", "UpdateAccount", kAccount},
    {"contact", "CreateContact", "UpdateContact", kContact},
    {"lead", "CreateLead", "UpdateLead", kLead},
    {"opportunity", "OpenOpportunity", "", kOpportunity},
    {"ticket", "OpenTicket", "", kTicket},
};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool HasWord(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const size_t sp = list.find(' ');
    if (list.substr(0, sp) == word) return true;
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return false;
}

}  // namespace

const KindDef* FindKind(std::string_view kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

std::string NormalizeHeader(std::string_view header) {
  std::string out;
  for (char c : header) {
    c = Lower(c);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
  }
  return out;
}

int FindField(const KindDef& kind, std::string_view header) {
  const std::string h = NormalizeHeader(header);
  if (h.empty()) return -1;
  for (size_t i = 0; i < kind.fields.size(); ++i) {
    const FieldDef& f = kind.fields[i];
    if (NormalizeHeader(f.name) == h || HasWord(f.aliases, h)) return static_cast<int>(i);
  }
  return -1;
}

int FieldNamed(const KindDef& kind, std::string_view name) {
  for (size_t i = 0; i < kind.fields.size(); ++i) {
    if (kind.fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int FieldWithUse(const KindDef& kind, Use use) {
  for (size_t i = 0; i < kind.fields.size(); ++i) {
    if (kind.fields[i].use == use) return static_cast<int>(i);
  }
  return -1;
}

const char* MatchEnum(const char* const* values, std::string_view text) {
  const std::string t = NormalizeHeader(text);
  if (t.empty()) return nullptr;
  for (; *values; ++values) {
    if (NormalizeHeader(*values) == t) return *values;
  }
  return nullptr;
}

std::string EnumList(const char* const* values) {
  std::string out;
  for (; *values; ++values) {
    if (!out.empty()) out += ", ";
    out += *values;
  }
  return out;
}

}  // namespace crm::bulk
