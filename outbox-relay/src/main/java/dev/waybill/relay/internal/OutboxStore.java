package dev.waybill.relay.internal;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.TableNames;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import javax.sql.DataSource;

/**
 * The relay's SQL on the outbox and dead-letter tables: claim, delete after acknowledgement, move
 * to the dead-letter table, and the backlog figures for metrics and status. Only validated table
 * names and numbers produced here are spliced into SQL. Not API.
 */
public final class OutboxStore {
  private static final Long[] NO_SEQS = new Long[0];
  private static final long BACKLOG_COST_FACTOR = 50;
  // The claim's right plan is always a walk of the primary key in seq order that stops at the
  // limit. Without fresh statistics (a backlog that just arrived; autovacuum behind) the planner
  // may estimate the shard filter so selective that it scans and sorts the whole table instead
  // (measured: 130 ms instead of 3 ms on 200,000 rows), so the other plans are switched off for
  // this transaction.
  private static final String COLUMNS =
      "seq, id, topic, msg_key, event_type, content_type, payload, headers, traceparent,"
          + " created_at";
  // A row's bytes as the relay holds them: payload and headers. Both databases know a stored
  // value's length without handing it over (PostgreSQL reads it from the TOAST pointer).
  private static final String ROW_BYTES =
      "OCTET_LENGTH(o.payload) + COALESCE(OCTET_LENGTH(o.headers), 0) AS nbytes";
  // The running total of the claimed rows' bytes, in seq order: the rows whose total stays within
  // the bound form a prefix of the claim, and the first row (rn = 1) is kept whatever its size.
  // Both are running aggregates over one window (ROW_NUMBER would not take the frame), so
  // PostgreSQL computes them in one pass.
  private static final String WINDOW =
      " OVER (ORDER BY c.seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";
  private static final String RUNNING_TOTAL =
      "SUM(c.nbytes)" + WINDOW + " AS upto, COUNT(*)" + WINDOW + " AS rn";
  private static final String PLANNER_SETTINGS =
      "SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan;"
          + " SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;"
          + " SET LOCAL enable_sort = off";
  // The same for a connection that only claims (the Claimer's): set once for the session, so that
  // each claim is one round trip.
  private static final String SESSION_SETTINGS =
      "SET jit = off; SET plan_cache_mode = force_custom_plan; SET enable_seqscan = off;"
          + " SET enable_bitmapscan = off; SET enable_sort = off";

  private final DataSource dataSource;
  private final Dialect dialect;
  private final TableNames tables;
  private final String outbox;
  private final String deadLetters;
  private final String claimAllSql;
  private final String claimShardsSql;
  private final String deleteSql;
  private long backlogNextAt = System.nanoTime();

