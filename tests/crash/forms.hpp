#pragma once

// Valid full forms for load and crash tests: for a candidate and a round number, a 本科批 (or
// any batch's) formal form of up to 45 distinct ordinary groups the candidate may list, each
// with up to 6 of its majors and adjustment accepted. Pure (core only) and deterministic: the
// same (candidate, round) always gives the same form, so a retried request carries the same
// body under the same Idempotency-Key.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/catalog.hpp"
#include "core/choices.hpp"
#include "core/result.hpp"
#include "core/schedule.hpp"
#include "core/time.hpp"

namespace zhiyuan::crash {

/// How full a generated form is; capped by the batch's limits.
struct form_shape {
  int groups = 45;  ///< ordinary group choices at most
  int majors = 6;   ///< majors per choice at most
};

/// A schedule whose `b` formal window is open at every instant a test uses (validation of the
/// form's content without a timetable).
core::schedule always_open_schedule(core::batch b);

/// An instant inside the formal window of `b` in `s` (its middle).
core::unix_seconds instant_in_formal_window(const core::schedule& s, core::batch b);

/// Generates forms of one batch from a catalog snapshot. Thread-safe after construction.
class form_generator {
 public:
  /// `sched` and `now` are what every generated form is validated against (formal mode).
  form_generator(std::shared_ptr<const core::catalog> cat, core::batch b, core::schedule sched,
                 core::unix_seconds now, form_shape shape = {});

  /// The ordinary groups of the batch a candidate may list (track, category and subject
  /// requirement met), sorted by id.
  std::span<const core::group_id> pool(const core::candidate& who) const noexcept;

  /// Whether `who` can file this batch at all: eligible (上线) and a non-empty pool.
  bool can_file(const core::candidate& who) const noexcept;

  /// The form of `who` in `round`: min(shape.groups, pool) groups in a pseudo-random order
  /// seeded by (exam number, round), each with min(shape.majors, its majors) majors, checked
  /// with core::validate in formal mode. Fails with errc::forbidden when `who` cannot file the
  /// batch, errc::validation_failed (detail: the first violation's code) when the generated
  /// form breaks a rule (a bug here or in the catalog).
  core::result<core::choice_list> make(const core::candidate& who, std::uint64_t round) const;

  /// The request body of POST /api/v1/applications/{batch}: majors by their published codes.
  std::string to_json(std::span<const core::group_choice> choices) const;

  core::batch batch() const noexcept { return batch_; }
  const core::catalog& catalog() const noexcept { return *catalog_; }

 private:
  static constexpr std::size_t profiles = core::track_count * core::category_count * 16;
  static std::size_t profile(core::track t, core::category c, core::subject_set e) noexcept;

  std::shared_ptr<const core::catalog> catalog_;
  core::batch batch_;
  core::schedule schedule_;
  core::unix_seconds now_;
  form_shape shape_;
  std::array<std::vector<core::group_id>, profiles> pools_;
};

}  // namespace zhiyuan::crash
