// Printing read results (crm::Doc rows) as JSON Lines (default), aligned tables or CSV.
#pragma once

#include <string>
#include <vector>

#include "cli/output.h"
#include "crm/projections.h"

namespace crm::cli {

enum class DocFormat { kJsonl, kTable, kCsv };

// Parses "jsonl" / "json", "table", "csv".
bool ParseDocFormat(const std::string& name, DocFormat* out);

// Rows as JSON Lines, as one aligned table (columns of the first row) or CSV with a header row.
void PrintDocs(const std::vector<Doc>& docs, DocFormat format, LineOut& out);

// One row: JSON Lines / CSV as PrintDocs; a table prints it vertically (field, value).
void PrintDoc(const Doc& doc, DocFormat format, LineOut& out);

// One CSV field, quoted (libcsv).
void AppendCsvField(const std::string& field, std::string* out);

}  // namespace crm::cli
