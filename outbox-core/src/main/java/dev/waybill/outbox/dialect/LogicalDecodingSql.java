package dev.waybill.outbox.dialect;

import dev.waybill.outbox.jdbc.InvalidIdentifierException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * PostgreSQL logical decoding SQL used by the outbox writer's message mode and by the CDC relay
 * ({@code relay.mode=cdc}): prerequisite checks, replication slots ({@code pgoutput}),
 * publications, emitted messages and lag figures. Slot names, prefixes and payloads are bound as
 * parameters; publication and table names are validated {@link SqlIdentifier}s. Obtain it with
 * {@link #of(Dialect)}. Thread-safe.
 */
public final class LogicalDecodingSql {
  static final LogicalDecodingSql INSTANCE = new LogicalDecodingSql();

  /** PostgreSQL's rule for replication slot names. */
  private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");

  private LogicalDecodingSql() {}

  /**
   * The logical decoding SQL of a dialect: present for PostgreSQL, empty for databases without
   * logical decoding.
   *
   * @param dialect any dialect
   * @return the logical decoding SQL, or empty when the database has none
   */
  public static java.util.Optional<LogicalDecodingSql> of(Dialect dialect) {
    return dialect instanceof PostgresDialect
        ? java.util.Optional.of(INSTANCE)
        : java.util.Optional.empty();
  }

  /**
   * Checks a replication slot name: lower-case letters, digits and underscores, at most 63.
   *
   * @param name the slot name to check
   * @param what the setting or argument it came from, for the error text
   * @return {@code name}, unchanged
   * @throws InvalidIdentifierException naming {@code what}, the value and the rule
   */
  public static String checkSlotName(String name, String what) {
    if (name == null || !SLOT.matcher(name).matches()) {
      throw new InvalidIdentifierException(
          what
              + " '"
              + name
              + "' is not a valid replication slot name: use 1 to 63 lower-case letters, digits"
              + " and underscores");
    }
    return name;
  }

  /**
   * One row: {@code wal_level}, {@code max_replication_slots}, {@code max_wal_senders}, whether the
   * current role may replicate (REPLICATION or superuser), slots in use, WAL senders in use, the
   * current role, the current database, the server version number.
   *
   * @return SQL text without parameters
   */
  public String prerequisitesSql() {
    return """
        SELECT current_setting('wal_level'),
               current_setting('max_replication_slots')::int,
               current_setting('max_wal_senders')::int,
               (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user),
               (SELECT count(*) FROM pg_replication_slots),
               (SELECT count(*) FROM pg_stat_replication),
               current_user,
               current_database(),
               current_setting('server_version_num')::int""";
  }

  /**
   * The slot's state; parameter: slot name. Columns: plugin, database, active, active_pid,
   * confirmed_flush_lsn (text), lag bytes (current WAL position − confirmed), retained bytes
   * (current WAL position − restart_lsn), the reader's flush lag in seconds (how old the newest
   * confirmed WAL is; null when caught up or inactive).
   *
   * @return SQL text with one {@code ?} parameter
   */
  public String slotSql() {
    return """
        SELECT s.plugin, s.database, s.active, s.active_pid, s.confirmed_flush_lsn::text,
               COALESCE((pg_current_wal_lsn() - s.confirmed_flush_lsn)::bigint, 0),
               COALESCE((pg_current_wal_lsn() - s.restart_lsn)::bigint, 0),
               (SELECT EXTRACT(EPOCH FROM r.flush_lag)::float8 FROM pg_stat_replication r
                WHERE r.pid = s.active_pid)
        FROM pg_replication_slots s WHERE s.slot_name = ?""";
  }

  /**
   * Creates a {@code pgoutput} slot; parameter: slot name. Returns its start position as text.
   *
   * @return SQL text with one {@code ?} parameter
   */
  public String createSlotSql() {
    return "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput')";
  }

  /**
   * Drops a slot (it must be inactive); parameter: slot name.
   *
   * @return SQL text with one {@code ?} parameter
   */
  public String dropSlotSql() {
    return "SELECT pg_drop_replication_slot(?)";
  }

  /**
   * The tables of a publication, schema-qualified; parameter: publication name.
   *
   * @return SQL text with one {@code ?} parameter
   */
  public String publicationTablesSql() {
    return """
        SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = ?""";
  }

  /**
   * Whether a publication exists (count); parameter: publication name.
   *
   * @return SQL text with one {@code ?} parameter
   */
  public String publicationExistsSql() {
    return "SELECT count(*) FROM pg_publication WHERE pubname = ?";
  }

  /**
   * {@code CREATE PUBLICATION name FOR TABLE t1, t2}: only inserts and deletes are published.
   *
   * @param publication the publication's validated name
   * @param tables the validated tables it covers, at least one
   * @return one DDL statement
   */
  public String createPublicationSql(SqlIdentifier publication, List<SqlIdentifier> tables) {
    return "CREATE PUBLICATION "
        + publication.name()
        + " FOR TABLE "
        + tables.stream().map(SqlIdentifier::sql).collect(Collectors.joining(", "))
        + " WITH (publish = 'insert, delete')";
  }

  /**
   * {@code ALTER PUBLICATION name ADD TABLE t}.
   *
   * @param publication the publication's validated name
   * @param table the validated table to add
   * @return one DDL statement
   */
  public String addTableToPublicationSql(SqlIdentifier publication, SqlIdentifier table) {
    return "ALTER PUBLICATION " + publication.name() + " ADD TABLE " + table.sql();
  }

  /**
   * Emits a transactional logical decoding message in the open transaction (delivered only if it
   * commits); parameters: prefix, content (bytes).
   *
   * @return SQL text with two {@code ?} parameters
   */
  public String emitMessageSql() {
    return "SELECT pg_logical_emit_message(true, ?, ?)";
  }

  /**
   * Emits a non-transactional message at once (the CDC relay's heartbeat); parameters: prefix,
   * content (text).
   *
   * @return SQL text with two {@code ?} parameters
   */
  public String emitHeartbeatSql() {
    return "SELECT pg_logical_emit_message(false, ?, ?)";
  }

  /**
   * Who may execute each overload of {@code pg_logical_emit_message}, one row per overload:
   * signature (e.g. {@code pg_logical_emit_message(boolean,text,bytea)}), whether PUBLIC (every
   * role) may, whether the current role may, and the content argument's type ({@code text} or
   * {@code bytea}).
   *
   * @return SQL text without parameters
   */
  public String emitFunctionPrivilegesSql() {
    return """
        SELECT p.oid::regprocedure::text, has_function_privilege('public', p.oid, 'EXECUTE'),
               has_function_privilege(p.oid, 'EXECUTE'), p.proargtypes[2]::regtype::text
        FROM pg_proc p
        WHERE p.proname = 'pg_logical_emit_message'
          AND p.pronamespace = 'pg_catalog'::regnamespace
        ORDER BY 1""";
  }

  /**
   * The current WAL write position as text.
   *
   * @return SQL text without parameters, selecting one row and column
   */
  public String currentLsnSql() {
    return "SELECT pg_current_wal_lsn()::text";
  }

  /**
   * Deletes outbox rows by {@code seq}; parameter: a {@code bigint[]} of seqs.
   *
   * @param outboxTable the outbox table's validated name
   * @return SQL text with one {@code ?} parameter
   */
  public String deleteRowsSql(SqlIdentifier outboxTable) {
    return "DELETE FROM " + outboxTable.sql() + " WHERE seq = ANY(?)";
  }

  @Override
  public String toString() {
    return "LogicalDecodingSql[postgresql]";
  }
}
