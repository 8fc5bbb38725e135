-- Admin API part 2: the schedule as changed by the province (every node reads the newest
-- revision; the file in config/ is only the default until the first change), and the record
-- of every import with its error report.

CREATE TABLE schedule_revisions (
  revision    bigserial PRIMARY KEY,
  document    jsonb NOT NULL,               -- the shape of GET /api/v1/admin/schedule
  changed_by  integer REFERENCES admin_users (admin_id),
  changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_runs (
  import_id   bigserial PRIMARY KEY,
  kind        text NOT NULL,                -- units, plans, scores
  admin_id    integer REFERENCES admin_users (admin_id),
  unit_id     integer,
  rows        integer NOT NULL,
  applied     boolean NOT NULL,
  errors_csv  text NOT NULL DEFAULT '',     -- line,column,message (empty when applied)
  at          timestamptz NOT NULL DEFAULT now()
);

-- Reminders are rate-limited per unit and batch: the newest reminder of a unit is one lookup.
CREATE INDEX notices_reminder_idx ON notices (unit_id, batch, created_at) WHERE kind = 1;
CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, event_id);
