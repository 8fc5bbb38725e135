#pragma once

#include <cstddef>
#include <cstdint>

namespace zhiyuan::core {

/// Admission by waiting time (issue 21): a queue in the request path refuses new work at once
/// (503 + Retry-After) when the newest entry would wait longer than its budget, instead of
/// bounding the queue by length. A length cap is wrong both ways: 10,000 queued reads of 1 ms
/// each are a 2.5 s wait on four threads, 256 queued Argon2 sign-ins at 20 ms are 5 s on one
/// thread, while 10,000 cheap jobs on a fast pool would be fine. Pure: the caller measures the
/// service times and passes them in.

/// Smoothed service time of one job of a queue: an exponentially weighted moving average
/// (weight 1/8 per sample, as TCP's SRTT), in microseconds; 0 until the first sample.
struct service_time {
  std::int64_t mean_us = 0;

  /// Adds one job's service time.
  void observe(std::int64_t us) noexcept;
};

/// The wait of a job queued behind `depth` others that `servers` workers serve in parallel,
/// each job taking `service_us` on average: depth / servers whole rounds of service.
std::int64_t expected_wait_us(std::size_t depth, unsigned servers,
                              std::int64_t service_us) noexcept;

/// Whether a job whose expected wait is `wait_us` is admitted under `budget_us`. A queue with
/// nothing measured yet (wait 0) admits; a budget of 0 turns the rule off (length caps only).
constexpr bool admit_within(std::int64_t wait_us, std::int64_t budget_us) noexcept {
  return budget_us <= 0 || wait_us <= budget_us;
}

/// The order in which work gives way under overload (most important first): a formal
/// submission of a signed-in candidate, other writes (drafts, pledges, favourites), sign-ins
/// (a new session: expensive hashing, and the candidate can retry), browsing.
enum class work_class : std::uint8_t { submission, write, sign_in, browse };

/// The share of a queue's budget a class may wait: a submission the whole budget, other writes
/// 3/4 of it, sign-ins and browsing 1/2, so that as a queue's wait grows the lower classes are
/// refused first and the room left is kept for submissions.
std::int64_t class_budget_us(work_class c, std::int64_t budget_us) noexcept;

}  // namespace zhiyuan::core
