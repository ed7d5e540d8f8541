package dev.waybill.inbox.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxException;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.SchemaCheck;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.TableNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The inbox's SQL, run through the dialect's statements: record ids, check them, delete expired
 * ones, park and unpark keys. Shared by {@link dev.waybill.inbox.Inbox} and the Kafka consumer.
 * Thread-safe. Not API.
 */
public final class InboxStore {
  private final TableNames tables;
  private final SqlIdentifier inboxTable;
  private final SqlIdentifier parkedTable;
  private final Dialect configuredDialect;
  private final Map<String, Dialect> dialects = new ConcurrentHashMap<>();

  /**
   * @param tables the table names; the inbox table is {@link TableNames#inbox()} and the parked
   *     keys table its name plus {@code _parked}
   * @param dialect the dialect, or null to detect it from each connection's database
   */
  public InboxStore(TableNames tables, Dialect dialect) {
    this.tables = Objects.requireNonNull(tables, "tables");
    this.inboxTable = tables.inboxTable();
    this.parkedTable = new SqlIdentifier(tables.schema(), tables.inbox() + "_parked");
    this.configuredDialect = dialect;
  }

  /** The table names. */
  public TableNames tables() {
    return tables;
  }

  /** The qualified parked-keys table. */
  public SqlIdentifier parkedTable() {
    return parkedTable;
  }

  /** The dialect of a connection: the configured one, else detected (and cached per product). */
  public Dialect dialect(Connection c) throws SQLException {
    if (configuredDialect != null) {
      return configuredDialect;
    }
    String product = c.getMetaData().getDatabaseProductName();
    return dialects.computeIfAbsent(product, Dialect::fromProductName);
  }

  /**
   * Checks a consumer name or message id before it reaches the table.
   *
   * @throws IllegalArgumentException naming what and the rule (never echoing the value)
   */
  public static void checkId(String what, String value) {
    idProblem(what, value)
        .ifPresent(
            p -> {
              throw new IllegalArgumentException(p);
            });
  }

