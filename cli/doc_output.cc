#include "cli/doc_output.h"

#include <csv.h>

#include <algorithm>

namespace crm::cli {
namespace {

// Display width of UTF-8 text: code points (good enough for aligned columns of CRM data).
size_t Width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

// Cells of a table stay on one line.
std::string Cell(const std::string& s) {
  std::string out = s;
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return out;
}

void Pad(std::string* out, const std::string& s, size_t width) {
  out->append(s);
  for (size_t w = Width(s); w < width; ++w) out->push_back(' ');
}

}  // namespace

bool ParseDocFormat(const std::string& name, DocFormat* out) {
  if (name == "jsonl" || name == "json") {
    *out = DocFormat::kJsonl;
  } else if (name == "table") {
    *out = DocFormat::kTable;
  } else if (name == "csv") {
    *out = DocFormat::kCsv;
  } else {
    return false;
  }
  return true;
}

void AppendCsvField(const std::string& field, std::string* out) {
  std::string buf(field.size() * 2 + 2, '\0');
  size_t n = csv_write(buf.data(), buf.size(), field.data(), field.size());
  out->append(buf.data(), n);
}

void PrintDocs(const std::vector<Doc>& docs, DocFormat format, LineOut& out) {
  switch (format) {
    case DocFormat::kJsonl:
      for (const auto& d : docs) {
        out.buffer().append(d.ToJson());
        out.EndLine();
      }
      return;
    case DocFormat::kCsv: {
      if (docs.empty()) return;
      const auto& cols = docs.front().fields;
      for (size_t i = 0; i < cols.size(); ++i) {
        if (i) out.buffer().push_back(',');
        AppendCsvField(cols[i].name, &out.buffer());
      }
      out.EndLine();
      for (const auto& d : docs) {
        for (size_t i = 0; i < cols.size(); ++i) {
          if (i) out.buffer().push_back(',');
          const Doc::Field* f = d.Find(cols[i].name);
          AppendCsvField(f ? f->text : std::string(), &out.buffer());
        }
        out.EndLine();
      }
      return;
    }
    case DocFormat::kTable: {
      if (docs.empty()) return;
      const auto& cols = docs.front().fields;
      std::vector<size_t> width(cols.size());
      std::vector<std::vector<std::string>> cells;
      for (size_t i = 0; i < cols.size(); ++i) width[i] = Width(cols[i].name);
      for (const auto& d : docs) {
        auto& row = cells.emplace_back();
        for (size_t i = 0; i < cols.size(); ++i) {
          const Doc::Field* f = d.Find(cols[i].name);
          row.push_back(Cell(f ? f->text : std::string()));
          width[i] = std::max(width[i], Width(row.back()));
        }
      }
      auto line = [&](auto value_of) {
        std::string& b = out.buffer();
        for (size_t i = 0; i < cols.size(); ++i) {
          if (i) b.append("  ");
          if (i + 1 == cols.size()) {
            b.append(value_of(i));
          } else {
            Pad(&b, value_of(i), width[i]);
          }
        }
        while (!b.empty() && b.back() == ' ') b.pop_back();
        out.EndLine();
      };
      line([&](size_t i) { return cols[i].name; });
      line([&](size_t i) { return std::string(width[i], '-'); });
      for (const auto& row : cells) line([&](size_t i) { return row[i]; });
      return;
    }
  }
}

void PrintDoc(const Doc& doc, DocFormat format, LineOut& out) {
  if (format != DocFormat::kTable) {
    PrintDocs({doc}, format, out);
    return;
  }
  size_t width = 0;
  for (const auto& f : doc.fields) width = std::max(width, Width(f.name));
  for (const auto& f : doc.fields) {
    Pad(&out.buffer(), f.name, width);
    out.buffer().append("  ").append(Cell(f.text));
    while (!out.buffer().empty() && out.buffer().back() == ' ') out.buffer().pop_back();
    out.EndLine();
  }
}

}  // namespace crm::cli
