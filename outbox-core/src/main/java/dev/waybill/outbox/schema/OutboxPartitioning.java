package dev.waybill.outbox.schema;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.dialect.UnsupportedDatabaseException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the PostgreSQL outbox table into list partitions by shard group, so that relays which each
 * own a part of the shards read only their own partitions instead of walking past the other relays'
 * rows. A row's partition is its routing value (the {@code shard} column, or {@code seq} for a row
 * without a key: what the relay's shard of the row is computed from) modulo the partition count, so
 * with a partition count that divides {@code relay.shards} every relay shard lies in exactly one
 * partition. The table keeps its name, its columns and its contract (a row that sets only topic,
 * key, type and payload is still a complete message); each partition has its own primary key on
 * {@code seq}, and the identity sequence goes on where it was.
 *
 * <pre>{@code
 * OutboxPartitioning.partition(dataSource, TableNames.defaults(), 8);
 * }</pre>
 *
 * <p>PostgreSQL only. Stateless; thread-safe.
 */
public final class OutboxPartitioning {
  /** The largest partition count: the default {@code relay.shards}. */
  public static final int MAX_PARTITIONS = 64;

  private static final Logger LOG = LoggerFactory.getLogger(OutboxPartitioning.class);
  private static final String LOCK_NAME = "partition";

  private OutboxPartitioning() {}

  /**
   * What {@link #partition} did.
   *
   * @param partitionsBefore the partitions the table had (0: it was a plain table)
   * @param partitions the partitions it has now
   * @param rowsMoved the rows copied into the new partitions (0 when nothing changed)
   */
  public record Result(int partitionsBefore, int partitions, long rowsMoved) {
    /** Whether the table was already partitioned this way, so nothing was done. */
    public boolean unchanged() {
      return partitionsBefore == partitions;
    }
  }

  /**
   * The partition key expression, as spliced into the table definition and into the relay's claims
   * (the two must be written alike for PostgreSQL to skip the other partitions).
   *
   * @param alias a table alias with its dot ({@code "o."}), or {@code ""}
   * @param partitions the partition count
   * @return the expression, in parentheses
   */
  public static String keySql(String alias, int partitions) {
    checkCount(partitions);
    if (!alias.isEmpty() && !alias.matches("[a-z]\\.")) {
      throw new IllegalArgumentException("alias must be a letter and a dot, not '" + alias + "'");
    }
    return "(COALESCE(hashtext("
        + alias
        + "msg_key) & 1023, "
        + alias
        + "seq) % "
        + partitions
        + ")";
  }