  /**
   * What is wrong with a consumer name or message id for the inbox table, in words that never echo
   * the value: blank, longer than {@link InboxConfig#MAX_ID_LENGTH}, a control character (U+0000 to
   * U+001F, U+007F to U+009F: PostgreSQL refuses NUL, and such ids are unreadable in logs and
   * tools), or an unpaired surrogate (not encodable as UTF-8).
   *
   * @param what what the value is, e.g. {@code "message id"}
   * @param value the value, may be null
   * @return the problem, or empty when the value can be stored
   */
  public static Optional<String> idProblem(String what, String value) {
    if (value == null || value.isBlank()) {
      return Optional.of(what + " is blank: give a non-empty value");
    }
    if (value.length() > InboxConfig.MAX_ID_LENGTH) {
      return Optional.of(
          what
              + " has "
              + value.length()
              + " characters: at most "
              + InboxConfig.MAX_ID_LENGTH
              + " fit the inbox table");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        return Optional.of(
            what
                + " holds control character U+"
                + String.format("%04X", (int) c)
                + " at index "
                + i
                + ": ids must be printable text");
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return Optional.of(
            what + " holds an unpaired surrogate at index " + i + ": it is not valid Unicode text");
      }
    }
    return Optional.empty();
  }

  /**
   * Whether a failure of one of the inbox's own statements is about the data it was given (SQLSTATE
   * class 22, data exception, e.g. a NUL byte or a value too long; class 23, integrity constraint
   * violation) rather than about the database being unreachable: retrying it cannot help.
   */
  public static boolean isDataError(SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      String state = s.getSQLState();
      if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Records one id in the connection's open transaction.
   *
   * @return true when recorded now, false when it was recorded before (a duplicate)
   */
  public boolean insertIfAbsent(Connection c, String consumer, String messageId)
      throws SQLException {
    return dialect(c).inboxInsertIfAbsent(c, inboxTable, consumer, messageId);
  }

  /**
   * Records distinct ids in the connection's open transaction; see {@link Dialect#inboxRecordAll}.
   *
   * @return the ids recorded now
   */
  public Set<String> recordAll(Connection c, String consumer, List<String> distinctIds)
      throws SQLException {
    return dialect(c).inboxRecordAll(c, inboxTable, consumer, distinctIds);
  }

  /** Whether an id is recorded (committed, as seen by the connection). */
  public boolean isRecorded(Connection c, String consumer, String messageId) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(dialect(c).inboxSelectRecordedSql(inboxTable, 1))) {
      st.setString(1, consumer);
      st.setString(2, messageId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Deletes the consumer's ids handled before {@code cutoff}, at most {@code batchSize} per
   * statement, each statement in its own short transaction, until none is left or {@code
   * maxBatches} statements ran.
   *
   * @return the number of rows deleted
   * @throws InboxException when the database fails
   */
  public long deleteExpired(
      DataSource dataSource, String consumer, Instant cutoff, int batchSize, int maxBatches) {
    long total = 0;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      Dialect d = dialect(c);
      String sql = d.inboxDeleteExpiredSql(inboxTable, batchSize);
      try (PreparedStatement st = c.prepareStatement(sql)) {
        for (int i = 0; i < maxBatches; i++) {
          st.setString(1, consumer);
          d.setInstant(st, 2, cutoff);
          int n = st.executeUpdate();
          total += n;
          if (n < batchSize) {
            break;
          }
        }
      }
      return total;
    } catch (SQLException e) {
      throw new InboxException(
          "deleting expired ids of consumer '"
              + consumer
              + "' from "
              + inboxTable
              + " failed after "
              + total
              + " rows: "
              + e.getMessage(),
          e);
    }
  }

  /** A parked key: the id of the dead-lettered message that parked it. */
  public record ParkedKey(String topic, String keyHash, String key, String messageId) {}

  /** Parks a key (auto-commit); does nothing when it is parked already. */
  public void park(DataSource dataSource, String consumer, ParkedKey parked) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement st = c.prepareStatement(dialect(c).inboxParkSql(parkedTable))) {
        st.setString(1, consumer);
        st.setString(2, parked.topic());
        st.setString(3, parked.keyHash());
        st.setString(4, parked.key());
        st.setString(5, parked.messageId());
        st.executeUpdate();
      }
    }
  }

  /** Unparks a key (auto-commit). */
  public boolean unpark(DataSource dataSource, String consumer, String topic, String keyHash)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement st = c.prepareStatement(dialect(c).inboxUnparkSql(parkedTable))) {
        st.setString(1, consumer);
        st.setString(2, topic);
        st.setString(3, keyHash);
        return st.executeUpdate() > 0;
      }
    }
  }

  /** Unparks a key in the connection's open transaction (with the parked message's handling). */
  public void unpark(Connection c, String consumer, String topic, String keyHash)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement(dialect(c).inboxUnparkSql(parkedTable))) {
      st.setString(1, consumer);
      st.setString(2, topic);
      st.setString(3, keyHash);
      st.executeUpdate();
    }
  }

  /** Every parked key of a consumer. */
  public List<ParkedKey> parked(DataSource dataSource, String consumer) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(dialect(c).inboxSelectParkedSql(parkedTable))) {
      st.setString(1, consumer);
      try (ResultSet rs = st.executeQuery()) {
        java.util.ArrayList<ParkedKey> out = new java.util.ArrayList<>();
        while (rs.next()) {
          out.add(
              new ParkedKey(
                  rs.getString("topic"),
                  rs.getString("key_hash"),
                  rs.getString("msg_key"),
                  rs.getString("message_id")));
        }
        return out;
      }
    }
  }

  /**
   * Checks that the inbox tables are usable by this role and have the structure the consumer needs,
   * however they were created (Waybill's migrator, Flyway, Liquibase).
   *
   * @throws InboxException naming the table (or every missing column and index) and how to create
   *     it
   */
  public void checkTables(DataSource dataSource) {
    Dialect dialect;
    try (Connection c = dataSource.getConnection()) {
      dialect = dialect(c);
      for (SqlIdentifier t : List.of(inboxTable, parkedTable)) {
        try (Statement st = c.createStatement()) {
          st.executeQuery("SELECT 1 FROM " + t.sql() + " WHERE 1 = 0").close();
        } catch (SQLException e) {
          throw new InboxException(
              "inbox table "
                  + t
                  + " is not usable ("
                  + e.getMessage()
                  + "): create it with SchemaMigrator.builder().component(SchemaComponent.inbox())"
                  + " or the scripts in db/waybill/inbox/",
              e);
        }
      }
    } catch (SQLException e) {
      throw new InboxException("inbox consumer: " + DatabaseConnectionException.describe(e), e);
    }
    try {
      SchemaCheck.verify(dataSource, dialect, tables, SchemaComponent.inbox());
    } catch (WaybillException e) {
      throw new InboxException("inbox consumer: " + e.getMessage(), e);
    }
  }

  /** The hex SHA-256 of a key, the parked table's key column. */
  public static String keyHash(byte[] key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * A key as text for the parked table's display column: UTF-8 (malformed bytes and control
   * characters become U+FFFD, so any key can be stored), cut to 1024 characters between code
   * points.
   */
  public static String keyText(byte[] key) {
    String s = new String(key, StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(Math.min(s.length(), 1024));
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int n = Character.charCount(cp);
      if (b.length() + n > 1024) {
        break;
      }
      boolean printable =
          !Character.isISOControl(cp) && !(n == 1 && Character.isSurrogate(s.charAt(i)));
      b.appendCodePoint(printable ? cp : 0xFFFD);
      i += n;
    }
    return b.toString();
  }
}
