#pragma once

// SQL of the admin API, part 2: reminders, notices, documents, incidents, schedule, imports
// (storage/admin_ops_store.cpp). Same rule as storage/sql/admin.hpp: the actor's unit scopes
// every statement.

namespace zhiyuan::storage::sql {

// Whether unit $1 lies inside the actor's unit $2, and the seconds until it may be reminded
// about batch $3 again, reminders being at most one per $4 seconds (0: now). No row: out of
// scope.
inline constexpr const char* ops_reminder_wait = R"~(
    SELECT ceil(greatest(0, extract(epoch FROM max(p.created_at)
      + make_interval(secs => $4) - now())))::bigint
    FROM units u JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi
    LEFT JOIN notices p ON p.unit_id = u.id AND p.kind = 1 AND p.batch = $3
    WHERE u.id = $1 GROUP BY u.id
)~";

// Serialises reminders of one unit and batch across nodes: key ($1 lock_key::reminders + batch,
// $2 unit).
inline constexpr const char* ops_reminder_lock = "SELECT pg_advisory_xact_lock($1, $2)";

// A reminder (kind 1) of batch $3 to unit $1 (inside the actor's unit $2), title $4, body $5,
// by admin $6, addressed in the same statement to every candidate of the unit's subtree who is
// eligible for the batch and has no real formal submission: the notice id and the recipients.
inline constexpr const char* ops_send_reminder = R"~(
    WITH target AS (SELECT u.id, u.lo, u.hi FROM units u JOIN units a ON a.id = $2
      AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1),
    n AS (INSERT INTO notices (unit_id, kind, batch, title, body, created_by)
      SELECT t.id, 1, $3::smallint, $4::text, $5::text, $6::integer FROM target t
      RETURNING notice_id),
    r AS (INSERT INTO notice_recipients (candidate_id, notice_id)
      SELECT c.candidate_id, n.notice_id FROM n CROSS JOIN target t
      JOIN units s ON s.level = 3 AND t.lo <= s.lo AND s.hi <= t.hi
      JOIN candidates c ON c.school_id = s.id
      WHERE c.eligible & (1 << $3::int) <> 0
      AND NOT EXISTS (SELECT 1 FROM applications p WHERE p.candidate_id = c.candidate_id
        AND p.batch = $3::smallint AND NOT p.drill)
      RETURNING 1)
    SELECT (SELECT notice_id FROM n), (SELECT count(*) FROM r)
)~";

// An announcement (kind 0) to unit $1's subtree (inside the actor's unit $2), batch $3 (NULL:
// any), title $4, body $5, by admin $6: id and creation time (unix µs).
inline constexpr const char* ops_post_notice = R"~(
    INSERT INTO notices (unit_id, kind, batch, title, body, created_by)
    SELECT u.id, 0, $3::smallint, $4::text, $5::text, $6::integer FROM units u
    JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi WHERE u.id = $1
    RETURNING notice_id, (extract(epoch FROM created_at) * 1000000)::bigint
)~";

// Notices an office sees, newest first, below notice $2 (NULL: from the newest), at most $3:
// every notice to a unit inside the actor's unit $1, and the announcements of the units above
// it (what its candidates see too). Kind $4 (NULL: both). Id, kind, batch, title, body, time,
// unit id, code, name, author, recipients.
inline constexpr const char* ops_list_notices = R"~(
    SELECT n.notice_id, n.kind, n.batch, n.title, n.body,
    (extract(epoch FROM n.created_at) * 1000000)::bigint, u.id, u.code, u.name,
    coalesce(w.username, ''),
    (SELECT count(*) FROM notice_recipients r WHERE r.notice_id = n.notice_id)
    FROM notices n JOIN units u ON u.id = n.unit_id JOIN units a ON a.id = $1
    LEFT JOIN admin_users w ON w.admin_id = n.created_by
    WHERE ((a.lo <= u.lo AND u.hi <= a.hi) OR (n.kind = 0 AND u.lo <= a.lo AND a.hi <= u.hi))
    AND ($2::bigint IS NULL OR n.notice_id < $2) AND ($4::smallint IS NULL OR n.kind = $4)
    ORDER BY n.notice_id DESC LIMIT $3
)~";

