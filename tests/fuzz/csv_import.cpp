// Fuzzes the province's CSV imports (core/import.hpp): the RFC 4180 reader, then the row checks
// of each of the four files (units, plans, scores, candidates), as POST
// /api/v1/admin/imports/{kind} runs them. Input: one selector byte, then the file.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/import.hpp"

using namespace zhiyuan::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<import_error> errors;
  const auto table = parse_csv(text, 1000, errors);
  if (!table) return 0;
  if (table->rows.size() > 1000) __builtin_trap();
  switch (data[0] % 4) {
    case 0:
      (void)check_units(*table, errors);
      break;
    case 1:
      (void)check_plans(*table, errors);
      break;
    case 2:
      (void)check_scores(*table, errors);
      break;
    default:
      (void)check_candidates(*table, errors);
      break;
  }
  (void)parse_electives(text);
  (void)parse_eligibility(text);
  (void)parse_unit_level(text);
  return 0;
}
