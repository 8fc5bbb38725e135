#pragma once

// SQL of the catalog snapshot and candidate directory (storage/catalog_loader.cpp), and of the
// catalog reference data and popularity (storage/reference_data.cpp).

namespace zhiyuan::storage::sql {

inline constexpr const char* catalog_colleges =
    "SELECT code, name, region, type FROM colleges ORDER BY code";

inline constexpr const char* catalog_groups = R"~(
    SELECT group_id, college_code, group_code, batch, track, category, special_type,
    req_first, req_second_kind, req_subjects, plan_count FROM major_groups ORDER BY group_id
)~";

inline constexpr const char* catalog_majors = R"~(
    SELECT major_id, group_id, code, name, plan_count, years, tuition FROM majors
    ORDER BY group_id, code
)~";

inline constexpr const char* directory_candidates = R"~(
    SELECT c.candidate_id, c.exam_no, c.school_id, c.category, c.track, c.electives, c.score,
           c.rank, c.eligible, u.code
    FROM candidates c JOIN units u ON u.id = c.city_id ORDER BY c.candidate_id
)~";

inline constexpr const char* reference_history = R"~(
    SELECT group_id, year, min_score, min_rank, admitted FROM historical_scores
    ORDER BY group_id, year DESC
)~";

inline constexpr const char* reference_score_tables =
    "SELECT year, track, score, count, cumulative FROM score_tables ORDER BY year, track, score";

inline constexpr const char* reference_control_lines = R"~(
    SELECT year, batch, track, category, score FROM control_lines
    ORDER BY year, batch, track, category
)~";

// Special-type lines are dataset facts named special_type_line.<year>.<physics|history>.
inline constexpr const char* reference_special_lines =
    "SELECT key, value FROM dataset_info WHERE key LIKE 'special_type_line.%' ORDER BY key";

// Current formal choices (non-drill), one keyset page after ($1 candidate, $2 batch), $3 rows.
inline constexpr const char* popularity_current_choices = R"~(
    SELECT a.candidate_id, a.batch, h.choices FROM applications a
    JOIN application_history h USING (candidate_id, batch, drill, version)
    WHERE NOT a.drill AND (a.candidate_id, a.batch) > ($1::bigint, $2::smallint)
    ORDER BY a.candidate_id, a.batch LIMIT $3
)~";

// The current formal versions committed since the cursor $1 (µs, the database's clock), with
// 15 s of overlap: committed_at is stamped before the COMMIT, which may come a little later.
// Keys only: a version is read again in every overlapping refresh, its choices only once
// (popularity_choices_of). From the history's (batch, committed_at) index, one range per batch
// (an index on applications.committed_at would make every resubmission a non-HOT update); the
// newest version in the window is the current one.
inline constexpr const char* popularity_changed_since = R"~(
    SELECT candidate_id, batch, max(version) FROM application_history
    WHERE NOT drill AND batch = ANY ('{0,1,2,3}'::smallint[])
    AND committed_at > to_timestamp($1::double precision / 1e6) - interval '15 s'
    GROUP BY candidate_id, batch
)~";

// The formal choices of the versions ($1 candidate ids, $2 batches, $3 versions) a refresh has
// not read yet.
inline constexpr const char* popularity_choices_of = R"~(
    SELECT h.candidate_id, h.batch, h.choices
    FROM unnest($1::bigint[], $2::smallint[], $3::bigint[]) AS t(c, b, v)
    JOIN application_history h ON h.candidate_id = t.c AND h.batch = t.b AND NOT h.drill
      AND h.version = t.v
)~";

inline constexpr const char* popularity_clock_us =
    "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

}  // namespace zhiyuan::storage::sql
