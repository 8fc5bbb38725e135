#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/result.hpp"

namespace zhiyuan::core {

/// One entry of a form: a group, up to 6 of its majors in preference order, and whether the
/// candidate accepts adjustment to any major of the group (服从专业调剂). `special` marks the
/// special-type (特殊类型) slot of 本科批.
struct group_choice {
  group_id group = 0;
  std::vector<major_id> majors;
  bool accept_adjustment = false;
  bool special = false;
  friend bool operator==(const group_choice&, const group_choice&) = default;
};

/// A form's choices in preference order (平行志愿: earlier is preferred).
using choice_list = std::vector<group_choice>;

/// Appends the canonical encoding of `choices` to `out` (which is not cleared, so a buffer can
/// be reused). The encoding is deterministic and order-preserving, used for storage and as the
/// input of SHA-256 receipts:
///
///   list   = "" | choice *( "|" choice )
///   choice = ("g" | "s") group ":" [ major *( "," major ) ] ";a" ("0" | "1")
///
/// "g" is an ordinary choice, "s" the special-type slot; ids are base-10 without leading zeros
/// (a leading "-" for negatives), majors in the candidate's order. Example:
/// "g1001:11,12;a1|s2050:;a0". The order of choices and of majors is preference, so swapping
/// two distinct entries changes the encoding.
void append_canonical(std::span<const group_choice> choices, std::string& out);

/// The canonical encoding as a new string.
std::string canonical_encoding(std::span<const group_choice> choices);

/// Parses a canonical encoding back. Only the exact canonical form is accepted (no spaces, no
/// leading zeros, no "+"), so `canonical_encoding(*decode_canonical(s)) == s` for every accepted
/// `s`; anything else fails with errc::invalid_field.
result<choice_list> decode_canonical(std::string_view text);

}  // namespace zhiyuan::core
