#include "core/admission.hpp"

#include <algorithm>

namespace zhiyuan::core {

void service_time::observe(std::int64_t us) noexcept {
  us = std::max<std::int64_t>(us, 0);
  // The first sample seeds the average: starting from 0 would admit a burst unmeasured.
  mean_us = mean_us == 0 ? us : mean_us + (us - mean_us) / 8;
}

std::int64_t expected_wait_us(std::size_t depth, unsigned servers,
                              std::int64_t service_us) noexcept {
  if (servers == 0 || service_us <= 0) return 0;
  return static_cast<std::int64_t>(depth / servers) * service_us;
}

std::int64_t class_budget_us(work_class c, std::int64_t budget_us) noexcept {
  switch (c) {
    case work_class::submission:
      return budget_us;
    case work_class::write:
      return budget_us / 4 * 3;
    case work_class::sign_in:
    case work_class::browse:
      return budget_us / 2;
  }
  return budget_us / 2;
}

}  // namespace zhiyuan::core
