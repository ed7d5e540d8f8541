package dev.waybill.outbox.dialect;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * H2 2.x in PostgreSQL mode: DDL commits, no advisory locks (a lock row in the history table held
 * by a separate connection instead), native uuid.
 */
final class H2Dialect implements Dialect {
  static final H2Dialect INSTANCE = new H2Dialect();

  private H2Dialect() {}

  @Override
  public String name() {
    return "h2";
  }

  @Override
  public boolean transactionalDdl() {
    return false;
  }

  @Override
  public MigrationLock lockForMigration(
      Connection connection, SqlIdentifier historyTable, String lockName, Duration timeout)
      throws SQLException {
    // The lock is a row of the history table (version -1), locked FOR UPDATE by this connection's
    // open transaction until release. Creating the table and the row is idempotent.
    connection.setAutoCommit(true);
    try (Statement st = connection.createStatement()) {
      st.execute(createHistoryTableSql(historyTable));
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            "MERGE INTO "
                + historyTable.sql()
                + " (component, version, description, checksum, installed_by)"
                + " KEY (component, version) VALUES (?, -1, 'migration lock', '-', '-')")) {
      st.setString(1, lockName);
      st.execute();
    }
    connection.setAutoCommit(false);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT version FROM "
                  + historyTable.sql()
                  + " WHERE component = ? AND version = -1 FOR UPDATE")) {
        st.setString(1, lockName);
        st.executeQuery().close();
        break;
      } catch (SQLException e) {
        connection.rollback();
        if (System.nanoTime() > deadline) {
          throw new WaybillException(
              "schema migration lock '"
                  + lockName
                  + "' was not granted within "
                  + timeout
                  + ": another instance is migrating",
              e);
        }
        PostgresDialect.sleep(50);
      }
    }
    return () -> {
      connection.commit();
      connection.setAutoCommit(true);
    };
  }

  @Override
  public String timestampColumnType() {
    return "TIMESTAMP(6) WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP(6)";
  }

  // ---- relay (issue 3) ----

  @Override
  public String nowSql() {
    return "CURRENT_TIMESTAMP(6)";
  }

  @Override
  public String nowPlusMillisSql() {
    return "DATEADD(MILLISECOND, ?, CURRENT_TIMESTAMP(6))";
  }

  @Override
  public String insertIgnoringSuffix() {
    return " ON CONFLICT DO NOTHING";
  }

  @Override
  public String toString() {
    return "Dialect[h2]";
  }

  // ---- dlq-tools (issue 5) ----

  /** H2 2.x, like PostgreSQL: {@code GENERATED ALWAYS} identity, OVERRIDING SYSTEM VALUE. */
  @Override
  public String outboxRestoreDeadLetterSql(SqlIdentifier outbox, SqlIdentifier deadLetters) {
    return """
        INSERT INTO %s (seq, id, topic, msg_key, event_type, content_type, payload, headers,
                        traceparent, created_at, available_at)
        OVERRIDING SYSTEM VALUE
        SELECT seq, id, topic, msg_key, event_type, content_type, payload, headers,
               traceparent, created_at, available_at
        FROM %s WHERE seq = ?"""
        .formatted(outbox.sql(), deadLetters.sql());
  }
}
