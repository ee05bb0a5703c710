// RFC 3339 rendering and parsing of microsecond UTC timestamps (Howard Hinnant's date).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crm {

// "2026-11-22T16:39:34.123456Z"
std::string FormatTimestamp(int64_t micros_since_epoch);

// The same into `out`, without allocating for years 0..9999; returns the length written (27 for
// those years). REQUIRES: `out` has room for kMaxTimestampChars characters.
inline constexpr size_t kMaxTimestampChars = 40;
size_t FormatTimestampTo(int64_t micros_since_epoch, char* out);

// Accepts RFC 3339: "2026-11-22T16:39:34Z", fractional seconds up to 6 digits, "Z" or "+hh:mm".
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace crm
