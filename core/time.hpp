#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace zhiyuan::core {

/// An instant as whole seconds since 1970-01-01T00:00:00Z. Core never reads a clock: the server
/// stamps requests and passes the value in, so every rule is reproducible to the second.
using unix_seconds = std::int64_t;

/// China Standard Time's offset from UTC, in seconds (+08:00; no daylight saving).
inline constexpr std::int32_t cst_offset_seconds = 8 * 3600;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The instant of a civil date-time written with a UTC offset (in seconds, east positive).
/// Fields are not range-checked here; `parse_rfc3339` checks them.
constexpr unix_seconds unix_from_civil(int year, int month, int day, int hour, int minute,
                                       int second, std::int32_t offset_seconds) noexcept {
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second - offset_seconds;
}

/// Parses an RFC 3339 timestamp with an explicit offset, e.g. "2023-06-29T08:00:00+08:00" or
/// "2023-06-29T00:00:00Z", to unix seconds. 'T', 't' or a space separate date and time; a
/// fractional part is accepted and truncated. A missing offset, leap second (":60") or an
/// impossible date fails with errc::invalid_field.
result<unix_seconds> parse_rfc3339(std::string_view text);

/// Formats an instant as RFC 3339 at the given offset, e.g. "2023-06-29T08:00:00+08:00".
std::string format_rfc3339(unix_seconds t, std::int32_t offset_seconds = cst_offset_seconds);

/// Formats an instant in microseconds as RFC 3339 in UTC with six fractional digits, e.g.
/// "2023-07-02T08:59:59.123456Z" (receipts, history, audit: every stored instant).
std::string format_utc_micros(std::int64_t unix_micros);

}  // namespace zhiyuan::core
