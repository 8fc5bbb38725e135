#include "server/admin/encode.hpp"

#include "core/admin.hpp"
#include "core/time.hpp"

namespace zhiyuan::server::admin_http {

void write_unit(json_writer& w, const storage::unit_ref& u, bool with_level) {
  w.begin_object();
  w.key("id").value(static_cast<std::int64_t>(u.id));
  w.key("code").value(u.code);
  w.key("name").value(u.name);
  if (with_level) w.key("level").value(static_cast<std::int64_t>(u.level));
  w.end_object();
}

void write_time_or_null(json_writer& w, std::int64_t micros) {
  if (micros != 0) {
    w.value(core::format_utc_micros(micros));
  } else {
    w.null();
  }
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
