#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/candidate.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/schedule.hpp"
#include "core/time.hpp"

namespace zhiyuan::core::testing {

/// Instant of an RFC 3339 literal; throws on a typo so a test cannot silently use 0.
inline unix_seconds at(std::string_view text) {
  auto r = parse_rfc3339(text);
  if (!r) throw std::invalid_argument(std::string(text));
  return *r;
}

/// Hunan 2023, the same dates as config/schedule.toml (schedule_test checks they agree).
inline schedule hunan_2023() {
  schedule s;
  s.year = 2023;
  s.assisted_open = at("2023-06-22T08:00:00+08:00");
  s.confirm_deadline = at("2023-06-29T08:00:00+08:00");
  s.drill = {at("2023-06-13T08:00:00+08:00"), at("2023-06-19T17:00:00+08:00")};
  s.batches[index_of(batch::early_undergrad)].formal = {at("2023-06-26T08:00:00+08:00"),
                                                        at("2023-06-27T17:00:00+08:00")};
  s.batches[index_of(batch::undergrad)].formal = {at("2023-06-29T08:00:00+08:00"),
                                                  at("2023-07-02T17:00:00+08:00")};
  s.batches[index_of(batch::undergrad)].special =
      window{at("2023-06-26T08:00:00+08:00"), at("2023-06-27T17:00:00+08:00")};
  s.batches[index_of(batch::early_vocational)].formal = {at("2023-06-29T08:00:00+08:00"),
                                                         at("2023-07-02T17:00:00+08:00")};
  s.batches[index_of(batch::vocational)].formal = {at("2023-08-06T08:00:00+08:00"),
                                                   at("2023-08-08T17:00:00+08:00")};
  const auto round = [&](std::string day, batch_set bs) {
    s.supplementary.push_back({{at(day + "T08:00:00+08:00"), at(day + "T17:00:00+08:00")}, bs});
  };
  round("2023-07-12", {batch::early_undergrad});
  round("2023-07-15", {batch::early_undergrad});
  round("2023-07-25", {batch::undergrad});
  round("2023-07-30", {batch::undergrad, batch::early_vocational});
  round("2023-08-08", {batch::early_vocational});
  round("2023-08-16", {batch::vocational});
  round("2023-08-21", {batch::vocational});
  return s;
}

// Group ids of the small test catalog.
inline constexpr group_id g_chem = 101;        // physics; requires chemistry.
inline constexpr group_id g_chem_bio = 102;    // physics; requires chemistry and biology.
inline constexpr group_id g_pol_or_geo = 103;  // physics; politics or geography.
inline constexpr group_id g_history = 104;     // history track.
inline constexpr group_id g_arts = 105;        // arts category.
inline constexpr group_id g_special = 106;     // special type (本科批 特殊类型).
inline constexpr group_id g_early = 201;       // 本科提前批.
inline constexpr group_id g_vocational = 301;  // 高职专科批.
inline constexpr group_id g_bulk = 1000;       // g_bulk .. g_bulk + 59: plain undergrad physics.
inline constexpr int bulk_groups = 60;
inline constexpr int majors_per_group = 8;

/// Major k (1-based) of group g.
constexpr major_id major_of(group_id g, int k) { return g * 100 + k; }

inline subject_requirement req(first_requirement f, second_requirement s = second_requirement::none,
                               subject a = subject::chemistry, subject b = subject::chemistry) {
  return {f, s, a, b};
}

/// A small catalog: the named groups above, plus 60 plain 本科批 physics groups; each group has
/// majors major_of(g, 1..8).
inline std::shared_ptr<const catalog> test_catalog() {
  std::vector<college> colleges = {{"1001", "湖南大学", "湖南", "公办本科"},
                                   {"1002", "中南大学", "湖南", "公办本科"},
                                   {"2001", "长沙职业技术学院", "湖南", "公办专科"}};
  std::vector<major_group> groups;
  const auto group = [&](group_id id, std::string college, batch b, track t, category c,
                         subject_requirement r, bool special = false) {
    groups.push_back({id, std::move(college), std::to_string(id), b, t, c, r, 10, special});
  };
  using fr = first_requirement;
  using sr = second_requirement;
  group(g_chem, "1001", batch::undergrad, track::physics, category::regular,
        req(fr::physics, sr::one, subject::chemistry));
  group(g_chem_bio, "1001", batch::undergrad, track::physics, category::regular,
        req(fr::physics, sr::both, subject::chemistry, subject::biology));
  group(g_pol_or_geo, "1002", batch::undergrad, track::physics, category::regular,
        req(fr::either, sr::either, subject::politics, subject::geography));
  group(g_history, "1002", batch::undergrad, track::history, category::regular, req(fr::history));
  group(g_arts, "1002", batch::undergrad, track::physics, category::arts, req(fr::either));
  group(g_special, "1001", batch::undergrad, track::physics, category::regular, req(fr::physics),
        true);
  group(g_early, "1001", batch::early_undergrad, track::physics, category::regular,
        req(fr::physics));
  group(g_vocational, "2001", batch::vocational, track::physics, category::regular,
        req(fr::either));
  for (int i = 0; i < bulk_groups; ++i) {
    group(g_bulk + i, i % 2 == 0 ? "1001" : "1002", batch::undergrad, track::physics,
          category::regular, req(fr::physics));
  }
  std::vector<major> majors;
  for (const major_group& g : groups) {
    for (int k = 1; k <= majors_per_group; ++k) {
      // Codes "01".."08"; built with append because GCC 12 warns falsely (-Wrestrict) on
      // `"0" + std::to_string(k)`.
      std::string code = "0";
      code.append(std::to_string(k));
      majors.push_back({major_of(g.id, k), g.id, std::move(code), "专业", 2, 4, 5500});
    }
  }
  auto c = catalog::build(std::move(colleges), std::move(groups), std::move(majors));
  if (!c) throw std::logic_error(c.error().detail);
  return *c;
}

/// A physics candidate with chemistry + biology, eligible for every batch and the special slot.
inline candidate physics_candidate() {
  candidate c;
  c.id = 1;
  c.exam_number = "23430102150001";
  c.name = "张三";
  c.id_number = "430102200501011234";
  c.school = 10;
  c.cat = category::regular;
  c.trk = track::physics;
  c.electives = {subject::chemistry, subject::biology};
  c.score = 600;
  c.rank = 12000;
  c.eligible = {
      {batch::early_undergrad, batch::undergrad, batch::early_vocational, batch::vocational}, true};
  return c;
}

/// A valid choice: group g with its majors 1..n, adjustment accepted.
inline group_choice choice(group_id g, int n = 6, bool adjust = true, bool special = false) {
  group_choice c{g, {}, adjust, special};
  for (int k = 1; k <= n; ++k) c.majors.push_back(major_of(g, k));
  return c;
}

/// A full, valid 本科批 form: `n` bulk groups with 6 majors each.
inline choice_list full_form(int n = 45) {
  choice_list out;
  for (int i = 0; i < n; ++i) out.push_back(choice(g_bulk + i));
  return out;
}

}  // namespace zhiyuan::core::testing
