package dev.waybill.outbox.dialect;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

/**
 * MySQL 8 and MariaDB 10.6+: DDL commits, {@code GET_LOCK} for migrations, ids as {@code CHAR(36)},
 * times as UTC {@code DATETIME(6)}.
 */
final class MySqlDialect implements Dialect {
  static final MySqlDialect INSTANCE = new MySqlDialect();

  private MySqlDialect() {}

  @Override
  public String name() {
    return "mysql";
  }

  @Override
  public boolean transactionalDdl() {
    return false;
  }

  @Override
  public MigrationLock lockForMigration(
      Connection connection, SqlIdentifier historyTable, String lockName, Duration timeout)
      throws SQLException {
    // GET_LOCK names are server-wide: qualify by the history table so schemas do not collide
    String name = "waybill:" + historyTable.sql() + ":" + lockName;
    if (name.length() > 64) {
      name = name.substring(0, 64);
    }
    try (PreparedStatement st = connection.prepareStatement("SELECT GET_LOCK(?, ?)")) {
      st.setString(1, name);
      st.setLong(2, Math.max(1, timeout.toSeconds()));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        if (rs.getInt(1) != 1) {
          throw new WaybillException(
              "schema migration lock '"
                  + name
                  + "' was not granted within "
                  + timeout
                  + ": another instance is migrating; check SELECT IS_USED_LOCK('"
                  + name
                  + "')");
        }
      }
    }
    String held = name;
    return () -> {
      try (PreparedStatement st = connection.prepareStatement("SELECT RELEASE_LOCK(?)")) {
        st.setString(1, held);
        st.execute();
      }
    };
  }

  @Override
  public void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
    statement.setString(index, value.toString());
  }

  @Override
  public UUID getUuid(ResultSet rs, String column) throws SQLException {
    String s = rs.getString(column);
    return s == null ? null : UUID.fromString(s);
  }

  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.TIMESTAMP);
    } else {
      statement.setObject(index, LocalDateTime.ofInstant(value, ZoneOffset.UTC));
    }
  }

  @Override
  public Optional<Instant> getInstant(ResultSet rs, String column) throws SQLException {
    return Optional.ofNullable(rs.getObject(column, LocalDateTime.class))
        .map(t -> t.toInstant(ZoneOffset.UTC));
  }

  @Override
  public String timestampColumnType() {
    return "DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6))";
  }

  @Override
  public String tableOptions() {
    return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  }

  // ---- relay (issue 3) ----

  @Override
  public String nowSql() {
    return "UTC_TIMESTAMP(6)";
  }

  @Override
  public String nowPlusMillisSql() {
    return "DATE_ADD(UTC_TIMESTAMP(6), INTERVAL (? * 1000) MICROSECOND)";
  }

  @Override
  public String insertIgnoringVerb() {
    return "INSERT IGNORE INTO";
  }

  @Override
  public String toString() {
    return "Dialect[mysql]";
  }

  // ---- inbox (issue 4) ----

  /**
   * A plain {@code INSERT}: {@code INSERT IGNORE} would also turn a value too long for the column,
   * a failed {@code CHECK} or a bad character into a warning and a truncated or skipped row (a
   * skipped row reads as a duplicate, and the message is dropped). A duplicate is error 1062
   * instead, which InnoDB rolls back alone, leaving the transaction open; {@link
   * #inboxInsertIfAbsent} reads it as "recorded before".
   */
  @Override
  public String inboxInsertIfAbsentSql(SqlIdentifier table) {
    return """
        INSERT INTO %s (consumer_group, message_id) VALUES (?, ?)"""
        .formatted(table.sql());
  }

  @Override
  public boolean inboxInsertIfAbsent(
      Connection connection, SqlIdentifier table, String consumerGroup, String id)
      throws SQLException {
    try {
      return Dialect.super.inboxInsertIfAbsent(connection, table, consumerGroup, id);
    } catch (SQLException e) {
      if (e.getErrorCode() == ER_DUP_ENTRY) {
        return false;
      }
      throw e;
    }
  }

  /** MySQL's and MariaDB's error code of a duplicate key. */
  private static final int ER_DUP_ENTRY = 1062;

  @Override
  public String inboxDeleteExpiredSql(SqlIdentifier table, int limit) {
    return """
        DELETE FROM %s
        WHERE consumer_group = ? AND handled_at < ?
        ORDER BY handled_at
        LIMIT %d"""
        .formatted(table.sql(), limit);
  }

  /** Not {@code INSERT IGNORE}, which would truncate a value too long instead of refusing it. */
  @Override
  public String inboxParkSql(SqlIdentifier parkedTable) {
    return """
        INSERT INTO %s (consumer_group, topic, key_hash, msg_key, message_id)
        VALUES (?, ?, ?, ?, ?)
        ON DUPLICATE KEY UPDATE consumer_group = consumer_group"""
        .formatted(parkedTable.sql());
  }
}
