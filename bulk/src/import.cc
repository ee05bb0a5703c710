// CsvImport: header mapping, then rows in batches -- values checked and normalised, the entity id
// (given or generated), duplicate detection against the projections' snapshot and the batch's
// earlier rows, the commands, one ExecuteBatch (one group commit) per batch, and each row's
// outcome from its commands' results.
//
// Decisions are only ever taken against committed state: a row that matches an earlier row of
// its own batch waits until that row's commands have committed (or failed), then runs again on
// the new snapshot, so the first row of a pair wins exactly as if they were in two files.
#include <fcntl.h>
#include <openssl/sha.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "bulk/src/csv_reader.h"
#include "bulk/src/import_internal.h"
#include "crm/bulk.h"
#include "crm/commands.h"

namespace crm {

const std::vector<std::string_view>& ImportKinds() {
  static const std::vector<std::string_view> kinds = {"account", "contact", "lead", "opportunity",
                                                      "ticket"};
  return kinds;
}

namespace bulk {
namespace {

std::string Join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto i : items) out.append(out.empty() ? "" : ", ").append(i);
  return out;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether `s` is a JSON number (it is written into the command's JSON as is): RapidJSON parses
// it as a whole document. A number starts with '-' or a digit, which turns away anything else
// before parsing; the parser is the iterative one, as everywhere a cell or a file is parsed, so
// that a cell of a million '[' cannot exhaust the stack (the recursive one crashed on it).
bool IsJsonNumber(std::string_view s) {
  if (s.empty() || (s.front() != '-' && !IsDigit(s.front()))) return false;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(s.data(), s.size());
  return !d.HasParseError() && d.IsNumber();
}

bool IsFullDate(std::string_view s) {
  return s.size() == 10 && IsDigit(s[0]) && IsDigit(s[1]) && IsDigit(s[2]) && IsDigit(s[3]) &&
         s[4] == '-' && IsDigit(s[5]) && IsDigit(s[6]) && s[7] == '-' && IsDigit(s[8]) &&
         IsDigit(s[9]);
}

// The match keys of a kind, in the order they are tried, with the field each reads.
struct MatchKey {
  std::string_view key;    // "id", "name", "email", "phone"
  std::string_view field;  // the field holding the value ("" for the id)
  std::string_view what;   // for messages: "same name (case-insensitive)"
};
std::vector<MatchKey> MatchKeysOf(std::string_view kind) {
  std::vector<MatchKey> keys = {{"id", "", "same id"}};
  if (kind == "account") {
    keys.push_back({"name", "name", "same name (case-insensitive)"});
    keys.push_back({"email", "email", "same e-mail address"});
    keys.push_back({"phone", "phone", "same phone number"});
  } else if (kind == "contact") {
    keys.push_back({"email", "email", "same e-mail address"});
  }
  return keys;
}

// A generated id: "imp-" and 24 hex digits of SHA-256 over the kind and the row's values by
// field name, so the same row always gets the same id (re-imports find it) whatever the order or
// the headers of the columns.
std::string GeneratedId(const RowValues& row) {
  std::string input(row.kind->kind);
  input.push_back('\0');
  for (size_t i = 0; i < row.v.size(); ++i) {
    if (row.v[i].empty()) continue;
    input.append(row.kind->fields[i].name).push_back('=');
    input.append(row.v[i]).push_back('\0');
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string id = "imp-";
  for (int i = 0; i < 12; ++i) {
    id.push_back(kHex[digest[i] >> 4]);
    id.push_back(kHex[digest[i] & 15]);
  }
  return id;
}

// A command's result line, decoded.
struct CommandResult {
  bool ok = false;
  uint64_t events = 0;
  std::string code, message;
};

CommandResult Decode(const ExecResult& r) {
  CommandResult out;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(r.line.data(), r.line.size());
  if (d.HasParseError() || !d.IsObject()) {
    out.code = "STORAGE_ERROR";
    out.message = "unreadable result: " + r.line;
    return out;
  }
  out.ok = r.ok;
  if (r.ok) {
    if (d.HasMember("events") && d["events"].IsArray()) out.events = d["events"].Size();
  } else if (d.HasMember("error") && d["error"].IsObject()) {
    const auto& e = d["error"];
    if (e.HasMember("code") && e["code"].IsString()) out.code = e["code"].GetString();
    if (e.HasMember("message") && e["message"].IsString()) out.message = e["message"].GetString();
  }
  return out;
}

struct Row {
  uint64_t number = 0, line = 0;
  std::vector<std::string> cells;
  // Set when the row waited for an earlier row of its batch: that row and the entity it made.
  uint64_t waited_row = 0;
  std::string waited_id;
};

enum class Action : uint8_t { kCreate, kUpdate, kSkip, kFail, kWait };

struct Plan {
  Action action = Action::kFail;
  std::vector<RowCommand> commands;
  size_t first = 0;  // index of its first command in the batch
  RowReport report;
  std::string parent_later;  // parent_account_id to set after the import
  std::string occurred_at;   // the row's business time, if it has one
};

// A parent link that has to wait for the end of the import (the parent came later in the file).
struct LaterParent {
  uint64_t row, line;
  std::string id, parent;
  std::string occurred_at;  // the row's business time: the parent belonged to it from the start
  Action counted_as;
  bool changed;  // the row's own commands appended events
};

}  // namespace
}  // namespace bulk

struct CsvImport::Impl {
  const bulk::KindDef* kind = nullptr;
  ImportOptions options;
  std::string path;
  std::unique_ptr<bulk::CsvReader> reader;
  std::vector<ImportColumn> columns;
  std::vector<std::string> headers;
  std::vector<int> field_of_column;  // -1: not imported
  std::vector<int> column_of_field;  // -1: no column
  bool ran = false;

