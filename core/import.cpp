#include "core/import.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include "core/admin.hpp"
#include "core/text.hpp"

namespace zhiyuan::core {
namespace {

// Reads the cells of one row by column name; records an error per bad cell.
class row_reader {
 public:
  row_reader(const csv_table::row& r, const std::vector<std::size_t>& columns,
             const std::vector<std::string_view>& names, std::vector<import_error>& errors)
      : row_(r), columns_(columns), names_(names), errors_(errors) {}

  std::string_view cell(std::size_t i) const { return row_.cells[columns_[i]]; }

  void bad(std::size_t i, std::string message) {
    errors_.push_back({row_.line, std::string(names_[i]), std::move(message)});
    ok = false;
  }

  std::string text(std::size_t i, bool required = true, std::size_t max = 100) {
    const auto v = cell(i);
    if (required && v.empty()) {
      bad(i, "required");
    } else if (v.size() > max) {
      bad(i, "at most " + std::to_string(max) + " bytes");
    }
    return std::string(v);
  }

  int number(std::size_t i, int lo, int hi) {
    const auto v = cell(i);
    int out = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || out < lo || out > hi) {
      bad(i, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    return out;
  }

  batch batch_of(std::size_t i) {
    const auto b = parse_batch(cell(i));
    if (!b) bad(i, "a batch code: early_undergrad, undergrad, early_vocational, vocational");
    return b.value_or(batch::undergrad);
  }

  track track_of(std::size_t i) {
    const auto t = parse_track(cell(i));
    if (!t) bad(i, "physics or history");
    return t.value_or(track::physics);
  }

  bool ok = true;

 private:
  const csv_table::row& row_;
  const std::vector<std::size_t>& columns_;
  const std::vector<std::string_view>& names_;
  std::vector<import_error>& errors_;
};

// Spreadsheets often save GBK: say so on the first line that is not UTF-8, and refuse
// control characters (a NUL would cut a value short in the database). False after an error.
bool plain_text_lines(std::string_view text, std::vector<import_error>& errors) {
  std::size_t line_no = 1;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto line = text.substr(start, end - start);
    if (!valid_utf8(line)) {
      errors.push_back({line_no, "", "not UTF-8: save the file as \"CSV UTF-8\""});
      return false;
    }
    if (std::any_of(line.begin(), line.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && c != '\t' && c != '\r') || u == 0x7F;
        })) {
      errors.push_back({line_no, "", "a control character"});
      return false;
    }
    start = end + 1;
    ++line_no;
  }
  return true;
}

// Splits CSV text into the header and data rows one character at a time, remembering the line
// each row starts on (a quoted cell may span lines).
class csv_scanner {
 public:
  csv_scanner(std::size_t max_rows, std::vector<import_error>& errors)
      : max_rows_(max_rows), errors_(errors) {}

