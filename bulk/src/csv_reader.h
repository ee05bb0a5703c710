// Reading CSV files (RFC 4180) record by record through libcsv: quoted fields with embedded
// commas, quotes and line breaks, CRLF or LF line ends, an optional UTF-8 byte order mark, and the
// line of the file where each record starts.
//
// Fields are taken verbatim: spaces around unquoted fields are kept (libcsv would trim them), no
// character set conversion is done (the importer checks UTF-8 per field). Blank lines are not
// records. A record longer than kMaxRecordBytes, or a quoted field still open at the end of the
// file, ends the input with a fatal record (its `problem` set): no reader can tell where such a
// record was meant to end.
//
// Threads: one reader per thread. Memory: one read chunk plus the records of that chunk.
#pragma once

#include <csv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crm/status.h"

namespace crm::bulk {

inline constexpr size_t kMaxRecordBytes = size_t{16} << 20;

struct CsvRecord {
  std::vector<std::string> fields;
  uint64_t line = 0;    // line of the file (from 1; LF, CRLF or CR ends a line) where it starts
  std::string problem;  // non-empty: the record is malformed and the input ends here
};

class CsvReader {
 public:
  // Errors: kNotFound (no such file), kIOError (cannot open or read it, or it is a directory).
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record; std::nullopt at the end of the input. Errors: kIOError (a read failed).
  Result<std::optional<CsvRecord>> Next();

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t size() const { return size_; }  // of the file when opened (0 for a pipe)

 private:
  CsvReader() = default;
  static void OnField(void* data, size_t len, void* self);
  static void OnRecordEnd(int c, void* self);
  // Feeds one line (or the tail of the file) to libcsv.
  void Feed(const char* data, size_t len);
  // Reads and parses the next chunk; false at the end of the input.
  Result<bool> ReadChunk();

  int fd_ = -1;
  csv_parser parser_{};
  bool parser_ready_ = false;
  std::string path_;
  uint64_t size_ = 0;
  uint64_t bytes_read_ = 0;
  bool first_chunk_ = true;
  bool eof_ = false;
  bool cr_ended_chunk_ = false;  // the last chunk ended with CR: a leading LF completes a CRLF
  bool fatal_ = false;
  uint64_t line_ = 1;        // the line being fed
  uint64_t start_line_ = 1;  // where the record in progress started
  bool in_record_ = false;
  size_t record_bytes_ = 0;
  CsvRecord current_;
  std::deque<CsvRecord> ready_;
};

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF). On failure `*bad_offset` is the offset of the first bad byte.
bool IsValidUtf8(std::string_view s, size_t* bad_offset);

}  // namespace crm::bulk
