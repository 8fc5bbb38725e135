#pragma once

// PostgreSQL array literals built into reused buffers (libpqxx 6 binds no arrays; no
// allocation per element), and bytea read back from its hex output. Used by the write path,
// whose statements take a whole batch as one array per column.

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace zhiyuan::storage {

/// Starts an array literal in `s`, clearing it.
inline void open_array(std::string& s) {
  s.clear();
  s.push_back('{');
}

/// Separates the next element from the previous one, if any.
inline void separate(std::string& s) {
  if (s.size() > 1) s.push_back(',');
}

inline void close_array(std::string& s) { s.push_back('}'); }

inline void append_int(std::string& s, std::int64_t v) {
  separate(s);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, end);
}

inline void append_bool(std::string& s, bool v) {
  separate(s);
  s.push_back(v ? 't' : 'f');
}

/// A quoted element: backslash and double quote are escaped, everything else is literal.
inline void append_quoted(std::string& s, std::string_view v) {
  separate(s);
  s.push_back('"');
  std::size_t from = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '"' || v[i] == '\\') {
      s.append(v.data() + from, i - from);
      s.push_back('\\');
      from = i;
    }
  }
  s.append(v.data() + from, v.size() - from);
  s.push_back('"');
}

/// 32 bytes as 64 lowercase hex digits (decoded in SQL with decode(…, 'hex')).
inline void append_hex(std::string& s, const std::array<std::uint8_t, 32>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  separate(s);
  for (auto b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// bytea in PostgreSQL's hex output ("\x…"); false unless exactly 32 bytes.
inline bool parse_digest(std::string_view text, std::array<std::uint8_t, 32>& out) {
  if (text.size() != 2 + 64 || text[0] != '\\' || text[1] != 'x') return false;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(text[2 + 2 * i]), lo = hex_value(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace zhiyuan::storage