  // Run state.
  EventStore* store = nullptr;
  std::unique_ptr<CommandExecutor> executor;
  ImportSink* sink = nullptr;
  ImportSummary summary;
  uint64_t start_position = 0;
  std::vector<bulk::LaterParent> later_parents;

  Status Map(const ImportOptions& o);
  Result<ImportSummary> Run(EventStore& store, ImportSink& sink);
  Status RunBatch(std::deque<bulk::Row>& batch);
  bulk::Plan PlanRow(bulk::Row& row, CrmReader& snapshot,
                     std::unordered_map<std::string, std::pair<uint64_t, std::string>>* keys);
  // Counts the row's outcome; returns its report if it failed or was skipped.
  std::optional<RowReport> Finish(bulk::Plan& plan,
                                  const std::vector<bulk::CommandResult>& results);
  Status RunLaterParents();
  int BlameField(std::string_view message, std::string_view code, const bulk::RowCommand& cmd,
                 bool is_create) const;
  void SetColumn(int field, RowReport* report) const;
  bool CreatedByThisImport(const std::string& id);
};

namespace {
using bulk::Action;
using bulk::FieldDef;
using bulk::Use;
}  // namespace

CsvImport::CsvImport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CsvImport::~CsvImport() = default;

const std::vector<ImportColumn>& CsvImport::columns() const { return impl_->columns; }

Result<std::unique_ptr<CsvImport>> CsvImport::Open(const std::string& path,
                                                   const ImportOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->kind = bulk::FindKind(options.kind);
  if (!impl->kind) {
    return Status::InvalidArgument("cannot import '" + options.kind + "': import supports " +
                                   bulk::Join(ImportKinds()));
  }
  impl->options = options;
  if (impl->options.batch_rows == 0) impl->options.batch_rows = 1;
  impl->path = path;
  auto reader = bulk::CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  impl->reader = std::move(reader).value();
  auto header = impl->reader->Next();
  if (!header.ok()) return header.status();
  if (!header->has_value()) return Status::InvalidArgument(path + " is empty: no header row");
  if (!(*header)->problem.empty()) {
    return Status::InvalidArgument(path + ": the header row is malformed: " + (*header)->problem);
  }
  impl->headers = std::move((*header)->fields);
  CRM_RETURN_IF_ERROR(impl->Map(options));
  return std::unique_ptr<CsvImport>(new CsvImport(std::move(impl)));
}

Status CsvImport::Impl::Map(const ImportOptions& o) {
  const bulk::KindDef& k = *kind;
  auto importable = [&] {
    std::vector<std::string_view> names;
    for (const auto& f : k.fields) {
      if (f.use != Use::kComputed) names.push_back(f.name);
    }
    return bulk::Join(names);
  };
  // --map SRC=FIELD: the target must be a field the kind imports (or empty: ignore the column).
  std::vector<int> mapped(headers.size(), -2);  // -2: no --map; -1: ignored; else the field
  for (const auto& [src, target] : o.column_map) {
    int field = -1;
    if (!target.empty()) {
      field = bulk::FieldNamed(k, target);
      if (field < 0) field = bulk::FindField(k, target);
      if (field < 0) {
        return Status::InvalidArgument("--map " + src + "=" + target + ": " + std::string(k.kind) +
                                       " has no field '" + target + "' (fields: " + importable() +
                                       ")");
      }
      if (k.fields[field].use == Use::kComputed) {
        return Status::InvalidArgument("--map " + src + "=" + target + ": '" +
                                       std::string(k.fields[field].name) +
                                       "' is computed by crm and cannot be imported");
      }
    }
    int column = -1;
    for (size_t c = 0; c < headers.size() && column < 0; ++c) {
      if (headers[c] == src) column = static_cast<int>(c);
    }
    for (size_t c = 0; c < headers.size() && column < 0; ++c) {
      if (!bulk::NormalizeHeader(src).empty() &&
          bulk::NormalizeHeader(headers[c]) == bulk::NormalizeHeader(src)) {
        column = static_cast<int>(c);
      }
    }
    if (column < 0) {
      return Status::InvalidArgument("--map " + src + "=" + target + ": " + path +
                                     " has no column '" + src + "'");
    }
    mapped[column] = field;
  }

  field_of_column.assign(headers.size(), -1);
  column_of_field.assign(k.fields.size(), -1);
  columns.clear();
  for (size_t c = 0; c < headers.size(); ++c) {
    ImportColumn col;
    col.header = headers[c];
    int field = mapped[c];
    if (field == -1) {
      col.use = ImportColumn::Use::kIgnored;
    } else {
      if (field == -2) field = bulk::FindField(k, headers[c]);
      if (field < 0) {
        col.use = ImportColumn::Use::kUnknown;
      } else if (k.fields[field].use == Use::kComputed) {
        col.use = ImportColumn::Use::kComputed;
        col.field = std::string(k.fields[field].name);
      } else {
        col.use = ImportColumn::Use::kField;
        col.field = std::string(k.fields[field].name);
        if (column_of_field[field] >= 0) {
          return Status::InvalidArgument("columns '" + headers[column_of_field[field]] + "' and '" +
                                         headers[c] + "' both map to " + col.field +
                                         "; choose one with --map (e.g. --map '" + headers[c] +
                                         "=' ignores the second)");
        }
        column_of_field[field] = static_cast<int>(c);
        field_of_column[c] = field;
      }
    }
    columns.push_back(std::move(col));
  }
  if (std::all_of(field_of_column.begin(), field_of_column.end(), [](int f) { return f < 0; })) {
    return Status::InvalidArgument("no column of " + path + " maps to " + std::string(k.kind) +
                                   " fields (" + importable() +
                                   "); rename the header or use --map SRC=FIELD");
  }
  for (size_t f = 0; f < k.fields.size(); ++f) {
    if (k.fields[f].required && column_of_field[f] < 0) {
      return Status::InvalidArgument(
          "no column of " + path + " maps to " + std::string(k.fields[f].name) + ", which every " +
          std::string(k.kind) +
          " needs; rename the header or use --map SRC=" + std::string(k.fields[f].name));
    }
  }
  return Status::Ok();
}

Result<ImportSummary> CsvImport::Run(EventStore& store, ImportSink& sink) {
  return impl_->Run(store, sink);
}

Result<ImportSummary> CsvImport::Impl::Run(EventStore& s, ImportSink& out) {
  if (ran) return Status::InvalidArgument("an import runs once");
  ran = true;
  store = &s;
  sink = &out;
  ExecOptions eo;
  eo.default_actor = options.actor;
  executor = std::make_unique<CommandExecutor>(store, eo);
  start_position = store->LastPosition();

  std::optional<RowReport> fatal;  // reported after the rows before it
  bool eof = false;
  while (true) {
    std::deque<bulk::Row> batch;
    while (!eof && batch.size() < options.batch_rows) {
      auto next = reader->Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) {
        eof = true;
        break;
      }
      bulk::CsvRecord& rec = **next;
      if (!rec.problem.empty()) {
        RowReport r;
        r.row = ++summary.rows;
        r.line = rec.line;
        r.code = "BAD_REQUEST";
        r.message = rec.problem;
        fatal = std::move(r);
        summary.complete = false;
        eof = true;
        break;
      }
      if (std::all_of(rec.fields.begin(), rec.fields.end(), [](const std::string& f) {
            return f.find_first_not_of(" \t\r\n") == std::string::npos;
          })) {
        continue;  // a blank row
      }
      bulk::Row row;
      row.number = ++summary.rows;
      row.line = rec.line;
      row.cells = std::move(rec.fields);
      batch.push_back(std::move(row));
    }
    if (batch.empty()) break;
    CRM_RETURN_IF_ERROR(RunBatch(batch));
    if (options.progress) options.progress(summary.rows, reader->bytes_read(), reader->size());
  }
  CRM_RETURN_IF_ERROR(RunLaterParents());
  if (fatal) {
    ++summary.failed;
    sink->Row(*fatal);
  }
  return summary;
}

// Plans and executes `batch`; rows that matched an earlier row of the batch run again right
// after the commit, on the new snapshot, until none is left. Reports go out in row order.
Status CsvImport::Impl::RunBatch(std::deque<bulk::Row>& batch) {
  std::vector<RowReport> reports;
  while (!batch.empty()) {
    auto snapshot = CrmReader::Open(*store);
    if (!snapshot.ok()) return snapshot.status();
    // The match keys of this round's rows so far: "key\0value" -> (row, entity id).
    std::unordered_map<std::string, std::pair<uint64_t, std::string>> keys;
    std::vector<bulk::Plan> plans;
    plans.reserve(batch.size());
    std::vector<std::string_view> lines;
    for (bulk::Row& row : batch) {
      plans.push_back(PlanRow(row, **snapshot, &keys));
      bulk::Plan& p = plans.back();
      p.first = lines.size();
      for (const auto& c : p.commands) lines.push_back(c.json);
    }
    snapshot->reset();
    std::vector<bulk::CommandResult> results;
    if (!lines.empty()) {
      std::vector<ExecResult> raw = executor->ExecuteBatch(lines);
      results.reserve(raw.size());
      for (const auto& r : raw) results.push_back(bulk::Decode(r));
    }
    std::deque<bulk::Row> waiting;
    for (size_t i = 0; i < plans.size(); ++i) {
      if (plans[i].action == Action::kWait) {
        waiting.push_back(std::move(batch[i]));
      } else if (auto report = Finish(plans[i], results)) {
        reports.push_back(std::move(*report));
      }
    }
    for (const auto& r : results) {
      if (!r.ok && r.code == "STORAGE_ERROR") {
        for (const auto& report : reports) sink->Row(report);
        return Status::IOError("storage failed during the import: " + r.message);
      }
    }
    batch = std::move(waiting);
  }
  std::stable_sort(reports.begin(), reports.end(),
                   [](const RowReport& a, const RowReport& b) { return a.row < b.row; });
  for (const auto& report : reports) sink->Row(report);
  return Status::Ok();
}

bulk::Plan CsvImport::Impl::PlanRow(
    bulk::Row& row, CrmReader& snapshot,
    std::unordered_map<std::string, std::pair<uint64_t, std::string>>* keys) {
  const bulk::KindDef& k = *kind;
  bulk::Plan p;
  p.report.row = row.number;
  p.report.line = row.line;
  auto fail = [&](int field, std::string code, std::string message) {
    p.action = Action::kFail;
    p.report.outcome = RowReport::Outcome::kFailed;
    p.report.code = std::move(code);
    p.report.message = std::move(message);
    SetColumn(field, &p.report);
    return std::move(p);
  };
  if (row.cells.size() != headers.size()) {
    return fail(-1, "BAD_REQUEST",
                "the row has " + std::to_string(row.cells.size()) + " fields; the header has " +
                    std::to_string(headers.size()));
  }

  // Values: checked for UTF-8, normalised by shape.
  bulk::RowValues values;
  values.kind = kind;
  values.v.resize(k.fields.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    const int f = field_of_column[c];
    if (f < 0 || row.cells[c].empty()) continue;
    const std::string& cell = row.cells[c];
    size_t bad = 0;
    if (!bulk::IsValidUtf8(cell, &bad)) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(cell[bad]));
      return fail(f, "BAD_REQUEST",
                  "column " + bulk::Quoted(headers[c]) + " is not valid UTF-8 (byte " + byte +
                      " at offset " + std::to_string(bad) + ")");
    }
    const FieldDef& def = k.fields[f];
    const std::string_view trimmed = bulk::Trim(cell);
    std::string value = cell;
    switch (def.shape) {
      case bulk::Shape::kEnum:
        if (const char* e = bulk::MatchEnum(def.values, trimmed)) {
          value = e;
        } else if (def.use == Use::kStatus) {
          // Not a field of any command: checked here.
          return fail(f, "VALIDATION_ERROR",
                      "invalid " + std::string(def.name) + " " + bulk::Quoted(cell) +
                          "; allowed: " + bulk::EnumList(def.values));
        }
        break;
      case bulk::Shape::kCount:
        value = std::string(trimmed);
        if (!bulk::IsJsonNumber(value)) {
          return fail(f, "VALIDATION_ERROR",
                      std::string(def.name) + " must be a whole number, not " + bulk::Quoted(cell));
        }
        break;
      case bulk::Shape::kTime:
        value = std::string(trimmed);
        if (bulk::IsFullDate(value)) value += "T00:00:00Z";
        break;
      case bulk::Shape::kMoney:
        value = std::string(trimmed);
        break;
      default:
        break;
    }
    values.v[f] = std::move(value);
  }

  const int id_field = bulk::FieldWithUse(k, Use::kId);
  const std::string id = values.has(id_field) ? values.at(id_field) : bulk::GeneratedId(values);
  p.report.id = id;

  // Duplicates: the first match key that finds an entity decides.
  std::string existing;
  std::optional<Doc> existing_doc;
  const bulk::MatchKey* matched = nullptr;
  DocOptions flat;
  flat.flat_addresses = true;
  const auto match_keys = bulk::MatchKeysOf(k.kind);
  std::vector<std::string> row_keys;  // "key\0normalised value" of this row
  for (const auto& mk : match_keys) {
    const std::string& raw = mk.key == "id" ? id : values.named(mk.field);
    const std::string norm = mk.key == "id" ? id : MatchValue(mk.key, raw);
    if (norm.empty()) continue;
    std::string batch_key = std::string(mk.key) + '\0' + norm;
    if (auto it = keys->find(batch_key); it != keys->end()) {
      row.waited_row = it->second.first;
      row.waited_id = it->second.second;
      p.action = Action::kWait;
      return p;
    }
    row_keys.push_back(std::move(batch_key));
    if (!existing.empty()) continue;  // keep collecting this row's keys
    if (mk.key == "id") {
      auto doc = snapshot.Get(k.kind, id, flat);
      if (!doc.ok()) return fail(-1, "STORAGE_ERROR", doc.status().message());
      if (doc->has_value()) {
        existing = id;
        existing_doc = std::move(*doc);
        matched = &mk;
      }
    } else {
      auto ids = snapshot.FindMatches(k.kind, mk.key, raw, 1);
      if (!ids.ok()) return fail(-1, "STORAGE_ERROR", ids.status().message());
      if (!ids->empty()) {
        existing = ids->front();
        matched = &mk;
      }
    }
  }
  const bool update = !existing.empty() && options.on_duplicate == OnDuplicate::kUpdate;
  if (existing.empty() || update) {
    for (auto& key : row_keys) keys->emplace(std::move(key), std::make_pair(row.number, id));
    if (update)
      keys->emplace(std::string("id") + '\0' + existing, std::make_pair(row.number, existing));
  }

  // A parent account that neither exists nor comes earlier in this batch is linked at the end.
  bool parent_later = false;
  if (k.kind == "account" && values.has(bulk::FieldNamed(k, "parent_account_id"))) {
    const std::string& parent = values.named("parent_account_id");
    if (!keys->count(std::string("id") + '\0' + parent)) {
      auto doc = snapshot.Get(k.kind, parent);
      if (!doc.ok()) return fail(-1, "STORAGE_ERROR", doc.status().message());
      parent_later = !doc->has_value();
    }
    if (parent_later) {
      p.parent_later = parent;
      p.occurred_at = values.at(bulk::FieldWithUse(k, Use::kOccurredAt));
    }
  }

  if (!existing.empty()) {
    RowReport& r = p.report;
    r.duplicate_of = existing;
    r.match = std::string(matched->key);
    r.duplicate_in_file = CreatedByThisImport(existing);
    if (row.waited_id == existing) r.duplicate_of_row = row.waited_row;
    const int match_field = matched->key == "id" ? id_field : bulk::FieldNamed(k, matched->field);
    std::string where;
    if (r.duplicate_of_row) {
      where = " (row " + std::to_string(r.duplicate_of_row) + " of this file)";
    } else if (r.duplicate_in_file) {
      where = " (imported earlier from this file)";
    }
    const std::string message = "duplicate of " + std::string(k.kind) + " " + existing + where +
                                ": " + std::string(matched->what);
    switch (options.on_duplicate) {
      case OnDuplicate::kSkip:
        p.action = Action::kSkip;
        r.outcome = RowReport::Outcome::kSkipped;
        r.message = message;
        SetColumn(match_field, &r);
        return p;
      case OnDuplicate::kError:
        return fail(match_field, "ALREADY_EXISTS", message);
      case OnDuplicate::kUpdate:
        break;
    }
    if (!existing_doc) {
      auto doc = snapshot.Get(k.kind, existing, flat);
      if (!doc.ok()) return fail(-1, "STORAGE_ERROR", doc.status().message());
      if (!doc->has_value()) return fail(-1, "STORAGE_ERROR", "index entry without its row");
      existing_doc = std::move(*doc);
    }
    auto cmds = bulk::UpdateCommands(values, existing, *existing_doc, parent_later);
    if (auto* e = std::get_if<bulk::RowError>(&cmds)) return fail(e->field, e->code, e->message);
    p.action = Action::kUpdate;
    p.report.id = existing;
    p.commands = std::move(std::get<std::vector<bulk::RowCommand>>(cmds));
    return p;
  }

  auto cmds = bulk::CreateCommands(values, id, parent_later);
  if (auto* e = std::get_if<bulk::RowError>(&cmds)) return fail(e->field, e->code, e->message);
  p.action = Action::kCreate;
  p.commands = std::move(std::get<std::vector<bulk::RowCommand>>(cmds));
  return p;
}

