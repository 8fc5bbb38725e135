#include "server/filing_clock.hpp"

#include "core/time.hpp"

namespace zhiyuan::server {

std::string format_db_time(std::int64_t db_micros, std::int64_t clock_offset_seconds) {
  return core::format_utc_micros(on_filing_clock(db_micros, clock_offset_seconds));
}

}  // namespace zhiyuan::server