// A document (province-wide): title $1, file name $2, type $3, size $4, bytes $5, by $6.
inline constexpr const char* ops_insert_document = R"~(
    INSERT INTO documents (title, filename, content_type, size_bytes, content, uploaded_by)
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING document_id,
    (extract(epoch FROM uploaded_at) * 1000000)::bigint
)~";

// Documents newest first below id $1 (NULL: from the newest), at most $2, without content.
inline constexpr const char* ops_list_documents = R"~(
    SELECT d.document_id, d.title, d.filename, d.content_type, d.size_bytes,
    (extract(epoch FROM d.uploaded_at) * 1000000)::bigint, coalesce(w.username, '')
    FROM documents d LEFT JOIN admin_users w ON w.admin_id = d.uploaded_by
    WHERE $1::bigint IS NULL OR d.document_id < $1 ORDER BY d.document_id DESC LIMIT $2
)~";

inline constexpr const char* ops_document =
    "SELECT title, filename, content_type, content FROM documents WHERE document_id = $1";

// An incident (异常情况上报) of the actor's own unit $1: category $2, severity $3,
// description $4, by $5. Returns id and time.
inline constexpr const char* ops_report_incident = R"~(
    INSERT INTO incidents (unit_id, category, severity, description, reported_by)
    VALUES ($1, $2, $3, $4, $5) RETURNING incident_id,
    (extract(epoch FROM created_at) * 1000000)::bigint
)~";

// Incidents of units inside the actor's unit $1 (its own and its descendants'), newest first,
// below id $2 (NULL: from the newest), at most $3, status $4 (NULL: any), only id $5 (NULL:
// any). Id, unit id, code, name, category, severity, description, status, time, reporter,
// events.
inline constexpr const char* ops_list_incidents = R"~(
    SELECT i.incident_id, u.id, u.code, u.name, i.category, i.severity, i.description,
    i.status, (extract(epoch FROM i.created_at) * 1000000)::bigint, coalesce(w.username, ''),
    (SELECT count(*) FROM incident_events e WHERE e.incident_id = i.incident_id)
    FROM incidents i JOIN units u ON u.id = i.unit_id
    JOIN units a ON a.id = $1 AND a.lo <= u.lo AND u.hi <= a.hi
    LEFT JOIN admin_users w ON w.admin_id = i.reported_by
    WHERE ($2::bigint IS NULL OR i.incident_id < $2) AND ($4::smallint IS NULL OR i.status = $4)
    AND ($5::bigint IS NULL OR i.incident_id = $5) ORDER BY i.incident_id DESC LIMIT $3
)~";

// The events of incident $1, oldest first: id, kind, comment, time, actor.
inline constexpr const char* ops_incident_events = R"~(
    SELECT e.event_id, e.kind, coalesce(e.comment, ''),
    (extract(epoch FROM e.at) * 1000000)::bigint, coalesce(w.username, '')
    FROM incident_events e LEFT JOIN admin_users w ON w.admin_id = e.actor
    WHERE e.incident_id = $1 ORDER BY e.event_id LIMIT 1000
)~";

// Incident $1 if its unit lies inside the actor's unit $2 (the unit itself or an ancestor of
// it acts), locked for the event: status and unit code.
inline constexpr const char* ops_lock_incident = R"~(
    SELECT i.status, u.code FROM incidents i JOIN units u ON u.id = i.unit_id
    JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi
    WHERE i.incident_id = $1 FOR UPDATE OF i
)~";

inline constexpr const char* ops_set_incident_status =
    "UPDATE incidents SET status = $2 WHERE incident_id = $1";

