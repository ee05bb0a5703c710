// stdout carries data only: JSON Lines written through one buffered writer. Operator messages go
// to stderr through spdlog.
#pragma once

#include <rapidjson/writer.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace crm::cli {

struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};
using JsonWriter = rapidjson::Writer<StringSink>;

// Buffers lines and writes them to stdout in large chunks. Flush() before waiting for input or
// exiting. SIGPIPE is ignored (main), so a reader that went away (`crm export … | head -1`) shows
// up as a failed write: open() turns false and streaming commands stop, exiting 0 as `events`
// does.
class LineOut {
 public:
  ~LineOut() { Flush(); }
  std::string& buffer() { return buf_; }
  // Ends the current line; flushes when the buffer is large.
  void EndLine() {
    buf_.push_back('\n');
    if (buf_.size() >= (1 << 16)) Flush();
  }
  // Appends one whole line; returns open() (false: stop producing, the reader has gone away).
  bool WriteLine(std::string_view line) {
    buf_.append(line);
    EndLine();
    return open_;
  }
  void Flush() {
    if (!buf_.empty()) {
      if (open_ && std::fwrite(buf_.data(), 1, buf_.size(), stdout) != buf_.size()) open_ = false;
      buf_.clear();
    }
    if (open_ && std::fflush(stdout) != 0) open_ = false;
  }
  // False once a write to stdout failed (its reader closed the pipe): nothing more is written.
  bool open() const { return open_; }

 private:
  std::string buf_;
  bool open_ = true;
};

// A JSON writer appending to a LineOut's buffer (owns the sink the writer refers to).
class JsonLine {
 public:
  explicit JsonLine(LineOut& out) : sink_{&out.buffer()}, writer_(sink_) {}
  JsonWriter& w() { return writer_; }

 private:
  StringSink sink_;
  JsonWriter writer_;
};

}  // namespace crm::cli
