-- The filing counters' row triggers of migration 0007 built their statement with EXECUTE
-- format(...), so every INSERT into applications, drafts or window_logins parsed and planned
-- it again (a fifth of the database's CPU under a submission surge). The same statements,
-- written out per table and event: plpgsql prepares each once per session and trigger. The
-- INSERT and DELETE branches differ only in sign and transition table, and cannot be one
-- statement: a transition table exists only for its own event (as in migration 0007).
CREATE OR REPLACE FUNCTION filing_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'window_logins' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO filing_deltas (school_id, batch, logged_in)
      SELECT c.school_id, x.batch, count(*)
        FROM new_rows x JOIN candidates c USING (candidate_id)
       WHERE c.eligible & (1 << x.batch) <> 0
       GROUP BY c.school_id, x.batch;
    ELSE
      INSERT INTO filing_deltas (school_id, batch, logged_in)
      SELECT c.school_id, x.batch, -count(*)
        FROM old_rows x JOIN candidates c USING (candidate_id)
       WHERE c.eligible & (1 << x.batch) <> 0
       GROUP BY c.school_id, x.batch;
    END IF;
  ELSIF TG_TABLE_NAME = 'applications' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO filing_deltas (school_id, batch, submitted, drafted_submitted)
      SELECT c.school_id, x.batch, count(*),
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM drafts o WHERE o.candidate_id =
                                              x.candidate_id AND o.batch = x.batch AND NOT o.drill))
        FROM new_rows x JOIN candidates c USING (candidate_id)
       WHERE NOT x.drill AND c.eligible & (1 << x.batch) <> 0
       GROUP BY c.school_id, x.batch;
    ELSE
      INSERT INTO filing_deltas (school_id, batch, submitted, drafted_submitted)
      SELECT c.school_id, x.batch, -count(*),
             -count(*) FILTER (WHERE EXISTS (SELECT 1 FROM drafts o WHERE o.candidate_id =
                                               x.candidate_id AND o.batch = x.batch AND NOT o.drill))
        FROM old_rows x JOIN candidates c USING (candidate_id)
       WHERE NOT x.drill AND c.eligible & (1 << x.batch) <> 0
       GROUP BY c.school_id, x.batch;
    END IF;
  ELSE  -- drafts
    IF TG_OP = 'INSERT' THEN
      INSERT INTO filing_deltas (school_id, batch, drafted, drafted_submitted)
      SELECT c.school_id, x.batch, count(*),
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM applications o WHERE o.candidate_id =
                                              x.candidate_id AND o.batch = x.batch AND NOT o.drill))
        FROM new_rows x JOIN candidates c USING (candidate_id)
       WHERE NOT x.drill AND c.eligible & (1 << x.batch) <> 0
       GROUP BY c.school_id, x.batch;
    ELSE
      INSERT INTO filing_deltas (school_id, batch, drafted, drafted_submitted)
      SELECT c.school_id, x.batch, -count(*),
             -count(*) FILTER (WHERE EXISTS (SELECT 1 FROM applications o WHERE o.candidate_id =
                                               x.candidate_id AND o.batch = x.batch AND NOT o.drill))
        FROM old_rows x JOIN candidates c USING (candidate_id)
       WHERE NOT x.drill AND c.eligible & (1 << x.batch) <> 0
       GROUP BY c.school_id, x.batch;
    END IF;
  END IF;
  RETURN NULL;
END $$;
