// A minimal JSON text writer appending to a std::string, for the hot path of `crm events`: the
// event renderings (event_json.cc) write ~900 bytes per event, and RapidJSON's Writer, which
// handles one character at a time through its output stream, cost twice the verified read of the
// event itself (bench/feed_bench). This writer appends unescaped runs with one memcpy each,
// finding the characters to escape eight bytes at a time. Its text is RapidJSON's (same escapes,
// numbers through RapidJSON's own itoa/dtoa), with one difference that is a fix: RawNumber writes
// the number itself, where RapidJSON's Writer::RawNumber quotes it (money printed as "12.5"
// instead of the JSON number SPEC §2 asks for).
//
// Not a general-purpose writer: no validation of nesting (the callers are generated from the
// schema) and at most 64 levels. Not thread-safe; one per call.
#pragma once

#include <rapidjson/internal/dtoa.h>
#include <rapidjson/internal/itoa.h>

#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace crm::json {

class Out {
 public:
  explicit Out(std::string* out) : out_(out) {}

  void StartObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void StartArray() { Open('['); }
  void EndArray() { Close(']'); }

  // REQUIRES: inside an object, before each value.
  void Key(std::string_view name) {
    Separate();
    Quoted(name);
    out_->push_back(':');
    after_key_ = true;
  }
  // A key known not to need escaping (a literal of the caller's).
  void PlainKey(std::string_view name) {
    Separate();
    out_->push_back('"');
    out_->append(name);
    out_->append("\":", 2);
    after_key_ = true;
  }

  void String(std::string_view s) {
    Separate();
    Quoted(s);
  }
  void Null() { Raw("null"); }
  void Bool(bool b) { Raw(b ? std::string_view("true") : std::string_view("false")); }
  void Uint64(uint64_t v) {
    char buf[24];
    Raw(std::string_view(buf, rapidjson::internal::u64toa(v, buf) - buf));
  }
  void Int64(int64_t v) {
    char buf[24];
    Raw(std::string_view(buf, rapidjson::internal::i64toa(v, buf) - buf));
  }
  // As RapidJSON: shortest round-trip form; NaN and infinities (not JSON) become null.
  void Double(double v) {
    if (!std::isfinite(v)) {
      Null();
      return;
    }
    char buf[32];
    Raw(std::string_view(buf, rapidjson::internal::dtoa(v, buf) - buf));
  }
  // A number already in JSON form (e.g. "12.5").
  void RawNumber(std::string_view text) { Raw(text); }

 private:
  void Open(char c) {
    Separate();
    out_->push_back(c);
    assert(depth_ < 64);
    ++depth_;
    has_items_ &= ~(uint64_t{1} << depth_);
  }
  void Close(char c) {
    out_->push_back(c);
    --depth_;
  }
  void Raw(std::string_view text) {
    Separate();
    out_->append(text);
  }
  // A comma before every item of a container but the first; nothing right after a key.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    const uint64_t bit = uint64_t{1} << depth_;
    if (has_items_ & bit) out_->push_back(',');
    has_items_ |= bit;
  }

  // Whether any of the 8 bytes of `v` is < 0x20, '"' or '\\' (bytes >= 0x80 never are).
  static bool NeedsEscape8(uint64_t v) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
    const uint64_t below_space = (v - kOnes * 0x20) & ~v & kHigh;
    return (below_space | has_zero(v ^ (kOnes * '"')) | has_zero(v ^ (kOnes * '\\'))) != 0;
  }
  static bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

  void Quoted(std::string_view s) {
    out_->push_back('"');
    const char* p = s.data();
    const char* const end = p + s.size();
    const char* run = p;  // start of the pending unescaped run
    while (p < end) {
      if (end - p >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        if (!NeedsEscape8(v)) {
          p += 8;
          continue;
        }
      }
      const unsigned char c = static_cast<unsigned char>(*p);
      if (!NeedsEscape(c)) {
        ++p;
        continue;
      }
      out_->append(run, static_cast<size_t>(p - run));
      Escape(c);
      run = ++p;
    }
    out_->append(run, static_cast<size_t>(end - run));
    out_->push_back('"');
  }

  // RapidJSON's escapes: the short forms, else \u00XX with upper-case hex.
  void Escape(unsigned char c) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    size_t n = 2;
    switch (c) {
      case '"': e[1] = '"'; break;
      case '\\': e[1] = '\\'; break;
      case '\b': e[1] = 'b'; break;
      case '\f': e[1] = 'f'; break;
      case '\n': e[1] = 'n'; break;
      case '\r': e[1] = 'r'; break;
      case '\t': e[1] = 't'; break;
      default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = kHex[c >> 4];
        e[5] = kHex[c & 0xF];
        n = 6;
    }
    out_->append(e, n);
  }

  std::string* out_;
  int depth_ = 0;
  uint64_t has_items_ = 0;  // bit d: the container at depth d has an item already
  bool after_key_ = false;
};

}  // namespace crm::json
