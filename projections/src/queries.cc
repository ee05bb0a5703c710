// Reads of the projections: get, list, history (and the audit trail, folded from one stream).
#include <algorithm>
#include <optional>

#include "crm/projections.h"
#include "crm/schemas/projections_generated.h"
#include "crm/time_format.h"
#include "projections/src/fold.h"
#include "projections/src/index.h"
#include "projections/src/keys.h"
#include "projections/src/queries_internal.h"

namespace crm {

using proj::Kind;
using proj::Record;

void Doc::Add(std::string name, std::string json, std::string text) {
  fields.push_back({std::move(name), std::move(json), std::move(text)});
}

const Doc::Field* Doc::Find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Doc::ToJson() const {
  std::string out;
  out.push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(',');
    proj::AppendJsonString(fields[i].name, &out);
    out.push_back(':');
    out.append(fields[i].json);
  }
  out.push_back('}');
  return out;
}

Result<std::vector<std::string>> DocColumns(std::string_view kind, const DocOptions& options) {
  auto k = proj::ParseKind(kind);
  if (!k.ok()) return k.status();
  std::vector<std::string> out;
  for (const auto& f : proj::RecordDoc(proj::Record::Empty(*k), options).fields) {
    out.push_back(f.name);
  }
  return out;
}

std::string MatchValue(std::string_view key, std::string_view value) {
  return proj::NormalizeMatch(key, value);
}

bool HasMatchKey(std::string_view kind, std::string_view key) {
  auto k = proj::KindNamed(kind);
  if (!k) return false;
  if (key == "name") return *k == Kind::kAccount;
  for (const auto& m : proj::MatchKeys(*k)) {
    if (m.key == key) return true;
  }
  return false;
}

std::vector<std::string_view> ListFilters(std::string_view kind) {
  std::vector<std::string_view> out;
  if (auto k = proj::KindNamed(kind)) {
    for (const auto& f : proj::Filters(*k)) out.push_back(f.filter);
  }
  return out;
}

namespace proj {

void AddString(Doc* doc, std::string name, std::string_view s) {
  std::string json;
  AppendJsonString(s, &json);
  doc->Add(std::move(name), std::move(json), std::string(s));
}

void AddNumber(Doc* doc, std::string name, int64_t n) {
  doc->Add(std::move(name), std::to_string(n), std::to_string(n));
}

void AddTime(Doc* doc, std::string name, int64_t us) {
  AddString(doc, std::move(name), FormatTimestamp(us));
}

void AddValue(Doc* doc, const FieldSpec& spec, const Value& v) {
  std::string json;
  AppendJsonValue(spec, v, &json);
  doc->Add(std::string(spec.name), std::move(json), PlainValue(spec, v));
}

// The fields of a record's document, in order, as RecordDoc builds it and AppendRecordJson writes
// it: part(name, part name, text or nullopt for null) for each part of an address flattened by
// the options, field(spec, value) for every other field. (The version, when asked for, comes
// after them.) One walk for both, so that the two can never disagree.
template <typename Part, typename Field>
void WalkRecordDoc(const Record& r, const DocOptions& options, Part&& part, Field&& field) {
  const auto& fields = Spec(r.kind).fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    const Value& v = r.values[i];
    if (options.flat_addresses && fields[i].type == Type::kAddress) {
      for (size_t p = 0; p < kAddressParts.size(); ++p) {
        const bool has = v.set && !v.address.get()[p].empty();
        part(fields[i].name, kAddressParts[p],
             has ? std::optional<std::string_view>(v.address.get()[p]) : std::nullopt);
      }
      continue;
    }
    field(fields[i], v);
  }
}