std::optional<RowReport> CsvImport::Impl::Finish(bulk::Plan& p,
                                                 const std::vector<bulk::CommandResult>& results) {
  switch (p.action) {
    case Action::kSkip:
      ++summary.skipped;
      return std::move(p.report);
    case Action::kFail:
      ++summary.failed;
      return std::move(p.report);
    case Action::kWait:
      return std::nullopt;
    case Action::kCreate:
    case Action::kUpdate:
      break;
  }
  uint64_t events = 0;
  int failed = -1;
  for (size_t i = 0; i < p.commands.size(); ++i) {
    const bulk::CommandResult& r = results[p.first + i];
    if (r.ok) {
      events += r.events;
      if (r.events > 0) p.report.applied.emplace_back(p.commands[i].type);
    } else if (failed < 0) {
      failed = static_cast<int>(i);
    }
  }
  summary.events += events;
  if (failed >= 0) {
    const bulk::CommandResult& r = results[p.first + failed];
    RowReport& report = p.report;
    report.outcome = RowReport::Outcome::kFailed;
    report.code = r.code;
    report.message = r.message;
    SetColumn(BlameField(r.message, r.code, p.commands[failed], failed == 0), &report);
    ++summary.failed;
    return std::move(report);
  }
  if (p.action == Action::kCreate) {
    ++summary.created;
  } else if (events > 0) {
    ++summary.updated;
  } else {
    ++summary.unchanged;
  }
  if (!p.parent_later.empty()) {
    later_parents.push_back({p.report.row, p.report.line, p.report.id, p.parent_later,
                             p.occurred_at, p.action, events > 0});
  }
  return std::nullopt;
}

