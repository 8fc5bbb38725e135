#include "core/validation.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace zhiyuan::core {

namespace {

// A form rarely exceeds 46 choices; beyond this the duplicate check falls back to the heap.
constexpr std::size_t inline_choices = 64;

void add(std::vector<finding>& out, violation v, int choice = -1, int major = -1,
         subject_set missing = {}, bool any_of = false) {
  out.push_back(finding{v, choice, major, missing, any_of});
}

// Reports every occurrence of a group after its first one. Sorting (group, index) pairs keeps this
// O(n log n) without a node-based set.
void find_duplicate_groups(std::span<const group_choice> choices, std::vector<finding>& out) {
  using entry = std::pair<group_id, int>;
  std::array<entry, inline_choices> local;
  std::vector<entry> heap;
  std::span<entry> e;
  if (choices.size() <= inline_choices) {
    e = std::span<entry>(local.data(), choices.size());
  } else {
    heap.resize(choices.size());
    e = heap;
  }
  for (std::size_t i = 0; i < choices.size(); ++i) e[i] = {choices[i].group, static_cast<int>(i)};
  std::sort(e.begin(), e.end());
  for (std::size_t i = 1; i < e.size(); ++i) {
    if (e[i].first == e[i - 1].first) add(out, violation::duplicate_group, e[i].second);
  }
}

void check_choice(const candidate& who, batch b, const group_choice& c, int i, const catalog& cat,
                  bool formal, phase ph, const batch_limits& lim, std::vector<finding>& out) {
  const major_group* g = cat.find_group(c.group);
  if (g == nullptr) {
    add(out, violation::unknown_group, i);
  } else if (g->b != b) {
    add(out, violation::group_not_in_batch, i);
  } else {
    if (g->trk != who.trk) add(out, violation::track_mismatch, i);
    if (g->cat != who.cat) add(out, violation::category_mismatch, i);
    if (const subject_set miss = g->requirement.missing(who.electives); !miss.empty()) {
      add(out, violation::subject_requirement_not_met, i, -1, miss,
          g->requirement.second == second_requirement::either);
    }
    if (c.special != g->special_type) add(out, violation::special_mismatch, i);
  }
  if (c.special) {
    if (lim.special_slots == 0) {
      add(out, violation::special_not_allowed, i);
    } else if (!who.eligible.special_type) {
      add(out, violation::not_eligible, i);
    }
  } else if (ph == phase::special) {
    // Only the special-type slot of 本科批 is open before its regular window.
    add(out, violation::window_not_open, i);
  }

  const auto n = static_cast<int>(c.majors.size());
  if (n > lim.max_majors) add(out, violation::too_many_majors, i, lim.max_majors);
  // Members of a group in another batch are still checked: the major ids may be wrong too.
  for (int j = 0; j < n; ++j) {
    const major_id mj = c.majors[static_cast<std::size_t>(j)];
    if (g != nullptr && !cat.group_has_major(*g, mj)) add(out, violation::major_not_in_group, i, j);
    // At most a handful of majors: a quadratic scan is cheaper than any set.
    for (int k = 0; k < j; ++k) {
      if (c.majors[static_cast<std::size_t>(k)] == mj) {
        add(out, violation::duplicate_major, i, j);
        break;
      }
    }
  }
  if (formal && n == 0 && !c.accept_adjustment) add(out, violation::empty_choice, i);
}

}  // namespace

void validate(const candidate& who, batch b, std::span<const group_choice> choices,
              const catalog& cat, const schedule& sched, unix_seconds now, mode m,
              std::vector<finding>& out, const batch_limit_table& limits) {
  out.clear();
  const batch_limits& lim = limits[index_of(b)];

  const bool formal = m == mode::formal || m == mode::drill_formal;
  const bool drill = m == mode::drill_formal || m == mode::drill_draft;
  const action a = drill ? (formal ? action::drill_submit : action::drill_save_draft)
                         : (formal ? action::submit : action::save_draft);
  decision d = decide(sched, b, a, now, {who.score, who.city});
  // The drill rehearses the whole form: no batch is in its special-type-only phase there.
  if (drill) d.ph = phase::formal;
  if (!d.allowed()) {
    add(out, d.reason == deny_reason::closed         ? violation::window_closed
             : d.reason == deny_reason::outside_slot ? violation::outside_slot_window
                                                     : violation::window_not_open);
  }
  if (!who.eligible.batches.contains(b)) add(out, violation::not_eligible);
  if (formal && choices.empty()) add(out, violation::empty_list);

  int ordinary = 0;
  int special = 0;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const group_choice& c = choices[i];
    const int idx = static_cast<int>(i);
    if (c.special) {
      // Excess special choices are reported only when the batch has a special slot at all;
      // otherwise special_not_allowed already covers each of them.
      if (lim.special_slots > 0 && ++special == lim.special_slots + 1) {
        add(out, violation::too_many_special, idx);
      }
    } else if (++ordinary == lim.max_groups + 1) {
      add(out, violation::too_many_groups, idx);
    }
    check_choice(who, b, c, idx, cat, formal, d.ph, lim, out);
  }
  find_duplicate_groups(choices, out);

  if (!out.empty()) {
    std::sort(out.begin(), out.end(), [](const finding& x, const finding& y) {
      if (x.choice != y.choice) return x.choice < y.choice;
      if (x.major != y.major) return x.major < y.major;
      return x.code < y.code;
    });
  }
}

std::vector<finding> validate(const candidate& who, batch b, std::span<const group_choice> choices,
                              const catalog& cat, const schedule& sched, unix_seconds now, mode m,
                              const batch_limit_table& limits) {
  std::vector<finding> out;
  validate(who, b, choices, cat, sched, now, m, out, limits);
  return out;
}

