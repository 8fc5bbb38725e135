#include "core/time.hpp"

#include <cstdio>

namespace zhiyuan::core {

namespace {

// Reads exactly `n` ASCII digits at `pos`; -1 if any is not a digit.
int digits(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

failure bad(std::string_view text) {
  return failure(errc::invalid_field,
                 "not an RFC 3339 timestamp with offset: " + std::string(text));
}

}  // namespace

result<unix_seconds> parse_rfc3339(std::string_view s) {
  // Layout: YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return bad(s);
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return bad(s);
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59) {
    return bad(s);
  }
  if (day > days_in_month(year, month)) return bad(s);
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad(s);
  }
  if (pos >= s.size()) return bad(s);
  std::int32_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (pos + 6 != s.size() || s[pos + 3] != ':') return bad(s);
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return bad(s);
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad(s);
  }
  if (pos != s.size()) return bad(s);
  return unix_from_civil(year, month, day, hour, minute, second, offset);
}

namespace {

// A civil date and time of day in some zone.
struct civil_time {
  std::int64_t year;
  unsigned month, day;
  std::int64_t second_of_day;
};

civil_time civil_from_unix(std::int64_t local) {
  std::int64_t days = local / 86400;
  std::int64_t secs = local % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  // Inverse of days_from_civil (H. Hinnant's `civil_from_days`).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  return {y, m, d, secs};
}

}  // namespace

std::string format_rfc3339(unix_seconds t, std::int32_t offset_seconds) {
  const civil_time c = civil_from_unix(t + offset_seconds);
  const std::int64_t secs = c.second_of_day;
  const std::int32_t off = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld%c%02d:%02d",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                offset_seconds < 0 ? '-' : '+', off / 3600, off / 60 % 60);
  return buf;
}

std::string format_utc_micros(std::int64_t unix_micros) {
  std::int64_t secs = unix_micros / 1'000'000;
  std::int64_t micros = unix_micros % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --secs;
  }
  const civil_time c = civil_from_unix(secs);
  const std::int64_t s = c.second_of_day;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60),
                static_cast<long long>(micros));
  return buf;
}

}  // namespace zhiyuan::core