Status CsvImport::Impl::RunLaterParents() {
  const int parent_field = bulk::FieldNamed(*kind, "parent_account_id");
  for (size_t start = 0; start < later_parents.size(); start += options.batch_rows) {
    const size_t end = std::min(later_parents.size(), start + options.batch_rows);
    std::vector<bulk::RowCommand> cmds;
    std::vector<std::string_view> lines;
    for (size_t i = start; i < end; ++i) {
      cmds.push_back(bulk::ParentCommand(later_parents[i].id, later_parents[i].parent,
                                         later_parents[i].occurred_at));
    }
    for (const auto& c : cmds) lines.push_back(c.json);
    std::vector<ExecResult> raw = executor->ExecuteBatch(lines);
    for (size_t i = start; i < end; ++i) {
      const bulk::LaterParent& lp = later_parents[i];
      const bulk::CommandResult r = bulk::Decode(raw[i - start]);
      if (r.ok) {
        summary.events += r.events;
        if (lp.counted_as == Action::kUpdate && !lp.changed && r.events > 0) {
          --summary.unchanged;
          ++summary.updated;
        }
        continue;
      }
      if (r.code == "STORAGE_ERROR") {
        return Status::IOError("storage failed during the import: " + r.message);
      }
      if (lp.counted_as == Action::kCreate) {
        --summary.created;
      } else if (lp.changed) {
        --summary.updated;
      } else {
        --summary.unchanged;
      }
      ++summary.failed;
      RowReport report;
      report.row = lp.row;
      report.line = lp.line;
      report.id = lp.id;
      report.code = r.code;
      report.message = r.message + " (the account was " +
                       (lp.counted_as == Action::kCreate ? "created" : "updated") +
                       " without its parent, which came later in the file)";
      if (lp.counted_as == Action::kCreate) report.applied.push_back(std::string(kind->create));
      SetColumn(parent_field, &report);
      sink->Row(report);
    }
  }
  later_parents.clear();
  return Status::Ok();
}

