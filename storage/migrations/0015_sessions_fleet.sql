-- Sessions are the fleet's truth (issue 17): every node caches them in memory and must learn,
-- within a second, what another node changed. Triggers announce it on the channel
-- zhiyuan_sessions (pg_notify is delivered at COMMIT, so a listener never hears of a change
-- that rolled back); a node that missed notifications (its listener was reconnecting) catches
-- up by reading recent revocations through the index below.
--   r<hex token hash>  a session was revoked (logout, password change, office reset)
--   p<candidate_id>    the candidate accepted the pledge
--   s<candidate_id>    the candidate set their passwords (first sign-in)
--   m<candidate_id>    a password hash changed: remembered save passwords are void

CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE FUNCTION notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('zhiyuan_sessions', 'r' || encode(NEW.token_hash, 'hex'));
  RETURN NULL;
END $$;

CREATE TRIGGER sessions_revoked_notify AFTER UPDATE OF revoked_at ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION notify_session_revoked();

CREATE FUNCTION notify_candidate_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.pledge_at IS NOT NULL AND OLD.pledge_at IS NULL THEN
    PERFORM pg_notify('zhiyuan_sessions', 'p' || NEW.candidate_id);
  END IF;
  IF OLD.must_set_passwords AND NOT NEW.must_set_passwords THEN
    PERFORM pg_notify('zhiyuan_sessions', 's' || NEW.candidate_id);
  END IF;
  IF NEW.save_hash IS DISTINCT FROM OLD.save_hash
      OR NEW.login_hash IS DISTINCT FROM OLD.login_hash THEN
    PERFORM pg_notify('zhiyuan_sessions', 'm' || NEW.candidate_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER candidates_account_notify
  AFTER UPDATE OF pledge_at, must_set_passwords, save_hash, login_hash ON candidates
  FOR EACH ROW EXECUTE FUNCTION notify_candidate_account();