Doc RecordDoc(const Record& r, const DocOptions& options) {
  Doc doc;
  doc.fields.reserve(Spec(r.kind).fields.size() + (options.flat_addresses ? 9 : 1));
  WalkRecordDoc(
      r, options,
      [&](std::string_view field, std::string_view part, std::optional<std::string_view> text) {
        std::string name = std::string(field) + "." + std::string(part);
        if (text) {
          AddString(&doc, std::move(name), *text);
        } else {
          doc.Add(std::move(name), "null", "");
        }
      },
      [&](const FieldSpec& spec, const Value& v) { AddValue(&doc, spec, v); });
  if (options.version) AddNumber(&doc, "version", static_cast<int64_t>(r.version));
  return doc;
}

// Field names are identifiers ([a-z_.]): written as JSON keys without escaping.
void AppendRecordJson(const Record& r, const DocOptions& options, std::string* out) {
  out->push_back('{');
  bool first = true;
  auto key = [&](std::string_view name, std::string_view suffix = {}) {
    if (!first) out->push_back(',');
    first = false;
    out->push_back('"');
    out->append(name);
    if (!suffix.empty()) {
      out->push_back('.');
      out->append(suffix);
    }
    out->append("\":");
  };
  WalkRecordDoc(
      r, options,
      [&](std::string_view field, std::string_view part, std::optional<std::string_view> text) {
        key(field, part);
        if (text) {
          AppendJsonString(*text, out);
        } else {
          out->append("null");
        }
      },
      [&](const FieldSpec& spec, const Value& v) {
        key(spec.name);
        AppendJsonValue(spec, v, out);
      });
  if (options.version) {
    key("version");
    out->append(std::to_string(r.version));
  }
  out->push_back('}');
}

Result<std::optional<Record>> ReadRow(ProjectionReader& reader, std::string_view stream) {
  auto bytes = reader.Get(keys::State(stream));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Record>();
  auto r = DecodeRecord(**bytes);
  if (!r.ok()) {
    return Status::Corruption("projection row of " + std::string(stream) + ": " +
                              r.status().message() + " (run `crm replay` to rebuild)");
  }
  return std::optional<Record>(std::move(r).value());
}

namespace {

bool HistoryEntryVerifies(std::string_view value) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  return verifier.VerifyBuffer<fb::HistoryEntry>(nullptr);
}

Status DamagedHistoryEntry(std::string_view stream, std::string_view key) {
  return Status::Corruption("history entry at position " +
                            std::to_string(keys::HistoryPosition(key)) + " of " +
                            std::string(stream) +
                            " fails verification (run `crm replay` to rebuild)");
}

Result<const fb::HistoryEntry*> VerifiedHistoryEntry(std::string_view stream,
                                                     std::string_view key,
                                                     std::string_view value) {
  if (!HistoryEntryVerifies(value)) return DamagedHistoryEntry(stream, key);
  return flatbuffers::GetRoot<fb::HistoryEntry>(value.data());
}

HistoryMeta MetaOf(const fb::HistoryEntry* h) {
  HistoryMeta meta;
  meta.position = h->position();
  meta.added_position = h->added_position() ? h->added_position() : h->position();
  meta.occurred_at_us = h->occurred_at_us();
  return meta;
}

HistoryPage::Entry EntryOf(const fb::HistoryEntry* h) {
  auto view = [](const flatbuffers::String* s) {
    return s ? s->string_view() : std::string_view();
  };
  HistoryPage::Entry e;
  e.position = h->position();
  e.occurred_at_us = h->occurred_at_us();
  e.recorded_at_us = h->recorded_at_us();
  e.actor = view(h->actor());
  e.stream = view(h->stream());
  e.type = view(h->type());
  e.summary = view(h->summary());
  return e;
}

}  // namespace

Result<HistoryMeta> ReadHistoryMeta(std::string_view stream, std::string_view key,
                                    std::string_view value) {
  auto h = VerifiedHistoryEntry(stream, key, value);
  if (!h.ok()) return h.status();
  return MetaOf(*h);
}

Result<Doc> HistoryDoc(std::string_view stream, std::string_view key, std::string_view value,
                       HistoryMeta* meta) {
  auto verified = VerifiedHistoryEntry(stream, key, value);
  if (!verified.ok()) return verified.status();
  if (meta) *meta = MetaOf(*verified);
  return HistoryPage::ToDoc(EntryOf(*verified));
}

