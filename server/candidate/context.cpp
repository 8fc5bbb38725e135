#include "server/candidate/context.hpp"

#include <chrono>

namespace zhiyuan::server {

std::optional<storage::candidate_directory::entry> candidate_api_context::candidate(
    core::candidate_id id) const {
  const auto dir = directory.load();
  const auto* e = dir ? dir->find(id) : nullptr;
  if (e == nullptr) return std::nullopt;
  return *e;
}

std::optional<storage::candidate_directory::entry> candidate_api_context::candidate_by_exam_no(
    std::string_view exam_no) const {
  const auto dir = directory.load();
  const auto* e = dir ? dir->find_exam_no(exam_no) : nullptr;
  if (e == nullptr) return std::nullopt;
  return *e;
}

std::int64_t candidate_api_context::now_seconds() const { return now_micros() / 1'000'000; }

std::int64_t candidate_api_context::now_micros() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() +
         clock_offset_seconds * 1'000'000;
}

std::vector<route_spec> candidate_routes(candidate_api_context& api) {
  std::vector<route_spec> r;
  for (auto* group : {&account_routes, &catalog_routes, &favorite_routes, &notice_routes,
                      &draft_routes, &application_routes}) {
    for (auto& x : group(api)) r.push_back(std::move(x));
  }
  return r;
}

}  // namespace zhiyuan::server
