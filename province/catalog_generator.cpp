#include "province/catalog_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "province/random.hpp"

namespace zhiyuan::loadtest::detail {
namespace {

// The provinces a college may be in, with how often colleges from there enrol in Hunan.
struct region_def {
  std::string_view name;
  double undergrad_weight;
  double vocational_weight;
};

constexpr std::array<region_def, 31> regions = {{
    {"北京", 4, 1},     {"天津", 2, 1},     {"河北", 2.5, 1},   {"山西", 1.5, 0.5},
    {"内蒙古", 1, 0.3}, {"辽宁", 2.5, 1},   {"吉林", 1.8, 0.5}, {"黑龙江", 2, 0.5},
    {"上海", 3, 1},     {"江苏", 4, 2},     {"浙江", 3, 2},     {"安徽", 2.5, 1},
    {"福建", 2, 1.5},   {"江西", 3.5, 3},   {"山东", 3.5, 1.5}, {"河南", 3, 1.5},
    {"湖北", 4, 3},     {"湖南", 12, 40},   {"广东", 4, 5},     {"广西", 2, 2},
    {"海南", 1, 1},     {"重庆", 2.5, 2},   {"四川", 3, 2},     {"贵州", 1.5, 1},
    {"云南", 1.5, 0.8}, {"西藏", 0.3, 0},   {"陕西", 3, 1},     {"甘肃", 1.2, 0.3},
    {"青海", 0.5, 0.1}, {"宁夏", 0.5, 0.1}, {"新疆", 0.8, 0.2},
}};
constexpr std::size_t region_hunan = 17;

struct college_type_def {
  std::string_view type;
  double weight;
  std::vector<std::string_view> fields;  // the distinctive word of the name
};

const std::vector<college_type_def>& undergrad_types() {
  static const std::vector<college_type_def> types = {
      {"综合", 18, {""}},
      {"理工",
       30,
       {"理工", "科技", "工业", "工程", "交通", "电力", "石油", "建筑", "信息工程", "化工"}},
      {"师范", 10, {"师范", "第一师范", "教育"}},
      {"医药", 8, {"医科", "中医药", "医学", "药科"}},
      {"财经", 10, {"财经", "商学", "工商", "经贸", "金融"}},
      {"农林", 5, {"农业", "林业", "农林"}},
      {"政法", 3, {"政法", "警察"}},
      {"语言", 3, {"外国语", "外语"}},
      {"艺术", 4, {"艺术", "美术", "音乐", "传媒", "戏剧"}},
      {"体育", 2, {"体育"}},
      {"民族", 2, {"民族"}},
  };
  return types;
}

constexpr std::array<std::string_view, 25> vocational_fields = {
    "工业", "交通", "商贸",     "信息", "建筑", "电子", "机电",    "汽车", "铁道",
    "医药", "财经", "水利",     "农业", "旅游", "软件", "化工",    "工程", "城市建设",
    "艺术", "体育", "幼儿师范", "电力", "航空", "环境", "司法警官"};

// Words that tell apart colleges that would otherwise share a name.
constexpr std::array<std::string_view, 24> name_qualifiers = {
    "",     "城市", "应用", "科技", "文理", "东方", "南方", "北方", "中原", "华夏", "新华", "光华",
    "育才", "明德", "长江", "黄河", "滨海", "山水", "现代", "国际", "星城", "华中", "华南", "西部"};

// Majors, by family. Undergraduate names follow the national catalogue; vocational ones the
// higher-vocational catalogue.
constexpr std::array<std::string_view, 22> majors_engineering = {
    "计算机科学与技术", "软件工程",
    "电子信息工程",     "通信工程",
    "自动化",           "机械设计制造及其自动化",
    "土木工程",         "电气工程及其自动化",
    "材料科学与工程",   "化学工程与工艺",
    "人工智能",         "数据科学与大数据技术",
    "车辆工程",         "测绘工程",
    "环境工程",         "建筑学",
    "工程管理",         "数学与应用数学",
    "物理学",           "化学",
    "生物科学",         "应用统计学"};
constexpr std::array<std::string_view, 12> majors_medicine = {
    "临床医学", "口腔医学", "护理学",     "药学",         "中医学",     "医学影像学",
    "预防医学", "麻醉学",   "针灸推拿学", "医学检验技术", "康复治疗学", "中药学"};
constexpr std::array<std::string_view, 15> majors_humanities = {
    "汉语言文学", "历史学",       "英语",     "日语",         "新闻学",
    "法学",       "思想政治教育", "哲学",     "社会工作",     "行政管理",
    "学前教育",   "小学教育",     "地理科学", "汉语国际教育", "秘书学"};
constexpr std::array<std::string_view, 12> majors_business = {
    "会计学",   "财务管理",     "金融学",   "经济学",   "国际经济与贸易", "工商管理",
    "市场营销", "人力资源管理", "电子商务", "物流管理", "审计学",         "税收学"};
constexpr std::array<std::string_view, 8> majors_arts = {"美术学", "视觉传达设计", "环境设计",
                                                         "音乐学", "舞蹈学",       "播音与主持艺术",
                                                         "动画",   "数字媒体艺术"};
constexpr std::array<std::string_view, 4> majors_sports = {"体育教育", "运动训练",
                                                           "社会体育指导与管理", "休闲体育"};
constexpr std::array<std::string_view, 6> majors_agriculture = {
    "农学", "园艺", "动物医学", "林学", "食品科学与工程", "植物保护"};
constexpr std::array<std::string_view, 36> majors_vocational = {"计算机应用技术",
                                                                "软件技术",
                                                                "大数据技术",
                                                                "电子商务",
                                                                "大数据与会计",
                                                                "机电一体化技术",
                                                                "工业机器人技术",
                                                                "汽车检测与维修技术",
                                                                "新能源汽车技术",
                                                                "护理",
                                                                "药学",
                                                                "学前教育",
                                                                "建筑工程技术",
                                                                "工程造价",
                                                                "市场营销",
                                                                "现代物流管理",
                                                                "酒店管理与数字化运营",
                                                                "旅游管理",
                                                                "城市轨道交通运营管理",
                                                                "铁道机车运用与维护",
                                                                "数控技术",
                                                                "电气自动化技术",
                                                                "物联网应用技术",
                                                                "现代农业技术",
                                                                "食品检验检测技术",
                                                                "婴幼儿托育服务与管理",
                                                                "法律事务",
                                                                "商务英语",
                                                                "智慧健康养老服务与管理",
                                                                "无人机应用技术",
                                                                "动漫制作技术",
                                                                "环境艺术设计",
                                                                "音乐表演",
                                                                "社会体育",
                                                                "口腔医学技术",
                                                                "医学检验技术"};

bool five_year_major(std::string_view name) {
  static constexpr std::array<std::string_view, 8> five = {
      "临床医学", "口腔医学", "建筑学", "中医学", "医学影像学", "预防医学", "麻醉学", "针灸推拿学"};
  return std::find(five.begin(), five.end(), name) != five.end();
}

// ---------------------------------------------------------------------------------------------
// Colleges and their groups.

std::string college_name(rng& r, std::string_view region, bool undergrad, std::string_view field,
                         std::unordered_set<std::string>& taken) {
  const std::string_view suffix = undergrad ? (field.empty() || r.chance(0.5) ? "大学" : "学院")
                                            : (r.chance(0.7) ? "职业技术学院" : "职业学院");
  for (std::string_view q : name_qualifiers) {
    std::string name = fmt::format("{}{}{}{}", region, q, field, suffix);
    if (taken.insert(name).second) return name;
  }
  for (int n = 2;; ++n) {
    std::string name = fmt::format("{}{}{}（{}）", region, field, suffix, n);
    if (taken.insert(name).second) return name;
  }
}

template <std::size_t n>
void add_pool(std::vector<std::string_view>& pool, const std::array<std::string_view, n>& a) {
  pool.insert(pool.end(), a.begin(), a.end());
}

std::vector<std::string_view> major_pool(std::string_view type, bool undergrad, int track,
                                         int category) {
  std::vector<std::string_view> pool;
  if (!undergrad) {
    add_pool(pool, majors_vocational);
  } else if (category == category_arts) {
    add_pool(pool, majors_arts);
  } else if (category == category_sports) {
    add_pool(pool, majors_sports);
  } else if (type == "医药") {
    add_pool(pool, majors_medicine);
  } else if (type == "农林") {
    add_pool(pool, majors_agriculture);
    add_pool(pool, majors_engineering);
  } else if (track == track_physics) {
    add_pool(pool, majors_engineering);
    add_pool(pool, majors_business);
  } else {
    add_pool(pool, majors_humanities);
    add_pool(pool, majors_business);
  }
  return pool;
}

void draw_requirement(rng& r, int track, std::string_view type, major_group_row& g) {
  g.req_first = track == track_physics ? req_first_physics : req_first_history;
  if (g.category != category_regular) {
    g.req_second_kind = req_second_none;
    return;
  }
  struct req {
    int kind;
    int subjects;
  };
  static constexpr std::array<req, 5> physics = {
      {{req_second_none, 0},
       {req_second_one, subject_chemistry},
       {req_second_one, subject_biology},
       {req_second_both, subject_chemistry | subject_biology},
       {req_second_either_of_two, subject_chemistry | subject_biology}}};
  static constexpr std::array<double, 5> physics_w = {0.35, 0.35, 0.03, 0.20, 0.07};
  static constexpr std::array<double, 5> medicine_w = {0.05, 0.15, 0.05, 0.70, 0.05};
  static constexpr std::array<req, 5> history = {
      {{req_second_none, 0},
       {req_second_one, subject_politics},
       {req_second_one, subject_geography},
       {req_second_either_of_two, subject_politics | subject_geography},
       {req_second_both, subject_politics | subject_geography}}};
  static constexpr std::array<double, 5> history_w = {0.75, 0.15, 0.04, 0.04, 0.02};
  const req& q = track == track_physics
                     ? physics[r.weighted(type == "医药" ? medicine_w : physics_w)]
                     : history[r.weighted(history_w)];
  g.req_second_kind = q.kind;
  g.req_subjects = q.subjects;
}

struct group_seed {
  std::size_t group_index;
  double target_score;  // current-year minimum score the group's prestige implies
};

// What the colleges' stream decided about one college, kept for the groups added after all the
// colleges (add_category_groups).
struct college_profile {
  college_row row;
  std::string_view field;  // the distinctive word of its name
  double prestige = 0;     // in [0, 1]: most colleges are ordinary, few are at the top
  bool hunan = false;
  bool private_college = false;
  std::vector<int> tracks;
  bool early = false;
  bool arts = false;
  bool sports = false;
  int code_counter = 0;      // group codes given so far
  int groups_in[4][2] = {};  // groups per (batch, track)
  int main_batch() const noexcept { return row.undergrad ? batch_undergrad : batch_vocational; }
  int early_batch() const noexcept {
    return row.undergrad ? batch_early_undergrad : batch_early_vocational;
  }
};

// At most this many groups of one college in one batch and track.
constexpr int max_groups_per_batch = 6;

struct catalog_context {
  const province_options& o;
  const line_set& lines;
  rng& r;
  province& p;
  std::vector<group_seed>& seeds;
};

// The current-year minimum score a group's prestige implies (z: prestige with a little noise).
double target_score(const catalog_context& ctx, const major_group_row& g, double z) {
  if (undergrad_batch(g.batch)) {
    const int line = ctx.lines.undergrad[g.track][g.category];
    if (g.category != category_regular) return line + z * 150;
    if (g.special_type) {
      const int special = ctx.o.special_type_line[g.track];
      return special + 5 + z * (705 - special);
    }
    return line + z * (705 - line) + (g.batch == batch_early_undergrad ? 15 : 0);
  }
  const int line = ctx.lines.vocational[g.track][g.category];
  return line + z * 230 + (g.batch == batch_early_vocational ? 10 : 0);
}

// The group's majors: 2..12 distinct names of its pool, with plans, years and tuition.
void add_majors(catalog_context& ctx, const college_profile& college, major_group_row& g) {
  rng& r = ctx.r;
  const bool undergrad = undergrad_batch(g.batch);
  const std::vector<std::string_view> pool =
      major_pool(college.row.type, undergrad, g.track, g.category);
  const int wanted = 2 + static_cast<int>(std::pow(r.uniform(), 1.6) * 11);
  const int count = std::clamp(wanted, 2, std::min(12, static_cast<int>(pool.size())));
  std::vector<std::size_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  for (int k = 0; k < count; ++k) {  // partial Fisher-Yates: distinct names
    const auto j = static_cast<std::size_t>(k + r.below(static_cast<int>(order.size()) - k));
    std::swap(order[static_cast<std::size_t>(k)], order[j]);
  }
  const double prestige = college.prestige;
  const bool hunan = college.hunan;
  for (int k = 0; k < count; ++k) {
    major_row m;
    m.group_id = g.group_id;
    m.code = fmt::format("{:02}", k + 1);
    m.name = std::string(pool[order[static_cast<std::size_t>(k)]]);
    if (undergrad) {
      m.plan_count =
          hunan ? r.between(5, 60) : (prestige > 0.7 ? r.between(1, 4) : r.between(1, 8));
      m.years = five_year_major(m.name) ? 5 : 4;
      m.tuition = college.private_college ? 16000 + 1000 * r.below(14) : 4500 + 100 * r.below(25);
      if (g.category != category_regular) m.tuition += 4000;
    } else {
      m.plan_count = hunan ? r.between(10, 100) : r.between(2, 15);
      m.years = 3;
      m.tuition = college.private_college ? 9000 + 500 * r.below(12) : 3500 + 500 * r.below(10);
    }
    g.plan_count += m.plan_count;
    ctx.p.majors.push_back(std::move(m));
  }
}

major_group_row& add_group(catalog_context& ctx, college_profile& college, int batch, int track,
                           int category, bool special_type) {
  major_group_row g;
  g.group_id = static_cast<int>(ctx.p.major_groups.size()) + 1;
  g.college_code = college.row.code;
  g.group_code = fmt::format("{:03}", ++college.code_counter);
  g.batch = batch;
  g.track = track;
  g.category = category;
  g.special_type = special_type;
  draw_requirement(ctx.r, track, college.row.type, g);
  add_majors(ctx, college, g);
  const double z = std::clamp(college.prestige + 0.04 * ctx.r.normal(), 0.0, 1.0);
  ctx.seeds.push_back({ctx.p.major_groups.size(), std::min(target_score(ctx, g, z), 735.0)});
  ++college.groups_in[batch][track];
  ctx.p.major_groups.push_back(std::move(g));
  return ctx.p.major_groups.back();
}

struct college_weights {
  std::vector<double> undergrad_region, vocational_region, type;
};

// Draws one college: its row (code, region, type, name) and what decides its groups.
college_profile draw_college(catalog_context& ctx, int i, const college_weights& w,
                             std::unordered_set<std::string>& taken) {
  rng& r = ctx.r;
  college_profile out;
  college_row& c = out.row;
  c.code = fmt::format("{:05}", 10001 + i);
  c.undergrad = r.chance(0.55);
  const std::size_t region = r.weighted(c.undergrad ? w.undergrad_region : w.vocational_region);
  c.region = std::string(regions[region].name);
  out.hunan = region == region_hunan;
  if (c.undergrad) {
    const college_type_def& t = undergrad_types()[r.weighted(w.type)];
    c.type = std::string(t.type);
    out.field = t.fields[static_cast<std::size_t>(r.below(static_cast<int>(t.fields.size())))];
  } else {
    c.type = "职业";
    out.field = r.pick(vocational_fields);
  }
  c.name = college_name(r, c.region, c.undergrad, out.field, taken);
  out.prestige = c.undergrad ? std::pow(r.uniform(), 3.0) : std::pow(r.uniform(), 2.0);
  out.private_college = r.chance(c.undergrad ? (out.prestige < 0.3 ? 0.2 : 0.0) : 0.35);

  const bool physics = r.chance(
      c.undergrad && (c.type == "语言" || c.type == "艺术" || c.type == "体育" || c.type == "政法")
          ? 0.6
          : 0.95);
  double history_p = 0.8;
  if (!c.undergrad) {
    history_p = 0.9;
  } else if (c.type == "理工") {
    history_p = 0.55;
  } else if (c.type == "医药") {
    history_p = 0.5;
  } else if (c.type == "语言" || c.type == "师范" || c.type == "政法") {
    history_p = 0.98;
  }
  const bool history = r.chance(history_p) || !physics;
  if (physics) out.tracks.push_back(track_physics);
  if (history) out.tracks.push_back(track_history);
  // Early batch: military, police, publicly funded teachers; and the arts and sports groups.
  const double early_p = c.undergrad ? (c.type == "师范" || c.type == "政法" ? 0.35 : 0.15) : 0.2;
  out.early = r.chance(early_p);
  out.arts = c.type == "艺术" || ((c.type == "综合" || c.type == "师范") && r.chance(0.1)) ||
             (!c.undergrad && out.field == "艺术");
  out.sports = c.type == "体育" || (c.type == "师范" && r.chance(0.08)) ||
               (!c.undergrad && out.field == "体育");
  return out;
}

// The college's groups from the colleges' stream: early-batch regular, arts and sports groups,
// then the main batch's regular groups (the last one special-type at some prestigious colleges).
void add_college_groups(catalog_context& ctx, college_profile& c) {
  rng& r = ctx.r;
  for (int track : c.tracks) {
    if (c.early) {
      for (int k = r.between(1, 2); k > 0; --k) {
        add_group(ctx, c, c.early_batch(), track, category_regular, false);
      }
    }
    if (c.arts) {
      for (int k = r.between(1, 2); k > 0; --k) {
        add_group(ctx, c, c.early_batch(), track, category_arts, false);
      }
    }
    if (c.sports) add_group(ctx, c, c.early_batch(), track, category_sports, false);
    const int max_groups = c.row.undergrad ? 6 : 4;
    int groups = 1 + static_cast<int>(std::pow(r.uniform(), 2.0) * max_groups);
    groups = std::min(groups, max_groups);
    const bool special = c.row.undergrad && c.prestige > 0.55 && r.chance(0.35);
    for (int k = 0; k < groups; ++k) {
      add_group(ctx, c, c.main_batch(), track, category_regular,
                special && k == groups - 1 && groups > 1);
    }
    if (special && groups == 1) add_group(ctx, c, c.main_batch(), track, category_regular, true);
  }
}

std::vector<college_profile> generate_colleges(catalog_context& ctx) {
  std::unordered_set<std::string> taken;
  college_weights w;
  for (const region_def& d : regions) {
    w.undergrad_region.push_back(d.undergrad_weight);
    w.vocational_region.push_back(d.vocational_weight);
  }
  for (const college_type_def& t : undergrad_types()) w.type.push_back(t.weight);
  std::vector<college_profile> colleges;
  for (int i = 0; i < ctx.o.colleges; ++i) {
    college_profile c = draw_college(ctx, i, w, taken);
    add_college_groups(ctx, c);
    colleges.push_back(std::move(c));
  }
  return colleges;
}

// ---------------------------------------------------------------------------------------------
// Every category a batch admits gets groups of its own. Arts and sports candidates reach every
// batch's line, but the colleges' stream gives their categories groups in the early batches
// only; so every college with arts (sports) groups also gets 1-2 (1) in its main batch, per
// track, while it has room. Then each (batch, track, category) still without a group open to
// every elective combination gets one at a college of the batch's level that has room: only a
// catalog of a few colleges lacks any.

bool has_open_group(const province& p, int batch, int track, int category) {
  return std::any_of(p.major_groups.begin(), p.major_groups.end(), [&](const major_group_row& g) {
    return g.batch == batch && g.track == track && g.category == category &&
           g.req_second_kind == req_second_none && !g.special_type;
  });
}

void add_main_batch_category_groups(catalog_context& ctx, std::vector<college_profile>& colleges) {
  for (college_profile& c : colleges) {
    for (int track : c.tracks) {
      const int room = max_groups_per_batch - c.groups_in[c.main_batch()][track];
      int arts = c.arts ? std::min(ctx.r.between(1, 2), room) : 0;
      for (; arts > 0; --arts) add_group(ctx, c, c.main_batch(), track, category_arts, false);
      if (c.sports && c.groups_in[c.main_batch()][track] < max_groups_per_batch) {
        add_group(ctx, c, c.main_batch(), track, category_sports, false);
      }
    }
  }
}

void cover_every_category(catalog_context& ctx, std::vector<college_profile>& colleges) {
  const auto n = static_cast<int>(colleges.size());
  for (int batch = 0; batch < 4; ++batch) {
    for (int track = 0; track < 2; ++track) {
      for (int category = 0; category < 3; ++category) {
        if (has_open_group(ctx.p, batch, track, category)) continue;
        const int first = ctx.r.below(n);
        for (int k = 0; k < n; ++k) {
          college_profile& c = colleges[static_cast<std::size_t>((first + k) % n)];
          if (c.row.undergrad != undergrad_batch(batch) ||
              c.groups_in[batch][track] >= max_groups_per_batch) {
            continue;
          }
          major_group_row& g = add_group(ctx, c, batch, track, category, false);
          g.req_second_kind = req_second_none;
          g.req_subjects = 0;
          break;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Histories: each group's current-year rank share, held with a little noise, read back as a
// score through each historical year's table and kept at or above that year's line.

void add_group_histories(const std::vector<group_seed>& seeds, const score_years& sy, rng& r,
                         province& p) {
  for (const group_seed& s : seeds) {
    const major_group_row& g = p.major_groups[s.group_index];
    const score_cumulative& now = sy.current[static_cast<std::size_t>(g.track)];
    const double share =
        now[0] == 0 ? 0.5 : static_cast<double>(at(now, static_cast<int>(s.target_score))) / now[0];
    for (std::size_t y = 0; y < sy.years.size(); ++y) {
      const double noise = r.normal();
      const bool missing = r.chance(0.05);
      const double admitted_factor = 0.85 + 0.25 * r.uniform();
      const score_cumulative& h = sy.history[y][static_cast<std::size_t>(g.track)];
      if (missing || h[0] == 0) continue;
      const line_set& l = sy.history_lines[y];
      int floor = batch_line(l, g.batch, g.track, g.category);
      if (g.special_type) floor = std::max(floor, l.special[g.track]);
      int rank =
          std::clamp(static_cast<int>(std::lround(share * h[0] * std::exp(0.06 * noise))), 1, h[0]);
      int score = score_at_rank(h, rank);
      if (score < floor) {
        rank = at(h, floor);
        if (rank < 1) continue;  // nobody reached the line that year (tiny provinces only)
        score = score_at_rank(h, rank);
      }
      const int admitted =
          std::max(1, static_cast<int>(std::lround(g.plan_count * admitted_factor)));
      p.historical_scores.push_back({g.group_id, sy.years[y], score, rank, admitted});
    }
  }
}

}  // namespace

void generate_catalog(const province_options& o, const line_set& lines, const score_years& sy,
                      province& p) {
  // The colleges, their groups and majors, from the colleges' stream.
  std::vector<group_seed> seeds;
  rng colleges_rng(o.seed, stream_colleges);
  catalog_context ctx{o, lines, colleges_rng, p, seeds};
  std::vector<college_profile> colleges = generate_colleges(ctx);
  for (const college_profile& c : colleges) p.colleges.push_back(c.row);

  // The groups that give every category of every batch groups of its own: appended, from a
  // stream of their own, so the colleges' groups keep their ids and numbers.
  std::vector<group_seed> category_seeds;
  rng category_rng(o.seed, stream_category_groups);
  catalog_context category_ctx{o, lines, category_rng, p, category_seeds};
  add_main_batch_category_groups(category_ctx, colleges);
  cover_every_category(category_ctx, colleges);

  rng history_rng(o.seed, stream_group_history);
  add_group_histories(seeds, sy, history_rng, p);
  rng category_history_rng(o.seed, stream_category_history);
  add_group_histories(category_seeds, sy, category_history_rng, p);
}

}  // namespace zhiyuan::loadtest::detail
