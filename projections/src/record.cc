#include "projections/src/record.h"

#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

#include "crm/event_json.h"
#include "crm/schemas/projections_generated.h"
#include "crm/time_format.h"

namespace crm::proj {
namespace {

constexpr FieldSpec S(std::string_view n) { return {n, Type::kString}; }
constexpr FieldSpec E(std::string_view n) { return {n, Type::kEnum}; }
constexpr FieldSpec I(std::string_view n, bool d = false) { return {n, Type::kInt, d}; }
constexpr FieldSpec M(std::string_view n, bool d = false) { return {n, Type::kMoney, d}; }
constexpr FieldSpec T(std::string_view n, bool d = false) { return {n, Type::kTime, d}; }
constexpr FieldSpec A(std::string_view n) { return {n, Type::kAddress}; }

// Same order as the enums in record.h.
constexpr FieldSpec kAccountFields[] = {
    S("account_id"), S("name"), E("type"), E("status"), S("industry"), S("phone"), S("email"),
    S("website"), A("billing_address"), A("shipping_address"), I("number_of_employees"),
    S("owner"), S("parent_account_id"), S("source"), S("notes"), S("debtor_number"),
    S("creditor_number"), S("deactivation_reason"), T("opened_at"),
    T("last_activity_at", true), M("total_revenue", true), M("won_amount", true),
    I("contacts", true), I("opportunities_open", true), I("opportunities_won", true),
    I("opportunities_lost", true), I("quotes", true), I("orders", true), I("invoices", true),
    I("tickets_open", true), I("tickets_total", true)};
constexpr FieldSpec kContactFields[] = {S("contact_id"), S("first_name"), S("last_name"),
                                        S("email"),      S("phone"),      S("title"),
                                        S("account_id"), T("created_at")};
constexpr FieldSpec kLeadFields[] = {
    S("lead_id"), S("first_name"), S("last_name"), S("company"), S("email"), S("phone"),
    S("source"), S("industry"), S("owner"), E("status"), S("disqualify_reason"), S("account_id"),
    S("contact_id"), S("opportunity_id"), T("created_at"), T("converted_at")};
constexpr FieldSpec kOpportunityFields[] = {
    S("opportunity_id"), S("account_id"), S("name"), M("amount"), S("currency"), E("stage"),
    I("probability"), T("close_date"), S("owner"), S("lead_id"), S("lost_reason"),
    T("opened_at"), T("closed_at")};
constexpr FieldSpec kTicketFields[] = {
    S("ticket_id"), S("account_id"), S("contact_id"), S("subject"), S("description"),
    E("priority"), E("origin"), E("status"), S("assignee"), S("resolution"),
    I("comments", true), T("opened_at"), T("resolved_at"), T("closed_at")};
constexpr FieldSpec kActivityFields[] = {
    S("activity_id"), E("kind"), S("subject"), E("status"), S("account_id"), S("contact_id"),
    S("lead_id"), S("opportunity_id"), S("ticket_id"), T("due_at"), S("outcome"),
    T("logged_at"), T("done_at")};
constexpr FieldSpec kQuoteFields[] = {S("quote_id"), S("account_id"), S("opportunity_id"),
                                      M("amount"),   E("status"),     T("created_at")};
constexpr FieldSpec kOrderFields[] = {S("order_id"), S("account_id"), S("quote_id"), M("amount"),
                                      T("placed_at")};
constexpr FieldSpec kInvoiceFields[] = {S("invoice_id"), S("account_id"), S("order_id"),
                                        M("amount"),     T("due_date"),   E("status"),
                                        T("issued_at"),  T("paid_at")};
constexpr FieldSpec kUserFields[] = {S("user_id"), S("name"), E("role"), T("created_at")};

static_assert(std::size(kAccountFields) == account::kCount);
static_assert(std::size(kContactFields) == contact::kCount);
static_assert(std::size(kLeadFields) == lead::kCount);
static_assert(std::size(kOpportunityFields) == opportunity::kCount);
static_assert(std::size(kTicketFields) == ticket::kCount);
static_assert(std::size(kActivityFields) == activity::kCount);
static_assert(std::size(kQuoteFields) == quote::kCount);
static_assert(std::size(kOrderFields) == order::kCount);
static_assert(std::size(kInvoiceFields) == invoice::kCount);
static_assert(std::size(kUserFields) == user::kCount);

const KindSpec kSpecs[kKindCount] = {
    {Kind::kAccount, "account", kAccountFields},
    {Kind::kContact, "contact", kContactFields},
    {Kind::kLead, "lead", kLeadFields},
    {Kind::kOpportunity, "opportunity", kOpportunityFields},
    {Kind::kTicket, "ticket", kTicketFields},
    {Kind::kActivity, "activity", kActivityFields},
    {Kind::kQuote, "quote", kQuoteFields},
    {Kind::kOrder, "order", kOrderFields},
    {Kind::kInvoice, "invoice", kInvoiceFields},
    {Kind::kUser, "user", kUserFields},
};

struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

}  // namespace

const KindSpec& Spec(Kind kind) { return kSpecs[static_cast<size_t>(kind)]; }

std::optional<Kind> KindNamed(std::string_view name) {
  for (const auto& s : kSpecs) {
    if (s.name == name) return s.kind;
  }
  return std::nullopt;
}

std::optional<Kind> KindOfStream(std::string_view stream) {
  auto dash = stream.find('-');
  if (dash == std::string_view::npos || dash + 1 == stream.size()) return std::nullopt;
  return KindNamed(stream.substr(0, dash));
}

int FieldIndex(Kind kind, std::string_view field) {
  const auto& fields = Spec(kind).fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field) return static_cast<int>(i);
  }
  return -1;
}

