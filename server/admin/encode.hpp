#pragma once

// The pieces of the admin API's JSON answers that several handlers write alike: units, times
// that may be missing, unfiled reasons and pages of lists.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/admin/gate.hpp"
#include "server/http/json_writer.hpp"
#include "storage/admin_store.hpp"

namespace zhiyuan::server::admin_http {

/// `{"code","name"}` of a unit, with `"level"` (province, city, county, school) when asked. A
/// unit is named by its code everywhere in the API; its internal id never appears.
void write_unit(json_writer& w, const storage::unit_ref& u, bool with_level = false);

/// A time the database stamped (unix µs) as RFC 3339 UTC on the filing clock
/// (server/filing_clock.hpp), or null when it is 0 (never happened).
void write_time_or_null(json_writer& w, std::int64_t micros, std::int64_t clock_offset_seconds);

/// A unit code as paths, queries and bodies give it: 1-32 letters, digits, '.', '_' or '-'.
std::optional<std::string> unit_code_of(std::string_view code);
/// The `{unit}` segment as a unit code, else not_found ("no such unit").
core::result<std::string> path_unit_code(const request_context& ctx);

/// The code of a stored unfiled reason (core::unfiled_reason), or "" when unknown.
std::string_view reason_code(std::int16_t stored);
/// The same as a JSON value, null when none was recorded (stored < 0).
void write_reason_or_null(json_writer& w, std::int16_t stored);

/// `"next_page_token"`: the id of the last row when the page is full (more may follow), else
/// null. Every list of the admin API pages by id this way.
template <typename Row, typename Id>
void write_next_page_token(json_writer& w, const std::vector<Row>& rows, int page_rows,
                           Id Row::*id) {
  w.key("next_page_token");
  if (rows.size() == static_cast<std::size_t>(page_rows)) {
    w.value(std::to_string(rows.back().*id));
  } else {
    w.null();
  }
}

/// A page of a list: `{"<member>":[...],"next_page_token":...}`, each row written by
/// `write(w, row)`.
template <typename Row, typename Id, typename Write>
reply page_of(std::string_view member, const std::vector<Row>& rows, int page_rows, Id Row::*id,
              Write write) {
  reply r;
  json_writer w(r.body);
  w.begin_object().key(member).begin_array();
  for (const auto& row : rows) write(w, row);
  w.end_array();
  write_next_page_token(w, rows, page_rows, id);
  w.end_object();
  return r;
}

}  // namespace zhiyuan::server::admin_http
