package dev.waybill.outbox.dialect;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** PostgreSQL 12+: transactional DDL, advisory locks, LISTEN/NOTIFY, native uuid. */
final class PostgresDialect implements Dialect {
  static final PostgresDialect INSTANCE = new PostgresDialect();

  private PostgresDialect() {}

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public boolean transactionalDdl() {
    return true;
  }

  @Override
  public boolean supportsArrayParameters() {
    return true;
  }

  @Override
  public boolean supportsNotify() {
    return true;
  }

  @Override
  public Optional<String> notifySql(SqlIdentifier channel) {
    return Optional.of("NOTIFY " + channel.name());
  }

  @Override
  public MigrationLock lockForMigration(
      Connection connection, SqlIdentifier historyTable, String lockName, Duration timeout)
      throws SQLException {
    long key = lockKey(historyTable.sql() + "/" + lockName);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (PreparedStatement st = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      st.setLong(1, key);
      while (true) {
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            break;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new WaybillException(
              "schema migration lock '"
                  + lockName
                  + "' (advisory lock "
                  + key
                  + ") was not granted within "
                  + timeout
                  + ": another instance is migrating or died holding it; check pg_locks");
        }
        sleep(50);
      }
    }
    return () -> {
      try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        st.setLong(1, key);
        st.execute();
      }
    };
  }

  /** A stable 64-bit advisory lock key from a name (FNV-1a). */
  static long lockKey(String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    return h;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaybillException("interrupted while waiting for the schema migration lock", e);
    }
  }

  @Override
  public String timestampColumnType() {
    return "TIMESTAMPTZ NOT NULL DEFAULT now()";
  }

  // ---- relay (issue 3) ----

  @Override
  public String nowSql() {
    return "clock_timestamp()";
  }

  @Override
  public String nowPlusMillisSql() {
    return "(clock_timestamp() + (? * INTERVAL '1 millisecond'))";
  }

  @Override
  public String insertIgnoringSuffix() {
    return " ON CONFLICT DO NOTHING";
  }

  @Override
  public String toString() {
    return "Dialect[postgresql]";
  }

  // ---- inbox (issue 4) ----

  /** One statement: the ids travel as one array parameter; returns those recorded now. */
  @Override
  public java.util.Set<String> inboxRecordAll(
      Connection connection, SqlIdentifier table, String consumerGroup, java.util.List<String> ids)
      throws SQLException {
    String sql =
        """
        INSERT INTO %s (consumer_group, message_id)
        SELECT ?, m FROM unnest(?::varchar[]) AS m
        ON CONFLICT DO NOTHING
        RETURNING message_id"""
            .formatted(table.sql());
    java.util.Set<String> fresh = new java.util.LinkedHashSet<>();
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      st.setString(1, consumerGroup);
      st.setArray(2, connection.createArrayOf("varchar", ids.toArray()));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          fresh.add(rs.getString(1));
        }
      }
    }
    return fresh;
  }

  /** Locks the doomed rows with SKIP LOCKED, so a running deletion never blocks a consumer. */
  @Override
  public String inboxDeleteExpiredSql(SqlIdentifier table, int limit) {
    return """
        WITH doomed AS (
            SELECT consumer_group, message_id FROM %1$s
            WHERE consumer_group = ? AND handled_at < ?
            LIMIT %2$d FOR UPDATE SKIP LOCKED)
        DELETE FROM %1$s AS i USING doomed d
        WHERE i.consumer_group = d.consumer_group AND i.message_id = d.message_id"""
        .formatted(table.sql(), limit);
  }

  // ---- dlq-tools ----

  /** {@code seq} is {@code GENERATED ALWAYS AS IDENTITY}: the original value needs OVERRIDING. */
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

  /**
   * The sort under the INSERT reads the whole DELETE before it writes a row, so every delete of the
   * release precedes its first insert in the WAL.
   */
  @Override
  public Optional<String> outboxReleaseDeadLettersSql(
      SqlIdentifier outbox, SqlIdentifier deadLetters) {
    return Optional.of(
        """
        WITH moved AS (
          DELETE FROM %2$s WHERE seq = ANY(?)
          RETURNING seq, id, topic, msg_key, event_type, content_type, payload, headers,
                    traceparent, created_at, available_at),
        restored AS (
          INSERT INTO %1$s (seq, id, topic, msg_key, event_type, content_type, payload, headers,
                            traceparent, created_at, available_at)
          OVERRIDING SYSTEM VALUE
          SELECT seq, id, topic, msg_key, event_type, content_type, payload, headers,
                 traceparent, created_at, available_at
          FROM moved WHERE seq = ANY(?) ORDER BY seq
          RETURNING seq)
        SELECT (SELECT COUNT(*) FROM moved), (SELECT COUNT(*) FROM restored)"""
            .formatted(outbox.sql(), deadLetters.sql()));
  }

  @Override
  public Optional<String> outboxDeadLetterFollowersSql(SqlIdentifier deadLetters) {
    return Optional.of(
        """
        SELECT f.seq FROM %1$s f JOIN %1$s h ON f.topic = h.topic AND f.msg_key = h.msg_key
        WHERE NOT f.parks_key AND f.error_class = ? AND h.parks_key AND h.seq = ANY(?)
        ORDER BY f.seq"""
            .formatted(deadLetters.sql()));
  }
}
