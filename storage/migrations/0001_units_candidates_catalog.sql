-- zhiyuan data model, part 1: the province, its candidates and the catalog.
-- Conventions: every candidate-owned table is keyed by candidate_id first, so it can be
-- distributed by that column (Citus) when one primary is not enough.
--
-- Enum encodings in the database (storage/ maps them to core's types; never reorder):
--   track      0 physics (物理), 1 history (历史)
--   category   0 regular (普通类), 1 arts (艺术类), 2 sports (体育类)
--   batch      0 early_undergrad (本科提前批), 1 undergrad (本科批),
--              2 early_vocational (专科提前批), 3 vocational (高职专科批)
--   subjects   bit set: 1 chemistry (化学), 2 biology (生物), 4 politics (思想政治), 8 geography (地理)
--   req_first  0 either, 1 physics, 2 history
--   req_second_kind 0 none, 1 one named subject, 2 both of two, 3 either of two
--   eligible   bit set over batches: bit (1 << batch); bit 16: passed the special-type line (特殊类型)

-- province › city (市州) › county (县市区) › school (报名点/中学).
-- lo/hi are the pre-order interval of the unit in the tree: x is inside u when
-- u.lo <= x.lo AND x.hi <= u.hi. They are rewritten whenever the tree is imported.
CREATE TABLE units (
  id          integer PRIMARY KEY,
  parent_id   integer REFERENCES units (id),
  level       smallint NOT NULL CHECK (level BETWEEN 0 AND 3),  -- 0 province .. 3 school
  code        text NOT NULL UNIQUE,
  name        text NOT NULL,
  lo          integer NOT NULL,
  hi          integer NOT NULL,
  CHECK ((level = 0) = (parent_id IS NULL)),
  CHECK (lo <= hi)
);
CREATE INDEX units_parent_idx ON units (parent_id);
CREATE INDEX units_interval_idx ON units (lo, hi);

-- One row per registered candidate (考生). The unit columns are denormalised from the
-- school so that jurisdiction predicates are a single equality.
CREATE TABLE candidates (
  candidate_id      bigint PRIMARY KEY,
  exam_no           char(14) NOT NULL UNIQUE CHECK (exam_no ~ '^[0-9]{14}$'),
  name              text NOT NULL,
  id_number         text NOT NULL,            -- never leaves the server unmasked
  school_id         integer NOT NULL REFERENCES units (id),
  county_id         integer NOT NULL REFERENCES units (id),
  city_id           integer NOT NULL REFERENCES units (id),
  category          smallint NOT NULL,        -- core::category
  track             smallint NOT NULL,        -- core::track (首选科目)
  electives         smallint NOT NULL,        -- core::subject bit set (再选科目)
  score             smallint,                 -- NULL: did not sit the exam
  rank              integer,                  -- within track, NULL with score
  eligible          smallint NOT NULL DEFAULT 0,  -- bit set of batches (上线)
  login_hash        text NOT NULL,            -- Argon2id, libsodium crypto_pwhash_str
  save_hash         text,                     -- NULL until the candidate sets it
  must_set_passwords boolean NOT NULL DEFAULT true,
  pledge_at         timestamptz,
  household_confirmed_at     timestamptz,
  physical_exam_confirmed_at timestamptz,
  phone             text,
  address           jsonb,
  version           bigint NOT NULL DEFAULT 0,  -- optimistic concurrency of profile writes
  is_test_data      boolean NOT NULL DEFAULT false,  -- cheap key derivation: never production
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX candidates_school_idx ON candidates (school_id);
CREATE INDEX candidates_county_idx ON candidates (county_id);
CREATE INDEX candidates_city_idx ON candidates (city_id);

CREATE TABLE colleges (
  code        text PRIMARY KEY,
  name        text NOT NULL,
  region      text NOT NULL,
  type        text NOT NULL
);

-- 院校专业组: the unit of choice. Every major in a group shares its subject requirement.
CREATE TABLE major_groups (
  group_id        integer PRIMARY KEY,
  college_code    text NOT NULL REFERENCES colleges (code),
  group_code      text NOT NULL,
  batch           smallint NOT NULL,        -- core::batch
  track           smallint NOT NULL,        -- core::track
  category        smallint NOT NULL,        -- core::category
  special_type    boolean NOT NULL DEFAULT false,  -- 特殊类型 slot of 本科批
  req_first       smallint NOT NULL,        -- physics | history | either
  req_second_kind smallint NOT NULL,        -- none | one | both | either_of_two
  req_subjects    smallint NOT NULL DEFAULT 0,  -- subject bit set named by the requirement
  plan_count      integer NOT NULL CHECK (plan_count >= 0),
  UNIQUE (college_code, group_code, batch, track)
);
CREATE INDEX major_groups_batch_idx ON major_groups (batch, track);

CREATE TABLE majors (
  group_id    integer NOT NULL REFERENCES major_groups (group_id),
  code        text NOT NULL,
  name        text NOT NULL,
  plan_count  integer NOT NULL CHECK (plan_count >= 0),
  years       smallint NOT NULL,
  tuition     integer NOT NULL,            -- yuan per year
  PRIMARY KEY (group_id, code)
);

-- Past minimum admission score and rank of a group (历年分数), keyed by this year's group.
CREATE TABLE historical_scores (
  group_id    integer NOT NULL REFERENCES major_groups (group_id),
  year        smallint NOT NULL,
  min_score   smallint NOT NULL,
  min_rank    integer NOT NULL,
  admitted    integer NOT NULL DEFAULT 0,
  PRIMARY KEY (group_id, year)
);

-- 一分一段: how many candidates of a track scored exactly `score`, and the rank range.
CREATE TABLE score_tables (
  year        smallint NOT NULL,
  track       smallint NOT NULL,
  score       smallint NOT NULL,
  count       integer NOT NULL,
  cumulative  integer NOT NULL,
  PRIMARY KEY (year, track, score)
);

-- Batch control lines (批次控制线) per year, batch, track and category.
CREATE TABLE control_lines (
  year        smallint NOT NULL,
  batch       smallint NOT NULL,
  track       smallint NOT NULL,
  category    smallint NOT NULL,
  score       smallint NOT NULL,
  PRIMARY KEY (year, batch, track, category)
);

-- Phase windows per batch (drill, assisted, formal, supplementary). The file in config/
-- is the default; rows here override it once an admin has changed the schedule.
CREATE TABLE schedule_windows (
  window_id   bigserial PRIMARY KEY,
  batch       smallint,                     -- NULL: applies to every batch (drill)
  phase       smallint NOT NULL,            -- core::phase
  opens_at    timestamptz NOT NULL,
  closes_at   timestamptz NOT NULL,
  CHECK (opens_at < closes_at)
);

-- Facts about the loaded data set (generator seed, sizes, test-data marking).
CREATE TABLE dataset_info (
  key         text PRIMARY KEY,
  value       text NOT NULL
);
