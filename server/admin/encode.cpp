#include "server/admin/encode.hpp"

#include <cctype>

#include "core/admin.hpp"
#include "core/time.hpp"
#include "server/filing_clock.hpp"

namespace zhiyuan::server::admin_http {

void write_unit(json_writer& w, const storage::unit_ref& u, bool with_level) {
  w.begin_object();
  w.key("code").value(u.code);
  w.key("name").value(u.name);
  if (with_level) w.key("level").value(core::unit_level_code(u.level));
  w.end_object();
}

void write_time_or_null(json_writer& w, std::int64_t micros, std::int64_t clock_offset_seconds) {
  if (micros != 0) {
    w.value(format_db_time(micros, clock_offset_seconds));
  } else {
    w.null();
  }
}

std::optional<std::string> unit_code_of(std::string_view code) {
  if (code.empty() || code.size() > 32) return std::nullopt;
  for (unsigned char c : code) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return std::nullopt;
  }
  return std::string(code);
}

core::result<std::string> path_unit_code(const request_context& ctx) {
  auto code = unit_code_of(ctx.params.get("unit"));
  if (!code) return core::failure(errc::not_found, "no such unit");
  return std::move(*code);
}

std::string_view reason_code(std::int16_t stored) {
  const auto r = core::unfiled_reason_from_int(stored);
  return r ? core::to_code(*r) : std::string_view();
}

void write_reason_or_null(json_writer& w, std::int16_t stored) {
  if (stored >= 0) {
    w.value(reason_code(stored));
  } else {
    w.null();
  }
}

}  // namespace zhiyuan::server::admin_http
