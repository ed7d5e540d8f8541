package dev.waybill.dlq.internal;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.SqlStates;
import dev.waybill.outbox.jdbc.Transactions;
import dev.waybill.outbox.schema.MigrationException;
import dev.waybill.outbox.schema.SchemaCheck;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.outbox.wire.OutboxDeadLetterRows;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * The relay's dead-letter table ({@code waybill_outbox_dead_letter}) seen from the DLQ tool: list,
 * retry (back into the outbox at the original {@code seq}, in one transaction with the removal of
 * the dead-letter row, which releases a parked key), discard. Not API.
 */
public final class OutboxDeadLetterStore {
  private final DataSource dataSource;
  private final Dialect dialect;
  private final String outbox;
  private final String deadLetters;
  private final TableNames tables;

  /**
   * A store over tables whose structure was checked: the dead-letter and outbox tables have every
   * column and index the tool uses, however they were created (Waybill's migrator, Flyway,
   * Liquibase).
   *
   * @param dataSource the application database
   * @param dialect its dialect
   * @param tables Waybill's table names
   * @throws WaybillException naming every missing table, column or index and the script to apply
   */
  public static OutboxDeadLetterStore open(
      DataSource dataSource, Dialect dialect, TableNames tables) {
    try {
      SchemaCheck.verify(
          dataSource,
          dialect,
          tables,
          SchemaComponent.outbox(),
          List.of(tables.outboxTable(), tables.deadLetterTable()));
    } catch (MigrationException e) {
      throw new WaybillException(
          "cannot check the relay's dead-letter table: "
              + e.getMessage()
              + "; is the outbox schema applied? Run: outbox-relay migrate",
          e);
    }
    return new OutboxDeadLetterStore(dataSource, dialect, tables);
  }

