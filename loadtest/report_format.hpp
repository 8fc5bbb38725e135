#pragma once

// What the text, JSON and HTML reports of zhiyuan-loadtest share (loadtest/report.cpp,
// loadtest/report_html.cpp).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "loadtest/tally.hpp"

namespace zhiyuan::loadtest::report_format {

inline double ms(std::uint64_t us) { return static_cast<double>(us) / 1000; }

// The percentiles of the spectrum chart and the JSON: 0 … 99.999 and the maximum.
inline constexpr std::array<double, 21> spectrum_percentiles = {
    0,  10, 20,   30, 40,   50,   60,    70,    75,     80, 85,
    90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};

// The final statuses of an action and their counts, each as `form` ({} status, {} count).
inline std::string statuses_of(const action_stats& st, std::string_view sep,
                               std::string_view form) {
  std::string out;
  for (const auto& [status, n] : st.by_status) {
    if (!out.empty()) out += sep;
    out += fmt::format(fmt::runtime(form), status, n);
  }
  return out;
}

}  // namespace zhiyuan::loadtest::report_format
