-- The sign-in abuse model (issue 21, docs/sign-in-abuse.md, core/sign_in_guard.hpp), shared by
-- the fleet. Failures now count per (account, kind of password, client address) pair first;
-- sign_in_throttles (0016) keeps each account's account-wide lock, taken only once many
-- addresses failed on it (its `failures` is now the number of failing addresses the last
-- decision saw). Each client address has a failure budget across accounts (a token bucket),
-- so credential stuffing from one address is throttled fleet-wide. A decision locks the
-- account's row, then the address's row (always in that order: no deadlock). Rows with
-- nothing left to say are purged by the nodes' housekeeping.

CREATE TABLE sign_in_pairs (
  candidate_id  bigint NOT NULL REFERENCES candidates (candidate_id),
  kind          smallint NOT NULL,
  address       text NOT NULL,
  failures      integer NOT NULL,
  last_failure  bigint NOT NULL,             -- unix seconds
  locked_until  bigint NOT NULL DEFAULT 0,   -- unix seconds, 0: not locked
  PRIMARY KEY (candidate_id, kind, address)
);

CREATE TABLE sign_in_addresses (
  address     text PRIMARY KEY,
  tokens      double precision NOT NULL DEFAULT -1,  -- -1: a new bucket (starts full)
  updated_us  bigint NOT NULL DEFAULT 0              -- unix microseconds
);
