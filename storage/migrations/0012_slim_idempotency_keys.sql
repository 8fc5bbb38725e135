-- A slim idempotency record for formal submissions (issue 19). The signed receipt (~1 kB of
-- JSON) was stored with every key although the history row it names yields the same bytes:
-- receipts are deterministic (Ed25519 signatures too), so a replay re-renders it from
-- application_history. A submission's record keeps only which version it wrote
-- (batch, drill, version; response ''); other writes keep their small stored response
-- (version NULL).
ALTER TABLE idempotency_keys
  ADD COLUMN batch smallint,
  ADD COLUMN drill boolean,
  ADD COLUMN version bigint;

-- The foreign key to candidates ran a locking SPI check per record; the server writes keys only
-- for candidates it has just written for (whose rows hold their own references).
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_candidate_id_fkey;

-- As for application_history (migration 0011): emptied with the candidates.
CREATE OR REPLACE FUNCTION candidates_truncate_unreferenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE application_history, idempotency_keys;
  RETURN NULL;
END;
$$;
