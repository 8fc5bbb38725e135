#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace zhiyuan::core {

/// The first-choice subject (首选科目) under "3+1+2"; plans, control lines and ranks are per track.
enum class track : std::uint8_t {
  physics,  ///< 物理类
  history,  ///< 历史类
};

inline constexpr std::size_t track_count = 2;

/// A second-choice subject (再选科目); a candidate takes two of the four.
enum class subject : std::uint8_t {
  chemistry,  ///< 化学
  biology,    ///< 生物
  politics,   ///< 思想政治
  geography,  ///< 地理
};

inline constexpr std::size_t subject_count = 4;
inline constexpr std::array<subject, subject_count> all_subjects{
    subject::chemistry, subject::biology, subject::politics, subject::geography};

/// The candidate's exam category (考生类别); each has its own plans and control lines.
enum class category : std::uint8_t {
  regular,  ///< 普通类
  arts,     ///< 艺术类
  sports,   ///< 体育类
};

inline constexpr std::size_t category_count = 3;

/// A set of second-choice subjects as a 4-bit mask: cheap to copy, compare and intersect.
class subject_set {
 public:
  constexpr subject_set() noexcept = default;
  constexpr subject_set(std::initializer_list<subject> subjects) noexcept {
    for (subject s : subjects) bits_ |= bit(s);
  }

  static constexpr subject_set from_bits(std::uint8_t bits) noexcept {
    subject_set out;
    out.bits_ = bits & 0x0F;
    return out;
  }

  constexpr bool contains(subject s) const noexcept { return (bits_ & bit(s)) != 0; }
  constexpr void insert(subject s) noexcept { bits_ |= bit(s); }
  constexpr void erase(subject s) noexcept { bits_ &= static_cast<std::uint8_t>(~bit(s)); }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr int size() const noexcept {
    return (bits_ & 1) + ((bits_ >> 1) & 1) + ((bits_ >> 2) & 1) + ((bits_ >> 3) & 1);
  }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  constexpr subject_set operator&(subject_set o) const noexcept {
    return from_bits(bits_ & o.bits_);
  }
  constexpr subject_set operator|(subject_set o) const noexcept {
    return from_bits(bits_ | o.bits_);
  }
  constexpr subject_set without(subject_set o) const noexcept {
    return from_bits(bits_ & static_cast<std::uint8_t>(~o.bits_));
  }
  friend constexpr bool operator==(subject_set, subject_set) noexcept = default;

 private:
  static constexpr std::uint8_t bit(subject s) noexcept {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(s));
  }
  std::uint8_t bits_ = 0;
};

/// Stable wire ids ("physics", "chemistry", "regular") and Chinese names.
std::string_view to_code(track t) noexcept;
std::string_view name_zh(track t) noexcept;
std::string_view to_code(subject s) noexcept;
std::string_view name_zh(subject s) noexcept;
std::string_view to_code(category c) noexcept;
std::string_view name_zh(category c) noexcept;

/// Inverse of `to_code`; nullopt for an unknown code.
std::optional<track> parse_track(std::string_view code) noexcept;
std::optional<subject> parse_subject(std::string_view code) noexcept;
std::optional<category> parse_category(std::string_view code) noexcept;

}  // namespace zhiyuan::core