  /**
   * @param dataSource the database
   * @param dialect its dialect
   * @param tables the table names
   */
  public OutboxStore(DataSource dataSource, Dialect dialect, TableNames tables) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.tables = tables;
    this.outbox = tables.outboxTable().sql();
    this.deadLetters = tables.deadLetterTable().sql();
    String all =
        claimHead(fullColumns()) + " AND o.seq > ? AND o.seq <> ALL(?)" + claimTail() + "?";
    String byShard =
        claimHead(fullColumns())
            + " AND o.seq > ? AND o.seq <> ALL(?) AND MOD(COALESCE(o.shard, o.seq), ?) = ANY(?)"
            + claimTail()
            + "?";
    this.claimAllSql = withinBytes(all, "?");
    this.claimShardsSql = withinBytes(byShard, "?");
    this.deleteSql = "DELETE FROM " + outbox + " WHERE seq = ANY(?)";
  }

  /** The dialect in use. */
  public Dialect dialect() {
    return dialect;
  }

  /** The table names in use. */
  public TableNames tables() {
    return tables;
  }

  /**
   * Reads up to {@code limit} publishable rows in write order: committed, due ({@code available_at}
   * passed), in one of {@code ownedShards} (null: all), not in {@code exclude} (the in-flight batch
   * and rows waiting for their DELETE), and not behind a parked key; of those, the first ones whose
   * payload and header bytes add up to at most {@code maxBytes}, and always the first row, alone
   * when it is larger. The bound is applied by the database, so no more than that reaches the relay
   * (the JDBC drivers hold a whole result in memory).
   *
   * <p>On PostgreSQL the claim is one prepared statement of constant text with array parameters, so
   * it is planned cheaply and its rows arrive in binary; it runs in a short transaction with {@code
   * jit = off} (the claim is a small indexed query that JIT compilation only slows down) and {@code
   * plan_cache_mode = force_custom_plan} (so the exclusion array is a constant the executor can
   * hash, instead of a parameter compared element by element). Other databases get the numbers
   * spliced into the SQL text. The polling relay claims through {@link #claimOn} on a connection of
   * its own instead, whose session carries these settings: one round trip per claim.
   */
  public List<OutboxRow> claim(
      int shardCount,
      Collection<Integer> ownedShards,
      Collection<Long> exclude,
      int limit,
      long maxBytes)
      throws SQLException {
    return claim(shardCount, ownedShards, 0, exclude, limit, maxBytes);
  }

  /**
   * As {@link #claim(int, Collection, Collection, int, long)}, but only rows after {@code afterSeq}
   * (0: from the start), on a connection of the pool.
   */
  public List<OutboxRow> claim(
      int shardCount,
      Collection<Integer> ownedShards,
      long afterSeq,
      Collection<Long> exclude,
      int limit,
      long maxBytes)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (dialect.supportsArrayParameters()) {
        c.setAutoCommit(false);
        try {
          try (Statement st = c.createStatement()) {
            st.execute(PLANNER_SETTINGS);
          }
          List<OutboxRow> rows =
              claimOn(c, shardCount, ownedShards, afterSeq, exclude, limit, maxBytes);
          c.commit();
          return rows;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      }
      return claimOn(c, shardCount, ownedShards, afterSeq, exclude, limit, maxBytes);
    }
  }

  /**
   * Prepares a connection that will only claim ({@link #claimOn}): on PostgreSQL, sets the claim's
   * planner settings for the session once, so that each claim is a single round trip.
   */
  public void prepareClaimSession(Connection c) throws SQLException {
    c.setAutoCommit(true);
    if (dialect.supportsArrayParameters()) {
      try (Statement st = c.createStatement()) {
        st.execute(SESSION_SETTINGS);
      }
    }
  }

  /** Undoes {@link #prepareClaimSession} before the connection goes back to its pool. */
  public void endClaimSession(Connection c) throws SQLException {
    if (dialect.supportsArrayParameters()) {
      try (Statement st = c.createStatement()) {
        st.execute("RESET ALL");
      }
    }
  }

  /**
   * The claim as one statement on {@code c} (auto-commit), after {@code afterSeq}; on PostgreSQL
   * {@code c} has the planner settings of {@link #prepareClaimSession} or of a transaction.
   */
  public List<OutboxRow> claimOn(
      Connection c,
      int shardCount,
      Collection<Integer> ownedShards,
      long afterSeq,
      Collection<Long> exclude,
      int limit,
      long maxBytes)
      throws SQLException {
    if (dialect.supportsArrayParameters()) {
      return claimWithArrays(c, shardCount, ownedShards, afterSeq, exclude, limit, maxBytes);
    }
    // MySQL would copy every claimed payload into the derived table's temporary table: there the
    // claim takes seqs and sizes first and joins the rows of the prefix that fits back by primary
    // key. H2 filters the full-row claim, as PostgreSQL does.
    boolean sizesFirst = dialect == Dialect.mysql();
    StringBuilder claim =
        new StringBuilder(512)
            .append(claimHead(sizesFirst ? "o.seq, " + ROW_BYTES : fullColumns()));
    if (ownedShards != null) {
      claim
          .append(" AND MOD(COALESCE(o.shard, o.seq), ")
          .append(shardCount)
          .append(") IN ")
          .append(numbers(ownedShards));
    }
    if (!exclude.isEmpty()) {
      claim.append(" AND o.seq NOT IN ").append(numbers(exclude));
    }
    if (afterSeq > 0) {
      claim.append(" AND o.seq > ").append(afterSeq);
    }
    claim.append(claimTail()).append(limit);
    String sql =
        sizesFirst
            ? "SELECT "
                + COLUMNS
                + " FROM "
                + outbox
                + " WHERE seq IN (SELECT w.seq FROM (SELECT c.seq, "
                + RUNNING_TOTAL
                + " FROM ("
                + claim
                + ") c) w WHERE w.rn = 1 OR w.upto <= "
                + maxBytes
                + ") ORDER BY seq"
            : withinBytes(claim.toString(), Long.toString(maxBytes));
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return readRows(rs, limit);
    }
  }

  private List<OutboxRow> claimWithArrays(
      Connection c,
      int shardCount,
      Collection<Integer> ownedShards,
      long afterSeq,
      Collection<Long> exclude,
      int limit,
      long maxBytes)
      throws SQLException {
    Long[] excludedSeqs = exclude.isEmpty() ? NO_SEQS : exclude.toArray(new Long[0]);
    Array excluded = c.createArrayOf("bigint", excludedSeqs);
    if (ownedShards == null) {
      try (PreparedStatement st = c.prepareStatement(claimAllSql)) {
        st.setLong(1, afterSeq);
        st.setArray(2, excluded);
        st.setInt(3, limit);
        st.setLong(4, maxBytes);
        try (ResultSet rs = st.executeQuery()) {
          return readRows(rs, limit);
        }
      }
    }
    Long[] shards = new Long[ownedShards.size()];
    int k = 0;
    for (Integer shard : ownedShards) {
      shards[k++] = shard.longValue();
    }
    try (PreparedStatement st = c.prepareStatement(claimShardsSql)) {
      st.setLong(1, afterSeq);
      st.setArray(2, excluded);
      st.setLong(3, shardCount);
      st.setArray(4, c.createArrayOf("bigint", shards));
      st.setInt(5, limit);
      st.setLong(6, maxBytes);
      try (ResultSet rs = st.executeQuery()) {
        return readRows(rs, limit);
      }
    }
  }

  private static String fullColumns() {
    return "o.seq, o.id, o.topic, o.msg_key, o.event_type, o.content_type, o.payload, o.headers,"
        + " o.traceparent, o.created_at, "
        + ROW_BYTES;
  }

  /**
   * The claim of full rows filtered to the prefix within {@code bound} (a number or a parameter);
   * on PostgreSQL the payloads stay TOAST pointers until the filtered rows are sent.
   */
  private static String withinBytes(String claim, String bound) {
    return "SELECT "
        + COLUMNS
        + " FROM (SELECT c.*, "
        + RUNNING_TOTAL
        + " FROM ("
        + claim
        + ") c) w WHERE w.rn = 1 OR w.upto <= "
        + bound
        + " ORDER BY w.seq";
  }

  private String claimHead(String columns) {
    return "SELECT "
        + columns
        + " FROM "
        + outbox
        + " o WHERE (o.available_at IS NULL OR o.available_at <= "
        + dialect.nowSql()
        + ")";
  }

  /**
   * The parked-key test and the order. Whether any key is parked at all is an uncorrelated
   * sub-query, evaluated once per claim; only when one is, each keyed row is probed (an OR is
   * evaluated left to right and stops at the first true term).
   */
  private String claimTail() {
    return " AND (o.msg_key IS NULL OR NOT EXISTS (SELECT 1 FROM "
        + deadLetters
        + " p WHERE p.parks_key = TRUE) OR NOT EXISTS (SELECT 1 FROM "
        + deadLetters
        + " d WHERE d.parks_key = TRUE AND d.topic = o.topic AND d.msg_key = o.msg_key))"
        + " ORDER BY o.seq LIMIT ";
  }

  private List<OutboxRow> readRows(ResultSet rs, int limit) throws SQLException {
    List<OutboxRow> rows = new ArrayList<>(limit);
    while (rs.next()) {
      rows.add(readRow(rs));
    }
    return rows;
  }

  /**
   * One page of the CDC relay's initial snapshot, run repeatedly in the snapshot's transaction:
   * parameters (1) the last {@code seq} read (the first page: {@link Long#MIN_VALUE}), (2) the most
   * rows and (3) the most payload and header bytes of a page; always at least the first row, alone
   * when it is larger. Its rows are read with {@link #snapshotRow} and {@link #availableAt}. The
   * bound is applied by the database as for {@link #claim}, so a table of large rows never arrives
   * at the relay in one piece (the driver holds a whole result in memory).
   */
  public String snapshotPageSql() {
    return "SELECT "
        + COLUMNS
        + ", available_at FROM (SELECT c.*, "
        + RUNNING_TOTAL
        + " FROM (SELECT "
        + fullColumns()
        + ", o.available_at FROM "
        + outbox
        + " o WHERE o.seq > ? ORDER BY o.seq LIMIT ?) c) w WHERE w.rn = 1 OR w.upto <= ?"
        + " ORDER BY w.seq";
  }

  /** The row at the cursor of {@link #snapshotPageSql}. */
  public OutboxRow snapshotRow(ResultSet rs) throws SQLException {
    return readRow(rs);
  }

  /** The {@code available_at} of the row at the cursor of {@link #snapshotPageSql}, if set. */
  public Optional<Instant> availableAt(ResultSet rs) throws SQLException {
    return dialect.getInstant(rs, "available_at");
  }

  private OutboxRow readRow(ResultSet rs) throws SQLException {
    return new OutboxRow(
        rs.getLong(1),
        dialect.getUuid(rs, "id"),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getString(6),
        rs.getBytes(7),
        rs.getString(8),
        rs.getString(9),
        dialect.getInstant(rs, "created_at").orElse(Instant.EPOCH));
  }

  /**
   * Deletes published rows with one statement: {@code seq = ANY(?)} on PostgreSQL, an {@code IN}
   * list elsewhere.
   */
  public void delete(Collection<Long> seqs) throws SQLException {
    if (seqs.isEmpty()) {
      return;
    }
    try (Connection c = dataSource.getConnection()) {
      if (dialect.supportsArrayParameters()) {
        try (PreparedStatement st = c.prepareStatement(deleteSql)) {
          st.setArray(1, c.createArrayOf("bigint", seqs.toArray(new Long[0])));
          st.executeUpdate();
        }
        return;
      }
      try (Statement st = c.createStatement()) {
        st.executeUpdate("DELETE FROM " + outbox + " WHERE seq IN " + numbers(seqs));
      }
    }
  }

  /**
   * Moves a row to the dead-letter table with its error, in one transaction. Returns false when the
   * row was gone already (another relay handled it).
   */
  public boolean deadLetter(
      OutboxRow row,
      int attempts,
      String errorClass,
      String errorMessage,
      boolean parksKey,
      String instance)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        int moved;
        try (PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO "
                    + deadLetters
                    + " (seq, id, topic, msg_key, event_type, content_type, payload, headers,"
                    + " traceparent, created_at, available_at, attempts, error_class,"
                    + " error_message, parks_key, relay_instance)"
                    + " SELECT seq, id, topic, msg_key, event_type, content_type, payload,"
                    + " headers, traceparent, created_at, available_at, ?, ?, ?, ?, ? FROM "
                    + outbox
                    + " WHERE seq = ?")) {
          st.setInt(1, attempts);
          st.setString(2, cut(errorClass, 255));
          st.setString(3, cut(errorMessage == null ? "(no message)" : errorMessage, 2000));
          st.setBoolean(4, parksKey && row.key() != null);
          st.setString(5, cut(instance, 255));
          st.setLong(6, row.seq());
          moved = st.executeUpdate();
        }
        try (PreparedStatement st =
            c.prepareStatement("DELETE FROM " + outbox + " WHERE seq = ?")) {
          st.setLong(1, row.seq());
          st.executeUpdate();
        }
        c.commit();
        return moved == 1;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  /**
   * {@link #backlog()} for a periodic gauge, skipped (empty) while the previous one is recent
   * compared with what it cost: the next count waits at least 50 times as long as the last one
   * took, so counting a large backlog (a full scan on MySQL) never takes more than about 2 % of a
   * connection. Call from one thread.
   */
  public Optional<Backlog> backlogIfDue() throws SQLException {
    long now = System.nanoTime();
    if (now - backlogNextAt < 0) {
      return Optional.empty();
    }
    Backlog b = backlog();
    long took = System.nanoTime() - now;
    backlogNextAt = now + took * BACKLOG_COST_FACTOR;
    return Optional.of(b);
  }

  /** Pending rows, the oldest pending row's time, dead letters, parked keys and held rows. */
  public Backlog backlog() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      long pending;
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + outbox)) {
        rs.next();
        pending = rs.getLong(1);
      }
      Optional<Instant> oldest = Optional.empty();
      try (ResultSet rs =
          st.executeQuery("SELECT created_at FROM " + outbox + " ORDER BY seq LIMIT 1")) {
        if (rs.next()) {
          oldest = dialect.getInstant(rs, "created_at");
        }
      }
      long deadLetterRows;
      long parkedKeys;
      long followers;
      try (ResultSet rs =
          st.executeQuery(
              "SELECT COUNT(*), COUNT(DISTINCT CASE WHEN parks_key = TRUE THEN msg_key END),"
                  + " COUNT(CASE WHEN error_class = '"
                  + CdcDeadLetters.FOLLOWER
                  + "' THEN 1 END) FROM "
                  + deadLetters)) {
        rs.next();
        followers = rs.getLong(3); // CDC: messages parked behind a key, not failures
        deadLetterRows = rs.getLong(1) - followers;
        parkedKeys = rs.getLong(2);
      }
      long held = 0;
      if (parkedKeys > 0) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM "
                    + outbox
                    + " o WHERE EXISTS (SELECT 1 FROM "
                    + deadLetters
                    + " d WHERE d.parks_key = TRUE AND d.topic = o.topic AND d.msg_key ="
                    + " o.msg_key)")) {
          rs.next();
          held = rs.getLong(1);
        }
      }
      return new Backlog(pending, oldest, deadLetterRows, parkedKeys, held + followers);
    }
  }

  /** The parked keys (at most {@code limit}), oldest failure first. */
  public List<ParkedKey> parkedKeys(int limit) throws SQLException {
    List<ParkedKey> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT d.topic, d.msg_key, d.seq, d.id, d.error_class, d.failed_at,"
                    + " (SELECT COUNT(*) FROM "
                    + outbox
                    + " o WHERE o.topic = d.topic AND o.msg_key = d.msg_key)"
                    + " + (SELECT COUNT(*) FROM "
                    + deadLetters
                    + " f WHERE f.error_class = '"
                    + CdcDeadLetters.FOLLOWER
                    + "' AND f.topic = d.topic AND f.msg_key = d.msg_key) AS held FROM "
                    + deadLetters
                    + " d WHERE d.parks_key = TRUE ORDER BY d.failed_at LIMIT "
                    + Math.max(1, limit))) {
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(
              new ParkedKey(
                  rs.getString("topic"),
                  rs.getString("msg_key"),
                  rs.getLong("seq"),
                  String.valueOf(dialect.getUuid(rs, "id")),
                  rs.getString("error_class"),
                  dialect.getInstant(rs, "failed_at").orElse(Instant.EPOCH),
                  rs.getLong("held")));
        }
      }
    }
    return out;
  }

  /** Whether the database answers within two seconds. */
  public boolean ping() {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  static String numbers(Collection<? extends Number> values) {
    StringJoiner j = new StringJoiner(",", "(", ")");
    for (Number n : values) {
      j.add(Long.toString(n.longValue()));
    }
    return j.toString();
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  /**
   * Backlog figures.
   *
   * @param pending rows in the outbox
   * @param oldest write time of the oldest row
   * @param deadLetters rows in the dead-letter table
   * @param parkedKeys keys parked behind a dead letter
   * @param held outbox rows waiting behind parked keys
   */
  public record Backlog(
      long pending, Optional<Instant> oldest, long deadLetters, long parkedKeys, long held) {}

  /**
   * A parked key.
   *
   * @param topic topic
   * @param key key
   * @param seq the dead-lettered message's position
   * @param id the dead-lettered message's id
   * @param errorClass why it failed
   * @param failedAt when
   * @param held messages waiting behind it
   */
  public record ParkedKey(
      String topic,
      String key,
      long seq,
      String id,
      String errorClass,
      Instant failedAt,
      long held) {}
}