// An event on incident $1 by admin $2: kind $3, comment $4. Returns id and time.
inline constexpr const char* ops_incident_event = R"~(
    INSERT INTO incident_events (incident_id, actor, kind, comment) VALUES ($1, $2, $3,
    nullif($4, '')) RETURNING event_id, (extract(epoch FROM at) * 1000000)::bigint
)~";

// The newest schedule revision: number and document (JSON text).
inline constexpr const char* ops_latest_schedule =
    "SELECT revision, document::text FROM schedule_revisions ORDER BY revision DESC LIMIT 1";

// One schedule change at a time on every node: a change names the revision it replaces
// ($1: lock_key::schedule).
inline constexpr const char* ops_schedule_lock = "SELECT pg_advisory_xact_lock($1::bigint)";

inline constexpr const char* ops_current_schedule_revision =
    "SELECT coalesce(max(revision), 0) FROM schedule_revisions";

inline constexpr const char* ops_insert_schedule = R"~(
    INSERT INTO schedule_revisions (document, changed_by) VALUES ($1::jsonb, $2)
    RETURNING revision
)~";

// Every unit (for an import of the tree): id, parent (0 for the root), level, code, name.
inline constexpr const char* ops_all_units =
    "SELECT id, coalesce(parent_id, 0), level, code, name FROM units";

// Writes the whole tree, its pre-order intervals rewritten: arrays (literals) of id, parent
// (0: none), level, code, name, lo, hi.
inline constexpr const char* ops_upsert_units = R"~(
    INSERT INTO units (id, parent_id, level, code, name, lo, hi)
    SELECT x.id, nullif(x.parent, 0), x.level, x.code, x.name, x.lo, x.hi FROM unnest($1::int[],
    $2::int[], $3::smallint[], $4::text[], $5::text[], $6::int[], $7::int[])
    AS x(id, parent, level, code, name, lo, hi)
    ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, level = excluded.level,
    code = excluded.code, name = excluded.name, lo = excluded.lo, hi = excluded.hi
)~";

// Candidates' denormalised county and city follow their school's place in the tree.
inline constexpr const char* ops_relink_candidates = R"~(
    UPDATE candidates c SET county_id = s.parent_id, city_id = p.parent_id FROM units s
    JOIN units p ON p.id = s.parent_id WHERE s.id = c.school_id
    AND (c.county_id <> s.parent_id OR c.city_id <> p.parent_id)
)~";

// Plans: colleges, groups (kept by college, group code, batch, track: their ids never change,
// forms refer to them) and majors (kept by group and code), each from array literals.
inline constexpr const char* ops_upsert_colleges = R"~(
    INSERT INTO colleges (code, name, region, type) SELECT DISTINCT ON (x.code) x.code, x.name,
    x.region, x.type FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
    AS x(code, name, region, type)
    ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region,
    type = excluded.type
)~";

inline constexpr const char* ops_upsert_groups = R"~(
    INSERT INTO major_groups (group_id, college_code, group_code, batch, track, category,
    special_type, req_first, req_second_kind, req_subjects, plan_count)
    SELECT m.top + x.ord, x.college, x.code, x.batch, x.track, x.category, x.special,
    x.req_first, x.req_kind, x.req_subjects, x.plan FROM unnest($1::text[], $2::text[],
    $3::smallint[], $4::smallint[], $5::smallint[], $6::boolean[], $7::smallint[],
    $8::smallint[], $9::smallint[], $10::int[]) WITH ORDINALITY AS x(college, code, batch,
    track, category, special, req_first, req_kind, req_subjects, plan, ord)
    CROSS JOIN (SELECT coalesce(max(group_id), 0) AS top FROM major_groups) m
    ON CONFLICT (college_code, group_code, batch, track) DO UPDATE SET
    category = excluded.category, special_type = excluded.special_type,
    req_first = excluded.req_first, req_second_kind = excluded.req_second_kind,
    req_subjects = excluded.req_subjects, plan_count = excluded.plan_count
)~";

