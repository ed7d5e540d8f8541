package dev.waybill.testkit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A new, empty database that belongs to one test. Obtain one from {@link TestDatabases}; {@link
 * #close()} drops it.
 *
 * <pre>{@code
 * try (TestDatabase db = TestDatabases.postgres()) {
 *   Jdbi jdbi = Jdbi.create(db.dataSource());
 *   ...
 * }
 * }</pre>
 *
 * <p>Instances are thread-safe.
 */
public final class TestDatabase implements AutoCloseable {

  /** The database engine behind a {@link TestDatabase}. */
  public enum Kind {
    /** PostgreSQL (external server, Testcontainers or embedded). */
    POSTGRES,
    /** MariaDB (external server or Testcontainers). */
    MARIADB,
    /** In-memory H2 in PostgreSQL compatibility mode. */
    H2
  }

  /** Removes a database once its {@link TestDatabase} is closed. */
  @FunctionalInterface
  interface Dropper {
    void drop(TestDatabase database) throws SQLException;
  }

  private static final int MAX_POOL_SIZE = 16;

  private final Kind kind;
  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final String databaseName;
  private final Dropper dropper;
  private HikariDataSource pool;
  private final List<HikariDataSource> drillPools = new ArrayList<>();
  private boolean closed;

  TestDatabase(
      Kind kind,
      String jdbcUrl,
      String user,
      String password,
      String databaseName,
      Dropper dropper) {
    this.kind = kind;
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.databaseName = databaseName;
    this.dropper = dropper;
  }

  /** Returns the JDBC URL of this database. */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** Returns the user to connect as. */
  public String user() {
    return user;
  }

  /** Returns the password of {@link #user()}; empty when there is none. */
  public String password() {
    return password;
  }

  /** Returns the name of this database on its server, unique per call of {@link TestDatabases}. */
  public String databaseName() {
    return databaseName;
  }

  /** Returns the engine of this database. */
  public Kind kind() {
    return kind;
  }

  /**
   * Returns a connection pool for this database (HikariCP, at most 16 connections, none kept idle),
   * created on the first call; the same pool on later calls. {@link #close()} closes it.
   *
   * @throws IllegalStateException if this database is closed
   */
  public synchronized DataSource dataSource() {
    ensureOpen();
    if (pool == null) {
      pool = new HikariDataSource(poolConfig("waybill-" + databaseName, jdbcUrl));
    }
    return pool;
  }

  /**
   * Returns a new connection pool for outage drills: as {@link #dataSource()}, but it starts even
   * while the server is away and gives up on getting a connection after 1 s (HikariCP's default is
   * 30 s), so the code under test sees the outage instead of waiting inside the pool. {@link
   * #close()} closes it.
   *
   * @throws IllegalStateException if this database is closed
   */
  public synchronized DataSource failFastDataSource() {
    ensureOpen();
    return drillPool(poolConfig("waybill-" + databaseName + "-fail-fast", jdbcUrl));
  }

  /**
   * Starts a {@link TcpProxy} to this database's server, for network fault drills: connect through
   * it with {@link #dataSourceThrough(TcpProxy)}. The caller closes the proxy.
   *
   * @throws UnsupportedOperationException for H2, which is reached in-process, not over TCP
   */
  public TcpProxy startProxy() {
    if (kind == Kind.H2) {
      throw new UnsupportedOperationException("H2 in-memory databases are not reached over TCP");
    }
    InetSocketAddress address = JdbcUrls.address(jdbcUrl);
    return TcpProxy.start(address.getHostString(), address.getPort());
  }

  /**
   * Returns a new connection pool for this database that connects through {@code proxy} instead of
   * directly, with the settings of {@link #failFastDataSource()}. {@link #close()} closes it.
   *
   * @param proxy a proxy to this database's server, from {@link #startProxy()}
   * @throws IllegalStateException if this database is closed
   * @throws UnsupportedOperationException for H2
   */
  public synchronized DataSource dataSourceThrough(TcpProxy proxy) {
    ensureOpen();
    if (kind == Kind.H2) {
      throw new UnsupportedOperationException("H2 in-memory databases are not reached over TCP");
    }
    return drillPool(
        poolConfig(
            "waybill-" + databaseName + "-via-" + proxy.port(),
            JdbcUrls.withAddress(jdbcUrl, proxy.host(), proxy.port())));
  }

  /**
   * This database's JDBC URL with {@code proxy}'s address instead of the server's, for a process
   * that connects through the proxy.
   *
   * @param proxy a proxy to this database's server, from {@link #startProxy()}
   * @return the URL; credentials are given separately, as for {@link #jdbcUrl()}
   * @throws UnsupportedOperationException for H2
   */
  public String jdbcUrlThrough(TcpProxy proxy) {
    if (kind == Kind.H2) {
      throw new UnsupportedOperationException("H2 in-memory databases are not reached over TCP");
    }
    return JdbcUrls.withAddress(jdbcUrl, proxy.host(), proxy.port());
  }

  private HikariConfig poolConfig(String name, String url) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(MAX_POOL_SIZE);
    config.setMinimumIdle(0);
    return config;
  }

  /** A pool for drills: starts while the server is away, gives up on a connection after 1 s. */
  private HikariDataSource drillPool(HikariConfig config) {
    config.setInitializationFailTimeout(-1);
    config.setConnectionTimeout(1_000);
    HikariDataSource drill = new HikariDataSource(config);
    drillPools.add(drill);
    return drill;
  }

  /**
   * The command-line flags that point a Waybill command at this database: {@code --set db.url=...
   * --set db.user=... --set db.password=...}.
   */
  public List<String> settingsFlags() {
    return List.of(
        "--set",
        "db.url=" + jdbcUrl(),
        "--set",
        "db.user=" + user(),
        "--set",
        "db.password=" + password());
  }

  /**
   * Opens a new connection to this database, outside the pool. The caller closes it.
   *
   * @throws SQLException if the connection cannot be opened
   * @throws IllegalStateException if this database is closed
   */
  public Connection connect() throws SQLException {
    synchronized (this) {
      ensureOpen();
    }
    return openConnection();
  }

  /**
   * Ends every other session of this database from the server side, as an administrator or a
   * network fault would, while the server stays up: {@code pg_terminate_backend} on PostgreSQL,
   * {@code KILL CONNECTION} on MySQL/MariaDB, {@code ABORT_SESSION} on H2. Pooled connections of
   * {@link #dataSource()} are among them.
   *
   * @throws SQLException if the sessions cannot be listed or ended
   */
  public void endOtherSessions() throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      if (kind == Kind.POSTGRES) {
        st.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                + " current_database() AND pid <> pg_backend_pid()");
        return;
      }
      String list =
          kind == Kind.MARIADB
              ? "SELECT id FROM information_schema.processlist WHERE db = DATABASE()"
                  + " AND id <> CONNECTION_ID()"
              : "SELECT session_id FROM information_schema.sessions WHERE session_id <> SESSION_ID()";
      List<Long> ids = new ArrayList<>();
      try (ResultSet rs = st.executeQuery(list)) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      for (long id : ids) {
        try {
          st.execute(
              kind == Kind.MARIADB ? "KILL CONNECTION " + id : "CALL ABORT_SESSION(" + id + ")");
        } catch (SQLException e) {
          // ended meanwhile
        }
      }
    }
  }

  /** Opens a connection even after {@link #close()} began, for the {@link Dropper}. */
  Connection openConnection() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, user, password);
  }

  /**
   * Closes the pool of {@link #dataSource()} and drops this database (PostgreSQL ends the sessions
   * still connected to it; H2 shuts the in-memory database down). Closing twice does nothing.
   *
   * @throws IllegalStateException if the database cannot be dropped
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (pool != null) {
        pool.close();
        pool = null;
      }
      drillPools.forEach(HikariDataSource::close);
      drillPools.clear();
    }
    try {
      dropper.drop(this);
    } catch (SQLException e) {
      throw new IllegalStateException("could not drop test database " + this, e);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("test database " + this + " is closed");
    }
  }

  @Override
  public String toString() {
    return kind + " " + databaseName + " (" + jdbcUrl + ")";
  }
}
