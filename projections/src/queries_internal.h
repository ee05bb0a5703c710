// Helpers shared by the read side (queries.cc, reports.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crm/projection.h"
#include "crm/projections.h"
#include "projections/src/record.h"

namespace crm::proj {

void AddString(Doc* doc, std::string name, std::string_view s);
void AddNumber(Doc* doc, std::string name, int64_t n);
void AddTime(Doc* doc, std::string name, int64_t us);
void AddValue(Doc* doc, const FieldSpec& spec, const Value& v);
Doc RecordDoc(const Record& r, const DocOptions& options = {});
// RecordDoc(r, options).ToJson(), appended to *out without building the Doc.
void AppendRecordJson(const Record& r, const DocOptions& options, std::string* out);
Result<Kind> ParseKind(std::string_view kind);
// A history entry (key, value of the `h:` family) as an output row; `meta` (optional) receives
// its positions and business time. Errors: kCorruption.
struct HistoryMeta {
  uint64_t position = 0, added_position = 0;
  int64_t occurred_at_us = 0;
};
Result<Doc> HistoryDoc(std::string_view stream, std::string_view key, std::string_view value,
                       HistoryMeta* meta);
// Only the meta of a history entry. Errors: kCorruption.
Result<HistoryMeta> ReadHistoryMeta(std::string_view stream, std::string_view key,
                                    std::string_view value);
// The state row of a stream; std::nullopt if absent. Errors: kCorruption, kIOError.
Result<std::optional<Record>> ReadRow(ProjectionReader& reader, std::string_view stream);

}  // namespace crm::proj

namespace crm {

struct CrmReader::Impl {
  EventStore::ProjectionSnapshot snapshot;
  std::unique_ptr<EventStore::ProjectionSet> aside;
  ProjectionReader& reader() { return aside ? aside->reader() : *snapshot.reader; }
};

}  // namespace crm