inline constexpr const char* ops_upsert_majors = R"~(
    INSERT INTO majors (group_id, code, name, plan_count, years, tuition)
    SELECT g.group_id, x.code, x.name, x.plan, x.years, x.tuition FROM unnest($1::text[],
    $2::text[], $3::smallint[], $4::smallint[], $5::text[], $6::text[], $7::int[],
    $8::smallint[], $9::int[]) AS x(college, grp, batch, track, code, name, plan, years,
    tuition) JOIN major_groups g ON g.college_code = x.college AND g.group_code = x.grp
    AND g.batch = x.batch AND g.track = x.track
    ON CONFLICT (group_id, code) DO UPDATE SET name = excluded.name,
    plan_count = excluded.plan_count, years = excluded.years, tuition = excluded.tuition
)~";

// Scores: the ordinals (1-based positions in the arrays) of rows whose group is unknown.
inline constexpr const char* ops_unknown_score_groups = R"~(
    SELECT x.ord FROM unnest($1::text[], $2::text[], $3::smallint[], $4::smallint[])
    WITH ORDINALITY AS x(college, grp, batch, track, ord) LEFT JOIN major_groups g
    ON g.college_code = x.college AND g.group_code = x.grp AND g.batch = x.batch
    AND g.track = x.track WHERE g.group_id IS NULL ORDER BY x.ord
)~";

inline constexpr const char* ops_upsert_scores = R"~(
    INSERT INTO historical_scores (group_id, year, min_score, min_rank, admitted)
    SELECT g.group_id, x.year, x.score, x.rank, x.admitted FROM unnest($1::text[], $2::text[],
    $3::smallint[], $4::smallint[], $5::smallint[], $6::smallint[], $7::int[], $8::int[])
    AS x(college, grp, batch, track, year, score, rank, admitted) JOIN major_groups g
    ON g.college_code = x.college AND g.group_code = x.grp AND g.batch = x.batch
    AND g.track = x.track ON CONFLICT (group_id, year) DO UPDATE SET
    min_score = excluded.min_score, min_rank = excluded.min_rank, admitted = excluded.admitted
)~";

// One import at a time on every node, whatever its kind: import ids then commit in order (the
// snapshots of every node follow the newest applied id), new candidate ids follow the largest,
// and a units import never relinks while candidates are being added ($1: lock_key::imports).
inline constexpr const char* ops_import_lock = "SELECT pg_advisory_xact_lock($1::bigint)";

// Nobody else changes the unit tree, or the plan's groups, during their import.
inline constexpr const char* ops_lock_units = "LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE";

inline constexpr const char* ops_lock_groups =
    "LOCK TABLE major_groups IN SHARE ROW EXCLUSIVE MODE";

// The ordinals of rows whose school code names no school-level unit.
inline constexpr const char* ops_unknown_schools = R"~(
    SELECT x.ord FROM unnest($1::text[]) WITH ORDINALITY AS x(code, ord)
    LEFT JOIN units u ON u.code = x.code AND u.level = 3 WHERE u.id IS NULL ORDER BY x.ord
)~";

