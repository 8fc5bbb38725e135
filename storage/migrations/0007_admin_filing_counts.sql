-- Admin API, part 1: trusted networks per unit, filing counters for the statistics, the
-- candidates' sign-ins during filing windows, and audit lookups.

-- Admin sign-in is allowed from the configured global networks (admin.trusted_networks) and
-- from the networks listed for the account's unit or any unit above it.
CREATE TABLE admin_unit_networks (
  unit_id     integer NOT NULL REFERENCES units (id),
  network     cidr NOT NULL,
  PRIMARY KEY (unit_id, network)
);

-- A candidate signed in while the filing window of `batch` was open (the server decides which
-- windows are open and records them at sign-in). One row per candidate and batch.
CREATE TABLE window_logins (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  batch         smallint NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (candidate_id, batch)
);

-- Filing statistics per school and batch, over the candidates eligible (上线) for the batch:
-- eligible, signed in during the window, with a draft, with a formal submission, with both
-- (real filing only, never drill rows). Province-wide statistics read a few thousand rows
-- instead of every candidate.
--
-- Writers never update these rows (that would serialise concurrent commits on hot schools):
-- statement-level triggers append signed deltas to filing_deltas in the writing transaction,
-- and filing_counts_fold() moves them into filing_counts. Readers add both.
CREATE TABLE filing_counts (
  school_id         integer NOT NULL REFERENCES units (id),
  batch             smallint NOT NULL,
  eligible          integer NOT NULL DEFAULT 0,
  logged_in         integer NOT NULL DEFAULT 0,
  drafted           integer NOT NULL DEFAULT 0,
  submitted         integer NOT NULL DEFAULT 0,
  drafted_submitted integer NOT NULL DEFAULT 0,
  PRIMARY KEY (school_id, batch)
);

CREATE TABLE filing_deltas (
  school_id         integer NOT NULL REFERENCES units (id),
  batch             smallint NOT NULL,
  eligible          integer NOT NULL DEFAULT 0,
  logged_in         integer NOT NULL DEFAULT 0,
  drafted           integer NOT NULL DEFAULT 0,
  submitted         integer NOT NULL DEFAULT 0,
  drafted_submitted integer NOT NULL DEFAULT 0
);

-- Every count from scratch (after a bulk change the triggers do not see, e.g. TRUNCATE).
CREATE FUNCTION filing_counts_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM filing_deltas;
  DELETE FROM filing_counts;
  INSERT INTO filing_counts (school_id, batch, eligible, logged_in, drafted, submitted,
                             drafted_submitted)
  SELECT c.school_id, b.batch, count(*),
         count(*) FILTER (WHERE w.candidate_id IS NOT NULL),
         count(*) FILTER (WHERE d.candidate_id IS NOT NULL),
         count(*) FILTER (WHERE a.candidate_id IS NOT NULL),
         count(*) FILTER (WHERE d.candidate_id IS NOT NULL AND a.candidate_id IS NOT NULL)
    FROM candidates c CROSS JOIN (VALUES (0), (1), (2), (3)) AS b (batch)
    LEFT JOIN window_logins w ON w.candidate_id = c.candidate_id AND w.batch = b.batch
    LEFT JOIN drafts d ON d.candidate_id = c.candidate_id AND d.batch = b.batch AND NOT d.drill
    LEFT JOIN applications a ON a.candidate_id = c.candidate_id AND a.batch = b.batch
                            AND NOT a.drill
   WHERE c.eligible & (1 << b.batch) <> 0
   GROUP BY c.school_id, b.batch;
$$;

