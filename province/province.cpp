#include "province/province.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>

#include "province/catalog_generator.hpp"
#include "province/random.hpp"
#include "province/scores.hpp"

namespace zhiyuan::loadtest {

namespace {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// Fixed data: Hunan's 14 cities and 122 counties (real names, as of 2022); the two-digit city
// codes are the real ones, the county codes are sequential within the city (synthetic).

struct city_def {
  std::string_view name;
  std::string_view code;  // two digits
  double weight;          // roughly the population in millions
  std::vector<std::string_view> counties;
};

const std::vector<city_def>& hunan_cities() {
  static const std::vector<city_def> cities = {
      {"长沙市",
       "01",
       10.0,
       {"芙蓉区", "天心区", "岳麓区", "开福区", "雨花区", "望城区", "长沙县", "浏阳市", "宁乡市"}},
      {"株洲市",
       "02",
       3.9,
       {"荷塘区", "芦淞区", "石峰区", "天元区", "渌口区", "攸县", "茶陵县", "炎陵县", "醴陵市"}},
      {"湘潭市", "03", 2.7, {"雨湖区", "岳塘区", "湘潭县", "湘乡市", "韶山市"}},
      {"衡阳市",
       "04",
       6.6,
       {"珠晖区", "雁峰区", "石鼓区", "蒸湘区", "南岳区", "衡阳县", "衡南县", "衡山县", "衡东县",
        "祁东县", "耒阳市", "常宁市"}},
      {"邵阳市",
       "05",
       6.6,
       {"双清区", "大祥区", "北塔区", "新邵县", "邵阳县", "隆回县", "洞口县", "绥宁县", "新宁县",
        "城步苗族自治县", "武冈市", "邵东市"}},
      {"岳阳市",
       "06",
       5.1,
       {"岳阳楼区", "云溪区", "君山区", "岳阳县", "华容县", "湘阴县", "平江县", "汨罗市",
        "临湘市"}},
      {"常德市",
       "07",
       5.3,
       {"武陵区", "鼎城区", "安乡县", "汉寿县", "澧县", "临澧县", "桃源县", "石门县", "津市市"}},
      {"张家界市", "08", 1.5, {"永定区", "武陵源区", "慈利县", "桑植县"}},
      {"益阳市", "09", 3.9, {"资阳区", "赫山区", "南县", "桃江县", "安化县", "沅江市"}},
      {"郴州市",
       "10",
       4.7,
       {"北湖区", "苏仙区", "桂阳县", "宜章县", "永兴县", "嘉禾县", "临武县", "汝城县", "桂东县",
        "安仁县", "资兴市"}},
      {"永州市",
       "11",
       5.3,
       {"零陵区", "冷水滩区", "东安县", "双牌县", "道县", "江永县", "宁远县", "蓝山县", "新田县",
        "江华瑶族自治县", "祁阳市"}},
      {"怀化市",
       "12",
       4.6,
       {"鹤城区", "中方县", "沅陵县", "辰溪县", "溆浦县", "会同县", "麻阳苗族自治县",
        "新晃侗族自治县", "芷江侗族自治县", "靖州苗族侗族自治县", "通道侗族自治县", "洪江市"}},
      {"娄底市", "13", 3.8, {"娄星区", "双峰县", "新化县", "冷水江市", "涟源市"}},
      {"湘西土家族苗族自治州",
       "31",
       2.5,
       {"吉首市", "泸溪县", "凤凰县", "花垣县", "保靖县", "古丈县", "永顺县", "龙山县"}},
  };
  return cities;
}

constexpr std::array<std::string_view, 120> surnames = {
    "刘", "李",   "王", "陈", "张", "彭", "谭", "唐", "周", "黄", "罗", "邓", "曾", "廖", "胡",
    "杨", "欧阳", "吴", "肖", "赵", "蒋", "易", "龙", "贺", "朱", "文", "谢", "袁", "向", "何",
    "龚", "许",   "邹", "雷", "郭", "严", "钟", "汤", "姚", "夏", "戴", "颜", "石", "付", "伍",
    "宋", "田",   "梁", "徐", "孙", "马", "高", "林", "郑", "韩", "冯", "曹", "董", "潘", "于",
    "蔡", "余",   "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "卢", "姜", "崔", "陆",
    "汪", "范",   "金", "贾", "韦", "方", "白", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段",
    "侯", "史",   "黎", "顾", "毛", "郝", "邵", "万", "钱", "覃", "武", "孔", "庞", "樊", "兰",
    "殷", "施",   "陶", "洪", "翟", "安", "倪", "牛", "温", "季", "俞", "章", "鲁", "葛", "聂"};

constexpr std::array<std::string_view, 96> given_chars = {
    "子", "梓", "浩", "宇", "轩", "涵", "欣", "怡", "雨", "晨", "思", "佳", "俊", "杰", "博", "文",
    "一", "诗", "嘉", "明", "鑫", "睿", "泽", "晓", "雪", "婷", "静", "磊", "阳", "洋", "悦", "可",
    "心", "然", "铭", "航", "天", "宏", "伟", "振", "昊", "哲", "瑞", "琪", "萱", "彤", "妍", "馨",
    "蕾", "丹", "颖", "慧", "敏", "芳", "丽", "娟", "霞", "凯", "勇", "强", "健", "斌", "鹏", "飞",
    "龙", "坤", "毅", "锦", "诚", "逸", "辰", "晗", "煜", "翔", "宁", "安", "乐", "芊", "语", "舒",
    "蓉", "湘", "楚", "岚", "韬", "峰", "玲", "珊", "雅", "婧", "璐", "昕", "彬", "越", "骏", "泓"};

std::string chinese_numeral(int n) {
  static constexpr std::array<std::string_view, 10> digits = {"零", "一", "二", "三", "四",
                                                              "五", "六", "七", "八", "九"};
  if (n < 10) return std::string(digits[static_cast<std::size_t>(n)]);
  std::string out;
  if (n >= 20) out += digits[static_cast<std::size_t>(n / 10)];
  out += "十";
  if (n % 10 != 0) out += digits[static_cast<std::size_t>(n % 10)];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Candidates.

int draw_electives(rng& r, int track) {
  static constexpr std::array<int, 6> combos = {
      subject_chemistry | subject_biology,  subject_chemistry | subject_geography,
      subject_chemistry | subject_politics, subject_biology | subject_geography,
      subject_biology | subject_politics,   subject_politics | subject_geography};
  static constexpr std::array<double, 6> physics_weights = {0.52, 0.16, 0.07, 0.14, 0.04, 0.07};
  static constexpr std::array<double, 6> history_weights = {0.08, 0.05, 0.05, 0.14, 0.10, 0.58};
  return combos[r.weighted(track == track_physics ? physics_weights : history_weights)];
}

std::string draw_name(rng& r) {
  // Zipf-like: the first surnames of the list are the commonest in Hunan.
  static const std::vector<double> surname_weights = [] {
    std::vector<double> w(surnames.size());
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 1.0 / (static_cast<double>(i) + 4.0);
    return w;
  }();
  std::string name(surnames[r.weighted(surname_weights)]);
  name += r.pick(given_chars);
  if (r.chance(0.75)) name += r.pick(given_chars);
  return name;
}

// Days since 1970-01-01 → yyyymmdd.
std::string yyyymmdd(int days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return fmt::format("{:04}{:02}{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// Birth dates span 2004-01-01 .. 2005-12-31 (731 days); with 1,000 sequence numbers per day and
// region that gives 731,000 distinct IDs per county. Candidate k of a county gets the k-th element
// of a fixed permutation of that space (multiplying by a unit mod 731,000), so IDs are unique.
constexpr int id_days = 731;
constexpr std::int64_t id_space = id_days * 1000;
constexpr std::int64_t id_stride = 7919;  // prime, coprime with 731,000 = 2^3 * 5^3 * 17 * 43

std::string make_id_number(std::string_view region6, std::int64_t county_index,
                           std::int64_t county_offset) {
  const std::int64_t slot = (county_index * id_stride + county_offset) % id_space;
  const int first_day = static_cast<int>(
      std::chrono::sys_days{std::chrono::year{2004} / 1 / 1}.time_since_epoch().count());
  std::string id;
  id.reserve(18);
  id += region6;
  id += yyyymmdd(first_day + static_cast<int>(slot / 1000));
  id += fmt::format("{:03}", slot % 1000);
  id += id_check_character(id);
  return id;
}

struct school_plan {
  std::size_t unit_index;  // into province::units
  int city_id;
  int county_id;
  std::string exam_prefix;  // yy cc dd sss
  std::string region6;      // ID region code of the county
  bool vocational;
  std::int64_t first;         // index of its first candidate
  std::int64_t count;         // its candidates
  std::int64_t county_index;  // index of its first candidate within the county
  std::int64_t county_offset;
};

void generate_school(const province_options& o, const school_plan& plan, const line_set& lines,
                     int school_id, std::vector<candidate_row>& out) {
  rng r(o.seed, stream_school + static_cast<std::uint64_t>(school_id));
  for (std::int64_t i = 0; i < plan.count; ++i) {
    candidate_row& c = out[static_cast<std::size_t>(plan.first + i)];
    c.candidate_id = plan.first + i + 1;
    c.exam_no = fmt::format("{}{:05}", plan.exam_prefix, i + 1);
    c.name = draw_name(r);
    c.id_number = make_id_number(plan.region6, plan.county_index + i, plan.county_offset);
    c.school_id = school_id;
    c.county_id = plan.county_id;
    c.city_id = plan.city_id;
    c.track = r.chance(o.physics_share) ? track_physics : track_history;
    if (plan.vocational) {
      c.category = category_regular;
      c.electives = 0;
      continue;
    }
    const double u = r.uniform();
    c.category = u < 0.05 ? category_arts : u < 0.065 ? category_sports : category_regular;
    c.electives = draw_electives(r, c.track);
    c.score = draw_score(r, current_models[c.track]);
    c.eligible = eligibility(*c.score, c.track, c.category, lines);
  }
}

// ---------------------------------------------------------------------------------------------
// Units and candidates.

struct units_result {
  std::vector<school_plan> schools;
};

// The counties' shares of the schools: their city's weight split by a lognormal draw per county.
std::vector<double> draw_county_weights(const province_options& o) {
  rng r(o.seed, stream_units);
  std::vector<double> county_weights;
  for (const city_def& city : hunan_cities()) {
    std::vector<double> w;
    for (std::size_t k = 0; k < city.counties.size(); ++k) w.push_back(std::exp(0.35 * r.normal()));
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (double x : w) county_weights.push_back(city.weight * x / sum);
  }
  return county_weights;
}

// The nth regular school (中学) or vocational school (职业中专) of a county.
std::string school_name(const std::string& county_name, int nth, bool vocational) {
  if (!vocational) return fmt::format("{}第{}中学", county_name, chinese_numeral(nth));
  return nth == 1 ? county_name + "职业中专学校"
                  : fmt::format("{}第{}职业中专学校", county_name, chinese_numeral(nth));
}

// Pre-order intervals: walk the tree (children in id order) and number the nodes.
void number_preorder(std::vector<unit_row>& units) {
  std::vector<std::vector<std::size_t>> children(units.size());
  for (std::size_t i = 1; i < units.size(); ++i) {
    children[static_cast<std::size_t>(*units[i].parent_id - 1)].push_back(i);
  }
  int counter = 0;
  std::vector<std::pair<std::size_t, bool>> stack = {{0, false}};
  while (!stack.empty()) {
    auto [node, done] = stack.back();
    stack.pop_back();
    if (done) {
      units[node].hi = counter;
      continue;
    }
    units[node].lo = ++counter;
    stack.emplace_back(node, true);
    for (auto it = children[node].rbegin(); it != children[node].rend(); ++it) {
      stack.emplace_back(*it, false);
    }
  }
}

units_result generate_units(const province_options& o, province& p) {
  const auto& cities = hunan_cities();
  const std::vector<double> county_weights = draw_county_weights(o);
  const auto counties = static_cast<std::int64_t>(county_weights.size());
  // Every county has at least one regular and one vocational school.
  std::vector<std::int64_t> schools_per_county =
      apportion(o.schools - 2 * counties, county_weights);
  for (auto& n : schools_per_county) n += 2;

  // Ids by level (province 1, cities, counties, schools), each level in tree order.
  const int first_county_id = 2 + static_cast<int>(cities.size());
  const int first_school_id = first_county_id + static_cast<int>(counties);
  p.units.push_back({1, std::nullopt, 0, "43", "湖南省", 0, 0, false});
  units_result out;
  std::vector<unit_row> county_rows, school_rows;
  std::size_t county = 0;
  for (std::size_t ci = 0; ci < cities.size(); ++ci) {
    const city_def& city = cities[ci];
    const int city_id = 2 + static_cast<int>(ci);
    const std::string city_code = fmt::format("43{}", city.code);
    p.units.push_back({city_id, 1, 1, city_code, std::string(city.name), 0, 0, false});
    for (std::size_t k = 0; k < city.counties.size(); ++k, ++county) {
      const int county_id = first_county_id + static_cast<int>(county);
      const std::string county_code = fmt::format("{}{:02}", city_code, k + 1);
      const std::string county_name(city.counties[k]);
      county_rows.push_back({county_id, city_id, 2, county_code, county_name, 0, 0, false});
      const std::int64_t n = schools_per_county[county];
      const std::int64_t vocational = std::max<std::int64_t>(1, std::llround(n * 0.22));
      for (std::int64_t s = 0; s < n; ++s) {
        const bool is_vocational = s >= n - vocational;
        const std::int64_t nth = is_vocational ? s - (n - vocational) + 1 : s + 1;
        const std::string name = school_name(county_name, static_cast<int>(nth), is_vocational);
        const int school_id = first_school_id + static_cast<int>(school_rows.size());
        const std::string school_code = fmt::format("{}{:03}", county_code, s + 1);
        school_rows.push_back({school_id, county_id, 3, school_code, name, 0, 0, is_vocational});
        school_plan plan{};
        plan.city_id = city_id;
        plan.county_id = county_id;
        plan.exam_prefix = fmt::format("{:02}{}{:02}{:03}", o.year % 100, city.code, k + 1, s + 1);
        plan.region6 = county_code;
        plan.vocational = is_vocational;
        plan.county_offset =
            static_cast<std::int64_t>(mix64(o.seed ^ static_cast<std::uint64_t>(county_id)) %
                                      static_cast<std::uint64_t>(id_space));
        out.schools.push_back(std::move(plan));
      }
    }
  }
  p.units.insert(p.units.end(), county_rows.begin(), county_rows.end());
  p.units.insert(p.units.end(), school_rows.begin(), school_rows.end());
  for (std::size_t i = 0; i < out.schools.size(); ++i) {
    out.schools[i].unit_index = static_cast<std::size_t>(first_school_id - 1) + i;
  }

  number_preorder(p.units);
  return out;
}

void generate_candidates(const province_options& o, const line_set& lines,
                         std::vector<school_plan>& schools, province& p, int threads) {
  // Candidates per school: regular candidates over regular schools, vocational ones over
  // vocational schools, in proportion to a lognormal school size.
  const auto regular =
      static_cast<std::int64_t>(std::llround(static_cast<double>(o.candidates) * o.regular_share));
  rng r(o.seed, stream_school_sizes);
  std::vector<double> regular_w, vocational_w;
  for (const school_plan& s : schools) {
    const double w = std::exp(0.5 * r.normal());
    regular_w.push_back(s.vocational ? 0 : w);
    vocational_w.push_back(s.vocational ? w : 0);
  }
  const auto regular_n = apportion(regular, regular_w);
  const auto vocational_n = apportion(o.candidates - regular, vocational_w);
  std::int64_t first = 0, county_index = 0;
  int county = 0;
  for (std::size_t i = 0; i < schools.size(); ++i) {
    if (schools[i].county_id != county) county_index = 0;
    county = schools[i].county_id;
    schools[i].first = first;
    schools[i].count = regular_n[i] + vocational_n[i];
    schools[i].county_index = county_index;
    first += schools[i].count;
    county_index += schools[i].count;
    // Five digits of sequence per school in the exam number; 731,000 ID numbers per county.
    if (schools[i].count > 99'999 || county_index > id_space) {
      throw std::invalid_argument("too many candidates for the exam-number and ID formats");
    }
  }

  p.candidates.resize(static_cast<std::size_t>(o.candidates));
  const std::size_t workers = static_cast<std::size_t>(std::max(1, threads));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      for (std::size_t i = w; i < schools.size(); i += workers) {
        const int school_id = p.units[schools[i].unit_index].id;
        generate_school(o, schools[i], lines, school_id, p.candidates);
      }
    });
  }
  for (std::thread& t : pool) t.join();
}

}  // namespace

char id_check_character(std::string_view first17) {
  static constexpr std::array<int, 17> weights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                  3, 7, 9,  10, 5, 8, 4, 2};
  static constexpr std::string_view checks = "10X98765432";
  int sum = 0;
  for (std::size_t i = 0; i < 17 && i < first17.size(); ++i) {
    sum += (first17[i] - '0') * weights[i];
  }
  return checks[static_cast<std::size_t>(sum % 11)];
}

