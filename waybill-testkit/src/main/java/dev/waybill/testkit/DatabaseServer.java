package dev.waybill.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A PostgreSQL or MariaDB server reached through an administrative JDBC URL, on which test
 * databases are created and dropped.
 */
final class DatabaseServer {

  private final TestDatabase.Kind kind;
  private final String source;
  private final String adminUrl;
  private final String user;
  private final String password;
  private final Set<TestDatabase> open = ConcurrentHashMap.newKeySet();

  /**
   * @param source where the server comes from, for {@link TestDatabases#describe()}
   * @param dropLeftoversAtExit whether databases that the tests did not close are dropped at JVM
   *     exit (for long-lived servers; a throw-away server is simply stopped)
   */
  DatabaseServer(
      TestDatabase.Kind kind,
      String source,
      String adminUrl,
      String user,
      String password,
      boolean dropLeftoversAtExit) {
    this.kind = kind;
    this.source = source;
    this.adminUrl = adminUrl;
    this.user = user;
    this.password = password;
    if (dropLeftoversAtExit) {
      Cleanup.atExit("drop the test databases left open on " + adminUrl, this::dropLeftovers);
    }
  }

  String source() {
    return source;
  }

  /**
   * Fails with a message naming the setting and the URL when the server cannot be reached.
   *
   * @param setting the setting that gave the URL, for the message
   */
  DatabaseServer requireReachable(String setting) {
    try (Connection connection = admin()) {
      if (!connection.isValid(10)) {
        throw new SQLException("connection is not valid");
      }
      return this;
    } catch (SQLException e) {
      throw new IllegalStateException(
          setting
              + " is set to "
              + adminUrl
              + " but that server cannot be reached as user '"
              + user
              + "': "
              + e.getMessage(),
          e);
    }
  }

  /** Creates a new, empty, uniquely named database. */
  TestDatabase create() {
    String name = "waybill_t_" + Names.hex(8);
    try (Connection connection = admin();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not create database " + name + " on " + adminUrl + ": " + e.getMessage(), e);
    }
    TestDatabase database =
        new TestDatabase(
            kind, JdbcUrls.withDatabase(adminUrl, name), user, password, name, this::drop);
    open.add(database);
    return database;
  }

  private void drop(TestDatabase database) throws SQLException {
    open.remove(database);
    String name = database.databaseName();
    try (Connection connection = admin();
        Statement statement = connection.createStatement()) {
      if (kind == TestDatabase.Kind.MARIADB) {
        statement.execute("DROP DATABASE IF EXISTS " + name);
      } else if (connection.getMetaData().getDatabaseMajorVersion() >= 13) {
        statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } else {
        try (PreparedStatement terminate =
            connection.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = ? AND pid <> pg_backend_pid()")) {
          terminate.setString(1, name);
          terminate.execute();
        }
        statement.execute("DROP DATABASE IF EXISTS " + name);
      }
    }
  }

  private void dropLeftovers() {
    List<TestDatabase> leftovers = new ArrayList<>(open);
    for (TestDatabase database : leftovers) {
      database.close();
    }
  }

  private Connection admin() throws SQLException {
    return DriverManager.getConnection(adminUrl, user, password);
  }
}
