package dev.waybill.chaos;

import dev.waybill.testkit.EmbeddedPostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where the rig's database is: the rig's own PostgreSQL server (a child process it can restart and
 * crash), or a database of its own on the machine's MariaDB.
 *
 * @param db which kind
 * @param postgres the rig's own PostgreSQL server, or null
 * @param port the server's port on 127.0.0.1
 * @param database the database's name
 * @param user the user
 * @param password the password
 */
record RigServer(
    RigDatabase db,
    EmbeddedPostgresServer postgres,
    int port,
    String database,
    String user,
    String password) {

  /** The machine's MariaDB (root, no password), for {@code --db mariadb}. */
  static final int MARIADB_PORT = 3306;

  static RigServer postgres(Path binaries, Path data) throws SQLException {
    EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(binaries, data);
    String database = "chaos";
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("postgres"));
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    } catch (SQLException e) {
      postgres.close();
      throw e;
    }
    // trust authentication ignores the password; the relay requires one
    return new RigServer(
        RigDatabase.POSTGRES,
        postgres,
        postgres.port(),
        database,
        EmbeddedPostgresServer.USER,
        "chaos");
  }

  /** A new database of the rig's own on the machine's MariaDB, dropped when the rig ends. */
  static RigServer mariadb() throws SQLException {
    String database = "chaos_" + Long.toHexString(System.nanoTime());
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:" + MARIADB_PORT + "/", "root", "");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    return new RigServer(RigDatabase.MARIADB, null, MARIADB_PORT, database, "root", "");
  }

  static void dropMariaDb(String database) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:" + MARIADB_PORT + "/", "root", "");
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database);
    }
  }

  /**
   * The JDBC URL of the rig's database at {@code port} (the server's or a proxy's); with an
   * application name (a process's instance id), with a socket timeout and, on PostgreSQL, the
   * session named after the process.
   */
  String jdbcUrl(int port, String application) {
    if (db == RigDatabase.POSTGRES) {
      return "jdbc:postgresql://127.0.0.1:"
          + port
          + "/"
          + database
          + (application == null ? "" : "?ApplicationName=" + application + "&socketTimeout=30");
    }
    return "jdbc:mariadb://127.0.0.1:"
        + port
        + "/"
        + database
        + (application == null ? "" : "?socketTimeout=30000");
  }
}