std::vector<int> province::historical_years() const {
  return {options.year - 3, options.year - 2, options.year - 1};
}

std::int64_t province::regular_candidates() const {
  return std::count_if(candidates.begin(), candidates.end(),
                       [](const candidate_row& c) { return c.score.has_value(); });
}

namespace {

// Current-year score tables and ranks (1 + number strictly higher within the track).
std::array<score_cumulative, 2> rank_candidates(province& p) {
  score_counts counts[2] = {};
  for (const candidate_row& c : p.candidates) {
    if (c.score) ++counts[c.track][static_cast<std::size_t>(*c.score)];
  }
  const std::array<score_cumulative, 2> current = {cumulate(counts[0]), cumulate(counts[1])};
  for (candidate_row& c : p.candidates) {
    if (c.score) c.rank = 1 + at(current[static_cast<std::size_t>(c.track)], *c.score + 1);
  }
  return current;
}

// Historical year y: a synthetic population per track and its lines, which sit at the current
// year's rank share. Adds the year's special-type lines to p.
void add_history_year(const province_options& o, std::size_t y, score_years& sy, province& p) {
  int undergrad[2], special[2];
  for (int t = 0; t < 2; ++t) {
    const history_model& hm = history_models[y];
    const score_cumulative& now = sy.current[static_cast<std::size_t>(t)];
    const auto n = static_cast<std::int64_t>(std::llround(now[0] * hm.size_factor));
    rng r(o.seed, stream_history_population + static_cast<std::uint64_t>(sy.years[y]) * 2 +
                      static_cast<std::uint64_t>(t));
    score_model m = current_models[t];
    m.mean += hm.mean_shift;
    score_counts c{};
    for (std::int64_t i = 0; i < n; ++i) ++c[static_cast<std::size_t>(draw_score(r, m))];
    sy.history[y][static_cast<std::size_t>(t)] = cumulate(c);
    const score_cumulative& h = sy.history[y][static_cast<std::size_t>(t)];
    const auto same_share = [&](int line) {
      if (now[0] == 0 || h[0] == 0) return line;
      const double share = static_cast<double>(at(now, line)) / now[0];
      const int rank = std::max(1, static_cast<int>(std::lround(share * h[0])));
      return score_at_rank(h, rank);
    };
    undergrad[t] = same_share(o.undergrad_line[t]);
    special[t] = same_share(o.special_type_line[t]);
    p.special_type_lines.push_back({sy.years[y], t, special[t]});
  }
  sy.history_lines.push_back(make_lines(undergrad, special, o.vocational_line));
}

// A year's control lines (every batch, track and category) and score tables.
void add_year_tables(int year, const line_set& l, const std::array<score_cumulative, 2>& tables,
                     province& p) {
  for (int b = 0; b < 4; ++b) {
    for (int t = 0; t < 2; ++t) {
      for (int cat = 0; cat < 3; ++cat)
        p.control_lines.push_back({year, b, t, cat, batch_line(l, b, t, cat)});
    }
  }
  for (int t = 0; t < 2; ++t) {
    const score_cumulative& c = tables[static_cast<std::size_t>(t)];
    for (int s = 0; s <= max_score; ++s) {
      p.score_tables.push_back({year, t, s, at(c, s) - at(c, s + 1), at(c, s)});
    }
  }
}

// Ranks, the historical populations, every year's control lines and score tables.
score_years generate_scores(const province_options& o, const line_set& lines, province& p) {
  score_years sy;
  sy.current = rank_candidates(p);
  sy.years = p.historical_years();
  sy.history.resize(sy.years.size());
  for (std::size_t y = 0; y < sy.years.size(); ++y) add_history_year(o, y, sy, p);
  for (int t = 0; t < 2; ++t) p.special_type_lines.push_back({o.year, t, o.special_type_line[t]});
  for (std::size_t y = 0; y < sy.years.size(); ++y) {
    add_year_tables(sy.years[y], sy.history_lines[y], sy.history[y], p);
  }
  add_year_tables(o.year, lines, sy.current, p);
  std::sort(p.control_lines.begin(), p.control_lines.end(), [](const auto& a, const auto& b) {
    return std::tie(a.year, a.batch, a.track, a.category) <
           std::tie(b.year, b.batch, b.track, b.category);
  });
  return sy;
}

}  // namespace

province generate_province(const province_options& o, int threads) {
  if (o.candidates < 0) throw std::invalid_argument("candidates must not be negative");
  if (o.year < 2001 || o.year > 2099) throw std::invalid_argument("year must be in 2001..2099");
  if (o.schools < 2 * 122) throw std::invalid_argument("schools must be at least 244");
  if (o.colleges < 1 || o.colleges > 89999) {
    throw std::invalid_argument("colleges must be in 1..89999");
  }
  if (threads <= 0) threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));

  province p;
  p.options = o;
  const line_set lines = make_lines(o.undergrad_line, o.special_type_line, o.vocational_line);
  units_result units = generate_units(o, p);
  generate_candidates(o, lines, units.schools, p, threads);
  const score_years sy = generate_scores(o, lines, p);
  generate_catalog(o, lines, sy, p);
  return p;
}

}  // namespace zhiyuan::loadtest
