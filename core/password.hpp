#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zhiyuan::core {

/// The list of common passwords that may not be used, built from text data (one per line) that
/// the server reads from config/common-passwords.txt; core never reads files. Matching ignores
/// ASCII case.
class common_passwords {
 public:
  common_passwords() = default;
  /// One password per line; blank lines and lines starting with '#' are skipped; surrounding
  /// spaces, tabs and '\r' are trimmed.
  static common_passwords parse(std::string_view text);
  bool contains(std::string_view password) const;
  std::size_t size() const noexcept { return words_.size(); }

 private:
  std::vector<std::string> words_;  // Lower-cased, sorted, unique.
};

/// The first rule a password breaks, or `ok`. Checked in declaration order.
enum class password_rule : std::uint8_t {
  ok,
  too_short,             ///< Fewer than 8 characters.
  too_long,              ///< More than 16 characters.
  invalid_character,     ///< Only printable ASCII without space (0x21..0x7E) is allowed.
  single_class,          ///< Letters only, digits only or symbols only: mix at least two.
  common,                ///< On the common-password list.
  contains_birth_date,   ///< Holds the birth date from the ID (yyyymmdd, yymmdd, mmddyyyy,
                         ///< ddmmyyyy).
  contains_id_fragment,  ///< Holds 6+ consecutive characters of the ID number.
  contains_exam_number,  ///< Holds 6+ consecutive digits of the exam number.
  same_as_other,         ///< The save password equals the login password (or vice versa).
};

/// What the rules compare the password with. `other_password` is the candidate's other
/// password in plain text when the server has it (both set in one request); when it has only
/// the other's hash, it verifies that separately and passes an empty view here.
struct password_context {
  std::string_view exam_number;
  std::string_view id_number;
  std::string_view other_password;
  const common_passwords* common = nullptr;
};

/// Checks a new login password (登录密码) or save password (保存密码, required for every formal
/// submission); the same rules apply to both. Returns the first rule broken, or
/// password_rule::ok.
password_rule check_password(std::string_view password, const password_context& ctx);

/// Stable code (e.g. "too_short") and messages.
std::string_view to_code(password_rule r) noexcept;
std::string_view message_zh(password_rule r) noexcept;
std::string_view message_en(password_rule r) noexcept;

}  // namespace zhiyuan::core
