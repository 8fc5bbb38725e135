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
#include <unordered_set>
#include <utility>

namespace zhiyuan::loadtest {

namespace {

// ---------------------------------------------------------------------------------------------
// Randomness. Hand-written rather than std::mt19937_64 + <random> distributions because the
// standard leaves the distributions' algorithms to the implementation: the same seed must give
// the same province with any standard library. splitmix64 is small, fast and statistically fine
// for synthetic data; each independent part of the province draws from its own stream.

constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Stream identifiers: one per independent part, so that changing one part leaves the others.
constexpr std::uint64_t stream_units = 1;
constexpr std::uint64_t stream_colleges = 2;
constexpr std::uint64_t stream_group_history = 3;
constexpr std::uint64_t stream_school_sizes = 4;
constexpr std::uint64_t stream_history_population = 1000;  // + year * 2 + track
constexpr std::uint64_t stream_school = 1ULL << 32;        // + school id

class rng {
 public:
  rng(std::uint64_t seed, std::uint64_t stream) : state_(mix64(seed) ^ mix64(~stream)) {}

  std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n), n > 0.
  int below(int n) noexcept {
    return static_cast<int>(((next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }
  /// Uniform integer in [lo, hi].
  int between(int lo, int hi) noexcept { return lo + below(hi - lo + 1); }
  bool chance(double p) noexcept { return uniform() < p; }
  /// Standard normal (Box-Muller, one of the pair).
  double normal() noexcept {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }
  /// Index drawn with probability proportional to weights[i].
  template <typename Weights>
  std::size_t weighted(const Weights& weights) noexcept {
    double total = 0;
    for (double w : weights) total += w;
    double x = uniform() * total;
    for (std::size_t i = 0; i < std::size(weights); ++i) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return std::size(weights) - 1;
  }
  template <typename T, std::size_t n>
  const T& pick(const std::array<T, n>& items) noexcept {
    return items[static_cast<std::size_t>(below(static_cast<int>(n)))];
  }

 private:
  std::uint64_t state_;
};

// Splits `total` in proportion to `weights` (largest remainder, ties to the lower index).
std::vector<std::int64_t> apportion(std::int64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::int64_t> out(weights.size(), 0);
  if (weights.empty() || total <= 0 || sum <= 0) return out;
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    out[i] = static_cast<std::int64_t>(std::floor(exact));
    given += out[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < total; ++k, ++given) ++out[remainders[k % weights.size()].second];
  return out;
}

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
// Scores.

struct score_model {
  double mean;
  double sd_low;   // below the mean: a long left tail
  double sd_high;  // above the mean: a short right tail
};

// Per track: physics, history.
constexpr score_model current_models[2] = {{425, 120, 95}, {440, 110, 85}};

int draw_score(rng& r, const score_model& m) {
  const double z = r.normal();
  double s = z >= 0 ? m.mean + m.sd_high * z : m.mean + m.sd_low * z;
  // Top scores bunch below ~730 rather than piling up at the maximum.
  if (s > 620) s = 620 + 110 * std::tanh((s - 620) / 110);
  return std::clamp(static_cast<int>(std::lround(s)), 0, max_score);
}

// counts[s] for s in 0..750 → cumulative[s] = number with score >= s; cumulative[751] = 0.
using score_counts = std::array<int, max_score + 1>;
using score_cumulative = std::array<int, max_score + 2>;

score_cumulative cumulate(const score_counts& counts) {
  score_cumulative c{};
  for (int s = max_score; s >= 0; --s) {
    c[static_cast<std::size_t>(s)] =
        c[static_cast<std::size_t>(s) + 1] + counts[static_cast<std::size_t>(s)];
  }
  return c;
}

// The score of the candidate at `rank` (1-based): the highest s with cumulative[s] >= rank.
int score_at_rank(const score_cumulative& c, int rank) {
  for (int s = max_score; s >= 0; --s) {
    if (c[static_cast<std::size_t>(s)] >= rank) return s;
  }
  return 0;
}

int at(const score_cumulative& c, int score) {
  return c[static_cast<std::size_t>(std::clamp(score, 0, max_score + 1))];
}

// Synthetic population of a historical year relative to the current year: size factor and mean
// shift, for years current-3, current-2, current-1.
struct history_model {
  double size_factor;
  double mean_shift;
};
constexpr history_model history_models[3] = {{0.84, -3}, {0.86, 4}, {0.90, -6}};

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

struct line_set {
  // [track][category]: undergraduate and vocational lines; [track]: special type (regular
  // category only).
  int undergrad[2][3];
  int vocational[2][3];
  int special[2];
};

// Synthetic (unverified) ratios of the arts and sports culture lines to the regular ones.
constexpr double arts_line_ratio = 0.80;
constexpr double sports_line_ratio = 0.78;
constexpr int arts_sports_vocational_line = 160;

line_set make_lines(const int undergrad[2], const int special[2], int vocational) {
  line_set l{};
  for (int t = 0; t < 2; ++t) {
    l.special[t] = special[t];
    l.undergrad[t][category_regular] = undergrad[t];
    l.undergrad[t][category_arts] = static_cast<int>(std::lround(undergrad[t] * arts_line_ratio));
    l.undergrad[t][category_sports] =
        static_cast<int>(std::lround(undergrad[t] * sports_line_ratio));
    l.vocational[t][category_regular] = vocational;
    l.vocational[t][category_arts] = arts_sports_vocational_line;
    l.vocational[t][category_sports] = arts_sports_vocational_line;
  }
  return l;
}

int eligibility(int score, int track, int category, const line_set& lines) {
  int bits = 0;
  if (score >= lines.undergrad[track][category]) {
    bits |= (1 << batch_early_undergrad) | (1 << batch_undergrad);
  }
  if (score >= lines.vocational[track][category]) {
    bits |= (1 << batch_early_vocational) | (1 << batch_vocational);
  }
  // The special-type slot of 本科批 also needs 本科批 itself.
  if (category == category_regular && score >= lines.special[track] &&
      (bits & (1 << batch_undergrad)) != 0) {
    bits |= eligible_special_type;
  }
  return bits;
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

units_result generate_units(const province_options& o, province& p) {
  const auto& cities = hunan_cities();
  rng r(o.seed, stream_units);
  std::vector<double> county_weights;
  for (const city_def& city : cities) {
    std::vector<double> w;
    for (std::size_t k = 0; k < city.counties.size(); ++k) w.push_back(std::exp(0.35 * r.normal()));
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (double x : w) county_weights.push_back(city.weight * x / sum);
  }
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
        const std::string name =
            is_vocational
                ? (nth == 1 ? county_name + "职业中专学校"
                            : fmt::format("{}第{}职业中专学校", county_name,
                                          chinese_numeral(static_cast<int>(nth))))
                : fmt::format("{}第{}中学", county_name, chinese_numeral(static_cast<int>(nth)));
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

  // Pre-order intervals: walk the tree (children in id order) and number the nodes.
  std::vector<std::vector<std::size_t>> children(p.units.size());
  for (std::size_t i = 1; i < p.units.size(); ++i) {
    children[static_cast<std::size_t>(*p.units[i].parent_id - 1)].push_back(i);
  }
  int counter = 0;
  std::vector<std::pair<std::size_t, bool>> stack = {{0, false}};
  while (!stack.empty()) {
    auto [node, done] = stack.back();
    stack.pop_back();
    if (done) {
      p.units[node].hi = counter;
      continue;
    }
    p.units[node].lo = ++counter;
    stack.emplace_back(node, true);
    for (auto it = children[node].rbegin(); it != children[node].rend(); ++it) {
      stack.emplace_back(*it, false);
    }
  }
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

// ---------------------------------------------------------------------------------------------
// Catalog.

struct group_seed {
  std::size_t group_index;
  double target_score;  // current-year minimum score the group's prestige implies
};

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

struct catalog_context {
  const province_options& o;
  const line_set& lines;
  rng& r;
  province& p;
  std::vector<group_seed>& seeds;
};

void add_group(catalog_context& ctx, const college_row& college, int& code_counter, int batch,
               int track, int category, bool special_type, double prestige, bool hunan,
               bool private_college) {
  rng& r = ctx.r;
  major_group_row g;
  g.group_id = static_cast<int>(ctx.p.major_groups.size()) + 1;
  g.college_code = college.code;
  g.group_code = fmt::format("{:03}", ++code_counter);
  g.batch = batch;
  g.track = track;
  g.category = category;
  g.special_type = special_type;
  draw_requirement(r, track, college.type, g);

  const bool undergrad_batch = batch == batch_early_undergrad || batch == batch_undergrad;
  const std::vector<std::string_view> pool =
      major_pool(college.type, undergrad_batch, track, category);
  const int wanted = 2 + static_cast<int>(std::pow(r.uniform(), 1.6) * 11);
  const int count = std::clamp(wanted, 2, std::min(12, static_cast<int>(pool.size())));
  std::vector<std::size_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  for (int k = 0; k < count; ++k) {  // partial Fisher-Yates: distinct names
    const auto j = static_cast<std::size_t>(k + r.below(static_cast<int>(order.size()) - k));
    std::swap(order[static_cast<std::size_t>(k)], order[j]);
  }
  for (int k = 0; k < count; ++k) {
    major_row m;
    m.group_id = g.group_id;
    m.code = fmt::format("{:02}", k + 1);
    m.name = std::string(pool[order[static_cast<std::size_t>(k)]]);
    if (undergrad_batch) {
      m.plan_count =
          hunan ? r.between(5, 60) : (prestige > 0.7 ? r.between(1, 4) : r.between(1, 8));
      m.years = five_year_major(m.name) ? 5 : 4;
      m.tuition = private_college ? 16000 + 1000 * r.below(14) : 4500 + 100 * r.below(25);
      if (category != category_regular) m.tuition += 4000;
    } else {
      m.plan_count = hunan ? r.between(10, 100) : r.between(2, 15);
      m.years = 3;
      m.tuition = private_college ? 9000 + 500 * r.below(12) : 3500 + 500 * r.below(10);
    }
    g.plan_count += m.plan_count;
    ctx.p.majors.push_back(std::move(m));
  }

  // The group's current-year minimum score implied by its prestige (a little noise per group).
  const double z = std::clamp(prestige + 0.04 * r.normal(), 0.0, 1.0);
  const line_set& l = ctx.lines;
  double target = 0;
  if (undergrad_batch) {
    const int line = l.undergrad[track][category];
    if (category != category_regular) {
      target = line + z * 150;
    } else if (special_type) {
      const int special = ctx.o.special_type_line[track];
      target = special + 5 + z * (705 - special);
    } else {
      target = line + z * (705 - line) + (batch == batch_early_undergrad ? 15 : 0);
    }
  } else {
    const int line = l.vocational[track][category];
    target = line + z * 230 + (batch == batch_early_vocational ? 10 : 0);
  }
  ctx.seeds.push_back({ctx.p.major_groups.size(), std::min(target, 735.0)});
  ctx.p.major_groups.push_back(std::move(g));
}

void generate_catalog(const province_options& o, const line_set& lines, province& p,
                      std::vector<group_seed>& seeds) {
  rng r(o.seed, stream_colleges);
  catalog_context ctx{o, lines, r, p, seeds};
  std::unordered_set<std::string> taken;
  std::vector<double> undergrad_region_w, vocational_region_w, type_w;
  for (const region_def& d : regions) {
    undergrad_region_w.push_back(d.undergrad_weight);
    vocational_region_w.push_back(d.vocational_weight);
  }
  for (const college_type_def& t : undergrad_types()) type_w.push_back(t.weight);

  for (int i = 0; i < o.colleges; ++i) {
    college_row c;
    c.code = fmt::format("{:05}", 10001 + i);
    c.undergrad = r.chance(0.55);
    const std::size_t region = r.weighted(c.undergrad ? undergrad_region_w : vocational_region_w);
    c.region = std::string(regions[region].name);
    const bool hunan = region == region_hunan;
    std::string_view field;
    if (c.undergrad) {
      const college_type_def& t = undergrad_types()[r.weighted(type_w)];
      c.type = std::string(t.type);
      field = t.fields[static_cast<std::size_t>(r.below(static_cast<int>(t.fields.size())))];
    } else {
      c.type = "职业";
      field = r.pick(vocational_fields);
    }
    c.name = college_name(r, c.region, c.undergrad, field, taken);
    // Prestige in [0, 1]: most colleges are ordinary, few are at the top.
    const double prestige = c.undergrad ? std::pow(r.uniform(), 3.0) : std::pow(r.uniform(), 2.0);
    const bool private_college = r.chance(c.undergrad ? (prestige < 0.3 ? 0.2 : 0.0) : 0.35);
    int code_counter = 0;

    const bool physics = r.chance(c.undergrad && (c.type == "语言" || c.type == "艺术" ||
                                                  c.type == "体育" || c.type == "政法")
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
    std::vector<int> tracks;
    if (physics) tracks.push_back(track_physics);
    if (history) tracks.push_back(track_history);

    const int early_batch = c.undergrad ? batch_early_undergrad : batch_early_vocational;
    const int main_batch = c.undergrad ? batch_undergrad : batch_vocational;
    // Early batch: military, police, publicly funded teachers; and the arts and sports groups.
    const double early_p = c.undergrad ? (c.type == "师范" || c.type == "政法" ? 0.35 : 0.15) : 0.2;
    const bool early = r.chance(early_p);
    const bool arts = c.type == "艺术" ||
                      ((c.type == "综合" || c.type == "师范") && r.chance(0.1)) ||
                      (!c.undergrad && field == "艺术");
    const bool sports = c.type == "体育" || (c.type == "师范" && r.chance(0.08)) ||
                        (!c.undergrad && field == "体育");
    for (int track : tracks) {
      if (early) {
        for (int k = r.between(1, 2); k > 0; --k) {
          add_group(ctx, c, code_counter, early_batch, track, category_regular, false, prestige,
                    hunan, private_college);
        }
      }
      if (arts) {
        for (int k = r.between(1, 2); k > 0; --k) {
          add_group(ctx, c, code_counter, early_batch, track, category_arts, false, prestige, hunan,
                    private_college);
        }
      }
      if (sports) {
        add_group(ctx, c, code_counter, early_batch, track, category_sports, false, prestige, hunan,
                  private_college);
      }
      const int max_groups = c.undergrad ? 6 : 4;
      int groups = 1 + static_cast<int>(std::pow(r.uniform(), 2.0) * max_groups);
      groups = std::min(groups, max_groups);
      const bool special = c.undergrad && prestige > 0.55 && r.chance(0.35);
      for (int k = 0; k < groups; ++k) {
        add_group(ctx, c, code_counter, main_batch, track, category_regular,
                  special && k == groups - 1 && groups > 1, prestige, hunan, private_college);
      }
      if (special && groups == 1) {
        add_group(ctx, c, code_counter, main_batch, track, category_regular, true, prestige, hunan,
                  private_college);
      }
    }
    p.colleges.push_back(std::move(c));
  }
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

  // Current-year score tables and ranks (1 + number strictly higher within the track).
  score_counts counts[2] = {};
  for (const candidate_row& c : p.candidates) {
    if (c.score) ++counts[c.track][static_cast<std::size_t>(*c.score)];
  }
  const score_cumulative current[2] = {cumulate(counts[0]), cumulate(counts[1])};
  for (candidate_row& c : p.candidates) {
    if (c.score) c.rank = 1 + at(current[c.track], *c.score + 1);
  }

  // Historical populations, control lines and tables. Lines sit at the current year's rank share.
  const std::vector<int> years = p.historical_years();
  std::vector<std::array<score_cumulative, 2>> history(years.size());
  std::vector<line_set> history_lines;
  for (std::size_t y = 0; y < years.size(); ++y) {
    int undergrad[2], special[2];
    for (int t = 0; t < 2; ++t) {
      const history_model& hm = history_models[y];
      const auto n = static_cast<std::int64_t>(std::llround(current[t][0] * hm.size_factor));
      rng r(o.seed, stream_history_population + static_cast<std::uint64_t>(years[y]) * 2 +
                        static_cast<std::uint64_t>(t));
      score_model m = current_models[t];
      m.mean += hm.mean_shift;
      score_counts c{};
      for (std::int64_t i = 0; i < n; ++i) ++c[static_cast<std::size_t>(draw_score(r, m))];
      history[y][static_cast<std::size_t>(t)] = cumulate(c);
      const score_cumulative& h = history[y][static_cast<std::size_t>(t)];
      const auto same_share = [&](int line) {
        if (current[t][0] == 0 || h[0] == 0) return line;
        const double share = static_cast<double>(at(current[t], line)) / current[t][0];
        const int rank = std::max(1, static_cast<int>(std::lround(share * h[0])));
        return score_at_rank(h, rank);
      };
      undergrad[t] = same_share(o.undergrad_line[t]);
      special[t] = same_share(o.special_type_line[t]);
      p.special_type_lines.push_back({years[y], t, special[t]});
    }
    history_lines.push_back(make_lines(undergrad, special, o.vocational_line));
  }
  for (int t = 0; t < 2; ++t) p.special_type_lines.push_back({o.year, t, o.special_type_line[t]});

  const auto add_year = [&](int year, const line_set& l, const score_cumulative* tables) {
    for (int b = 0; b < 4; ++b) {
      for (int t = 0; t < 2; ++t) {
        for (int cat = 0; cat < 3; ++cat) {
          const bool undergrad = b == batch_early_undergrad || b == batch_undergrad;
          p.control_lines.push_back(
              {year, b, t, cat, undergrad ? l.undergrad[t][cat] : l.vocational[t][cat]});
        }
      }
    }
    for (int t = 0; t < 2; ++t) {
      const score_cumulative& c = tables[t];
      for (int s = 0; s <= max_score; ++s) {
        p.score_tables.push_back({year, t, s, at(c, s) - at(c, s + 1), at(c, s)});
      }
    }
  };
  for (std::size_t y = 0; y < years.size(); ++y) {
    add_year(years[y], history_lines[y], history[y].data());
  }
  add_year(o.year, lines, current);
  std::sort(p.control_lines.begin(), p.control_lines.end(), [](const auto& a, const auto& b) {
    return std::tie(a.year, a.batch, a.track, a.category) <
           std::tie(b.year, b.batch, b.track, b.category);
  });

  // Catalog, then each group's history: its current-year rank share, held with a little noise,
  // read back as a score through that year's table and kept at or above that year's line.
  std::vector<group_seed> seeds;
  generate_catalog(o, lines, p, seeds);
  rng r(o.seed, stream_group_history);
  for (const group_seed& s : seeds) {
    const major_group_row& g = p.major_groups[s.group_index];
    const score_cumulative& now = current[g.track];
    const double share =
        now[0] == 0 ? 0.5 : static_cast<double>(at(now, static_cast<int>(s.target_score))) / now[0];
    for (std::size_t y = 0; y < years.size(); ++y) {
      const double noise = r.normal();
      const bool missing = r.chance(0.05);
      const double admitted_factor = 0.85 + 0.25 * r.uniform();
      const score_cumulative& h = history[y][static_cast<std::size_t>(g.track)];
      if (missing || h[0] == 0) continue;
      const bool undergrad = g.batch == batch_early_undergrad || g.batch == batch_undergrad;
      const line_set& l = history_lines[y];
      int floor = undergrad ? l.undergrad[g.track][g.category] : l.vocational[g.track][g.category];
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
      p.historical_scores.push_back({g.group_id, years[y], score, rank, admitted});
    }
  }
  return p;
}

}  // namespace zhiyuan::loadtest
