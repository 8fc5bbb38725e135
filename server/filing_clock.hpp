#pragma once

// The filing clock: the system clock plus `filing.clock_offset_seconds` (0 in production; a
// rehearsal shifts it to filing day). Every time a person reads is on this one clock: the
// server stamps its own times from it (accepted_at, pledged_at, confirmations, server_time),
// and the times the database stamps on its own clock (commits, sign-ins, notices, incidents,
// audit entries) are moved onto it as they are written into an answer.

#include <cstdint>
#include <string>

namespace zhiyuan::server {

/// A time the database stamped (unix µs on its clock) as RFC 3339 UTC on the filing clock.
std::string format_db_time(std::int64_t db_micros, std::int64_t clock_offset_seconds);

/// The same shift as a number (unix µs), for answers rendered from parts.
constexpr std::int64_t on_filing_clock(std::int64_t db_micros,
                                       std::int64_t clock_offset_seconds) noexcept {
  return db_micros + clock_offset_seconds * 1'000'000;
}

}  // namespace zhiyuan::server
