-- Store each submitted form once. The current state (applications) keeps the version, digest
-- and hash chain; the choices of that version live in application_history, which is
-- append-only anyway. Measured on the write path: writing ~2.5 kB of choices into both tables
-- (each TOASTed) was most of a submission's cost; without it the current-state UPDATE is a
-- small HOT update. Read the current choices with a join on (candidate_id, batch, drill, version).
ALTER TABLE applications DROP COLUMN choices;
-- lz4 is cheaper than the default pglz for these short, repetitive texts.
ALTER TABLE application_history ALTER COLUMN choices SET COMPRESSION lz4;
ALTER TABLE drafts ALTER COLUMN choices SET COMPRESSION lz4;
