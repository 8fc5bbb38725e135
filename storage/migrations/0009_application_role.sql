-- The server's own database role. Migrations run as the owner of the schema; the server then
-- signs in as zhiyuan_app (database.app_role, or database.app_url), which may read and write
-- rows but owns nothing and is a member of no other role: it cannot alter or drop a table,
-- disable a trigger, take another role, or change or delete a row of audit_log, which stays
-- append-only for the application even if the trigger of migration 0003 were gone.
--
-- Roles belong to the cluster and are shared by its databases; creating one needs CREATEROLE
-- (the embedded cluster's postgres has it). An administrator may create the role beforehand
-- (with a password, for an external server) and give the server database.app_url.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zhiyuan_app') THEN
    CREATE ROLE zhiyuan_app LOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;  -- created meanwhile by another database's migration (tests migrate several at once)
END $$;

GRANT USAGE ON SCHEMA public TO zhiyuan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO zhiyuan_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO zhiyuan_app;
-- Tables and sequences of later migrations (run by the same owner) get the same.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO zhiyuan_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO zhiyuan_app;

-- The audit log: read and appended, never changed.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM zhiyuan_app;
-- The record of migrations is the owner's.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM zhiyuan_app;
