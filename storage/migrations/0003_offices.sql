-- zhiyuan data model, part 3: admission offices, notices, documents, incidents, audit.

CREATE TABLE admin_users (
  admin_id      serial PRIMARY KEY,
  unit_id       integer NOT NULL REFERENCES units (id),
  username      text NOT NULL UNIQUE,
  role          smallint NOT NULL,          -- 0 viewer, 1 operator, 2 manager
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL DEFAULT true,
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One live session per account: a new login replaces the row.
CREATE TABLE admin_sessions (
  admin_id      integer PRIMARY KEY REFERENCES admin_users (admin_id),
  token_hash    bytea NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  ip            inet
);

-- Announcements (最新公告) to a unit's subtree, and reminders to listed candidates.
CREATE TABLE notices (
  notice_id     bigserial PRIMARY KEY,
  unit_id       integer NOT NULL REFERENCES units (id),
  kind          smallint NOT NULL,          -- 0 announcement, 1 reminder
  batch         smallint,
  title         text NOT NULL,
  body          text NOT NULL,
  created_by    integer REFERENCES admin_users (admin_id),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notices_unit_idx ON notices (unit_id, created_at);

CREATE TABLE notice_recipients (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  notice_id     bigint NOT NULL REFERENCES notices (notice_id),
  PRIMARY KEY (candidate_id, notice_id)
);

CREATE TABLE notice_reads (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  notice_id     bigint NOT NULL REFERENCES notices (notice_id),
  read_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (candidate_id, notice_id)
);

CREATE TABLE documents (
  document_id   bigserial PRIMARY KEY,
  title         text NOT NULL,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size_bytes    integer NOT NULL,
  content       bytea NOT NULL,
  uploaded_by   integer REFERENCES admin_users (admin_id),
  uploaded_at   timestamptz NOT NULL DEFAULT now()
);

-- 异常情况上报: visible to the reporting unit and every ancestor.
CREATE TABLE incidents (
  incident_id   bigserial PRIMARY KEY,
  unit_id       integer NOT NULL REFERENCES units (id),
  category      text NOT NULL,
  severity      smallint NOT NULL,
  description   text NOT NULL,
  status        smallint NOT NULL DEFAULT 0,  -- 0 open, 1 acknowledged, 2 resolved
  reported_by   integer REFERENCES admin_users (admin_id),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_unit_idx ON incidents (unit_id);

CREATE TABLE incident_events (
  event_id      bigserial PRIMARY KEY,
  incident_id   bigint NOT NULL REFERENCES incidents (incident_id),
  actor         integer REFERENCES admin_users (admin_id),
  kind          smallint NOT NULL,          -- 0 comment, 1 acknowledge, 2 resolve
  comment       text,
  at            timestamptz NOT NULL DEFAULT now()
);

-- Who read, exported or changed what. Append-only: the trigger refuses UPDATE and DELETE
-- for every role, the table owner included.
CREATE TABLE audit_log (
  audit_id      bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  actor_kind    smallint NOT NULL,          -- 0 system, 1 admin, 2 candidate
  actor_id      bigint,
  unit_id       integer,
  action        text NOT NULL,
  target        text,
  detail        jsonb,
  ip            inet
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