-- Moves the deltas into the counts. One folder at a time (others return at once); rows
-- appended by transactions still running stay for the next fold.
CREATE FUNCTION filing_counts_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(7253105) THEN
    RETURN 0;
  END IF;
  WITH moved AS (DELETE FROM filing_deltas RETURNING *),
  sums AS (SELECT school_id, batch, sum(eligible) AS e, sum(logged_in) AS l, sum(drafted) AS d,
                  sum(submitted) AS s, sum(drafted_submitted) AS ds
             FROM moved GROUP BY school_id, batch)
  INSERT INTO filing_counts AS f (school_id, batch, eligible, logged_in, drafted, submitted,
                                  drafted_submitted)
  SELECT school_id, batch, e, l, d, s, ds FROM sums ORDER BY school_id, batch
  ON CONFLICT (school_id, batch) DO UPDATE SET
    eligible = f.eligible + excluded.eligible, logged_in = f.logged_in + excluded.logged_in,
    drafted = f.drafted + excluded.drafted, submitted = f.submitted + excluded.submitted,
    drafted_submitted = f.drafted_submitted + excluded.drafted_submitted;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- The whole contribution of the given candidates (sign +1 or -1 each) to every count.
CREATE FUNCTION filing_add_contributions(ids bigint[], schools integer[], eligibles smallint[],
                                         signs integer[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO filing_deltas (school_id, batch, eligible, logged_in, drafted, submitted,
                             drafted_submitted)
  SELECT school_id, batch, sum(sign), sum(sign * l), sum(sign * d), sum(sign * s),
         sum(sign * d * s)
    FROM (SELECT x.school_id, b.batch, x.sign,
                 EXISTS (SELECT 1 FROM window_logins w WHERE w.candidate_id = x.candidate_id
                           AND w.batch = b.batch)::int AS l,
                 EXISTS (SELECT 1 FROM drafts d WHERE d.candidate_id = x.candidate_id
                           AND d.batch = b.batch AND NOT d.drill)::int AS d,
                 EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = x.candidate_id
                           AND a.batch = b.batch AND NOT a.drill)::int AS s
            FROM unnest(ids, schools, eligibles, signs) AS x (candidate_id, school_id, eligible,
                                                            sign)
           CROSS JOIN (VALUES (0), (1), (2), (3)) AS b (batch)
           WHERE x.eligible & (1 << b.batch) <> 0) AS f
   GROUP BY school_id, batch;
$$;

-- Candidates: a new candidate adds to `eligible` of each batch it is eligible for (it has no
-- other rows yet); a change of school or eligibility moves its whole contribution; a deletion
-- removes it. A transition table exists only for its own event, hence the branches.
CREATE FUNCTION filing_count_candidates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO filing_deltas (school_id, batch, eligible)
    SELECT n.school_id, b.batch, count(*)
      FROM new_rows n CROSS JOIN (VALUES (0), (1), (2), (3)) AS b (batch)
     WHERE n.eligible & (1 << b.batch) <> 0
     GROUP BY n.school_id, b.batch;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM filing_add_contributions(array_agg(candidate_id), array_agg(school_id),
                                     array_agg(eligible), array_agg(-1))
       FROM old_rows;
  ELSE
    -- Most updates (passwords, pledge, contact) change neither school nor eligibility.
    PERFORM filing_add_contributions(array_agg(id), array_agg(school), array_agg(elig),
                                     array_agg(sign))
       FROM (SELECT o.candidate_id AS id, o.school_id AS school, o.eligible AS elig, -1 AS sign
               FROM old_rows o JOIN new_rows n USING (candidate_id)
              WHERE (o.school_id, o.eligible) IS DISTINCT FROM (n.school_id, n.eligible)
             UNION ALL
             SELECT n.candidate_id, n.school_id, n.eligible, 1
               FROM old_rows o JOIN new_rows n USING (candidate_id)
              WHERE (o.school_id, o.eligible) IS DISTINCT FROM (n.school_id, n.eligible)) AS x
     HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER filing_count_candidates_insert AFTER INSERT ON candidates
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_candidates();
CREATE TRIGGER filing_count_candidates_delete AFTER DELETE ON candidates
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_candidates();
CREATE TRIGGER filing_count_candidates_update AFTER UPDATE ON candidates
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION filing_count_candidates();

-- Formal submissions (applications: one row per candidate, batch and drill; later versions
-- update it), drafts and window sign-ins: the first real (non-drill) row of an eligible
-- candidate counts once, and a submission or draft once more in drafted_submitted when the
-- other kind exists already. Set-based, in the writing transaction.
CREATE FUNCTION filing_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  rows text := CASE WHEN TG_OP = 'INSERT' THEN 'new_rows' ELSE 'old_rows' END;
  sign integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
  IF TG_TABLE_NAME = 'window_logins' THEN
    EXECUTE format('INSERT INTO filing_deltas (school_id, batch, logged_in)'
      ' SELECT c.school_id, x.batch, %s * count(*) FROM %I x JOIN candidates c'
      ' USING (candidate_id) WHERE c.eligible & (1 << x.batch) <> 0'
      ' GROUP BY c.school_id, x.batch', sign, rows);
  ELSE
    EXECUTE format('INSERT INTO filing_deltas (school_id, batch, %I, drafted_submitted)'
      ' SELECT c.school_id, x.batch, %s * count(*), %s * count(*) FILTER (WHERE EXISTS'
      ' (SELECT 1 FROM %I o WHERE o.candidate_id = x.candidate_id AND o.batch = x.batch'
      ' AND NOT o.drill)) FROM %I x JOIN candidates c USING (candidate_id)'
      ' WHERE NOT x.drill AND c.eligible & (1 << x.batch) <> 0'
      ' GROUP BY c.school_id, x.batch',
      CASE WHEN TG_TABLE_NAME = 'applications' THEN 'submitted' ELSE 'drafted' END,
      sign, sign,
      CASE WHEN TG_TABLE_NAME = 'applications' THEN 'drafts' ELSE 'applications' END, rows);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER filing_count_applications_insert AFTER INSERT ON applications
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_rows();
CREATE TRIGGER filing_count_applications_delete AFTER DELETE ON applications
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_rows();
CREATE TRIGGER filing_count_drafts_insert AFTER INSERT ON drafts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_rows();
CREATE TRIGGER filing_count_drafts_delete AFTER DELETE ON drafts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_rows();
CREATE TRIGGER filing_count_window_logins_insert AFTER INSERT ON window_logins
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_rows();
CREATE TRIGGER filing_count_window_logins_delete AFTER DELETE ON window_logins
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION filing_count_rows();

-- A TRUNCATE that the cascade of the seed tables does not cover leaves the counts stale:
-- rebuild them.
CREATE FUNCTION filing_counts_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM filing_counts_rebuild();
  RETURN NULL;
END $$;
CREATE TRIGGER filing_count_applications_truncate AFTER TRUNCATE ON applications
  FOR EACH STATEMENT EXECUTE FUNCTION filing_counts_after_truncate();
CREATE TRIGGER filing_count_drafts_truncate AFTER TRUNCATE ON drafts
  FOR EACH STATEMENT EXECUTE FUNCTION filing_counts_after_truncate();
CREATE TRIGGER filing_count_window_logins_truncate AFTER TRUNCATE ON window_logins
  FOR EACH STATEMENT EXECUTE FUNCTION filing_counts_after_truncate();

-- Counts of the data present when this migration runs.
SELECT filing_counts_rebuild();

-- Lookups of the admin API.
CREATE INDEX audit_log_unit_idx ON audit_log (unit_id, audit_id);
CREATE INDEX admin_users_unit_idx ON admin_users (unit_id);
CREATE INDEX application_history_committed_idx ON application_history (batch, committed_at)
  WHERE NOT drill;

-- Append-only for every role but the owner: the trigger of migration 0003 refuses UPDATE,
-- DELETE and TRUNCATE for everyone; an application role that does not own the table gets
-- neither privilege either (grant it SELECT, INSERT only).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
