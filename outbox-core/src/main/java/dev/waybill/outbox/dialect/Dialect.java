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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * What differs between the supported databases: SQL text, type binding, locking. Waybill ships one
 * dialect per database family and users do not implement it: {@link #postgres()}, {@link #mysql()}
 * (MySQL 8 and MariaDB 10.6+) and {@link #h2()} (H2 in PostgreSQL mode). Every identifier a dialect
 * splices into SQL is a validated {@link SqlIdentifier}. Thread-safe.
 */
public sealed interface Dialect permits PostgresDialect, MySqlDialect, H2Dialect {

  /**
   * PostgreSQL 12 and newer.
   *
   * @return the PostgreSQL dialect, a shared stateless instance
   */
  static Dialect postgres() {
    return PostgresDialect.INSTANCE;
  }

  /**
   * MySQL 8 and MariaDB 10.6 and newer (both need {@code SKIP LOCKED}).
   *
   * @return the MySQL/MariaDB dialect, a shared stateless instance
   */
  static Dialect mysql() {
    return MySqlDialect.INSTANCE;
  }

  /**
   * H2 2.x, in PostgreSQL compatibility mode, for embedded use and tests.
   *
   * @return the H2 dialect, a shared stateless instance
   */
  static Dialect h2() {
    return H2Dialect.INSTANCE;
  }

  /**
   * The dialect of a JDBC URL: {@code jdbc:postgresql:}, {@code jdbc:mysql:}, {@code jdbc:mariadb:}
   * or {@code jdbc:h2:}.
   *
   * @param jdbcUrl the URL a {@code DataSource} or {@code DriverManager} connects with; matched
   *     case-insensitively on its scheme only
   * @return the dialect for that scheme
   * @throws UnsupportedDatabaseException naming the URL scheme and the supported ones
   */
  static Dialect fromJdbcUrl(String jdbcUrl) {
    String url = jdbcUrl == null ? "" : jdbcUrl.toLowerCase(Locale.ROOT);
    if (url.startsWith("jdbc:postgresql:")) {
      return postgres();
    }
    if (url.startsWith("jdbc:mysql:") || url.startsWith("jdbc:mariadb:")) {
      return mysql();
    }
    if (url.startsWith("jdbc:h2:")) {
      return h2();
    }
    String scheme =
        url.indexOf(':', 5) > 0 ? jdbcUrl.substring(0, url.indexOf(':', 5) + 1) : jdbcUrl;
    throw new UnsupportedDatabaseException(
        "no Waybill dialect for JDBC URL scheme '"
            + scheme
            + "': supported are jdbc:postgresql:, jdbc:mysql:, jdbc:mariadb: and jdbc:h2:");
  }

  /**
   * The dialect of an open connection, from its database product name.
   *
   * @param connection an open connection; only its metadata is read, it is left open and unchanged
   * @return the dialect of the database behind the connection
   * @throws UnsupportedDatabaseException naming the product when it is not supported
   * @throws dev.waybill.outbox.WaybillException when the metadata cannot be read (the {@code
   *     SQLException} is the cause)
   */
  static Dialect of(Connection connection) {
    String product;
    try {
      product = connection.getMetaData().getDatabaseProductName();
    } catch (SQLException e) {
      throw new WaybillException("cannot read the database product name of the connection", e);
    }
    return fromProductName(product);
  }

  /**
   * The dialect for a JDBC database product name ({@code PostgreSQL}, {@code MySQL}, {@code
   * MariaDB}, {@code H2}).
   *
   * @param product what {@code DatabaseMetaData.getDatabaseProductName()} reports; matched
   *     case-insensitively
   * @return the dialect for that product
   * @throws UnsupportedDatabaseException naming the product when it is not supported
   */
  static Dialect fromProductName(String product) {
    String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (p.contains("postgres")) {
      return postgres();
    }
    if (p.contains("mysql") || p.contains("mariadb")) {
      return mysql();
    }
    if (p.equals("h2")) {
      return h2();
    }
    throw new UnsupportedDatabaseException(
        "no Waybill dialect for database '"
            + product
            + "': supported are PostgreSQL, MySQL, MariaDB and H2");
  }

  /**
   * The dialect's name, also the folder of its migration scripts: {@code postgresql}, ...
   *
   * @return a lower-case name without spaces, stable across releases
   */
  String name();

  /**
   * Whether DDL takes part in transactions (PostgreSQL, H2 no: see {@link #ddlCommits()}).
   *
   * @return true when a failed migration rolls its DDL back with the transaction
   */
  boolean transactionalDdl();

  /**
   * Whether a DDL statement commits the open transaction (MySQL, MariaDB, H2).
   *
   * @return true when DDL ends the surrounding transaction, so migrations cannot be rolled back
   */
  default boolean ddlCommits() {
    return !transactionalDdl();
  }

  /**
   * Whether statements may bind SQL arrays ({@code seq = ANY(?)} with {@link
   * Connection#createArrayOf}) and take per-transaction planner settings ({@code SET LOCAL}); only
   * PostgreSQL. The relay then claims and deletes with one prepared statement of constant text
   * instead of splicing lists of numbers into new SQL every time.
   *
   * @return true when array parameters and {@code SET LOCAL} may be used
   */
  default boolean supportsArrayParameters() {
    return false;
  }

  /**
   * Whether the database has {@code LISTEN/NOTIFY} (only PostgreSQL).
   *
   * @return true when {@link #notifySql} yields a statement
   */
  default boolean supportsNotify() {
    return false;
  }

  /**
   * The statement that sends an empty notification on {@code channel} at commit, if supported.
   *
   * @param channel the notification channel, a validated identifier
   * @return the {@code NOTIFY} statement, or empty where the database has no notifications
   */
  default Optional<String> notifySql(SqlIdentifier channel) {
    return Optional.empty();
  }

  /**
   * The column type and default of a "created at" timestamp in Waybill's own tables.
   *
   * @return SQL text for a column definition, e.g. a timestamp type with a {@code DEFAULT} of the
   *     current time
   */
  String timestampColumnType();

  /**
   * What follows the column list of Waybill's {@code CREATE TABLE} (engine, charset).
   *
   * @return SQL text placed after the closing parenthesis; empty when the database needs nothing
   */
  default String tableOptions() {
    return "";
  }

  /**
   * {@code CREATE TABLE IF NOT EXISTS} for the schema history table.
   *
   * @param table the history table's validated, possibly schema-qualified name
   * @return one DDL statement, safe to run when the table exists
   */
  default String createHistoryTableSql(SqlIdentifier table) {
    return """
        CREATE TABLE IF NOT EXISTS %s (
            component    VARCHAR(64)  NOT NULL,
            version      INTEGER      NOT NULL,
            description  VARCHAR(255) NOT NULL,
            checksum     VARCHAR(64)  NOT NULL,
            installed_by VARCHAR(255) NOT NULL,
            installed_at %s,
            PRIMARY KEY (component, version)
        )%s"""
        .formatted(table.sql(), timestampColumnType(), tableOptions());
  }

  /**
   * Takes the cross-process lock that serializes schema migrations, waiting at most {@code
   * timeout}. The lock is held by {@code connection} (which must stay open and unused otherwise)
   * until the returned handle is closed.
   *
   * @param connection a dedicated connection that holds the lock until the handle is closed
   * @param historyTable the schema history table; the lock is scoped to it, so migrations of
   *     different table sets do not wait for each other
   * @param lockName the lock's name, shown in the timeout error
   * @param timeout how long to wait for a concurrent migration to finish
   * @return the held lock; closing it releases the lock
   * @throws SQLException when the database fails
   * @throws WaybillException when the lock is not granted within the timeout
   */
  MigrationLock lockForMigration(
      Connection connection, SqlIdentifier historyTable, String lockName, Duration timeout)
      throws SQLException;

  /**
   * The outbox insert: parameters id, topic, msg_key, event_type, content_type, payload, headers,
   * traceparent, available_at, in that order.
   *
   * @param table the outbox table's validated name
   * @return SQL text with nine {@code ?} parameters
   */
  default String insertOutboxSql(SqlIdentifier table) {
    return """
        INSERT INTO %s (id, topic, msg_key, event_type, content_type, payload, headers,
                        traceparent, available_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
        .formatted(table.sql());
  }

  /**
   * Binds a UUID as the dialect stores it (native {@code uuid}, or {@code CHAR(36)} on MySQL).
   *
   * @param statement the statement to bind on
   * @param index the 1-based parameter index
   * @param value the id to bind; not null
   * @throws SQLException when the driver rejects the value
   */
  default void setUuid(PreparedStatement statement, int index, UUID value) throws SQLException {
    statement.setObject(index, value);
  }

  /**
   * Reads a UUID column.
   *
   * @param rs a result set positioned on a row
   * @param column the column label
   * @return the id, or null when the column is SQL NULL
   * @throws SQLException when the column is missing or not a UUID
   */
  default UUID getUuid(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, UUID.class);
  }

  /**
   * Binds an instant (or SQL NULL) to a timestamp column, in UTC.
   *
   * @param statement the statement to bind on
   * @param index the 1-based parameter index
   * @param value the instant, or null for SQL NULL
   * @throws SQLException when the driver rejects the value
   */
  default void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, value.atOffset(ZoneOffset.UTC));
    }
  }

  /**
   * Reads a timestamp column as an instant; empty for SQL NULL.
   *
   * @param rs a result set positioned on a row
   * @param column the column label
   * @return the instant in UTC, or empty for SQL NULL
   * @throws SQLException when the column is missing or not a timestamp
   */
  default Optional<Instant> getInstant(ResultSet rs, String column) throws SQLException {
    return Optional.ofNullable(rs.getObject(column, OffsetDateTime.class))
        .map(OffsetDateTime::toInstant);
  }

  // ---- relay (issue 3) ----

  /**
   * The database's current time as a SQL expression (UTC on MySQL).
   *
   * @return an SQL expression usable in a select list or a {@code WHERE} clause
   */
  String nowSql();

  /**
   * A SQL expression for "now plus {@code ?} milliseconds": it contains exactly one {@code ?}
   * parameter, bound to a number of milliseconds.
   *
   * @return an SQL expression with one {@code ?} parameter
   */
  String nowPlusMillisSql();

  /**
   * {@code INSERT INTO table (columns) VALUES (?, ...)} that silently skips rows whose primary key
   * already exists.
   *
   * @param table the validated target table
   * @param columns the column names, in the order of the {@code ?} parameters; validated
   *     identifiers
   * @return SQL text with one {@code ?} per column
   */
  default String insertIgnoringDuplicatesSql(SqlIdentifier table, String... columns) {
    return insertIgnoringVerb()
        + " "
        + table.sql()
        + " ("
        + String.join(", ", columns)
        + ") VALUES ("
        + String.join(", ", java.util.Collections.nCopies(columns.length, "?"))
        + ")"
        + insertIgnoringSuffix();
  }

  /**
   * The verb of {@link #insertIgnoringDuplicatesSql}: {@code INSERT IGNORE INTO} on MySQL.
   *
   * @return the SQL words that begin such an insert, e.g. {@code INSERT INTO} or {@code INSERT
   *     IGNORE INTO}
   */
  default String insertIgnoringVerb() {
    return "INSERT INTO";
  }

  /**
   * What ends {@link #insertIgnoringDuplicatesSql}: {@code ON CONFLICT DO NOTHING} where needed.
   *
   * @return the SQL text that ends such an insert; empty where the verb already ignores duplicates
   */
  default String insertIgnoringSuffix() {
    return "";
  }

  /** A lock taken by {@link #lockForMigration}; {@link #close()} releases it. */
  interface MigrationLock extends AutoCloseable {
    @Override
    void close() throws SQLException;
  }

  // ---- inbox (issue 4) ----

  /**
   * Records one inbox id unless it is already there; parameters {@code consumer_group}, {@code
   * message_id}. The update count is 1 when the id was recorded now and 0 when it was recorded
   * before (a duplicate). A concurrent transaction that recorded the same id makes this statement
   * wait; if that one commits, this one counts a duplicate.
   *
   * @param table the inbox table's validated name
   * @return SQL text with two {@code ?} parameters
   */
  default String inboxInsertIfAbsentSql(SqlIdentifier table) {
    return """
        INSERT INTO %s (consumer_group, message_id) VALUES (?, ?)
        ON CONFLICT DO NOTHING"""
        .formatted(table.sql());
  }

  /**
   * Records one inbox id in the open transaction of {@code connection} unless it is already there,
   * with {@link #inboxInsertIfAbsentSql}. Only a duplicate counts as "already there": any other
   * refusal (a value too long, a constraint) is thrown, never taken for a duplicate.
   *
   * @param connection a connection in a transaction
   * @param table the inbox table's validated name
   * @param consumerGroup the consumer group
   * @param id the message id
   * @return true when recorded now, false when it was recorded before
   * @throws SQLException when the database refuses the row or fails
   */
  default boolean inboxInsertIfAbsent(
      Connection connection, SqlIdentifier table, String consumerGroup, String id)
      throws SQLException {
    try (PreparedStatement st = connection.prepareStatement(inboxInsertIfAbsentSql(table))) {
      st.setString(1, consumerGroup);
      st.setString(2, id);
      return st.executeUpdate() > 0;
    }
  }

  /**
   * Records distinct inbox ids in the open transaction of {@code connection} and returns those
   * recorded now (the others were recorded before). On PostgreSQL one statement; elsewhere a read
   * of the ids already recorded and one multi-row insert of the rest, which fails with a
   * duplicate-key error when a concurrent transaction recorded one of them meanwhile: the caller
   * then rolls back and records the ids one by one with {@link #inboxInsertIfAbsentSql}.
   *
   * @param connection a connection in the caller's open transaction; not committed or closed here
   * @param table the inbox table's validated name
   * @param consumerGroup the consumer group the ids belong to
   * @param ids the message ids, without duplicates among themselves
   * @return the subset of {@code ids} recorded by this call
   * @throws SQLException when the database fails, including the duplicate-key case above
   * @throws SQLException when the database fails, including a duplicate-key error from a concurrent
   *     writer
   */
  default java.util.Set<String> inboxRecordAll(
      Connection connection, SqlIdentifier table, String consumerGroup, java.util.List<String> ids)
      throws SQLException {
    java.util.Set<String> recorded = new java.util.HashSet<>();
    for (int from = 0; from < ids.size(); from += INBOX_CHUNK) {
      java.util.List<String> chunk = ids.subList(from, Math.min(ids.size(), from + INBOX_CHUNK));
      try (PreparedStatement st =
          connection.prepareStatement(inboxSelectRecordedSql(table, chunk.size()))) {
        st.setString(1, consumerGroup);
        for (int i = 0; i < chunk.size(); i++) {
          st.setString(i + 2, chunk.get(i));
        }
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            recorded.add(rs.getString(1));
          }
        }
      }
    }
    java.util.List<String> fresh = ids.stream().filter(id -> !recorded.contains(id)).toList();
    for (int from = 0; from < fresh.size(); from += INBOX_CHUNK) {
      java.util.List<String> chunk =
          fresh.subList(from, Math.min(fresh.size(), from + INBOX_CHUNK));
      try (PreparedStatement st =
          connection.prepareStatement(inboxInsertRowsSql(table, chunk.size()))) {
        int p = 1;
        for (String id : chunk) {
          st.setString(p++, consumerGroup);
          st.setString(p++, id);
        }
        st.executeUpdate();
      }
    }
    return new java.util.LinkedHashSet<>(fresh);
  }

  /** Most ids {@link #inboxRecordAll} puts in one statement. */
  int INBOX_CHUNK = 500;

  /**
   * The recorded ids among {@code count} candidates; parameters consumer_group, then the ids.
   *
   * @param table the inbox table's validated name
   * @param count how many id parameters follow the consumer group, at least 1
   * @return SQL text selecting {@code message_id}
   */
  default String inboxSelectRecordedSql(SqlIdentifier table, int count) {
    return """
        SELECT message_id FROM %s
        WHERE consumer_group = ? AND message_id IN (%s)"""
        .formatted(table.sql(), String.join(", ", java.util.Collections.nCopies(count, "?")));
  }

  /**
   * A plain multi-row insert of {@code rows} ids; parameters (consumer_group, message_id) each.
   *
   * @param table the inbox table's validated name
   * @param rows how many rows to insert, at least 1
   * @return SQL text with two {@code ?} parameters per row
   */
  default String inboxInsertRowsSql(SqlIdentifier table, int rows) {
    return """
        INSERT INTO %s (consumer_group, message_id) VALUES %s"""
        .formatted(table.sql(), String.join(", ", java.util.Collections.nCopies(rows, "(?, ?)")));
  }

  /**
   * Deletes at most {@code limit} inbox rows of a consumer group handled before a time, in one
   * short statement; parameters {@code consumer_group}, cutoff (bind with {@link #setInstant}). The
   * update count is the number deleted.
   *
   * @param table the inbox table's validated name
   * @param limit the most rows one execution deletes, to keep locks short
   * @return SQL text with two {@code ?} parameters
   */
  default String inboxDeleteExpiredSql(SqlIdentifier table, int limit) {
    return """
        DELETE FROM %s
        WHERE consumer_group = ? AND handled_at < ?
        FETCH FIRST %d ROWS ONLY"""
        .formatted(table.sql(), limit);
  }

  /**
   * Parks a key unless it is parked already; parameters {@code consumer_group}, {@code topic},
   * {@code key_hash}, {@code msg_key}, {@code message_id}.
   *
   * @param parkedTable the parked-keys table's validated name
   * @return SQL text with five {@code ?} parameters
   */
  default String inboxParkSql(SqlIdentifier parkedTable) {
    return """
        INSERT INTO %s (consumer_group, topic, key_hash, msg_key, message_id)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING"""
        .formatted(parkedTable.sql());
  }

  /**
   * The parked keys of a consumer group; parameter {@code consumer_group}.
   *
   * @param parkedTable the parked-keys table's validated name
   * @return SQL text with one {@code ?} parameter
   */
  default String inboxSelectParkedSql(SqlIdentifier parkedTable) {
    return """
        SELECT topic, key_hash, msg_key, message_id, parked_at FROM %s
        WHERE consumer_group = ?"""
        .formatted(parkedTable.sql());
  }

  /**
   * Unparks a key; parameters {@code consumer_group}, {@code topic}, {@code key_hash}.
   *
   * @param parkedTable the parked-keys table's validated name
   * @return SQL text with three {@code ?} parameters
   */
  default String inboxUnparkSql(SqlIdentifier parkedTable) {
    return """
        DELETE FROM %s WHERE consumer_group = ? AND topic = ? AND key_hash = ?"""
        .formatted(parkedTable.sql());
  }

  // ---- dlq-tools ----

  /**
   * One statement that deletes the dead letters whose seqs are the first parameter (an array) and
   * then inserts those of them whose seqs are the second parameter into the outbox, in seq order:
   * every delete is in the WAL before the first insert, so a CDC relay sees the key unparked before
   * it reads the released messages. It answers one row: the rows deleted, the rows inserted. Empty
   * where there is no CDC relay (the statement pair of {@link
   * #outboxRestoreDeadLetterSql(SqlIdentifier, SqlIdentifier)} serves there).
   *
   * @param outbox the outbox table
   * @param deadLetters the dead-letter table
   * @return the statement, or empty
   */
  default java.util.Optional<String> outboxReleaseDeadLettersSql(
      SqlIdentifier outbox, SqlIdentifier deadLetters) {
    return java.util.Optional.empty();
  }

  /**
   * The dead-letter table's <em>followers</em> of the given dead letters that park their key: the
   * rows {@link dev.waybill.outbox.wire.OutboxDeadLetterRows#FOLLOWER} of the same topic and key
   * (all of them: a CDC relay that re-reads the stream after a failure may park again a message it
   * had published before the dead letter; releasing it costs a duplicate, never a stuck row).
   * Parameters: the error class, then the dead letters' seqs (an array on PostgreSQL, the only
   * database with a CDC relay); empty elsewhere.
   *
   * @param deadLetters the dead-letter table
   * @return the query of the followers' seqs, or empty
   */
  default java.util.Optional<String> outboxDeadLetterFollowersSql(SqlIdentifier deadLetters) {
    return java.util.Optional.empty();
  }

  /**
   * Puts a message of the relay's dead-letter table back into the outbox at its original {@code
   * seq}, so the relay publishes it before the later messages of its key that waited behind it;
   * parameter {@code seq}. The update count is 1 when the row was copied, 0 when no dead letter has
   * that seq. Run it in the transaction that also deletes the dead-letter row. This default gives
   * the identity column an explicit value, which MySQL and MariaDB accept for {@code
   * AUTO_INCREMENT}; databases whose identity is {@code GENERATED ALWAYS} override it.
   *
   * @param outbox the outbox table's validated name
   * @param deadLetters the relay's dead-letter table's validated name
   * @return SQL text with one {@code ?} parameter
   */
  default String outboxRestoreDeadLetterSql(SqlIdentifier outbox, SqlIdentifier deadLetters) {
    return """
        INSERT INTO %s (seq, id, topic, msg_key, event_type, content_type, payload, headers,
                        traceparent, created_at, available_at)
        SELECT seq, id, topic, msg_key, event_type, content_type, payload, headers,
               traceparent, created_at, available_at
        FROM %s WHERE seq = ?"""
        .formatted(outbox.sql(), deadLetters.sql());
  }
}
