#pragma once

// The integer encodings of core's enums in the database (documented at the top of
// storage/migrations/0001_units_candidates_catalog.sql). One place, both directions.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/batch.hpp"
#include "core/candidate.hpp"
#include "core/catalog.hpp"
#include "core/subjects.hpp"

namespace zhiyuan::storage {

inline std::runtime_error bad_code(const char* what, int v) {
  return std::runtime_error(std::string("unknown ") + what + " code " + std::to_string(v) +
                            " in the database");
}

inline core::track decode_track(int v) {
  if (v == 0) return core::track::physics;
  if (v == 1) return core::track::history;
  throw bad_code("track", v);
}
inline int encode_track(core::track t) { return t == core::track::physics ? 0 : 1; }

inline core::category decode_category(int v) {
  switch (v) {
    case 0:
      return core::category::regular;
    case 1:
      return core::category::arts;
    case 2:
      return core::category::sports;
  }
  throw bad_code("category", v);
}

inline core::batch decode_batch(int v) {
  switch (v) {
    case 0:
      return core::batch::early_undergrad;
    case 1:
      return core::batch::undergrad;
    case 2:
      return core::batch::early_vocational;
    case 3:
      return core::batch::vocational;
  }
  throw bad_code("batch", v);
}
inline std::int16_t encode_batch(core::batch b) {
  switch (b) {
    case core::batch::early_undergrad:
      return 0;
    case core::batch::undergrad:
      return 1;
    case core::batch::early_vocational:
      return 2;
    case core::batch::vocational:
      return 3;
  }
  return 0;
}

// Subject bits: 1 chemistry, 2 biology, 4 politics, 8 geography.
inline core::subject_set decode_subjects(int bits) {
  if (bits & ~0xF) throw bad_code("subject set", bits);
  core::subject_set s;
  if (bits & 1) s.insert(core::subject::chemistry);
  if (bits & 2) s.insert(core::subject::biology);
  if (bits & 4) s.insert(core::subject::politics);
  if (bits & 8) s.insert(core::subject::geography);
  return s;
}

// The lowest subject in `bits` other than the one bit `skip`.
inline core::subject first_subject_of(int bits, int skip) {
  static constexpr core::subject by_bit[] = {core::subject::chemistry, core::subject::biology,
                                             core::subject::politics, core::subject::geography};
  for (int i = 0; i < 4; ++i) {
    const int bit = 1 << i;
    if ((bits & bit) && bit != skip) return by_bit[i];
  }
  throw bad_code("requirement subjects", bits);
}

inline core::subject_requirement decode_requirement(int first, int second_kind, int subjects) {
  core::subject_requirement r;
  switch (first) {
    case 0:
      r.first = core::first_requirement::either;
      break;
    case 1:
      r.first = core::first_requirement::physics;
      break;
    case 2:
      r.first = core::first_requirement::history;
      break;
    default:
      throw bad_code("first requirement", first);
  }
  switch (second_kind) {
    case 0:
      r.second = core::second_requirement::none;
      break;
    case 1:
      r.second = core::second_requirement::one;
      r.a = r.b = first_subject_of(subjects, 0);
      break;
    case 2:
    case 3: {
      r.second =
          second_kind == 2 ? core::second_requirement::both : core::second_requirement::either;
      const int low = subjects & -subjects;  // lowest set bit
      r.a = first_subject_of(low, 0);
      r.b = first_subject_of(subjects, low);
      break;
    }
    default:
      throw bad_code("second requirement", second_kind);
  }
  return r;
}

inline int encode_subjects(core::subject_set s) { return s.bits(); }  // bits as decoded above

inline int encode_eligibility(core::eligibility e) {
  return e.batches.bits() | (e.special_type ? 16 : 0);
}

// A PostgreSQL array literal for a parameter (libpqxx 6 binds no arrays): every element quoted
// and escaped; booleans as t/f.
template <typename Items>
std::string array_literal(const Items& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    if constexpr (std::is_same_v<std::decay_t<decltype(item)>, bool>) {
      out += item ? "t" : "f";
    } else if constexpr (std::is_arithmetic_v<std::decay_t<decltype(item)>>) {
      out += std::to_string(item);
    } else {
      for (char c : item) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

inline core::eligibility decode_eligibility(int bits) {
  core::eligibility e;
  e.batches = core::batch_set::from_bits(static_cast<std::uint8_t>(bits & 0xF));
  e.special_type = (bits & 16) != 0;
  return e;
}

}  // namespace zhiyuan::storage