std::string_view to_code(violation v) noexcept {
  switch (v) {
    case violation::window_not_open:
      return "window_not_open";
    case violation::window_closed:
      return "window_closed";
    case violation::not_eligible:
      return "not_eligible";
    case violation::unknown_group:
      return "unknown_group";
    case violation::group_not_in_batch:
      return "group_not_in_batch";
    case violation::track_mismatch:
      return "track_mismatch";
    case violation::category_mismatch:
      return "category_mismatch";
    case violation::subject_requirement_not_met:
      return "subject_requirement_not_met";
    case violation::major_not_in_group:
      return "major_not_in_group";
    case violation::too_many_groups:
      return "too_many_groups";
    case violation::too_many_majors:
      return "too_many_majors";
    case violation::empty_choice:
      return "empty_choice";
    case violation::empty_list:
      return "empty_list";
    case violation::duplicate_group:
      return "duplicate_group";
    case violation::duplicate_major:
      return "duplicate_major";
    case violation::special_not_allowed:
      return "special_not_allowed";
    case violation::special_mismatch:
      return "special_mismatch";
    case violation::too_many_special:
      return "too_many_special";
    case violation::outside_slot_window:
      return "outside_slot_window";
  }
  return "invalid";
}

namespace {

std::string_view text_zh(violation v) noexcept {
  switch (v) {
    case violation::window_not_open:
      return "填报时间未到";
    case violation::window_closed:
      return "填报时间已截止";
    case violation::not_eligible:
      return "未达到该批次（或特殊类型）控制分数线，不能填报";
    case violation::unknown_group:
      return "院校专业组不存在";
    case violation::group_not_in_batch:
      return "院校专业组不属于本批次";
    case violation::track_mismatch:
      return "院校专业组的首选科目类别与考生不符";
    case violation::category_mismatch:
      return "院校专业组的考生类别与考生不符";
    case violation::subject_requirement_not_met:
      return "不满足选科要求";
    case violation::major_not_in_group:
      return "专业不属于该院校专业组";
    case violation::too_many_groups:
      return "超过本批次可填报的院校专业组数量";
    case violation::too_many_majors:
      return "超过每个院校专业组可填报的专业数量";
    case violation::empty_choice:
      return "未填报专业且不服从专业调剂";
    case violation::empty_list:
      return "未填报任何志愿";
    case violation::duplicate_group:
      return "院校专业组重复填报";
    case violation::duplicate_major:
      return "同一院校专业组内专业重复";
    case violation::special_not_allowed:
      return "本批次没有特殊类型志愿";
    case violation::special_mismatch:
      return "特殊类型院校专业组只能填在特殊类型志愿中";
    case violation::too_many_special:
      return "超过特殊类型志愿数量";
    case violation::outside_slot_window:
      return "不在本人的分时段填报时间内";
  }
  return "无效";
}

std::string_view text_en(violation v) noexcept {
  switch (v) {
    case violation::window_not_open:
      return "the filing window is not open yet";
    case violation::window_closed:
      return "the filing window has closed";
    case violation::not_eligible:
      return "below the control line of the batch (or special type)";
    case violation::unknown_group:
      return "no such college-major group";
    case violation::group_not_in_batch:
      return "the group is not in this batch";
    case violation::track_mismatch:
      return "the group is for the other first-choice subject";
    case violation::category_mismatch:
      return "the group is for another candidate category";
    case violation::subject_requirement_not_met:
      return "subject requirement not met";
    case violation::major_not_in_group:
      return "the major is not in this group";
    case violation::too_many_groups:
      return "more groups than the batch allows";
    case violation::too_many_majors:
      return "more majors than a group choice allows";
    case violation::empty_choice:
      return "no majors and no adjustment accepted";
    case violation::empty_list:
      return "no choices";
    case violation::duplicate_group:
      return "the group is already chosen";
    case violation::duplicate_major:
      return "the major is repeated in this group";
    case violation::special_not_allowed:
      return "this batch has no special-type slot";
    case violation::special_mismatch:
      return "special-type groups go in the special-type slot only";
    case violation::too_many_special:
      return "more special-type choices than allowed";
    case violation::outside_slot_window:
      return "outside your staggered filing slot";
  }
  return "invalid";
}

}  // namespace

std::string message_zh(const finding& f) {
  std::string out;
  if (f.choice >= 0) {
    out += "第" + std::to_string(f.choice + 1) + "个志愿";
    if (f.major >= 0) out += "第" + std::to_string(f.major + 1) + "个专业";
    out += "：";
  }
  out += text_zh(f.code);
  if (!f.missing.empty()) {
    out += "，缺少";
    bool first = true;
    for (subject s : all_subjects) {
      if (!f.missing.contains(s)) continue;
      if (!first) out += f.any_of ? "或" : "、";
      out += name_zh(s);
      first = false;
    }
    if (f.any_of) out += "（任选其一）";
  }
  return out;
}

std::string message_en(const finding& f) {
  std::string out;
  if (f.choice >= 0) {
    out += "Choice " + std::to_string(f.choice + 1);
    if (f.major >= 0) out += ", major " + std::to_string(f.major + 1);
    out += ": ";
    out += text_en(f.code);
  } else {
    const std::string_view t = text_en(f.code);
    out += static_cast<char>(t[0] - 'a' + 'A');
    out += t.substr(1);
  }
  if (!f.missing.empty()) {
    out += f.any_of ? "; missing one of " : "; missing ";
    bool first = true;
    for (subject s : all_subjects) {
      if (!f.missing.contains(s)) continue;
      if (!first) out += f.any_of ? " or " : " and ";
      out += to_code(s);
      first = false;
    }
  }
  return out;
}

}  // namespace zhiyuan::core