  // False after an error that stops the scan: too many rows, or an unterminated quote.
  bool scan(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (!in_row_) {
        in_row_ = true;
        row_line_ = line_;
      }
      if (quoted_) {
        i += quoted_char(text, i);
        continue;
      }
      if (c == '"' && cell_.empty()) {
        quoted_ = true;
      } else if (c == ',') {
        cells_.push_back(std::move(cell_));
        cell_.clear();
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        ++line_;
        if (!end_row()) return false;
      } else {
        cell_ += c;
      }
    }
    if (quoted_) {
      errors_.push_back({row_line_, "", "unterminated quoted field"});
      return false;
    }
    return !in_row_ || end_row();
  }

  csv_table take() { return std::move(out_); }

 private:
  // Takes text[i] inside quotes; returns how many more characters it consumed ("" is one ").
  std::size_t quoted_char(std::string_view text, std::size_t i) {
    const char c = text[i];
    if (c == '"') {
      if (i + 1 < text.size() && text[i + 1] == '"') {
        cell_ += '"';
        return 1;
      }
      quoted_ = false;
      return 0;
    }
    if (c == '\n') ++line_;
    cell_ += c;
    return 0;
  }

  // Ends the row at hand: the first is the header, blank lines are skipped. False once the file
  // has more than max_rows_ data rows.
  bool end_row() {
    cells_.push_back(std::move(cell_));
    cell_.clear();
    if (out_.header.empty()) {
      out_.header = std::move(cells_);
    } else if (!(cells_.size() == 1 && cells_[0].empty())) {
      if (cells_.size() != out_.header.size()) {
        errors_.push_back({row_line_, "",
                           "expected " + std::to_string(out_.header.size()) + " cells, found " +
                               std::to_string(cells_.size())});
      }
      if (out_.rows.size() == max_rows_) {
        errors_.push_back({row_line_, "", "more than " + std::to_string(max_rows_) + " rows"});
        return false;
      }
      out_.rows.push_back({row_line_, std::move(cells_)});
    }
    cells_.clear();
    in_row_ = false;
    return true;
  }

  std::size_t max_rows_;
  std::vector<import_error>& errors_;
  csv_table out_;
  std::vector<std::string> cells_;
  std::string cell_;
  std::size_t line_ = 1;
  std::size_t row_line_ = 1;
  bool quoted_ = false;
  bool in_row_ = false;
};

}  // namespace

std::optional<csv_table> parse_csv(std::string_view text, std::size_t max_rows,
                                   std::vector<import_error>& errors) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (!plain_text_lines(text, errors)) return std::nullopt;
  csv_scanner scanner(max_rows, errors);
  if (!scanner.scan(text)) return std::nullopt;
  csv_table out = scanner.take();
  if (out.header.empty()) {
    errors.push_back({1, "", "empty file: a header line is required"});
    return std::nullopt;
  }
  if (!errors.empty()) return std::nullopt;
  return out;
}

std::optional<std::vector<std::size_t>> map_columns(const std::vector<std::string>& header,
                                                    const std::vector<std::string_view>& expected,
                                                    std::vector<import_error>& errors) {
  std::vector<std::size_t> at;
  const auto before = errors.size();
  for (const auto name : expected) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      errors.push_back({1, std::string(name), "missing column"});
    } else {
      at.push_back(static_cast<std::size_t>(it - header.begin()));
    }
  }
  for (const auto& h : header) {
    if (std::find(expected.begin(), expected.end(), h) == expected.end()) {
      errors.push_back({1, h, "unknown column"});
    }
  }
  if (errors.size() != before) return std::nullopt;
  return at;
}

std::optional<int> parse_unit_level(std::string_view text) noexcept {
  for (int i = 0; i < 4; ++i) {
    if (text == unit_level_code(i) || (text.size() == 1 && text[0] == '0' + i)) return i;
  }
  return std::nullopt;
}

std::vector<unit_import_row> check_units(const csv_table& t, std::vector<import_error>& errors) {
  std::vector<unit_import_row> out;
  const auto cols = map_columns(t.header, unit_columns, errors);
  if (!cols) return out;
  std::map<std::string, std::size_t> seen;
  for (const auto& r : t.rows) {
    row_reader in(r, *cols, unit_columns, errors);
    unit_import_row u;
    u.line = r.line;
    u.code = in.text(0, true, 32);
    u.name = in.text(1, true, 100);
    const auto level = parse_unit_level(in.cell(2));
    if (!level) in.bad(2, "province, city, county or school");
    u.level = level.value_or(0);
    u.parent_code = in.text(3, false, 32);
    if (level && (*level == 0) != u.parent_code.empty()) {
      in.bad(3, *level == 0 ? "the province has no parent" : "required below the province");
    }
    if (!u.code.empty() && !seen.emplace(u.code, r.line).second) {
      in.bad(0, "duplicate code (line " + std::to_string(seen[u.code]) + ")");
    }
    if (u.code == u.parent_code && !u.code.empty()) in.bad(3, "a unit is not its own parent");
    if (in.ok) out.push_back(std::move(u));
  }
  return out;
}

