#include "core/subjects.hpp"

namespace zhiyuan::core {

std::string_view to_code(track t) noexcept { return t == track::physics ? "physics" : "history"; }

std::string_view name_zh(track t) noexcept { return t == track::physics ? "物理" : "历史"; }

std::string_view to_code(subject s) noexcept {
  switch (s) {
    case subject::chemistry:
      return "chemistry";
    case subject::biology:
      return "biology";
    case subject::politics:
      return "politics";
    case subject::geography:
      return "geography";
  }
  return "chemistry";
}

std::string_view name_zh(subject s) noexcept {
  switch (s) {
    case subject::chemistry:
      return "化学";
    case subject::biology:
      return "生物";
    case subject::politics:
      return "思想政治";
    case subject::geography:
      return "地理";
  }
  return "化学";
}

std::string_view to_code(category c) noexcept {
  switch (c) {
    case category::regular:
      return "regular";
    case category::arts:
      return "arts";
    case category::sports:
      return "sports";
  }
  return "regular";
}

std::string_view name_zh(category c) noexcept {
  switch (c) {
    case category::regular:
      return "普通类";
    case category::arts:
      return "艺术类";
    case category::sports:
      return "体育类";
  }
  return "普通类";
}

std::optional<track> parse_track(std::string_view code) noexcept {
  if (code == "physics") return track::physics;
  if (code == "history") return track::history;
  return std::nullopt;
}

std::optional<subject> parse_subject(std::string_view code) noexcept {
  for (subject s : all_subjects) {
    if (to_code(s) == code) return s;
  }
  return std::nullopt;
}

std::optional<category> parse_category(std::string_view code) noexcept {
  for (category c : {category::regular, category::arts, category::sports}) {
    if (to_code(c) == code) return c;
  }
  return std::nullopt;
}

}  // namespace zhiyuan::core