Record Record::Empty(Kind kind) {
  Record r;
  r.kind = kind;
  r.values.resize(Spec(kind).fields.size());
  return r;
}

void Record::SetText(uint16_t field, std::string_view text) {
  Value& v = values[field];
  v.set = !text.empty();
  v.text.assign(text);
}

void Record::SetNumber(uint16_t field, int64_t n) {
  Value& v = values[field];
  v.set = true;
  v.number = n;
}

void Record::SetAddress(uint16_t field, const Address& a) {
  Value& v = values[field];
  v.set = std::any_of(a.begin(), a.end(), [](const std::string& p) { return !p.empty(); });
  if (v.set) {
    v.address = a;
  } else {
    v.address = AddressBox();
  }
}

void Record::AddParent(std::string_view stream) {
  if (stream.empty()) return;
  if (std::find(parents.begin(), parents.end(), stream) == parents.end()) {
    parents.emplace_back(stream);
  }
}

namespace {

// The packed field list of a StateRow (projections.fbs, StateRow.packed).
void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

uint64_t ZigZag(int64_t n) { return (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PackFields(const Record& r, std::string* out) {
  const auto& spec = Spec(r.kind).fields;
  for (size_t i = 0; i < r.values.size(); ++i) {
    const Value& v = r.values[i];
    if (!v.set) continue;
    PutVarint(i, out);
    switch (spec[i].type) {
      case Type::kString:
      case Type::kEnum: PutBytes(v.text, out); break;
      case Type::kInt:
      case Type::kMoney:
      case Type::kTime: PutVarint(ZigZag(v.number), out); break;
      case Type::kAddress:
        for (const std::string& part : v.address.get()) PutBytes(part, out);
        break;
    }
  }
}

// Reads a packed field list; every length and index is checked against what is left, so damaged
// bytes give a corruption error, never a read past the row.
class PackedReader {
 public:
  explicit PackedReader(std::span<const uint8_t> bytes) : p_(bytes.data()), end_(p_ + bytes.size()) {}
  bool done() const { return p_ == end_; }
  bool Varint(uint64_t* v) {
    uint64_t out = 0;
    for (int shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const uint8_t b = *p_++;
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = out;
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string* s) {
    uint64_t n = 0;
    if (!Varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    s->assign(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

Status UnpackFields(std::span<const uint8_t> bytes, Record* r) {
  const auto& spec = Spec(r->kind).fields;
  // Built only on failure: this runs for every row read.
  auto bad = [] { return Status::Corruption("a state row has a malformed packed field list"); };
  PackedReader in(bytes);
  uint64_t next = 0;  // indexes strictly increase
  while (!in.done()) {
    uint64_t index = 0;
    if (!in.Varint(&index) || index < next || index >= spec.size()) return bad();
    next = index + 1;
    Value& v = r->values[index];
    v.set = true;
    switch (spec[index].type) {
      case Type::kString:
      case Type::kEnum:
        if (!in.Bytes(&v.text)) return bad();
        break;
      case Type::kInt:
      case Type::kMoney:
      case Type::kTime: {
        uint64_t z = 0;
        if (!in.Varint(&z)) return bad();
        v.number = UnZigZag(z);
        break;
      }
      case Type::kAddress: {
        Address& a = v.address.mutable_get();
        for (std::string& part : a) {
          if (!in.Bytes(&part)) return bad();
        }
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeRecord(const Record& r) {
  // The builder and the scratch are kept per thread: a row is encoded for every group that
  // changed it, and a fresh builder grew (and copied) its buffer several times a row.
  thread_local flatbuffers::FlatBufferBuilder fbb(1024);
  thread_local std::string packed;
  thread_local std::vector<flatbuffers::Offset<flatbuffers::String>> parents;
  fbb.Clear();
  packed.clear();
  parents.clear();
  PackFields(r, &packed);
  for (const auto& p : r.parents) parents.push_back(fbb.CreateString(p));
  auto pv = parents.empty() ? 0 : fbb.CreateVector(parents);
  auto packed_v = fbb.CreateVector(reinterpret_cast<const uint8_t*>(packed.data()), packed.size());
  fb::StateRowBuilder b(fbb);
  b.add_kind(static_cast<uint8_t>(r.kind));
  b.add_version(r.version);
  if (!pv.IsNull()) b.add_parents(pv);
  b.add_touches(r.touches);
  b.add_packed(packed_v);
  fbb.Finish(b.Finish(), fb::StateRowIdentifier());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

Result<Record> DecodeRecord(std::string_view bytes) {
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(base, bytes.size());
  if (bytes.size() < 8 || !fb::StateRowBufferHasIdentifier(base) ||
      !fb::VerifyStateRowBuffer(verifier)) {
    return Status::Corruption("a state row fails verification");
  }
  const fb::StateRow* row = fb::GetStateRow(base);
  if (row->kind() >= kKindCount) return Status::Corruption("a state row has an unknown kind");
  Record r = Record::Empty(static_cast<Kind>(row->kind()));
  r.version = row->version();
  r.touches = row->touches();
  const auto& spec = Spec(r.kind).fields;
  if (row->packed()) {
    CRM_RETURN_IF_ERROR(UnpackFields({row->packed()->data(), row->packed()->size()}, &r));
  }
  if (row->fields()) {  // rows of projector versions before 5
    for (const fb::FieldValue* f : *row->fields()) {
      if (f->index() >= spec.size()) return Status::Corruption("a state row has an unknown field");
      Value& v = r.values[f->index()];
      v.set = true;
      v.number = f->number();
      if (f->text()) v.text = f->text()->str();
      if (f->parts()) {
        Address& a = v.address.mutable_get();
        for (size_t i = 0; i < f->parts()->size() && i < a.size(); ++i) {
          a[i] = f->parts()->Get(i)->str();
        }
      }
    }
  }
  if (row->parents()) {
    for (const auto* p : *row->parents()) r.parents.push_back(p->str());
  }
  return r;
}

void AppendJsonString(std::string_view s, std::string* out) {
  StringSink sink{out};
  rapidjson::Writer<StringSink> w(sink);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void AppendJsonValue(const FieldSpec& spec, const Value& v, std::string* out) {
  if (!v.set) {
    out->append("null");
    return;
  }
  switch (spec.type) {
    case Type::kString:
    case Type::kEnum: AppendJsonString(v.text, out); return;
    case Type::kInt: out->append(std::to_string(v.number)); return;
    case Type::kMoney: out->append(FormatCents(v.number)); return;
    case Type::kTime: AppendJsonString(FormatTimestamp(v.number), out); return;
    case Type::kAddress: {
      out->push_back('{');
      for (size_t i = 0; i < kAddressParts.size(); ++i) {
        if (i) out->push_back(',');
        AppendJsonString(kAddressParts[i], out);
        out->push_back(':');
        if (v.address.get()[i].empty()) {
          out->append("null");
        } else {
          AppendJsonString(v.address.get()[i], out);
        }
      }
      out->push_back('}');
      return;
    }
  }
}

std::string PlainValue(const FieldSpec& spec, const Value& v) {
  if (!v.set) return "";
  switch (spec.type) {
    case Type::kString:
    case Type::kEnum: return v.text;
    case Type::kInt: return std::to_string(v.number);
    case Type::kMoney: return FormatCents(v.number);
    case Type::kTime: return FormatTimestamp(v.number);
    case Type::kAddress: {
      std::string s;
      for (const auto& p : v.address.get()) {
        if (p.empty()) continue;
        if (!s.empty()) s.append(", ");
        s.append(p);
      }
      return s;
    }
  }
  return "";
}

std::string_view RecordId(const Record& r) { return r.str(0); }

std::string DisplayName(const Record& r) {
  auto full_name = [&](uint16_t first, uint16_t last) {
    std::string s(r.str(first));
    if (!s.empty() && !r.str(last).empty()) s.push_back(' ');
    s.append(r.str(last));
    return s;
  };
  switch (r.kind) {
    case Kind::kAccount: return std::string(r.str(account::kName));
    case Kind::kContact: return full_name(contact::kFirstName, contact::kLastName);
    case Kind::kLead: return full_name(lead::kFirstName, lead::kLastName);
    case Kind::kOpportunity: return std::string(r.str(opportunity::kName));
    case Kind::kTicket: return std::string(r.str(ticket::kSubject));
    case Kind::kActivity: return std::string(r.str(activity::kSubject));
    case Kind::kUser: return std::string(r.str(user::kName));
    default: return "";
  }
}

}  // namespace crm::proj
