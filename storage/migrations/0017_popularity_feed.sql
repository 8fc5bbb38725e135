-- Popularity counts every node's submissions (issue 17): each node reads the formal choices
-- committed since its last look, every few seconds, through this index.
CREATE INDEX applications_committed_idx ON applications (committed_at) WHERE NOT drill;
