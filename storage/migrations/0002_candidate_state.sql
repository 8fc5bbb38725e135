-- zhiyuan data model, part 2: what candidates do. Keyed by candidate_id first.
-- `drill` separates rehearsal (模拟演练) data from real filing; a drill purge deletes
-- exactly the rows with drill = true.

CREATE TABLE sessions (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  token_hash    bytea NOT NULL,             -- keyed hash of the opaque token, never the token
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,       -- absolute timeout
  revoked_at    timestamptz,
  ip            inet,
  user_agent    text,
  PRIMARY KEY (candidate_id, token_hash)
);
CREATE UNIQUE INDEX sessions_token_idx ON sessions (token_hash);

CREATE TABLE login_history (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  at            timestamptz NOT NULL DEFAULT now(),
  seq           bigserial,
  ip            inet,
  user_agent    text,
  outcome       text NOT NULL,              -- ok | bad_password | locked | throttled
  PRIMARY KEY (candidate_id, at, seq)
);

CREATE TABLE favorite_categories (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  position      smallint NOT NULL,
  name          text NOT NULL,
  PRIMARY KEY (candidate_id, position),
  UNIQUE (candidate_id, name)
);

CREATE TABLE favorites (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  kind          smallint NOT NULL,          -- 0 college, 1 major group
  target        text NOT NULL,              -- college code or group id
  category      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (candidate_id, kind, target)
);

CREATE TABLE drafts (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  batch         smallint NOT NULL,
  drill         boolean NOT NULL DEFAULT false,
  version       bigint NOT NULL,
  choices       text NOT NULL,              -- core canonical encoding
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (candidate_id, batch, drill)
);

-- Current formal choices (正式志愿): the last committed save counts.
CREATE TABLE applications (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  batch         smallint NOT NULL,
  drill         boolean NOT NULL DEFAULT false,
  version       bigint NOT NULL,
  choices       text NOT NULL,              -- core canonical encoding
  digest        bytea NOT NULL,             -- SHA-256 of choices
  prev_hash     bytea,                      -- hash chain over the candidate's receipts
  accepted_at   timestamptz NOT NULL,       -- stamped when the server accepted the request
  committed_at  timestamptz NOT NULL,
  signature     bytea,                      -- Ed25519 over the canonical receipt
  PRIMARY KEY (candidate_id, batch, drill)
);

-- Every version ever committed, append-only.
CREATE TABLE application_history (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  batch         smallint NOT NULL,
  drill         boolean NOT NULL DEFAULT false,
  version       bigint NOT NULL,
  choices       text NOT NULL,
  digest        bytea NOT NULL,
  prev_hash     bytea,
  accepted_at   timestamptz NOT NULL,
  committed_at  timestamptz NOT NULL,
  signature     bytea,
  PRIMARY KEY (candidate_id, batch, drill, version)
);

-- Idempotency-Key records; committed in the same transaction as the write they guard.
CREATE TABLE idempotency_keys (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  key           text NOT NULL,
  request_hash  bytea NOT NULL,             -- SHA-256 of method, path and body
  status        smallint NOT NULL,
  response      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (candidate_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Why an eligible candidate has not filed (上线未填报原因), recorded by an office.
CREATE TABLE unfiled_reasons (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  batch         smallint NOT NULL,
  reason        smallint NOT NULL,          -- abandon, abroad, repeat, military, unreachable, other
  note          text,
  recorded_by   integer,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (candidate_id, batch)
);
