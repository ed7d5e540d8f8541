-- migrate (SchemaMigrator, outbox-relay.jar migrate): creates the tables, so it owns them.
-- Run as the database owner or a superuser; schema_admin is the role that runs migrate.
GRANT CREATE ON SCHEMA public TO schema_admin;