Result<Kind> ParseKind(std::string_view kind) {
  if (auto k = KindNamed(kind)) return *k;
  std::string allowed;
  for (size_t i = 0; i < kKindCount; ++i) {
    if (i) allowed.append(", ");
    allowed.append(Spec(static_cast<Kind>(i)).name);
  }
  return Status::InvalidArgument("unknown kind '" + std::string(kind) + "' (allowed: " + allowed +
                                 ")");
}

}  // namespace proj

CrmReader::CrmReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CrmReader::~CrmReader() = default;

Result<std::unique_ptr<CrmReader>> CrmReader::Open(EventStore& store) {
  auto snapshot = store.ReadProjections();
  if (!snapshot.ok()) return snapshot.status();
  auto impl = std::make_unique<Impl>();
  impl->snapshot = std::move(snapshot).value();
  return std::unique_ptr<CrmReader>(new CrmReader(std::move(impl)));
}

std::unique_ptr<CrmReader> CrmReader::Open(std::unique_ptr<EventStore::ProjectionSet> set) {
  auto impl = std::make_unique<Impl>();
  impl->snapshot.checkpoint = set->checkpoint();
  impl->aside = std::move(set);
  return std::unique_ptr<CrmReader>(new CrmReader(std::move(impl)));
}

uint64_t CrmReader::position() const { return impl_->snapshot.checkpoint; }

ProjectionReader& CrmReader::rows() { return impl_->reader(); }

Result<std::optional<Doc>> CrmReader::Get(std::string_view kind, std::string_view id,
                                          const DocOptions& options) {
  auto k = proj::ParseKind(kind);
  if (!k.ok()) return k.status();
  auto row = proj::ReadRow(impl_->reader(), StreamName(kind, id));
  if (!row.ok()) return row.status();
  if (!row->has_value()) return std::optional<Doc>();
  return std::optional<Doc>(proj::RecordDoc(**row, options));
}

Result<bool> CrmReader::GetJson(std::string_view kind, std::string_view id, std::string* out,
                                const DocOptions& options) {
  auto k = proj::ParseKind(kind);
  if (!k.ok()) return k.status();
  auto row = proj::ReadRow(impl_->reader(), StreamName(kind, id));
  if (!row.ok()) return row.status();
  if (!row->has_value()) return false;
  proj::AppendRecordJson(**row, options, out);
  return true;
}

namespace {

// "an account", "a ticket".
std::string WithArticle(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return std::string(vowel ? "an " : "a ") + std::string(noun);
}

struct Condition {
  const proj::FilterSpec* spec;
  std::string value;  // lower-cased
};

bool Matches(const Record& r, const std::vector<Condition>& conditions) {
  for (const auto& c : conditions) {
    const std::string v = proj::FilterValue(r, *c.spec);
    if (c.spec->prefix ? !v.starts_with(c.value) : v != c.value) return false;
  }
  return true;
}

std::string_view IdOfIndexKey(std::string_view key) {
  auto sep = key.rfind('\0');
  return sep == std::string_view::npos ? std::string_view() : key.substr(sep + 1);
}

}  // namespace

