-- A formal submission's rows, leaner (issue 19).
--
-- application_history's foreign key to candidates ran an SPI `SELECT … FOR KEY SHARE` on the
-- candidate for every history row, locking (and dirtying) the candidates row on every
-- resubmission. History rows are only written by the write path's submission statement, from
-- the applications rows it just updated or inserted, and applications keeps its own foreign key
-- to candidates (checked when a first version is inserted): the reference is already held.
ALTER TABLE application_history DROP CONSTRAINT application_history_candidate_id_fkey;

-- Without the foreign key, TRUNCATE candidates … CASCADE (the seed's --replace) no longer
-- reaches the history: empty it with the candidates, as the cascade did.
CREATE FUNCTION candidates_truncate_unreferenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE application_history;
  RETURN NULL;
END;
$$;
CREATE TRIGGER candidates_truncate_unreferenced AFTER TRUNCATE ON candidates
  FOR EACH STATEMENT EXECUTE FUNCTION candidates_truncate_unreferenced();

-- Room on each page for the next version of an applications row, so that the per-submission
-- UPDATE (version, digest, prev_hash, times; no indexed column) stays a HOT update.
ALTER TABLE applications SET (fillfactor = 80);
