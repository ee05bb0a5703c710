// bulk's CsvReader: record boundaries and the line each record starts on, for every line-end
// convention, quoted line breaks, a BOM, blank lines, and a CRLF split across read chunks.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "bulk/src/csv_reader.h"
#include "tests/test_util.h"

namespace crm::test {
namespace {

struct Read {
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
  std::string problem;
};

Read ReadAll(const TempDir& dir, const std::string& text) {
  const std::string path = dir.Sub("f.csv");
  std::ofstream(path, std::ios::binary) << text;
  Read out;
  auto reader = bulk::CsvReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  for (;;) {
    auto r = (*reader)->Next();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->has_value()) break;
    if (!(*r)->problem.empty()) {
      out.problem = (*r)->problem;
      break;
    }
    out.rows.push_back((*r)->fields);
    out.lines.push_back((*r)->line);
  }
  return out;
}

TEST(CsvReader, EveryLineEndConventionCountsLinesTheSame) {
  TempDir dir;
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    SCOPED_TRACE(eol == "\n" ? "LF" : eol == "\r" ? "CR" : "CRLF");
    const std::string text = "\xEF\xBB\xBF" "id,name" + eol + "A1,Acme" + eol + eol +
                             "A2,\"Two" + eol + "lines\"" + eol + "A3,Gamma" + eol;
    Read r = ReadAll(dir, text);
    EXPECT_EQ(r.problem, "");
    ASSERT_EQ(r.rows.size(), 4u);
    EXPECT_EQ(r.rows[0], (std::vector<std::string>{"id", "name"}));
    EXPECT_EQ(r.rows[2], (std::vector<std::string>{"A2", "Two" + eol + "lines"}));
    EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 2, 4, 6}));
  }
}

TEST(CsvReader, ACrlfSplitAcrossReadChunksIsOneLineEnd) {
  TempDir dir;
  // Rows of 17 bytes with their CRLF: 2^20 + 1 = 17 x 61681, so the CR of row 61681 is the last
  // byte of the reader's first 1 MiB chunk and its LF the first byte of the next.
  std::string text;
  const int rows = 70000;
  for (int i = 0; i < rows; ++i) text += std::string(14, 'x') + std::to_string(i % 10) + "\r\n";
  Read r = ReadAll(dir, text);
  ASSERT_EQ(r.rows.size(), static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) ASSERT_EQ(r.lines[i], static_cast<uint64_t>(i + 1)) << i;
}

TEST(CsvReader, AnUnclosedQuoteIsAProblemNamingItsLine) {
  TempDir dir;
  Read r = ReadAll(dir, "id,name\rA1,\"open\rA2,x\r");
  EXPECT_EQ(r.rows.size(), 1u);
  EXPECT_NE(r.problem.find("line 2"), std::string::npos) << r.problem;
}

}  // namespace
}  // namespace crm::test
