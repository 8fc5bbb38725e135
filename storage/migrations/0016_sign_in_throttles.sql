-- Sign-in throttles shared by the fleet (issue 17): a guesser who spreads attempts on one
-- account over N nodes must not get N times the budget. One row per account and kind of
-- password (0 login, 1 save), locked while a node decides with core/throttle's policy
-- (server/login_guard.cpp). Rows with nothing left to say are purged by the nodes'
-- housekeeping. (The per-address limit stays in each node's memory: README "For SREs".)

CREATE TABLE sign_in_throttles (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  kind          smallint NOT NULL,
  failures      integer NOT NULL DEFAULT 0,
  last_failure  bigint NOT NULL DEFAULT 0,   -- unix seconds
  locked_until  bigint NOT NULL DEFAULT 0,   -- unix seconds, 0: not locked
  PRIMARY KEY (candidate_id, kind)
);
