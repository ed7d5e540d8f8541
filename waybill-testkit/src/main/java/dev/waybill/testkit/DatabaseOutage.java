package dev.waybill.testkit;

import javax.sql.DataSource;

/**
 * A database that a drill takes away from the code under test and brings back. The code under test
 * connects with {@link #dataSource()}; the test's own writers, readers and assertions use {@link
 * #database()} directly (through a proxy drill they keep working while the database is "down").
 *
 * <p>Two drills:
 *
 * <ul>
 *   <li>{@link #throughProxy(TestDatabase)}: the code under test reaches the database through a
 *       {@link TcpProxy} that resets every connection and refuses new ones while down, as a stopped
 *       server would. For a shared server that must not be restarted (MariaDB here);
 *   <li>{@link #ownPostgresServer()}: a PostgreSQL server of the test's own (embedded, never a
 *       shared one) is stopped with a fast shutdown, which ends every session and rolls back open
 *       transactions, and started again on the same data directory and port.
 * </ul>
 */
public final class DatabaseOutage implements AutoCloseable {
  private final TestDatabase database;
  private final DataSource dataSource;
  private final Runnable down;
  private final Runnable up;
  private final Runnable release;

  private DatabaseOutage(
      TestDatabase database, DataSource dataSource, Runnable down, Runnable up, Runnable release) {
    this.database = database;
    this.dataSource = dataSource;
    this.down = down;
    this.up = up;
    this.release = release;
  }

  /**
   * A drill through a {@link TcpProxy} to {@code database}'s server. {@link #close()} closes the
   * proxy; the database stays the caller's.
   *
   * @throws UnsupportedOperationException for H2, which runs in-process: there is no server to lose
   */
  public static DatabaseOutage throughProxy(TestDatabase database) {
    TcpProxy proxy = database.startProxy();
    return new DatabaseOutage(
        database, database.dataSourceThrough(proxy), proxy::down, proxy::up, proxy::close);
  }

  /**
   * A drill on a new embedded PostgreSQL server with one new database, both owned by the drill:
   * {@link #close()} brings the server back if it is down, drops the database and stops the server.
   *
   * @throws IllegalStateException if the server cannot be started
   */
  public static DatabaseOutage ownPostgresServer() {
    EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
    TestDatabase database;
    try {
      database = server.createDatabase();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return new DatabaseOutage(
        database,
        database.failFastDataSource(),
        server::stop,
        server::restart,
        () -> {
          try {
            server.restart(); // running, so that the database can be dropped
            database.close();
          } finally {
            server.close();
          }
        });
  }

  /** The database, for the test's own connections. */
  public TestDatabase database() {
    return database;
  }

  /** What the code under test connects with. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** The database goes away: open sessions end, new connections fail. */
  public void takeDown() {
    down.run();
  }

  /** The database is back. Bringing back a database that is up does nothing. */
  public void bringBack() {
    up.run();
  }

  @Override
  public void close() {
    release.run();
  }
}
