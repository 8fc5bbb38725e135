#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zhiyuan::core {

/// Decodes `s` as UTF-8, strictly (no overlong forms, surrogates, code points past U+10FFFF or
/// truncated sequences), calling `f(code_point)` for each; `f` returns false to stop early.
/// Returns false on malformed input or when `f` stopped.
template <typename F>
bool for_each_code_point(std::string_view s, F&& f) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t n = 0;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c >> 5) == 0x06) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c >> 4) == 0x0E) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c >> 3) == 0x1E) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (!f(cp)) return false;
    i += n;
  }
  return true;
}

/// Whether `s` is well-formed UTF-8 (see for_each_code_point).
inline bool valid_utf8(std::string_view s) {
  return for_each_code_point(s, [](std::uint32_t) { return true; });
}

/// C0 controls, DEL and C1 controls.
constexpr bool is_control(std::uint32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/// Well-formed UTF-8 without control characters: what free-text fields accept.
inline bool clean_text(std::string_view s) {
  return for_each_code_point(s, [](std::uint32_t cp) { return !is_control(cp); });
}

}  // namespace zhiyuan::core
