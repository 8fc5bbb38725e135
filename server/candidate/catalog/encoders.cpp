#include "server/candidate/catalog/encoders.hpp"

#include <optional>
#include <string_view>

#include "core/score_table.hpp"
#include "core/time.hpp"

namespace zhiyuan::server {
namespace {

std::string_view requirement_code(core::first_requirement f) {
  switch (f) {
    case core::first_requirement::physics:
      return "physics";
    case core::first_requirement::history:
      return "history";
    case core::first_requirement::either:
      return "either";
  }
  return "either";
}

std::string_view requirement_code(core::second_requirement s) {
  switch (s) {
    case core::second_requirement::none:
      return "none";
    case core::second_requirement::one:
      return "one";
    case core::second_requirement::both:
      return "both";
    case core::second_requirement::either:
      return "either";
  }
  return "none";
}

// This year's equivalent (等位分) of `score` in `year`: the score this year with the same rank.
std::optional<int> equivalent_this_year(const storage::reference_data& ref, int this_year,
                                        core::track t, int year, int score) {
  const core::score_table* then = ref.table(year, t);
  const core::score_table* now = ref.table(this_year, t);
  if (then == nullptr || now == nullptr) return std::nullopt;
  // equivalent_score maps a score of its first table to the second: from `year` to this year.
  return core::equivalent_score(*then, score, *now);
}

}  // namespace

std::string requirement_zh(const core::subject_requirement& r) {
  std::string out = "首选";
  switch (r.first) {
    case core::first_requirement::physics:
      out += "物理";
      break;
    case core::first_requirement::history:
      out += "历史";
      break;
    case core::first_requirement::either:
      out += "不限";
      break;
  }
  out += "，再选";
  switch (r.second) {
    case core::second_requirement::none:
      out += "不限";
      break;
    case core::second_requirement::one:
      out += core::name_zh(r.a);
      break;
    case core::second_requirement::both:
      out += core::name_zh(r.a);
      out += "和";
      out += core::name_zh(r.b);
      break;
    case core::second_requirement::either:
      out += core::name_zh(r.a);
      out += "或";
      out += core::name_zh(r.b);
      break;
  }
  return out;
}

void write_window(json_writer& w, const core::window& win) {
  w.begin_object();
  w.key("open").value(core::format_rfc3339(win.open));
  w.key("close").value(core::format_rfc3339(win.close));
  w.end_object();
}

void write_college(json_writer& w, const core::college& c) {
  w.begin_object();
  w.key("code").value(c.code);
  w.key("name").value(c.name);
  w.key("region").value(c.region);
  w.key("type").value(c.type);
  w.end_object();
}

void write_group(json_writer& w, const core::catalog& cat, const core::major_group& g) {
  const core::college* c = cat.find_college(g.college_code);
  w.begin_object();
  w.key("id").value(g.id);
  w.key("college_code").value(g.college_code);
  w.key("college_name").value(c ? std::string_view(c->name) : std::string_view());
  w.key("region").value(c ? std::string_view(c->region) : std::string_view());
  w.key("group_code").value(g.group_code);
  w.key("batch").value(core::to_code(g.b));
  w.key("track").value(core::to_code(g.trk));
  w.key("category").value(core::to_code(g.cat));
  w.key("special_type").value(g.special_type);
  w.key("plan_count").value(g.plan_count);
  w.key("requirement").begin_object();
  w.key("first").value(requirement_code(g.requirement.first));
  w.key("second").value(requirement_code(g.requirement.second));
  w.key("subjects").begin_array();
  if (g.requirement.second != core::second_requirement::none) {
    w.value(core::to_code(g.requirement.a));
    if (g.requirement.second != core::second_requirement::one) {
      w.value(core::to_code(g.requirement.b));
    }
  }
  w.end_array();
  w.key("text_zh").value(requirement_zh(g.requirement));
  w.end_object();
  w.key("majors").begin_array();
  for (const core::major& m : cat.majors_of(g)) {
    w.begin_object();
    w.key("id").value(m.id);
    w.key("code").value(m.code);
    w.key("name").value(m.name);
    w.key("plan_count").value(m.plan_count);
    w.key("years").value(m.years);
    w.key("tuition").value(m.tuition);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_score_history(json_writer& w, const catalog_snapshot& s, int this_year,
                         const core::major_group& g) {
  w.begin_object();
  w.key("group_id").value(g.id);
  w.key("college_code").value(g.college_code);
  w.key("group_code").value(g.group_code);
  w.key("batch").value(core::to_code(g.b));
  w.key("track").value(core::to_code(g.trk));
  w.key("years").begin_array();
  for (const auto& h : s.ref->history_of(g.id)) {
    // Only earlier years are history; the first three (most recent first) are shown.
    if (h.year >= this_year) continue;
    w.begin_object();
    w.key("year").value(h.year);
    w.key("min_score").value(h.min_score);
    w.key("min_rank").value(h.min_rank);
    w.key("admitted").value(h.admitted);
    w.key("equivalent_score");
    if (auto e = equivalent_this_year(*s.ref, this_year, g.trk, h.year, h.min_score)) {
      w.value(*e);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace zhiyuan::server
