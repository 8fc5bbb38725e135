#pragma once

#include <string>
#include <string_view>

namespace zhiyuan::server {

/// Appends one CSV field (RFC 4180): quoted when it holds a comma, quote or line break. `text`
/// that a spreadsheet would run as a formula (a leading = + - @ tab or CR) gets a leading
/// apostrophe (OWASP CSV injection); codes and numbers pass `text = false`.
inline void csv_field(std::string& out, std::string_view s, bool text = true) {
  std::string guarded;
  if (text && !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string::npos) {
    guarded = "'";
    guarded += s;
    s = guarded;
  }
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace zhiyuan::server