  /**
   * @param dataSource the application database
   * @param dialect its dialect
   * @param tables Waybill's table names
   */
  public OutboxDeadLetterStore(DataSource dataSource, Dialect dialect, TableNames tables) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.tables = tables;
    this.outbox = tables.outboxTable().sql();
    this.deadLetters = tables.deadLetterTable().sql();
  }

  /**
   * One dead-lettered outbox message.
   *
   * @param seq its original write position
   * @param id message id
   * @param topic topic
   * @param key key, or null
   * @param eventType event type
   * @param attempts failed attempts
   * @param errorClass error class
   * @param errorMessage error message
   * @param failedAt when it was dead-lettered
   * @param parksKey whether later messages of its key wait for it
   * @param waiting how many outbox messages of its topic and key wait behind it
   * @param relay the relay that dead-lettered it
   */
  public record Row(
      long seq,
      String id,
      String topic,
      String key,
      String eventType,
      int attempts,
      String errorClass,
      String errorMessage,
      Instant failedAt,
      boolean parksKey,
      long waiting,
      String relay) {}

  /** The dead letters of a topic (null: all) and key (null: all), by seq. */
  public List<Row> list(String topic, String key, int limit) {
    String sql =
        "SELECT d.seq, d.id, d.topic, d.msg_key, d.event_type, d.attempts, d.error_class,"
            + " d.error_message, d.failed_at, d.parks_key, d.relay_instance, (SELECT COUNT(*) FROM "
            + outbox
            + " o WHERE o.topic = d.topic AND o.msg_key = d.msg_key AND o.seq > d.seq) AS waiting"
            + " FROM "
            + deadLetters
            + " d WHERE 1 = 1"
            + (topic == null ? "" : " AND d.topic = ?")
            + (key == null ? "" : " AND d.msg_key = ?")
            + " ORDER BY d.seq LIMIT "
            + Math.max(1, limit);
    List<Row> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      int i = 1;
      if (topic != null) {
        st.setString(i++, topic);
      }
      if (key != null) {
        st.setString(i, key);
      }
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Row(
                  rs.getLong("seq"),
                  String.valueOf(dialect.getUuid(rs, "id")),
                  rs.getString("topic"),
                  rs.getString("msg_key"),
                  rs.getString("event_type"),
                  rs.getInt("attempts"),
                  rs.getString("error_class"),
                  rs.getString("error_message"),
                  dialect.getInstant(rs, "failed_at").orElse(Instant.EPOCH),
                  rs.getBoolean("parks_key"),
                  rs.getLong("waiting"),
                  rs.getString("relay_instance")));
        }
      }
    } catch (SQLException e) {
      throw tablesMissing(e);
    }
    return out;
  }

  /**
   * Puts dead letters back into the outbox at their original seq and deletes them from the
   * dead-letter table, all in one transaction: the relay then publishes each before the messages of
   * its key that waited behind it.
   *
   * @param beforeCommit runs inside the transaction once the rows are changed, with the seqs (the
   *     audit entry is written there, so nothing is committed unaudited); when it throws, the
   *     transaction is rolled back
   * @return the seqs retried
   * @throws UsageException naming the seqs that are not in the dead-letter table (nothing changed)
   */
  public List<Long> retry(List<Long> seqs, Consumer<List<Long>> beforeCommit) {
    return move(seqs, true, beforeCommit);
  }

  /**
   * Deletes dead letters for good, in one transaction; later messages of their keys flow again.
   *
   * @param beforeCommit as in {@link #retry}
   * @return the seqs discarded
   * @throws UsageException naming the seqs that are not in the dead-letter table (nothing changed)
   */
  public List<Long> discard(List<Long> seqs, Consumer<List<Long>> beforeCommit) {
    return move(seqs, false, beforeCommit);
  }

  /**
   * What {@link #retry} would do, checked by doing it in a transaction that is rolled back: the
   * same missing seqs and seq conflicts fail it, and nothing changes.
   *
   * @return the seqs that would be retried
   * @throws UsageException as {@link #retry} would
   */
  public List<Long> retryDryRun(List<Long> seqs) {
    return dryRun(seqs, true);
  }

  /**
   * What {@link #discard} would do, checked as {@link #retryDryRun} checks.
   *
   * @return the seqs that would be discarded
   * @throws UsageException as {@link #discard} would
   */
  public List<Long> discardDryRun(List<Long> seqs) {
    return dryRun(seqs, false);
  }

  private List<Long> dryRun(List<Long> seqs, boolean restore) {
    try {
      move(
          seqs,
          restore,
          done -> {
            throw new RolledBack(done);
          });
      throw new IllegalStateException("a dry run was not rolled back");
    } catch (RolledBack r) {
      return r.seqs;
    }
  }

  /** Rolls a dry run's transaction back, carrying what it would have changed. */
  private static final class RolledBack extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<Long> seqs;

    RolledBack(List<Long> seqs) {
      super("dry run", null, false, false);
      this.seqs = List.copyOf(seqs);
    }
  }

  private List<Long> move(List<Long> seqs, boolean restore, Consumer<List<Long>> beforeCommit) {
    List<Long> sorted = new ArrayList<>(new TreeSet<>(seqs));
    Optional<String> release =
        dialect.outboxReleaseDeadLettersSql(tables.outboxTable(), tables.deadLetterTable());
    try {
      return Transactions.inTransaction(
          dataSource,
          c -> {
            List<Long> changed =
                release.isPresent()
                    ? releaseWithFollowers(c, release.get(), sorted, restore)
                    : moveEach(c, sorted, restore);
            beforeCommit.accept(changed);
            return sorted;
          });
    } catch (WaybillException e) {
      if (e.getCause() instanceof SQLException s) {
        throw new WaybillException(
            "cannot "
                + (restore ? "retry" : "discard")
                + " dead letters "
                + sorted
                + " ("
                + s.getMessage()
                + "); nothing was changed"
                + (restore
                    ? ": a message with the same seq may already be in the outbox table"
                    : ""),
            s);
      }
      throw e;
    }
  }

  /** One row at a time: restore (when asked) and delete; returns the seqs changed. */
  private List<Long> moveEach(Connection c, List<Long> sorted, boolean restore)
      throws SQLException {
    List<Long> missing = new ArrayList<>();
    try (PreparedStatement ins =
            c.prepareStatement(
                dialect.outboxRestoreDeadLetterSql(
                    tables.outboxTable(), tables.deadLetterTable()));
        PreparedStatement del =
            c.prepareStatement("DELETE FROM " + deadLetters + " WHERE seq = ?")) {
      for (long seq : sorted) {
        if (restore) {
          ins.setLong(1, seq);
          if (ins.executeUpdate() != 1) {
            missing.add(seq);
            continue;
          }
        }
        del.setLong(1, seq);
        if (del.executeUpdate() != 1 && !restore) {
          missing.add(seq);
        }
      }
    }
    if (!missing.isEmpty()) {
      throw notDeadLetters(missing);
    }
    return sorted;
  }

  /**
   * Where a CDC relay may have written followers (PostgreSQL): the named dead letters and the
   * followers of those that park their key leave the dead-letter table in one statement, and the
   * followers (with the named ones, for a retry) go back into the outbox in seq order after every
   * delete, so the relay unparks the key before it reads them. A discard therefore drops only the
   * named messages; the messages waiting behind them flow again. Returns the seqs changed.
   */
  private List<Long> releaseWithFollowers(
      Connection c, String release, List<Long> named, boolean restore) throws SQLException {
    List<Long> present = new ArrayList<>();
    try (PreparedStatement st =
        c.prepareStatement("SELECT seq FROM " + deadLetters + " WHERE seq = ANY(?) ORDER BY seq")) {
      st.setArray(1, c.createArrayOf("bigint", named.toArray()));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          present.add(rs.getLong(1));
        }
      }
    }
    List<Long> missing = new ArrayList<>(named);
    missing.removeAll(present);
    if (!missing.isEmpty()) {
      throw notDeadLetters(missing);
    }
    TreeSet<Long> followers = new TreeSet<>();
    try (PreparedStatement st =
        c.prepareStatement(
            dialect.outboxDeadLetterFollowersSql(tables.deadLetterTable()).orElseThrow())) {
      st.setString(1, OutboxDeadLetterRows.FOLLOWER);
      st.setArray(2, c.createArrayOf("bigint", named.toArray()));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          followers.add(rs.getLong(1));
        }
      }
    }
    TreeSet<Long> leaving = new TreeSet<>(named);
    leaving.addAll(followers);
    TreeSet<Long> back = new TreeSet<>(followers);
    if (restore) {
      back.addAll(named);
    }
    try (PreparedStatement st = c.prepareStatement(release)) {
      st.setArray(1, c.createArrayOf("bigint", leaving.toArray()));
      st.setArray(2, c.createArrayOf("bigint", back.toArray()));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        // rows another operator released between the look-up and here (no row lock: the tool's
        // role needs no UPDATE on the dead-letter table): the transaction is rolled back
        if (rs.getLong(1) != leaving.size() || rs.getLong(2) != back.size()) {
          throw notDeadLetters(named);
        }
      }
    }
    return new ArrayList<>(leaving);
  }

  private UsageException notDeadLetters(List<Long> missing) {
    return new UsageException(
        missing
            + " → SEQ → not in the dead-letter table "
            + deadLetters
            + " (retried or discarded already?); nothing was changed: run 'outbox list'"
            + " and give existing seqs");
  }

  private static WaybillException tablesMissing(SQLException e) {
    return new WaybillException(
        "cannot read the relay's dead-letter table ("
            + e.getMessage()
            + (SqlStates.undefinedTable(e)
                ? "); is the outbox schema applied? Run: outbox-relay migrate"
                : ")"),
        e);
  }
}