void CsvImport::Impl::SetColumn(int field, RowReport* report) const {
  if (field < 0) return;
  report->field = std::string(kind->fields[field].name);
  if (column_of_field[field] >= 0) report->column = headers[column_of_field[field]];
}

// The field a command's error message is about: messages start with the field's name
// ("email is not a valid e-mail address…", "invalid priority…", `missing required field
// "name"`) or name an entity ("account 'A9' does not exist"). Otherwise the command's trigger.
int CsvImport::Impl::BlameField(std::string_view message, std::string_view code,
                                const bulk::RowCommand& cmd, bool is_create) const {
  const bulk::KindDef& k = *kind;
  std::string_view m = message;
  for (std::string_view prefix :
       {"invalid ", "duplicate ", "missing required field \"", "field \""}) {
    if (m.substr(0, prefix.size()) == prefix) m.remove_prefix(prefix.size());
  }
  auto starts_with_word = [&](std::string_view word) {
    if (m.substr(0, word.size()) != word) return false;
    if (m.size() == word.size()) return true;
    const char next = m[word.size()];
    return next == ' ' || next == '.' || next == '"' || next == ':';
  };
  if (starts_with_word("occurred_at")) {
    return is_create ? bulk::FieldWithUse(k, Use::kOccurredAt) : cmd.trigger;
  }
  int best = -1;
  size_t best_len = 0;
  for (size_t i = 0; i < k.fields.size(); ++i) {
    const FieldDef& f = k.fields[i];
    if (f.use == Use::kComputed) continue;
    std::string_view name = f.name;
    if (f.shape == bulk::Shape::kAddressPart && !starts_with_word(name)) {
      // "billing_address needs at least one part": the address's first part with a column.
      name = name.substr(0, name.find('.'));
      if (!starts_with_word(name) || column_of_field[i] < 0) continue;
    } else if (!starts_with_word(name) && !(!f.json_key.empty() && starts_with_word(f.json_key))) {
      continue;
    }
    if (name.size() > best_len) {
      best = static_cast<int>(i);
      best_len = name.size();
    }
  }
  if (best >= 0) return best;
  // "account \"A9\" does not exist", "account 'A1' already exists".
  for (std::string_view entity : {"account", "contact", "lead", "opportunity", "ticket"}) {
    if (m.substr(0, entity.size() + 1) == std::string(entity) + " ") {
      if (entity == k.kind) return bulk::FieldWithUse(k, Use::kId);
      const int f = bulk::FieldNamed(k, std::string(entity) + "_id");
      if (f >= 0) return f;
    }
  }
  if (is_create && code == "RULE_VIOLATION" && k.kind == "account") {
    return bulk::FieldNamed(
        k, message.find("parent") != std::string_view::npos ? "parent_account_id" : "type");
  }
  return cmd.trigger;
}

