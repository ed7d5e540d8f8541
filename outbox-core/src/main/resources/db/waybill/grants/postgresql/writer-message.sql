-- The application's writer, outbox.write.mode=message. Run as a superuser, in the application's
-- database (function privileges are per database). By default every role may execute
-- pg_logical_emit_message: without the REVOKE any role that can connect can publish through the
-- CDC relay. On PostgreSQL 17 and later the functions have a fourth argument: write
-- pg_logical_emit_message(boolean, text, bytea, boolean) and (boolean, text, text, boolean).
REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, bytea) TO app_writer;
