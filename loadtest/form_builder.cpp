#include "loadtest/form_builder.hpp"

#include <utility>

namespace zhiyuan::loadtest {
namespace {

// The most choices a generated form holds: enough to be a real form, small enough to keep the
// request cheap to build.
constexpr int choices_per_form = 3;

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::size_t form_builder::profile(core::track t, core::category c, core::subject_set e) noexcept {
  return (static_cast<std::size_t>(t) * core::category_count + static_cast<std::size_t>(c)) * 16 +
         e.bits();
}

form_builder::form_builder(std::shared_ptr<const core::catalog> cat, core::batch b) : batch_(b) {
  for (std::size_t t = 0; t < core::track_count; ++t) {
    for (std::size_t c = 0; c < core::category_count; ++c) {
      for (std::uint8_t bits = 0; bits < 16; ++bits) {
        const auto trk = static_cast<core::track>(t);
        const auto category = static_cast<core::category>(c);
        const auto electives = core::subject_set::from_bits(bits);
        form f;
        std::string& out = f.choices_json;
        out = "[";
        int taken = 0;
        for (const core::major_group& g : cat->groups_in(b)) {
          if (g.special_type || g.trk != trk || g.cat != category) continue;
          if (!g.requirement.first_met(trk) || !g.requirement.missing(electives).empty()) continue;
          const auto majors = cat->majors_of(g);
          if (majors.empty()) continue;
          if (taken > 0) out += ',';
          f.groups.push_back(g.id);
          out += "{\"group\":";
          out += std::to_string(g.id);
          out += ",\"majors\":[";
          append_json_string(out, majors[0].code);
          out += "],\"accept_adjustment\":true}";
          if (++taken == choices_per_form) break;
        }
        out += ']';
        if (taken > 0) forms_[profile(trk, category, electives)] = std::move(f);
      }
    }
  }
}

const form* form_builder::form_for(const storage::candidate_directory::entry& who) const {
  if (!who.eligible.batches.contains(batch_)) return nullptr;
  const form& f = forms_[profile(who.trk, who.cat, who.electives)];
  return f.groups.empty() ? nullptr : &f;
}

}  // namespace zhiyuan::loadtest