namespace {

// The rows of a list query, in id order, handed to fn until it returns false (ForEach and
// ForEachJson render them).
Status VisitRows(ProjectionReader& reader, const ListQuery& q,
                 const std::function<bool(const Record&)>& fn) {
  auto kind = proj::ParseKind(q.kind);
  if (!kind.ok()) return kind.status();
  std::vector<Condition> conditions;
  for (const auto& [name, value] : q.filters) {
    const proj::FilterSpec* spec = proj::FindFilter(*kind, name);
    if (!spec) {
      std::string allowed;
      for (auto f : ListFilters(q.kind)) allowed.append(allowed.empty() ? "" : ", ").append(f);
      return Status::InvalidArgument(WithArticle(q.kind) + " cannot be filtered by '" + name +
                                     "' (allowed: " + (allowed.empty() ? "none" : allowed) + ")");
    }
    auto allowed = proj::AllowedValues(*kind, name);
    if (!allowed.empty() &&
        std::none_of(allowed.begin(), allowed.end(),
                     [&](std::string_view a) { return proj::Lower(a) == proj::Lower(value); })) {
      std::string list;
      for (auto a : allowed) list.append(list.empty() ? "" : ", ").append(a);
      return Status::InvalidArgument("'" + value + "' is not " + WithArticle(q.kind) + " " + name +
                                     " (allowed: " + list + ")");
    }
    conditions.push_back({spec, proj::Lower(value)});
  }

  size_t emitted = 0;
  bool stopped = false;
  const size_t limit = q.limit == 0 ? SIZE_MAX : q.limit;
  Status error;
  auto consider = [&](std::string_view id) -> bool {  // false: stop
    if (!q.after_id.empty() && id <= q.after_id) return true;
    auto row = proj::ReadRow(reader, StreamName(q.kind, id));
    if (!row.ok()) {
      error = row.status();
      return false;
    }
    if (row->has_value() && Matches(**row, conditions)) {
      ++emitted;
      if (!fn(**row)) stopped = true;
    }
    return !stopped && emitted < limit;
  };

  const Condition* driver = nullptr;
  for (const auto& c : conditions) {
    if (!c.spec->prefix) {
      driver = &c;
      break;
    }
  }
  if (!driver && !conditions.empty()) driver = &conditions.front();
  const std::string start_after = q.after_id.empty() ? "" : q.after_id + std::string(1, '\0');

  if (driver && !driver->spec->prefix) {
    // Equality: the index lists matching ids in id order.
    std::string prefix = proj::keys::IndexPrefix(q.kind, driver->spec->filter);
    prefix.append(driver->value).push_back('\0');
    CRM_RETURN_IF_ERROR(reader.Scan(prefix, start_after.empty() ? "" : prefix + start_after,
                                    [&](std::string_view k, std::string_view) {
                                      return consider(IdOfIndexKey(k));
                                    }));
  } else if (driver) {
    // Name prefix: matches are in name order; collect and sort their ids.
    std::string prefix = proj::keys::IndexPrefix(q.kind, driver->spec->filter) + driver->value;
    std::vector<std::string> ids;
    CRM_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](std::string_view k, std::string_view) {
      ids.emplace_back(IdOfIndexKey(k));
      return true;
    }));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const auto& id : ids) {
      if (!consider(id)) break;
    }
  } else {
    // No filter: the state rows themselves are in id order.
    const std::string prefix = proj::keys::StatePrefix(q.kind);
    CRM_RETURN_IF_ERROR(reader.Scan(
        prefix, start_after.empty() ? "" : prefix + start_after,
        [&](std::string_view k, std::string_view) { return consider(k.substr(prefix.size())); }));
  }
  return error;
}

}  // namespace

Status CrmReader::ForEach(const ListQuery& q, const std::function<bool(Doc&&)>& fn,
                          const DocOptions& options) {
  return VisitRows(impl_->reader(), q,
                   [&](const Record& r) { return fn(proj::RecordDoc(r, options)); });
}

Status CrmReader::ForEachJson(const ListQuery& q,
                              const std::function<bool(std::string_view json)>& fn,
                              const DocOptions& options) {
  std::string line;
  return VisitRows(impl_->reader(), q, [&](const Record& r) {
    line.clear();
    proj::AppendRecordJson(r, options, &line);
    return fn(line);
  });
}

Result<std::vector<Doc>> CrmReader::List(const ListQuery& q) {
  std::vector<Doc> out;
  CRM_RETURN_IF_ERROR(ForEach(q, [&](Doc&& d) {
    out.push_back(std::move(d));
    return true;
  }));
  return out;
}

