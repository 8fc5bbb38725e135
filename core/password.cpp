#include "core/password.hpp"

#include <algorithm>

namespace zhiyuan::core {

namespace {

constexpr std::size_t min_length = 8;
constexpr std::size_t max_length = 16;
// Shorter runs of the ID or exam number (a 4-digit year, a district code) are too common to ban.
constexpr std::size_t fragment_length = 6;

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool contains_ci(std::string_view hay, std::string_view needle) noexcept {
  if (needle.empty() || needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool eq = true;
    for (std::size_t j = 0; j < needle.size() && eq; ++j)
      eq = lower(hay[i + j]) == lower(needle[j]);
    if (eq) return true;
  }
  return false;
}

// True when `password` holds any run of `fragment_length` consecutive characters of `source`.
bool holds_fragment(std::string_view password, std::string_view source) noexcept {
  for (std::size_t i = 0; i + fragment_length <= source.size(); ++i) {
    if (contains_ci(password, source.substr(i, fragment_length))) return true;
  }
  return false;
}

bool holds_birth_date(std::string_view password, std::string_view id) {
  if (id.size() != 18) return false;
  const std::string_view yyyy = id.substr(6, 4), mm = id.substr(10, 2), dd = id.substr(12, 2);
  for (char c : id.substr(6, 8)) {
    if (c < '0' || c > '9') return false;
  }
  const std::string forms[] = {
      std::string(yyyy) + std::string(mm) + std::string(dd),
      std::string(yyyy.substr(2)) + std::string(mm) + std::string(dd),
      std::string(mm) + std::string(dd) + std::string(yyyy),
      std::string(dd) + std::string(mm) + std::string(yyyy),
  };
  for (const std::string& f : forms) {
    if (password.find(f) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

common_passwords common_passwords::parse(std::string_view text) {
  common_passwords out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!line.empty() && space(line.front())) line.remove_prefix(1);
    while (!line.empty() && space(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    out.words_.push_back(lowered(line));
  }
  std::sort(out.words_.begin(), out.words_.end());
  out.words_.erase(std::unique(out.words_.begin(), out.words_.end()), out.words_.end());
  return out;
}

bool common_passwords::contains(std::string_view password) const {
  return std::binary_search(words_.begin(), words_.end(), lowered(password));
}

password_rule check_password(std::string_view pw, const password_context& ctx) {
  if (pw.size() < min_length) return password_rule::too_short;
  if (pw.size() > max_length) return password_rule::too_long;
  bool letter = false, digit = false, symbol = false;
  for (char c : pw) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7E) return password_rule::invalid_character;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letter = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      symbol = true;
    }
  }
  if (static_cast<int>(letter) + static_cast<int>(digit) + static_cast<int>(symbol) < 2) {
    return password_rule::single_class;
  }
  if (ctx.common != nullptr && ctx.common->contains(pw)) return password_rule::common;
  if (holds_birth_date(pw, ctx.id_number)) return password_rule::contains_birth_date;
  if (holds_fragment(pw, ctx.id_number)) return password_rule::contains_id_fragment;
  if (holds_fragment(pw, ctx.exam_number)) return password_rule::contains_exam_number;
  // Refused in both directions, whichever of the two passwords is set second.
  if (!ctx.other_password.empty() && pw == ctx.other_password) return password_rule::same_as_other;
  return password_rule::ok;
}

std::string_view to_code(password_rule r) noexcept {
  switch (r) {
    case password_rule::ok:
      return "ok";
    case password_rule::too_short:
      return "too_short";
    case password_rule::too_long:
      return "too_long";
    case password_rule::invalid_character:
      return "invalid_character";
    case password_rule::single_class:
      return "single_class";
    case password_rule::common:
      return "common";
    case password_rule::contains_birth_date:
      return "contains_birth_date";
    case password_rule::contains_id_fragment:
      return "contains_id_fragment";
    case password_rule::contains_exam_number:
      return "contains_exam_number";
    case password_rule::same_as_other:
      return "same_as_other";
  }
  return "ok";
}

std::string_view message_zh(password_rule r) noexcept {
  switch (r) {
    case password_rule::ok:
      return "密码符合要求";
    case password_rule::too_short:
      return "密码长度不能少于8位";
    case password_rule::too_long:
      return "密码长度不能超过16位";
    case password_rule::invalid_character:
      return "密码只能包含字母、数字和英文符号，不能有空格";
    case password_rule::single_class:
      return "密码不能全为字母、全为数字或全为符号";
    case password_rule::common:
      return "密码过于简单，属于常见密码";
    case password_rule::contains_birth_date:
      return "密码不能包含出生日期";
    case password_rule::contains_id_fragment:
      return "密码不能包含身份证号中连续6位及以上的字符";
    case password_rule::contains_exam_number:
      return "密码不能包含考生号中连续6位及以上的数字";
    case password_rule::same_as_other:
      return "登录密码与保存密码不能相同";
  }
  return "";
}

std::string_view message_en(password_rule r) noexcept {
  switch (r) {
    case password_rule::ok:
      return "The password meets the policy";
    case password_rule::too_short:
      return "The password must have at least 8 characters";
    case password_rule::too_long:
      return "The password must have at most 16 characters";
    case password_rule::invalid_character:
      return "Use only letters, digits and ASCII symbols, without spaces";
    case password_rule::single_class:
      return "The password must not be only letters, only digits or only symbols";
    case password_rule::common:
      return "The password is too common";
    case password_rule::contains_birth_date:
      return "The password must not contain the birth date";
    case password_rule::contains_id_fragment:
      return "The password must not contain 6 or more consecutive characters of the ID number";
    case password_rule::contains_exam_number:
      return "The password must not contain 6 or more consecutive digits of the exam number";
    case password_rule::same_as_other:
      return "The login and save passwords must differ";
  }
  return "";
}

}  // namespace zhiyuan::core
