#pragma once

// Valid formal forms for zhiyuan-loadtest's submissions: for a candidate of the seeded province,
// up to three ordinary groups of a batch the candidate may list (track, category and subject
// requirement met), each with its first major and adjustment accepted, as in the integration
// tests' pick_case. Forms depend only on the candidate's profile (track, category, electives),
// so they are computed once per profile at construction.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.hpp"
#include "core/catalog.hpp"
#include "core/subjects.hpp"
#include "storage/catalog_loader.hpp"

namespace zhiyuan::loadtest {

/// A form: its groups, and the JSON array of its choices.
struct form {
  std::vector<core::group_id> groups;
  std::string choices_json;
};

/// Builds the choices of a formal submission from a catalog snapshot. Immutable after
/// construction, so it may be shared between threads.
class form_builder {
 public:
  form_builder(std::shared_ptr<const core::catalog> cat, core::batch b);

  /// The form of this candidate, or nullptr when the candidate is not eligible for the batch or
  /// no group fits its profile.
  const form* form_for(const storage::candidate_directory::entry& who) const;

 private:
  static constexpr std::size_t profiles = core::track_count * core::category_count * 16;
  static std::size_t profile(core::track t, core::category c, core::subject_set e) noexcept;

  core::batch batch_;
  std::array<form, profiles> forms_;
};

}  // namespace zhiyuan::loadtest
