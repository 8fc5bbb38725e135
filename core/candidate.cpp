#include "core/candidate.hpp"

namespace zhiyuan::core {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool ascii(std::string_view s) noexcept {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string mask_keep(std::string_view s, std::size_t head, std::size_t tail) {
  if (s.size() <= head + tail || !ascii(s)) return std::string(s.size(), '*');
  std::string out(s.size(), '*');
  for (std::size_t i = 0; i < head; ++i) out[i] = s[i];
  for (std::size_t i = s.size() - tail; i < s.size(); ++i) out[i] = s[i];
  return out;
}

}  // namespace

eligibility eligible_batches(int score, track t, category c,
                             std::span<const control_line> lines) noexcept {
  eligibility out;
  bool special_line_met = false;
  for (const control_line& l : lines) {
    if (l.trk != t || l.cat != c || score < l.min_score) continue;
    if (l.special_type) {
      special_line_met = true;
    } else {
      out.batches.insert(l.b);
    }
  }
  out.special_type = special_line_met && out.batches.contains(batch::undergrad);
  return out;
}

bool valid_exam_number(std::string_view s) noexcept {
  if (s.size() != 14) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool valid_id_number(std::string_view s) noexcept {
  if (s.size() != 18) return false;
  static constexpr int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char check[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    if (!is_digit(s[i])) return false;
    sum += (s[i] - '0') * weights[i];
  }
  const char last = s[17] == 'x' ? 'X' : s[17];
  if (last != check[sum % 11]) return false;
  const int year = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
  const int month = (s[10] - '0') * 10 + (s[11] - '0');
  const int day = (s[12] - '0') * 10 + (s[13] - '0');
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= (month == 2 && !leap ? 28 : days[month - 1]);
}

std::string mask_id_number(std::string_view id) { return mask_keep(id, 4, 4); }

std::string mask_phone(std::string_view phone) { return mask_keep(phone, 3, 4); }

}  // namespace zhiyuan::core
