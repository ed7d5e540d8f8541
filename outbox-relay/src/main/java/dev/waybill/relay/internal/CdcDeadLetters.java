package dev.waybill.relay.internal;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.outbox.wire.OutboxDeadLetterRows;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The CDC relay's writes: dead letters and parked followers written from decoded messages (there
 * may be no outbox row to move), and the deletion of published rows that are still in the table.
 *
 * <p>A message read from the WAL behind a parked key cannot "stay in the outbox" as it does with
 * the polling relay: in message mode and insert-then-delete mode there is no row. So it is written
 * to the dead-letter table as a <em>follower</em>: {@code parks_key = FALSE}, {@code error_class}
 * {@value #FOLLOWER}. Retrying the parked dead letter releases it together with its followers, in
 * {@code seq} order (docs/cdc.md). Not API.
 */
public final class CdcDeadLetters {
  /** The {@code error_class} of a message waiting behind a parked key. */
  public static final String FOLLOWER = OutboxDeadLetterRows.FOLLOWER;

  /**
   * Dead letters written by the CDC relay get {@code seq = MESSAGE_SEQ_BASE + LSN} (the WAL
   * position of the insert or message), so their {@code seq} order is WAL order and never collides
   * with a polling relay's row seqs.
   */
  public static final long MESSAGE_SEQ_BASE = 1L << 62;

  private final DataSource dataSource;
  private final String insertSql;
  private final String deleteRowSql;
  private final String parkedSql;

  /**
   * @param dataSource database
   * @param dialect PostgreSQL
   * @param tables table names
   */
  public CdcDeadLetters(DataSource dataSource, Dialect dialect, TableNames tables) {
    this.dataSource = dataSource;
    this.insertSql =
        dialect.insertIgnoringDuplicatesSql(
            tables.deadLetterTable(),
            "seq",
            "id",
            "topic",
            "msg_key",
            "event_type",
            "content_type",
            "payload",
            "headers",
            "traceparent",
            "created_at",
            "available_at",
            "attempts",
            "error_class",
            "error_message",
            "parks_key",
            "relay_instance");
    this.deleteRowSql = "DELETE FROM " + tables.outboxTable().sql() + " WHERE seq = ?";
    this.parkedSql =
        "SELECT seq, topic, msg_key FROM "
            + tables.deadLetterTable().sql()
            + " WHERE parks_key = TRUE AND msg_key IS NOT NULL";
  }

  /**
   * Writes a dead letter or follower (ignored when that seq is there already, so a re-read after a
   * restart is harmless) and removes the outbox row if it still exists, in one transaction.
   */
  public void write(
      OutboxRow row,
      long outboxSeq,
      Instant availableAt,
      int attempts,
      String errorClass,
      String errorMessage,
      boolean parksKey,
      String instance,
      Dialect dialect)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement st = c.prepareStatement(insertSql)) {
          st.setLong(1, row.seq());
          dialect.setUuid(st, 2, row.id());
          st.setString(3, cut(row.topic(), 249));
          st.setString(4, row.key());
          st.setString(5, cut(row.eventType(), 255));
          st.setString(6, cut(row.contentType(), 255));
          st.setBytes(7, row.payload());
          st.setString(8, row.headers());
          st.setString(9, row.traceparent());
          dialect.setInstant(st, 10, row.createdAt());
          dialect.setInstant(st, 11, availableAt);
          st.setInt(12, attempts);
          st.setString(13, cut(errorClass, 255));
          st.setString(14, cut(errorMessage == null ? "(no message)" : errorMessage, 2000));
          st.setBoolean(15, parksKey && row.key() != null);
          st.setString(16, cut(instance, 255));
          st.executeUpdate();
        }
        if (outboxSeq >= 0) {
          try (PreparedStatement st = c.prepareStatement(deleteRowSql)) {
            st.setLong(1, outboxSeq);
            st.executeUpdate();
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  /** The parked keys now: ordering key (topic NUL key) → seq of the parking dead letter. */
  public Map<String, Long> parkedKeys() throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(parkedSql)) {
      while (rs.next()) {
        out.put(rs.getString(2) + '\u0000' + rs.getString(3), rs.getLong(1));
      }
    }
    return out;
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