Result<std::vector<std::string>> CrmReader::FindMatches(std::string_view kind,
                                                        std::string_view key,
                                                        std::string_view value, size_t limit) {
  if (!HasMatchKey(kind, key)) {
    return Status::InvalidArgument(WithArticle(kind) + " has no match key '" + std::string(key) +
                                   "'");
  }
  std::vector<std::string> ids;
  const std::string normalized = MatchValue(key, value);
  if (normalized.empty()) return ids;
  std::string prefix = proj::keys::IndexPrefix(kind, key);
  prefix.append(normalized).push_back('\0');
  CRM_RETURN_IF_ERROR(impl_->reader().Scan(prefix, "", [&](std::string_view k, std::string_view) {
    ids.emplace_back(k.substr(prefix.size()));
    return limit == 0 || ids.size() < limit;
  }));
  return ids;
}



Result<std::vector<Doc>> CrmReader::History(std::string_view stream, size_t limit,
                                            uint64_t before) {
  auto page = HistoryEntries(stream, limit, before);
  if (!page.ok()) return page.status();
  std::vector<Doc> out;
  out.reserve(page->size());
  for (const HistoryPage::Entry& e : *page) out.push_back(HistoryPage::ToDoc(e));
  return out;
}

Result<HistoryPage> CrmReader::HistoryEntries(std::string_view stream, size_t limit,
                                              uint64_t before) {
  auto kind = proj::KindOfStream(stream);
  if (!kind || !proj::KeepsHistory(*kind)) {
    return Status::InvalidArgument("'" + std::string(stream) +
                                   "' has no history: accounts, contacts and leads do");
  }
  ProjectionReader& reader = impl_->reader();
  auto row = proj::ReadRow(reader, stream);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return Status::NotFound(std::string(stream) + " does not exist");

  HistoryPage page;
  if (before == 1) return page;
  const std::string prefix = proj::keys::HistoryPrefix(stream);
  const std::string start = before > 1 ? proj::keys::History(stream, before - 1) : "";
  // Each value is copied, then verified where it will be read: offsets first, views once the
  // buffer has stopped growing.
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, size) in page.bytes_
  const size_t expected = limit == 0 ? 16 : std::min<size_t>(limit, 256);
  spans.reserve(expected);
  page.bytes_.reserve(expected * 256);  // entries are ~100-300 bytes
  Status error;
  CRM_RETURN_IF_ERROR(reader.Scan(prefix, start, [&](std::string_view k, std::string_view v) {
    const size_t offset = page.bytes_.size();
    page.bytes_.insert(page.bytes_.end(), v.begin(), v.end());
    if (!proj::HistoryEntryVerifies({page.bytes_.data() + offset, v.size()})) {
      error = proj::DamagedHistoryEntry(stream, k);
      return false;
    }
    spans.emplace_back(offset, v.size());
    return limit == 0 || spans.size() < limit;
  }));
  if (!error.ok()) return error;
  page.entries_.reserve(spans.size());
  for (const auto& [offset, size] : spans) {
    page.entries_.push_back(proj::EntryOf(
        flatbuffers::GetRoot<fb::HistoryEntry>(page.bytes_.data() + offset)));
  }
  return page;
}

Doc HistoryPage::ToDoc(const Entry& e) {
  Doc d;
  d.fields.reserve(7);
  proj::AddNumber(&d, "position", static_cast<int64_t>(e.position));
  proj::AddTime(&d, "occurred_at", e.occurred_at_us);
  proj::AddTime(&d, "recorded_at", e.recorded_at_us);
  proj::AddString(&d, "actor", e.actor);
  proj::AddString(&d, "stream", e.stream);
  proj::AddString(&d, "type", e.type);
  proj::AddString(&d, "summary", e.summary);
  return d;
}

