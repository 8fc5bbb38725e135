#include "core/choices.hpp"

#include <charconv>
#include <cstdint>

namespace zhiyuan::core {

namespace {

void append_int(std::int64_t v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Reads a canonical integer at `pos`: optional '-', then "0" or a digit string without leading
// zeros. Advances `pos`; false when malformed.
bool read_int(std::string_view s, std::size_t& pos, std::int64_t& v) {
  std::size_t p = pos;
  if (p < s.size() && s[p] == '-') ++p;
  if (p >= s.size() || s[p] < '0' || s[p] > '9') return false;
  if (s[p] == '0' && p + 1 < s.size() && s[p + 1] >= '0' && s[p + 1] <= '9') return false;
  if (s[p] == '0' && p != pos) return false;  // "-0"
  std::size_t e = p;
  while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
  auto [ptr, ec] = std::from_chars(s.data() + pos, s.data() + e, v);
  if (ec != std::errc{} || ptr != s.data() + e) return false;
  pos = e;
  return true;
}

}  // namespace

void append_canonical(std::span<const group_choice> choices, std::string& out) {
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const group_choice& c = choices[i];
    if (i > 0) out.push_back('|');
    out.push_back(c.special ? 's' : 'g');
    append_int(c.group, out);
    out.push_back(':');
    for (std::size_t j = 0; j < c.majors.size(); ++j) {
      if (j > 0) out.push_back(',');
      append_int(c.majors[j], out);
    }
    out.append(c.accept_adjustment ? ";a1" : ";a0");
  }
}

std::string canonical_encoding(std::span<const group_choice> choices) {
  std::string out;
  // Typical entry: "g" + 6-digit group + ":" + 6 majors of ~7 chars + ";a1|".
  out.reserve(choices.size() * 56);
  append_canonical(choices, out);
  return out;
}

result<choice_list> decode_canonical(std::string_view s) {
  choice_list out;
  if (s.empty()) return out;
  std::size_t pos = 0;
  const auto bad = [&] {
    return failure(errc::invalid_field,
                   "malformed canonical choice list at offset " + std::to_string(pos));
  };
  while (true) {
    group_choice c;
    if (pos >= s.size() || (s[pos] != 'g' && s[pos] != 's')) return bad();
    c.special = s[pos++] == 's';
    if (!read_int(s, pos, c.group)) return bad();
    if (pos >= s.size() || s[pos++] != ':') return bad();
    if (pos < s.size() && s[pos] != ';') {
      while (true) {
        std::int64_t m = 0;
        if (!read_int(s, pos, m)) return bad();
        c.majors.push_back(m);
        if (pos < s.size() && s[pos] == ',') {
          ++pos;
          continue;
        }
        break;
      }
    }
    if (s.substr(pos, 3) == ";a1") {
      c.accept_adjustment = true;
    } else if (s.substr(pos, 3) != ";a0") {
      return bad();
    }
    pos += 3;
    out.push_back(std::move(c));
    if (pos == s.size()) return out;
    if (s[pos++] != '|') return bad();
  }
}

}  // namespace zhiyuan::core