// Rows that would change what an existing candidate's choices are checked against. Per row:
// the ordinal; whether category, track or electives change; whether eligibility changes;
// whether the candidate has a real formal submission; whether one of those is of a batch (or
// the special-type slot of 本科批, bit 16) the row no longer reaches. Arrays: exam, category,
// track, electives, eligible bits.
inline constexpr const char* ops_candidate_fact_changes = R"~(
    SELECT x.ord, (x.cat, x.track, x.electives) IS DISTINCT FROM
    (c.category, c.track, c.electives), x.eligible <> c.eligible,
    EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = c.candidate_id AND NOT a.drill),
    EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = c.candidate_id AND NOT a.drill
    AND (x.eligible & (1 << a.batch) = 0 OR (a.batch = 1 AND c.eligible & 16 <> 0
    AND x.eligible & 16 = 0)))
    FROM unnest($1::char(14)[], $2::smallint[], $3::smallint[], $4::smallint[],
    $5::smallint[]) WITH ORDINALITY AS x(exam, cat, track, electives, eligible, ord)
    JOIN candidates c ON c.exam_no = x.exam
    WHERE (x.cat, x.track, x.electives) IS DISTINCT FROM (c.category, c.track, c.electives)
    OR x.eligible <> c.eligible ORDER BY x.ord
)~";

// Upserts the rows of a candidates import (arrays: exam, name, ID number, school code,
// category, track, electives, score, rank (-1: none), eligible bits) by exam number and
// answers (updated, inserted). Existing candidates keep their passwords and state and are
// written only when something differs. New ones get ids after the largest and no usable login
// password ('!' verifies nothing) until their school's office issues a one-time password.
inline constexpr const char* ops_upsert_candidates = R"~(
    WITH x AS (SELECT x.*, nullif(x.score_, -1) AS score, nullif(x.rank_, -1) AS rank,
    s.id AS school_id, s.parent_id AS county_id, p.parent_id AS city_id FROM unnest($1::char(14)[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::smallint[],
    $7::smallint[], $8::smallint[], $9::int[], $10::smallint[]) WITH ORDINALITY AS x(exam,
    name, id, school, cat, track, electives, score_, rank_, eligible, ord) JOIN units s
    ON s.code = x.school AND s.level = 3 JOIN units p ON p.id = s.parent_id),
    updated AS (UPDATE candidates c SET name = x.name, id_number = x.id,
    school_id = x.school_id, county_id = x.county_id, city_id = x.city_id, category = x.cat,
    track = x.track, electives = x.electives, score = x.score, rank = x.rank,
    eligible = x.eligible FROM x WHERE c.exam_no = x.exam AND (c.name, c.id_number,
    c.school_id, c.category, c.track, c.electives, c.score, c.rank, c.eligible)
    IS DISTINCT FROM (x.name, x.id, x.school_id, x.cat, x.track, x.electives, x.score, x.rank,
    x.eligible) RETURNING 1),
    inserted AS (INSERT INTO candidates (candidate_id, exam_no, name, id_number, school_id,
    county_id, city_id, category, track, electives, score, rank, eligible, login_hash,
    must_set_passwords) SELECT (SELECT coalesce(max(candidate_id), 0) FROM candidates)
    + row_number() OVER (ORDER BY x.ord), x.exam, x.name, x.id, x.school_id, x.county_id,
    x.city_id, x.cat, x.track, x.electives, x.score, x.rank, x.eligible, '!', true FROM x
    WHERE NOT EXISTS (SELECT 1 FROM candidates c WHERE c.exam_no = x.exam) RETURNING 1)
    SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM inserted)
)~";

// The newest applied import of each kind (the snapshots of every node follow them).
inline constexpr const char* ops_applied_imports =
    "SELECT kind, max(import_id) FROM import_runs WHERE applied GROUP BY kind";

// The record of an import: kind $1, admin $2, unit $3, rows $4, applied $5, error report $6.
inline constexpr const char* ops_record_import = R"~(
    INSERT INTO import_runs (kind, admin_id, unit_id, rows, applied, errors_csv)
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING import_id
)~";

// An import's error report, for an admin of the importing unit or above ($2: actor unit).
inline constexpr const char* ops_import_errors = R"~(
    SELECT r.kind, r.errors_csv FROM import_runs r JOIN units u ON u.id = r.unit_id
    JOIN units a ON a.id = $2 AND a.lo <= u.lo AND u.hi <= a.hi WHERE r.import_id = $1
)~";

}  // namespace zhiyuan::storage::sql
