#include "bulk/src/csv_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crm::bulk {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

// RFC 4180: spaces are part of a field. libcsv trims them by default.
int NoSpace(unsigned char) { return 0; }

bool OnlyLineBreaks(const char* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    if (data[i] != '\n' && data[i] != '\r') return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string message = "cannot open " + path + ": " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(message) : Status::IOError(message);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IOError("cannot read " + path + ": it is a directory");
  }
  std::unique_ptr<CsvReader> r(new CsvReader());
  r->fd_ = fd;
  r->path_ = path;
  r->size_ = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  if (csv_init(&r->parser_, 0) != 0) return Status::IOError("out of memory");
  r->parser_ready_ = true;
  csv_set_space_func(&r->parser_, NoSpace);
  return r;
}

CsvReader::~CsvReader() {
  if (parser_ready_) csv_free(&parser_);
  if (fd_ >= 0) ::close(fd_);
}

void CsvReader::OnField(void* data, size_t len, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->record_bytes_ += len;
  r->current_.fields.emplace_back(static_cast<const char*>(data), len);
}

void CsvReader::OnRecordEnd(int, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->current_.line = r->start_line_;
  r->ready_.push_back(std::move(r->current_));
  r->current_ = CsvRecord();
  r->in_record_ = false;
  r->record_bytes_ = 0;
}

void CsvReader::Feed(const char* data, size_t len) {
  if (fatal_) return;
  if (!in_record_ && !OnlyLineBreaks(data, len)) {
    in_record_ = true;
    start_line_ = line_;
  }
  if (csv_parse(&parser_, data, len, OnField, OnRecordEnd, this) != len) {
    CsvRecord bad;
    bad.line = start_line_;
    bad.problem = std::string("reading the row starting at line ") + std::to_string(start_line_) +
                  ": " + csv_strerror(csv_error(&parser_));
    ready_.push_back(std::move(bad));
    fatal_ = true;
    return;
  }
  if (in_record_ && record_bytes_ + csv_get_buffer_size(&parser_) > kMaxRecordBytes) {
    CsvRecord bad;
    bad.line = start_line_;
    bad.problem = "the row starting at line " + std::to_string(start_line_) + " is longer than " +
                  std::to_string(kMaxRecordBytes >> 20) +
                  " MiB (an unterminated quoted field?); the rest of the file is not read";
    ready_.push_back(std::move(bad));
    fatal_ = true;
  }
}

Result<bool> CsvReader::ReadChunk() {
  if (eof_ || fatal_) return false;
  std::string chunk(kChunkBytes, '\0');
  ssize_t n;
  do {
    n = ::read(fd_, chunk.data(), chunk.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Status::IOError("reading " + path_ + ": " + std::strerror(errno));
  if (n == 0) {
    eof_ = true;
    // libcsv reports an unterminated quoted field only in strict mode, which also rejects the
    // stray quotes of unquoted fields (5" screen); its parser state tells: a field begun (2)
    // inside quotes.
    constexpr int kFieldBegun = 2;
    const bool open_quote = parser_.pstate == kFieldBegun && parser_.quoted;
    csv_fini(&parser_, OnField, OnRecordEnd, this);
    if (open_quote && !ready_.empty()) ready_.pop_back();  // the unterminated record
    if (open_quote && !fatal_) {
      CsvRecord bad;
      bad.line = start_line_;
      bad.problem = "the row starting at line " + std::to_string(start_line_) +
                    " has a quoted field that is never closed";
      ready_.push_back(std::move(bad));
      fatal_ = true;
    }
    return !ready_.empty();
  }
  chunk.resize(static_cast<size_t>(n));
  bytes_read_ += static_cast<uint64_t>(n);
  size_t pos = 0;
  if (first_chunk_) {
    first_chunk_ = false;
    if (chunk.size() >= 3 && chunk.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
  }
  // One line at a time, so that a record's first line is known. A line ends with LF, CRLF or a
  // bare CR (old Mac files); a CRLF split across two chunks counts once.
  if (pos < chunk.size() && cr_ended_chunk_ && chunk[pos] == '\n') {
    Feed(chunk.data() + pos, 1);
    ++pos;
  }
  cr_ended_chunk_ = false;
  while (pos < chunk.size() && !fatal_) {
    const size_t brk = chunk.find_first_of("\r\n", pos);
    size_t end = chunk.size();
    if (brk != std::string::npos) {
      end = brk + 1;
      if (chunk[brk] == '\r') {
        if (end < chunk.size() && chunk[end] == '\n') {
          ++end;
        } else if (end == chunk.size()) {
          cr_ended_chunk_ = true;
        }
      }
    }
    Feed(chunk.data() + pos, end - pos);
    if (brk != std::string::npos) ++line_;
    pos = end;
  }
  return true;
}

Result<std::optional<CsvRecord>> CsvReader::Next() {
  while (ready_.empty()) {
    auto more = ReadChunk();
    if (!more.ok()) return more.status();
    if (!*more && ready_.empty()) return std::optional<CsvRecord>();
  }
  CsvRecord r = std::move(ready_.front());
  ready_.pop_front();
  return std::optional<CsvRecord>(std::move(r));
}

bool IsValidUtf8(std::string_view s, size_t* bad_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace crm::bulk
