-- migrate (SchemaMigrator, outbox-relay.jar migrate). Run in the application's database (ON *
-- means the current database): it creates the tables and records the versions it applied.
GRANT CREATE, ALTER, INDEX, SELECT, INSERT ON * TO 'schema_admin'@'%';
