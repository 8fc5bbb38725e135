-- A stable global id per major, as core::major_id expects (forms may refer to majors by id).
-- Loaders that COPY majors without this column get ids from the sequence.
ALTER TABLE majors ADD COLUMN major_id bigserial;
ALTER TABLE majors ADD CONSTRAINT majors_major_id_key UNIQUE (major_id);