bool CsvImport::Impl::CreatedByThisImport(const std::string& id) {
  auto reader = store->ReadStream(StreamName(kind->kind, id), 1, Direction::kForward, 1);
  if (!reader.ok()) return false;
  auto first = (*reader)->Next();
  return first.ok() && first->has_value() && (**first).position > start_position;
}

namespace {

constexpr char kDryRunPrefix[] = ".crm-dry-run-";
constexpr char kDryRunLock[] = "LOCK";

// Holds `dir`/LOCK with an exclusive flock for the dry run's lifetime (closing the descriptor,
// also by the kernel when the process dies, releases it). Returns -1 if it cannot be taken.
int LockScratch(const std::string& dir, bool wait) {
  const std::string path = dir + "/" + kDryRunLock;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Removes the copies that killed dry runs left in `place`: a scratch directory whose lock no
// process holds. A running dry run holds its lock, so its copy is never touched.
void RemoveAbandonedScratch(const std::filesystem::path& place) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator it(place, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kDryRunPrefix, 0) != 0 || !it->is_directory(ec)) continue;
    const int fd = LockScratch(it->path().string(), /*wait=*/false);
    if (fd < 0) continue;  // in use (or not ours to judge)
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (rm) spdlog::warn("could not remove an abandoned dry-run copy {}: {}", it->path().string(),
                         rm.message());
    ::close(fd);
  }
}

}  // namespace

