// stdout carries data only: JSON Lines written through one buffered writer. Operator messages go
// to stderr through spdlog.
#pragma once

#include <rapidjson/writer.h>

#include <cstdio>
#include <string>

namespace crm::cli {

struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};
using JsonWriter = rapidjson::Writer<StringSink>;

// Buffers lines and writes them to stdout in large chunks. Flush() before waiting for input or
// exiting.
class LineOut {
 public:
  ~LineOut() { Flush(); }
  std::string& buffer() { return buf_; }
  // Ends the current line; flushes when the buffer is large.
  void EndLine() {
    buf_.push_back('\n');
    if (buf_.size() >= (1 << 16)) Flush();
  }
  void Flush() {
    if (!buf_.empty()) {
      std::fwrite(buf_.data(), 1, buf_.size(), stdout);
      buf_.clear();
    }
    std::fflush(stdout);
  }

 private:
  std::string buf_;
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