std::vector<plan_import_row> check_plans(const csv_table& t, std::vector<import_error>& errors) {
  std::vector<plan_import_row> out;
  const auto cols = map_columns(t.header, plan_columns, errors);
  if (!cols) return out;
  using group_key = std::tuple<std::string, std::string, int, int>;
  std::map<group_key, plan_import_row> groups;  // the first row of each group
  std::set<std::tuple<std::string, std::string, int, int, std::string>> majors;
  out.reserve(t.rows.size());
  for (const auto& r : t.rows) {
    row_reader in(r, *cols, plan_columns, errors);
    plan_import_row p;
    p.line = r.line;
    p.college_code = in.text(0, true, 32);
    p.college_name = in.text(1, true, 100);
    p.region = in.text(2, true, 32);
    p.college_type = in.text(3, true, 32);
    p.group_code = in.text(4, true, 32);
    p.b = in.batch_of(5);
    p.trk = in.track_of(6);
    const auto cat = parse_category(in.cell(7));
    if (!cat) in.bad(7, "regular, arts or sports");
    p.cat = cat.value_or(category::regular);
    if (in.cell(8) != "true" && in.cell(8) != "false") in.bad(8, "true or false");
    p.special_type = in.cell(8) == "true";
    p.req_first = in.number(9, 0, 2);
    p.req_second_kind = in.number(10, 0, 3);
    p.req_subjects = in.number(11, 0, 15);
    p.group_plan_count = in.number(12, 0, 100000);
    p.major_code = in.text(13, true, 32);
    p.major_name = in.text(14, true, 100);
    p.major_plan_count = in.number(15, 0, 100000);
    p.years = in.number(16, 1, 8);
    p.tuition = in.number(17, 0, 1000000);
    if (!in.ok) continue;
    const group_key key{p.college_code, p.group_code, static_cast<int>(p.b),
                        static_cast<int>(p.trk)};
    if (const auto it = groups.find(key); it != groups.end()) {
      const auto& g = it->second;
      if (g.cat != p.cat || g.special_type != p.special_type || g.req_first != p.req_first ||
          g.req_second_kind != p.req_second_kind || g.req_subjects != p.req_subjects ||
          g.group_plan_count != p.group_plan_count) {
        in.bad(12, "the group's columns differ from line " + std::to_string(g.line));
        continue;
      }
    }
    if (!majors
             .emplace(p.college_code, p.group_code, static_cast<int>(p.b), static_cast<int>(p.trk),
                      p.major_code)
             .second) {
      in.bad(13, "duplicate major of the group");
      continue;
    }
    groups.emplace(key, p);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<score_import_row> check_scores(const csv_table& t, std::vector<import_error>& errors) {
  std::vector<score_import_row> out;
  const auto cols = map_columns(t.header, score_columns, errors);
  if (!cols) return out;
  std::set<std::tuple<std::string, std::string, int, int, int>> seen;
  for (const auto& r : t.rows) {
    row_reader in(r, *cols, score_columns, errors);
    score_import_row s;
    s.line = r.line;
    s.college_code = in.text(0, true, 32);
    s.group_code = in.text(1, true, 32);
    s.b = in.batch_of(2);
    s.trk = in.track_of(3);
    s.year = in.number(4, 2000, 2100);
    s.min_score = in.number(5, 0, 1000);
    s.min_rank = in.number(6, 1, 10000000);
    s.admitted = in.number(7, 0, 1000000);
    if (!in.ok) continue;
    if (!seen.emplace(s.college_code, s.group_code, static_cast<int>(s.b), static_cast<int>(s.trk),
                      s.year)
             .second) {
      in.bad(4, "duplicate group and year");
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<subject_set> parse_electives(std::string_view text) noexcept {
  const auto plus = text.find('+');
  if (plus == std::string_view::npos) return std::nullopt;
  const auto a = parse_subject(text.substr(0, plus));
  const auto b = parse_subject(text.substr(plus + 1));
  if (!a || !b || *a == *b) return std::nullopt;
  return subject_set{*a, *b};
}

std::optional<eligibility> parse_eligibility(std::string_view text) noexcept {
  eligibility out;
  while (!text.empty()) {
    const auto plus = text.find('+');
    const auto item = text.substr(0, plus);
    if (item == "special_type") {
      if (out.special_type) return std::nullopt;
      out.special_type = true;
    } else if (const auto b = parse_batch(item); b && !out.batches.contains(*b)) {
      out.batches.insert(*b);
    } else {
      return std::nullopt;
    }
    if (plus == std::string_view::npos) break;
    text.remove_prefix(plus + 1);
    if (text.empty()) return std::nullopt;  // a trailing '+'
  }
  if (out.special_type && !out.batches.contains(batch::undergrad)) return std::nullopt;
  return out;
}

std::vector<candidate_import_row> check_candidates(const csv_table& t,
                                                   std::vector<import_error>& errors) {
  std::vector<candidate_import_row> out;
  const auto cols = map_columns(t.header, candidate_columns, errors);
  if (!cols) return out;
  std::map<std::string, std::size_t> exams, ids;
  out.reserve(t.rows.size());
  for (const auto& r : t.rows) {
    row_reader in(r, *cols, candidate_columns, errors);
    candidate_import_row c;
    c.line = r.line;
    c.exam_no = in.text(0, true, 14);
    if (!c.exam_no.empty() && !valid_exam_number(c.exam_no)) in.bad(0, "14 digits");
    c.name = in.text(1, true, 64);
    c.id_number = in.text(2, true, 18);
    if (!c.id_number.empty() && !valid_id_number(c.id_number)) {
      in.bad(2, "an 18-character resident ID number with a valid check character");
    }
    c.school_code = in.text(3, true, 32);
    const auto cat = parse_category(in.cell(4));
    if (!cat) in.bad(4, "regular, arts or sports");
    c.cat = cat.value_or(category::regular);
    c.trk = in.track_of(5);
    if (!in.cell(7).empty()) c.score = in.number(7, 0, 750);
    // Empty only for a candidate without a 3+1+2 score (e.g. of the vocational exam).
    const auto electives = in.cell(6).empty() && !c.score
                               ? std::optional<subject_set>(subject_set{})
                               : parse_electives(in.cell(6));
    if (!electives) {
      in.bad(6,
             "two different subjects of chemistry, biology, politics, geography: "
             "chemistry+biology (empty only without a score)");
    }
    c.electives = electives.value_or(subject_set{});
    if (!in.cell(8).empty()) c.rank = in.number(8, 1, 10'000'000);
    if (c.score.has_value() != c.rank.has_value()) {
      in.bad(8, "a rank goes with a score, and none without");
    }
    const auto eligible = parse_eligibility(in.cell(9));
    if (!eligible) {
      in.bad(9, "batch codes joined by '+' (special_type only with undergrad), or empty");
    } else if (!c.score && !eligible->batches.empty()) {
      in.bad(9, "a candidate without a score reaches no batch");
    }
    c.eligible = eligible.value_or(eligibility{});
    if (!c.exam_no.empty() && !exams.emplace(c.exam_no, r.line).second) {
      in.bad(0, "duplicate exam number (line " + std::to_string(exams[c.exam_no]) + ")");
    }
    // Stored with an upper-case check character: 'x' and 'X' name the same person.
    if (!c.id_number.empty() && c.id_number.back() == 'x') c.id_number.back() = 'X';
    if (!c.id_number.empty() && !ids.emplace(c.id_number, r.line).second) {
      in.bad(2, "duplicate ID number (line " + std::to_string(ids[c.id_number]) + ")");
    }
    if (in.ok) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhiyuan::core
