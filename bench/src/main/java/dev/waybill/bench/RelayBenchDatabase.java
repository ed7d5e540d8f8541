package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaMigrator;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The relay benchmarks' database: PostgreSQL or MariaDB, a throw-away database created for the
 * invocation, the Waybill schema applied by {@link SchemaMigrator}, and the backlog written with
 * multi-row {@code INSERT}s through the plain outbox table contract (only {@code topic}, {@code
 * msg_key}, {@code event_type} and {@code payload}; the database fills the rest).
 */
final class RelayBenchDatabase implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  static final int ROWS_PER_INSERT = 1000;

  final boolean postgres;
  final String url;
  final String user;
  final String password;
  private final Connection admin;

  private RelayBenchDatabase(boolean postgres, String url, String user, String password)
      throws SQLException {
    this.postgres = postgres;
    this.url = url;
    this.user = user;
    this.password = password;
    this.admin = connect();
  }

  /**
   * Drops and creates {@code database} through {@code adminUrl}, applies {@code settings} to it
   * (PostgreSQL {@code ALTER DATABASE ... SET name = value}, for what-if diagnostics: every new
   * connection, the relays' included, gets them), then applies the schema.
   */
  static RelayBenchDatabase create(
      String adminUrl, String user, String password, String database, Map<String, String> settings)
      throws SQLException {
    if (!NAME.matcher(database).matches()) {
      throw new IllegalArgumentException(
          "'" + database + "' → --database → expected lower-case letters, digits, underscores");
    }
    boolean pg = adminUrl.toLowerCase(Locale.ROOT).startsWith("jdbc:postgresql:");
    String url;
    if (pg) {
      url = PostgresBenchDatabase.recreate(adminUrl, user, password, database);
    } else {
      try (Connection c = DriverManager.getConnection(adminUrl, props(user, password));
          Statement st = c.createStatement()) {
        st.execute("DROP DATABASE IF EXISTS " + database);
        st.execute("CREATE DATABASE " + database);
      }
      url = withDatabase(adminUrl, database);
    }
    if (!settings.isEmpty()) {
      if (!pg) {
        throw new IllegalArgumentException("--db-setting is supported on PostgreSQL only");
      }
      try (Connection c = DriverManager.getConnection(adminUrl, props(user, password));
          Statement st = c.createStatement()) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
          if (!e.getKey().matches("[a-z_.]+") || !e.getValue().matches("[A-Za-z0-9_.]+")) {
            throw new IllegalArgumentException("unsafe --db-setting " + e);
          }
          st.execute(
              "ALTER DATABASE " + database + " SET " + e.getKey() + " = '" + e.getValue() + "'");
        }
      }
    }
    RelayBenchDatabase db = new RelayBenchDatabase(pg, url, user, password);
    try (HikariDataSource ds = db.pool("bench-migrate", 4)) {
      SchemaMigrator.builder().dataSource(ds).build().migrate();
    }
    if (pg) {
      // the machine's cluster runs with autovacuum = off; say so per table, so the figures do not
      // depend on the server setting (VACUUM is run explicitly where the benchmark needs it)
      db.execute("ALTER TABLE waybill_outbox SET (autovacuum_enabled = false)");
    }
    return db;
  }

  HikariDataSource pool(String name, int size) {
    return DataSources.create(
        new DatabaseSettings(url, user, password, size, Duration.ofSeconds(10)), name);
  }

  Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(url, props(user, password));
    c.setAutoCommit(true);
    return c;
  }

  String version() throws SQLException {
    return query(postgres ? "SHOW server_version" : "SELECT VERSION()");
  }

  String query(String sql) throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : "";
    }
  }

  void execute(String sql) throws SQLException {
    try (Statement st = admin.createStatement()) {
      st.execute(sql);
    }
  }

  /** Empties the outbox (and the dead-letter table). */
  void truncate() throws SQLException {
    execute("TRUNCATE TABLE waybill_outbox");
    execute("TRUNCATE TABLE waybill_outbox_dead_letter");
  }

  /**
   * Inserts the backlog in one transaction, {@value #ROWS_PER_INSERT} rows per statement; with
   * {@code notify} (PostgreSQL) the transaction also sends {@code NOTIFY waybill_outbox}, as the
   * table contract allows, so running relays wake at its commit. Returns the commit's return time
   * ({@link System#nanoTime()}).
   */
  long insertBacklog(Backlog backlog, String topic, boolean notify) throws SQLException {
    return insertBacklog(backlog, topic, notify, i -> true);
  }

  /** {@link #insertBacklog(Backlog, String, boolean)} of the messages {@code include} accepts. */
  long insertBacklog(
      Backlog backlog, String topic, boolean notify, java.util.function.IntPredicate include)
      throws SQLException {
    int[] chosen =
        java.util.stream.IntStream.range(0, backlog.messages()).filter(include).toArray();
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      StringBuilder sql =
          new StringBuilder(
              "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload) VALUES ");
      for (int i = 0; i < ROWS_PER_INSERT; i++) {
        sql.append(i == 0 ? "(?,?,?,?)" : ",(?,?,?,?)");
      }
      try (PreparedStatement full = c.prepareStatement(sql.toString())) {
        int n = chosen.length;
        int i = 0;
        while (i < n) {
          int rows = Math.min(ROWS_PER_INSERT, n - i);
          PreparedStatement st = full;
          PreparedStatement partial = null;
          if (rows < ROWS_PER_INSERT) {
            StringBuilder s =
                new StringBuilder(
                    "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload) VALUES ");
            for (int r = 0; r < rows; r++) {
              s.append(r == 0 ? "(?,?,?,?)" : ",(?,?,?,?)");
            }
            partial = c.prepareStatement(s.toString());
            st = partial;
          }
          int p = 1;
          for (int r = 0; r < rows; r++, i++) {
            int m = chosen[i];
            st.setString(p++, topic);
            st.setString(p++, backlog.key(m));
            st.setString(p++, Backlog.EVENT_TYPE);
            st.setBytes(p++, backlog.payload(m));
          }
          st.executeUpdate();
          if (partial != null) {
            partial.close();
          }
        }
      }
      if (notify && postgres) {
        try (Statement st = c.createStatement()) {
          st.execute("NOTIFY waybill_outbox");
        }
      }
      c.commit();
      return System.nanoTime();
    }
  }

  /**
   * Makes the freshly inserted backlog look like one that accumulated over time (hint bits set,
   * statistics current): {@code VACUUM ANALYZE} + {@code CHECKPOINT} on PostgreSQL, {@code ANALYZE
   * TABLE} on MariaDB.
   */
  void settle() throws SQLException {
    if (postgres) {
      execute("VACUUM (ANALYZE) waybill_outbox");
      execute("CHECKPOINT");
    } else {
      execute("ANALYZE TABLE waybill_outbox");
    }
  }

  /** Whether the outbox table is empty (through the primary key, cheap even with dead rows). */
  boolean outboxEmpty() throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs = st.executeQuery("SELECT seq FROM waybill_outbox ORDER BY seq LIMIT 1")) {
      return !rs.next();
    }
  }

  long outboxCount() throws SQLException {
    return Long.parseLong(query("SELECT COUNT(*) FROM waybill_outbox"));
  }

  @Override
  public void close() throws SQLException {
    admin.close();
  }

  private static Properties props(String user, String password) {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    return p;
  }

  /** {@code jdbc:mariadb://host:port/db?params} with {@code db} replaced. */
  static String withDatabase(String url, String database) {
    int query = url.indexOf('?');
    String params = query < 0 ? "" : url.substring(query);
    String head = query < 0 ? url : url.substring(0, query);
    int scheme = head.indexOf("://");
    if (scheme < 0) {
      throw new IllegalArgumentException("'" + url + "' → --url → expected jdbc:mariadb://host/");
    }
    int path = head.indexOf('/', scheme + 3);
    String hosts = path < 0 ? head : head.substring(0, path);
    return hosts + "/" + database + params;
  }

  /**
   * The messages of a backlog: message {@code i} has key {@code order-<k>} with {@code k} drawn
   * from {@code keys} keys by a fixed-seed generator, and a JSON payload of exactly {@code
   * payloadBytes} bytes that names its key and index. The bare-producer baseline sends exactly
   * these keys and values.
   */
  static final class Backlog {
    static final String EVENT_TYPE = "OrderPlaced";
    private final int[] keyOf;
    private final String[] keys;
    private final int payloadBytes;

    Backlog(int messages, int keyCount, int payloadBytes) {
      this.keyOf = new int[messages];
      this.keys = new String[keyCount];
      this.payloadBytes = payloadBytes;
      for (int k = 0; k < keyCount; k++) {
        keys[k] = String.format("order-%04d", k);
      }
      java.util.SplittableRandom random = new java.util.SplittableRandom(20_240_601L);
      for (int i = 0; i < messages; i++) {
        keyOf[i] = random.nextInt(keyCount);
      }
    }

    int messages() {
      return keyOf.length;
    }

    String key(int i) {
      return keys[keyOf[i]];
    }

    /** The index of message {@code i}'s key, from 0 to the key count. */
    int keyIndex(int i) {
      return keyOf[i];
    }

    byte[] keyBytes(int i) {
      return key(i).getBytes(StandardCharsets.UTF_8);
    }

    byte[] payload(int i) {
      return payload(key(i), i, payloadBytes);
    }

    static byte[] payload(String key, long n, int size) {
      StringBuilder s =
          new StringBuilder(size)
              .append("{\"orderId\":\"")
              .append(key)
              .append("\",\"n\":")
              .append(n)
              .append(",\"pad\":\"");
      while (s.length() < size - 2) {
        s.append('x');
      }
      s.append("\"}");
      return s.toString().getBytes(StandardCharsets.US_ASCII);
    }
  }
}
