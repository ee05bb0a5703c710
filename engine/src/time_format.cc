#include "crm/time_format.h"

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

namespace crm {

size_t FormatTimestampTo(int64_t micros, char* buf) {
  // The calendar arithmetic is date's (days -> year/month/day); the fixed-width digits are
  // written directly: date::format goes through an ostringstream, which dominated `crm get` and
  // history pages (two timestamps per entry), and `crm events` writes two per event.
  using namespace std::chrono;
  const sys_time<microseconds> tp{microseconds{micros}};
  const auto day = floor<days>(tp);
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    const std::string s = date::format("%FT%TZ", tp);
    const size_t n = std::min(s.size(), kMaxTimestampChars);
    std::memcpy(buf, s.data(), n);
    return n;
  }
  int64_t us = (tp - day).count();  // within the day, >= 0
  const int64_t secs = us / 1000000;
  us %= 1000000;
  auto put = [buf](int at, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, year, 4);
  buf[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = 'T';
  put(11, secs / 3600, 2);
  buf[13] = ':';
  put(14, secs / 60 % 60, 2);
  buf[16] = ':';
  put(17, secs % 60, 2);
  buf[19] = '.';
  put(20, us, 6);
  buf[26] = 'Z';
  return 27;
}

std::string FormatTimestamp(int64_t micros) {
  char buf[kMaxTimestampChars];
  return std::string(buf, FormatTimestampTo(micros, buf));
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
