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
Doc RecordDoc(const Record& r);
Result<Kind> ParseKind(std::string_view kind);
// The state row of a stream; std::nullopt if absent. Errors: kCorruption, kIOError.
Result<std::optional<Record>> ReadRow(ProjectionReader& reader, std::string_view stream);

}  // namespace crm::proj

namespace crm {

struct CrmReader::Impl {
  EventStore::ProjectionSnapshot snapshot;
  ProjectionReader& reader() { return *snapshot.reader; }
};

}  // namespace crm
