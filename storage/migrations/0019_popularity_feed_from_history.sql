-- The popularity feed reads the history instead (issue 19): the index of migration 0017 on
-- applications.committed_at made every resubmission's UPDATE of its applications row a non-HOT
-- update (committed_at changes each time), undoing the fillfactor of migration 0011: a new
-- heap tuple plus entries in both indexes per submission. application_history is append-only
-- and already indexed on (batch, committed_at) for formal rows (migration 0007).
DROP INDEX applications_committed_idx;
