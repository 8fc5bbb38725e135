-- The server's own database role. Migrations run as the owner of the schema; the server then
-- works as zhiyuan_app (database.app_role: it connects with "role=zhiyuan_app"), which may read
-- and write rows but owns nothing: it cannot alter or drop a table, disable a trigger, or
-- change or delete a row of audit_log, which stays append-only for the application even if the
-- trigger of migration 0003 were gone.

-- Roles belong to the cluster, shared by its databases (tests migrate several at once).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zhiyuan_app') THEN
    CREATE ROLE zhiyuan_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;  -- created meanwhile by another database's migration
END $$;

-- The migrating role may become zhiyuan_app (a superuser may anyway).
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'zhiyuan_app', 'MEMBER') THEN
    EXECUTE format('GRANT zhiyuan_app TO %I', current_user);
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO zhiyuan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO zhiyuan_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO zhiyuan_app;
-- Tables and sequences of later migrations get the same.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO zhiyuan_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO zhiyuan_app;

-- The audit log: read and appended, never changed.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM zhiyuan_app;
-- The record of migrations is the owner's.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM zhiyuan_app;
