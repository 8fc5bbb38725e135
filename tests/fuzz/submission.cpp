// Fuzzes saving choices up to the rules: the request of PUT /api/v1/drafts/{batch} and POST
// /api/v1/applications/{batch} (path batch, Idempotency-Key, If-Match, the JSON body) decoded
// against a catalog (parse_save_request), then core's validator, then the canonical encoding the
// choices are stored in, which must read back to the same bytes. Input: a selector byte (bit 0:
// formal; bits 1-3: the path's batch), then "Idempotency-Key\nIf-Match\nbody".

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/choices.hpp"
#include "core/validation.hpp"
#include "server/candidate/filing/save.hpp"
#include "tests/core/fixtures.hpp"

using namespace zhiyuan;
namespace t = zhiyuan::core::testing;

namespace {

// Splits off the text before the next '\n'.
std::string_view take_line(std::string_view& in) {
  const auto nl = in.find('\n');
  const auto line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

void stored_form(const core::choice_list& choices) {
  const auto canonical = core::canonical_encoding(choices);
  const auto back = core::decode_canonical(canonical);
  if (!back || core::canonical_encoding(*back) != canonical) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const auto catalog = t::test_catalog();
  static const auto sched = t::hunan_2023();
  static const auto who = t::physics_candidate();
  constexpr std::array<std::string_view, 8> batches = {
      "undergrad", "early_undergrad", "vocational", "early_vocational", "", "x", "UNDERGRAD", "1"};
  const bool formal = (data[0] & 1) != 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  // Stored choices are read back by the same decoder: any text must decode or fail cleanly.
  if (const auto stored = core::decode_canonical(in); stored) stored_form(*stored);

  server::http_request req;
  if (const auto key = take_line(in); !key.empty()) req.set("Idempotency-Key", key);
  if (const auto base = take_line(in); !base.empty()) req.set("If-Match", base);
  req.set("Content-Type", "application/json");
  req.body() = std::string(in);
  server::response res;
  server::request_context ctx{.request = req, .path = "/", .res = res};
  ctx.params.items[0] = {"batch", batches[(data[0] >> 1) & 7]};
  ctx.params.size = 1;

  const auto decoded = server::parse_save_request(ctx, *catalog, formal);
  if (!decoded) return 0;
  const auto mode = formal ? core::mode::formal : core::mode::draft;
  (void)core::validate(who, decoded->b, decoded->choices, *catalog, sched,
                       t::at("2023-06-30T10:00:00+08:00"), mode);
  stored_form(decoded->choices);
  return 0;
}
