#include <csv.h>

#include "crm/event_columns.h"
#include "crm/event_json.h"
#include "crm/event_output.h"

namespace crm {
namespace {

// One quoted CSV field (libcsv: the field in quotes, quotes doubled).
void AppendCsvField(std::string_view field, std::string* out) {
  const size_t at = out->size();
  const size_t room = field.size() * 2 + 2;
  out->resize(at + room);
  const size_t n = csv_write(out->data() + at, room, field.data(), field.size());
  out->resize(at + n);
}

void AppendCsvRow(const std::vector<std::string>& fields, size_t from, std::string* out) {
  for (size_t i = from; i < fields.size(); ++i) {
    if (i) out->push_back(',');
    AppendCsvField(fields[i], out);
  }
}

}  // namespace

EventFormatter::EventFormatter(EventFormat format, std::optional<fb::Payload> csv_type)
    : format_(format), csv_type_(csv_type) {}

void EventFormatter::AppendHeader(std::string* out) const {
  if (format_ != EventFormat::kCsv) return;
  AppendCsvRow(EnvelopeColumns(), 0, out);
  if (csv_type_) {
    // The payload's columns are their JSON paths under `data` ("data.billing_address.city"):
    // never an envelope column's name (an account's `type` is "data.type").
    for (const auto& column : PayloadColumns(*csv_type_)) {
      out->push_back(',');
      AppendCsvField("data." + column, out);
    }
  } else {
    out->append(",");
    AppendCsvField("data", out);
  }
  out->push_back('\n');
}

void EventFormatter::Append(const EventView& e, std::string* out) {
  if (format_ == EventFormat::kJsonl) {
    AppendEventJson(e, out);
    out->push_back('\n');
    return;
  }
  EnvelopeCells(e, &cells_);
  AppendCsvRow(cells_, 0, out);
  if (csv_type_) {
    const size_t columns = PayloadColumns(*csv_type_).size();
    if (e.type() == *csv_type_) {
      PayloadCells(e, &payload_cells_);
    } else {
      payload_cells_.assign(columns, std::string());
    }
    for (const auto& cell : payload_cells_) {
      out->push_back(',');
      AppendCsvField(cell, out);
    }
  } else {
    scratch_.clear();
    AppendPayloadJson(e, &scratch_);
    out->push_back(',');
    AppendCsvField(scratch_, out);
  }
  out->push_back('\n');
}

}  // namespace crm