void HistoryPage::AppendJson(const Entry& e, std::string* out) {
  char time[kMaxTimestampChars];
  out->append("{\"position\":").append(std::to_string(e.position));
  out->append(",\"occurred_at\":\"").append(time, FormatTimestampTo(e.occurred_at_us, time));
  out->append("\",\"recorded_at\":\"").append(time, FormatTimestampTo(e.recorded_at_us, time));
  out->append("\",\"actor\":");
  proj::AppendJsonString(e.actor, out);
  out->append(",\"stream\":");
  proj::AppendJsonString(e.stream, out);
  out->append(",\"type\":");
  proj::AppendJsonString(e.type, out);
  out->append(",\"summary\":");
  proj::AppendJsonString(e.summary, out);
  out->push_back('}');
}

Result<std::vector<Doc>> Audit(EventStore& store, std::string_view stream,
                               std::string_view field) {
  const bool settings = StreamKind(stream) == "config";
  auto kind = proj::KindOfStream(stream);
  if (!kind && !settings) {
    return Status::InvalidArgument("'" + std::string(stream) +
                                   "' is not the stream of an entity (kind-id, e.g. account-A1)");
  }
  if (kind && !field.empty() && proj::FieldIndex(*kind, field) >= 0 &&
      proj::Spec(*kind).fields[proj::FieldIndex(*kind, field)].derived) {
    return Status::InvalidArgument(
        "'" + std::string(field) + "' is derived from other streams' events (counters, last "
        "activity), not a change of the " + std::string(proj::Spec(*kind).name) +
        ": it has no audit trail; see `crm history`");
  }
  if (kind && !field.empty() && proj::FieldIndex(*kind, field) < 0) {
    std::string allowed;
    for (const auto& f : proj::Spec(*kind).fields) {
      if (!f.derived) allowed.append(allowed.empty() ? "" : ", ").append(f.name);
    }
    return Status::InvalidArgument(WithArticle(proj::Spec(*kind).name) + " has no field '" +
                                   std::string(field) + "' (fields: " + allowed + ")");
  }
  auto reader = store.ReadStream(stream, 1, Direction::kForward);
  if (!reader.ok()) return reader.status();
  std::vector<Doc> out;
  Record row = Record::Empty(kind.value_or(Kind::kAccount));
  bool any = false;
  auto emit = [&](const EventView& e, std::string_view name, std::string old_json,
                  std::string old_text, std::string new_json, std::string new_text) {
    if (!field.empty() && name != field) return;
    Doc d;
    proj::AddNumber(&d, "position", static_cast<int64_t>(e.position));
    proj::AddTime(&d, "recorded_at", e.recorded_at_us());
    proj::AddString(&d, "actor", e.envelope->actor() ? e.envelope->actor()->string_view() : "");
    proj::AddString(&d, "type", e.type_name());
    proj::AddString(&d, "field", name);
    d.Add("old", std::move(old_json), std::move(old_text));
    d.Add("new", std::move(new_json), std::move(new_text));
    out.push_back(std::move(d));
  };
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const EventView& e = **next;
    any = true;
    if (settings) {
      if (const auto* p = e.envelope->data_as_SettingChanged()) {
        auto json = [](const flatbuffers::String* s) {
          std::string j;
          if (s && s->size()) {
            proj::AppendJsonString(s->string_view(), &j);
          } else {
            j = "null";
          }
          return j;
        };
        auto text = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
        emit(e, p->key() ? p->key()->string_view() : "", json(p->previous()),
             text(p->previous()), json(p->value()), text(p->value()));
      }
      continue;
    }
    const Record before = row;
    if (!proj::FoldOwn(e, &row)) continue;
    const auto& fields = proj::Spec(row.kind).fields;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].derived || before.values[i] == row.values[i]) continue;
      std::string oj, nj;
      proj::AppendJsonValue(fields[i], before.values[i], &oj);
      proj::AppendJsonValue(fields[i], row.values[i], &nj);
      emit(e, fields[i].name, std::move(oj), proj::PlainValue(fields[i], before.values[i]),
           std::move(nj), proj::PlainValue(fields[i], row.values[i]));
    }
  }
  if (!any) return Status::NotFound(std::string(stream) + " does not exist");
  return out;
}

}  // namespace crm