  /**
   * The number of partitions the outbox table has, 0 when it is not partitioned (always 0 on
   * databases other than PostgreSQL).
   *
   * @param connection a connection to the database
   * @param dialect its dialect
   * @param outbox the outbox table
   * @return the partition count, or 0
   * @throws WaybillException when the table is partitioned, but not the way this class does it (the
   *     relay could not tell which rows a partition holds)
   */
  public static int partitions(Connection connection, Dialect dialect, SqlIdentifier outbox)
      throws SQLException {
    if (dialect != Dialect.postgres()) {
      return 0;
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT pg_get_partkeydef(c.oid),"
                + " (SELECT COUNT(*) FROM pg_inherits i WHERE i.inhparent = c.oid)"
                + " FROM pg_class c WHERE c.oid = to_regclass(?) AND c.relkind = 'p'")) {
      st.setString(1, outbox.sql());
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return 0;
        }
        String key = rs.getString(1);
        int count = rs.getInt(2);
        String expected = "% (" + count + ")::bigint)))";
        if (!key.startsWith("LIST (((COALESCE(((hashtext((msg_key)::text) & 1023))::bigint, seq)")
            || !key.endsWith(expected)) {
          throw new WaybillException(
              "the outbox table "
                  + outbox
                  + " is partitioned by "
                  + key
                  + ", which the relay does not know. Partition it with"
                  + " OutboxPartitioning.partition (java -jar outbox-relay.jar migrate"
                  + " --partitions N) or use a plain table.");
        }
        return count;
      }
    }
  }

  /**
   * Turns the outbox table into {@code partitions} list partitions by shard group, keeping every
   * row (same {@code seq}, id and contents) and the identity sequence's position. Runs in one
   * transaction that holds an exclusive lock on the table: writers and relays wait until it
   * commits. Run it with the relays stopped and restart them afterwards; they find the partitions
   * when they start. Privileges granted on the table are not carried over.
   *
   * @param dataSource the database, with the outbox schema applied
   * @param tables the table names
   * @param partitions a power of two from 2 to {@value #MAX_PARTITIONS}, so that it divides {@code
   *     relay.shards}
   * @return what was found and done; nothing is done when the table already has that many
   * @throws UnsupportedDatabaseException on databases other than PostgreSQL
   * @throws IllegalArgumentException for another partition count
   * @throws WaybillException when a statement fails (nothing is changed then)
   */
  public static Result partition(DataSource dataSource, TableNames tables, int partitions) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(tables, "tables");
    checkCount(partitions);
    SqlIdentifier outbox = tables.outboxTable();
    try (Connection c = dataSource.getConnection()) {
      Dialect dialect = Dialect.of(c);
      if (dialect != Dialect.postgres()) {
        throw new UnsupportedDatabaseException(
            "outbox partitions are a PostgreSQL feature; this database is "
                + dialect.name()
                + ". Keep the plain outbox table there.");
      }
      c.setAutoCommit(false);
      try {
        Result r = partition(c, outbox, partitions);
        c.commit();
        if (!r.unchanged()) {
          LOG.info(
              "outbox table {}: {} partitions (was {}), {} rows moved",
              outbox,
              r.partitions(),
              r.partitionsBefore(),
              r.rowsMoved());
        }
        return r;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new WaybillException(
          "could not partition the outbox table "
              + outbox
              + " (nothing was changed): "
              + e.getMessage(),
          e);
    }
  }

  private static Result partition(Connection c, SqlIdentifier outbox, int partitions)
      throws SQLException {
    String table = outbox.sql();
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_xact_lock(hashtext('waybill " + LOCK_NAME + "'))");
      st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
    }
    int before = partitions(c, Dialect.postgres(), outbox);
    if (before == partitions) {
      return new Result(before, partitions, 0);
    }
    String name = outbox.name();
    SqlIdentifier fresh = name(outbox, name + "_new");
    String columns =
        "seq, id, topic, msg_key, event_type, content_type, payload, headers, traceparent,"
            + " created_at, available_at";
    long moved;
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE "
              + fresh.sql()
              + " (LIKE "
              + table
              + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY)"
              + " PARTITION BY LIST ("
              + keySql("", partitions)
              + ")");
      for (int i = 0; i < partitions; i++) {
        st.execute(
            "CREATE TABLE "
                + name(outbox, name + "_new_p" + i).sql()
                + " PARTITION OF "
                + fresh.sql()
                + " (PRIMARY KEY (seq)) FOR VALUES IN ("
                + i
                + ")");
      }
      moved =
          st.executeUpdate(
              "INSERT INTO "
                  + fresh.sql()
                  + " ("
                  + columns
                  + ") OVERRIDING SYSTEM VALUE SELECT "
                  + columns
                  + " FROM "
                  + table);
    }
    continueSequence(c, table, fresh.sql());
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE " + table);
      st.execute("ALTER TABLE " + fresh.sql() + " RENAME TO " + quoted(name));
      for (int i = 0; i < partitions; i++) {
        st.execute(
            "ALTER TABLE "
                + name(outbox, name + "_new_p" + i).sql()
                + " RENAME TO "
                + quoted(name + "_p" + i));
      }
      st.execute("CREATE INDEX " + quoted(name + "_shard_seq") + " ON " + table + " (shard, seq)");
    }
    return new Result(before, partitions, moved);
  }

  /** The new table's identity sequence goes on from where the old one stands. */
  private static void continueSequence(Connection c, String from, String to) throws SQLException {
    Long last;
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(?, 'seq')::regclass)")) {
      st.setString(1, from);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        last = rs.getObject(1) == null ? null : rs.getLong(1);
      }
    }
    if (last == null) {
      return; // never used: the new sequence starts where the old one would have
    }
    try (PreparedStatement st =
        c.prepareStatement("SELECT setval(pg_get_serial_sequence(?, 'seq')::regclass, ?, true)")) {
      st.setString(1, to);
      st.setLong(2, last);
      st.executeQuery().close();
    }
  }

  private static SqlIdentifier name(SqlIdentifier like, String name) {
    return new SqlIdentifier(like.schema(), name);
  }

  private static String quoted(String name) {
    return SqlIdentifier.of(name).sql();
  }

  private static void checkCount(int partitions) {
    if (partitions < 2 || partitions > MAX_PARTITIONS || Integer.bitCount(partitions) != 1) {
      throw new IllegalArgumentException(
          "outbox partitions = "
              + partitions
              + ": expected a power of two from 2 to "
              + MAX_PARTITIONS
              + ", so that it divides relay.shards (64 by default)");
    }
  }
}