Result<ImportSummary> CsvImport::DryRun(const std::string& db_dir, const Options& store_options,
                                        ImportSink& sink) {
  namespace fs = std::filesystem;
  // The copy goes next to the database (same file system: hard links), else under $TMPDIR.
  std::string scratch;
  std::vector<fs::path> places;
  std::error_code ec;
  fs::path parent = fs::absolute(fs::path(db_dir), ec).parent_path();
  if (!ec && !parent.empty()) places.push_back(parent);
  places.push_back(fs::temp_directory_path(ec));
  int lock_fd = -1;
  for (const auto& place : places) {
    RemoveAbandonedScratch(place);
    std::string tmpl = (place / (std::string(kDryRunPrefix) + "XXXXXX")).string();
    if (::mkdtemp(tmpl.data())) {
      scratch = tmpl;
      lock_fd = LockScratch(scratch, /*wait=*/true);
      break;
    }
  }
  if (scratch.empty()) return Status::IOError("cannot create a directory for the dry run's copy");
  struct Cleanup {
    std::string dir;
    int lock_fd;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
      if (lock_fd >= 0) ::close(lock_fd);
    }
  } cleanup{scratch, lock_fd};
  if (lock_fd < 0) return Status::IOError("cannot lock the dry run's copy in " + scratch);
  const std::string copy = scratch + "/db";

  Options live_options = store_options;
  live_options.mode = OpenMode::kReadWrite;
  live_options.create_if_missing = false;
  // No projector: opening must not rebuild or catch up the live projections (the copy does).
  live_options.projector = nullptr;
  live_options.projection_progress = {};
  {
    auto live = EventStore::Open(db_dir, live_options);
    if (live.ok()) {
      CRM_RETURN_IF_ERROR((*live)->Checkpoint(copy));
    } else if (live.status().code() != Code::kNotFound) {
      return live.status();
    }
  }
  Options copy_options = store_options;
  copy_options.mode = OpenMode::kReadWrite;
  copy_options.create_if_missing = true;
  copy_options.durability = Durability::kNoSync;  // thrown away
  auto store = EventStore::Open(copy, copy_options);
  if (!store.ok()) return store.status();
  auto admin = EnsureAdminUser(**store);
  if (!admin.ok()) return admin.status();
  return impl_->Run(**store, sink);
}

}  // namespace crm
