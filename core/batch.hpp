#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace zhiyuan::core {

/// An admission batch (录取批次), Hunan 2022 "3+1+2" layout.
enum class batch : std::uint8_t {
  early_undergrad,   ///< 本科提前批
  undergrad,         ///< 本科批 (with one extra special-type 特殊类型 slot)
  early_vocational,  ///< 专科提前批
  vocational,        ///< 高职专科批
};

inline constexpr std::size_t batch_count = 4;
inline constexpr std::array<batch, batch_count> all_batches{
    batch::early_undergrad, batch::undergrad, batch::early_vocational, batch::vocational};

/// Stable API id of a batch, e.g. "early_undergrad".
std::string_view to_code(batch b) noexcept;
/// Chinese name of a batch, e.g. "本科提前批".
std::string_view name_zh(batch b) noexcept;
/// English name of a batch, e.g. "early undergraduate batch".
std::string_view name_en(batch b) noexcept;
/// Inverse of `to_code(batch)`.
std::optional<batch> parse_batch(std::string_view code) noexcept;

constexpr std::size_t index_of(batch b) noexcept { return static_cast<std::size_t>(b); }

/// A set of batches as a bit mask (e.g. the batches a candidate is eligible for, 上线).
class batch_set {
 public:
  constexpr batch_set() noexcept = default;
  constexpr batch_set(std::initializer_list<batch> batches) noexcept {
    for (batch b : batches) insert(b);
  }
  constexpr bool contains(batch b) const noexcept { return (bits_ & bit(b)) != 0; }
  constexpr void insert(batch b) noexcept { bits_ |= bit(b); }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  static constexpr batch_set from_bits(std::uint8_t bits) noexcept {
    batch_set out;
    out.bits_ = bits & 0x0F;
    return out;
  }
  friend constexpr bool operator==(batch_set, batch_set) noexcept = default;

 private:
  static constexpr std::uint8_t bit(batch b) noexcept {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(b));
  }
  std::uint8_t bits_ = 0;
};

/// How many choices a batch's form holds. Data, not law: the defaults follow Hunan 2022 and a
/// deployment may override them (pass its own table to the validator).
struct batch_limits {
  int max_groups = 0;     ///< Ordinary parallel (平行志愿) group choices.
  int max_majors = 6;     ///< Majors per group choice.
  int special_slots = 0;  ///< Extra special-type (特殊类型) group choices; 1 in 本科批.
};

/// Limits per batch, indexed by `index_of(batch)`.
using batch_limit_table = std::array<batch_limits, batch_count>;

/// Hunan 2022: 30 / 45 (+1 special) / 30 / 30 groups, 6 majors each.
constexpr batch_limit_table default_batch_limits() noexcept {
  return {{
      {30, 6, 0},
      {45, 6, 1},
      {30, 6, 0},
      {30, 6, 0},
  }};
}

}  // namespace zhiyuan::core
