#include "crm/time_format.h"

#include <date/date.h>

#include <chrono>
#include <sstream>

namespace crm {

std::string FormatTimestamp(int64_t micros) {
  using namespace std::chrono;
  sys_time<microseconds> tp{microseconds{micros}};
  return date::format("%FT%TZ", tp);
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  using namespace std::chrono;
  if (text.size() < 20 || text.size() > 40) return std::nullopt;
  std::string s(text);
  // RFC 3339 allows a lower-case 't'/'z'; date::parse wants the upper-case forms.
  if (s[10] == 't') s[10] = 'T';
  if (s.back() == 'z') s.back() = 'Z';
  sys_time<microseconds> tp;
  {
    std::istringstream in(s);
    if (s.back() == 'Z') {
      in >> date::parse("%FT%TZ", tp);
    } else {
      minutes offset{};
      in >> date::parse("%FT%T%Ez", tp, offset);
    }
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  }
  return tp.time_since_epoch().count();
}

}  // namespace crm
