#include "core/batch.hpp"

namespace zhiyuan::core {

std::string_view to_code(batch b) noexcept {
  switch (b) {
    case batch::early_undergrad:
      return "early_undergrad";
    case batch::undergrad:
      return "undergrad";
    case batch::early_vocational:
      return "early_vocational";
    case batch::vocational:
      return "vocational";
  }
  return "undergrad";
}

std::string_view name_zh(batch b) noexcept {
  switch (b) {
    case batch::early_undergrad:
      return "本科提前批";
    case batch::undergrad:
      return "本科批";
    case batch::early_vocational:
      return "专科提前批";
    case batch::vocational:
      return "高职专科批";
  }
  return "本科批";
}

std::string_view name_en(batch b) noexcept {
  switch (b) {
    case batch::early_undergrad:
      return "early undergraduate batch";
    case batch::undergrad:
      return "undergraduate batch";
    case batch::early_vocational:
      return "early vocational batch";
    case batch::vocational:
      return "vocational batch";
  }
  return "undergraduate batch";
}

std::optional<batch> parse_batch(std::string_view code) noexcept {
  for (batch b : all_batches) {
    if (to_code(b) == code) return b;
  }
  return std::nullopt;
}

}  // namespace zhiyuan::core
