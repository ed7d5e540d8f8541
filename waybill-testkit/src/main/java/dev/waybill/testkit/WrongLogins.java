package dev.waybill.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Database logins that fail in each way an operator gets them wrong: a wrong password, a database
 * that does not exist, a port where nothing listens. For the tests of connection error messages, on
 * PostgreSQL and MariaDB.
 *
 * <p>MariaDB checks passwords: a user with a password is created on the test server and dropped by
 * {@link #close()}. The project's PostgreSQL trusts local logins, so for a wrong password an
 * embedded server is started whose {@code pg_hba.conf} asks every user but {@code postgres} for a
 * scram-sha-256 password; {@link #close()} deletes it. Not thread-safe.
 */
public final class WrongLogins implements AutoCloseable {
  /** The mistake a login makes. */
  public enum Mistake {
    /** A user that exists, with another password. */
    WRONG_PASSWORD,
    /** A database name the server does not have. */
    UNKNOWN_DATABASE,
    /** A port on which nothing listens. */
    CLOSED_PORT
  }

  /**
   * A login.
   *
   * @param url the JDBC URL, without credentials
   * @param user the user
   * @param password the password
   * @param driverSays what the driver's own error message says about it (a fragment of it)
   * @param hint the settings an explanation must point at
   */
  public record Login(String url, String user, String password, String driverSays, String hint) {

    /**
     * This login as command-line settings, with a short {@code db.connect.timeout}.
     *
     * @return {@code --set db.url=... --set db.user=... --set db.password=... --set
     *     db.connect.timeout=2s}
     */
    public List<String> setFlags() {
      return List.of(
          "--set",
          "db.url=" + url,
          "--set",
          "db.user=" + user,
          "--set",
          "db.password=" + password,
          "--set",
          "db.connect.timeout=2s");
    }

    /**
     * Checks that a tool's error output explains this login's failure: the driver's own reason and
     * the fitting hint, no password, and not the pool's bare timeout.
     *
     * @param output what the tool printed or the exception's message
     * @throws AssertionError naming what is missing or shown wrongly
     */
    public void assertExplainedBy(String output) {
      List<String> wrong = new ArrayList<>();
      if (!output.contains(driverSays)) {
        wrong.add("the driver's reason '" + driverSays + "' is missing");
      }
      if (!output.contains(hint)) {
        wrong.add("the hint naming '" + hint + "' is missing");
      }
      if (output.contains(WRONG_PASSWORD) || output.contains(RIGHT_PASSWORD)) {
        wrong.add("a password is shown");
      }
      if (output.contains("Connection is not available")) {
        wrong.add("the pool's timeout hides the reason");
      }
      if (output.contains("migrate")) {
        wrong.add("it suggests migrate although the schema is not the problem");
      }
      if (!wrong.isEmpty()) {
        throw new AssertionError(String.join("; ", wrong) + " in:\n" + output);
      }
    }
  }

  /** The password {@link Mistake#WRONG_PASSWORD} gives; messages must never show it. */
  public static final String WRONG_PASSWORD = "Wrong-Pass-9q";

  /** The user's real password in {@link Mistake#WRONG_PASSWORD}; messages must never show it. */
  public static final String RIGHT_PASSWORD = "Right-Pass-7k";

  private static final String PASSWORD_HINT = "db.user and db.password";

  private final boolean postgres;
  private final TestDatabase database;
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private Login wrongPassword;

  private WrongLogins(boolean postgres, TestDatabase database) {
    this.postgres = postgres;
    this.database = database;
    cleanup.add(database);
  }

  private static final Map<String, Once<WrongLogins>> SHARED =
      Map.of(
          "postgresql", new Once<>(() -> closedAtExit(postgres())),
          "mariadb", new Once<>(() -> closedAtExit(mariadb())));

  /**
   * Wrong logins shared by every test of this JVM, dropped when it exits.
   *
   * @param engine {@code postgresql} or {@code mariadb}
   * @return the logins; do not close them
   */
  public static WrongLogins shared(String engine) {
    Once<WrongLogins> once = SHARED.get(engine);
    if (once == null) {
      throw new IllegalArgumentException("no wrong logins for " + engine);
    }
    return once.get();
  }

  private static WrongLogins closedAtExit(WrongLogins logins) {
    Cleanup.atExit("drop the wrong logins' users and databases", logins::close);
    return logins;
  }

  /**
   * Wrong logins to PostgreSQL.
   *
   * @return the logins; close them to drop what they created
   */
  public static WrongLogins postgres() {
    return new WrongLogins(true, TestDatabases.postgres());
  }

  /**
   * Wrong logins to MariaDB; skips the calling test when no MariaDB is available.
   *
   * @return the logins; close them to drop what they created
   */
  public static WrongLogins mariadb() {
    return new WrongLogins(false, TestDatabases.mariadb());
  }

  /**
   * A login that makes {@code mistake}.
   *
   * @param mistake the mistake
   * @return the login
   */
  public synchronized Login login(Mistake mistake) {
    return switch (mistake) {
      case WRONG_PASSWORD -> wrongPassword();
      case UNKNOWN_DATABASE -> {
        String name = "waybill_missing_" + Names.hex(8);
        String url = database.jdbcUrl();
        int slash = url.indexOf('/', url.indexOf("//") + 2);
        int end = url.indexOf('?');
        url = url.substring(0, slash + 1) + name + (end < 0 ? "" : url.substring(end));
        yield new Login(
            url,
            database.user(),
            database.password(),
            postgres
                ? "database \"" + name + "\" does not exist"
                : "Unknown database '" + name + "'",
            "database name in db.url");
      }
      case CLOSED_PORT -> {
        int port = closedPort();
        yield new Login(
            (postgres ? "jdbc:postgresql" : "jdbc:mariadb") + "://127.0.0.1:" + port + "/test",
            database.user(),
            database.password(),
            postgres
                ? "Connection to 127.0.0.1:" + port + " refused"
                : "connect to 127.0.0.1:" + port + ". Connection refused",
            "host and port in db.url");
      }
    };
  }

  private Login wrongPassword() {
    if (wrongPassword != null) {
      return wrongPassword;
    }
    String user = "waybill_pw_" + Names.hex(6);
    try {
      if (postgres) {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
        cleanup.add(server);
        String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres";
        try (Connection c = DriverManager.getConnection(url, EmbeddedPostgresServer.USER, "");
            Statement st = c.createStatement()) {
          String hba;
          try (ResultSet rs = st.executeQuery("SHOW hba_file")) {
            rs.next();
            hba = rs.getString(1);
          }
          Files.writeString(
              Path.of(hba),
              String.join(
                  "\n",
                  "local all all trust",
                  "host all postgres 127.0.0.1/32 trust",
                  "host all postgres ::1/128 trust",
                  "host all all 127.0.0.1/32 scram-sha-256",
                  "host all all ::1/128 scram-sha-256",
                  ""));
          st.execute("SET password_encryption = 'scram-sha-256'");
          st.execute("CREATE ROLE " + user + " LOGIN PASSWORD '" + RIGHT_PASSWORD + "'");
          st.execute("SELECT pg_reload_conf()");
        }
        awaitPasswordChecked(url, user);
        wrongPassword =
            new Login(
                url,
                user,
                WRONG_PASSWORD,
                "password authentication failed for user \"" + user + "\"",
                PASSWORD_HINT);
      } else {
        try (Connection c = database.connect();
            Statement st = c.createStatement()) {
          for (String host : List.of("%", "localhost", "127.0.0.1")) {
            st.execute(
                "CREATE USER '" + user + "'@'" + host + "' IDENTIFIED BY '" + RIGHT_PASSWORD + "'");
          }
        }
        cleanup.add(
            () -> {
              try (Connection c = database.connect();
                  Statement st = c.createStatement()) {
                for (String host : List.of("%", "localhost", "127.0.0.1")) {
                  st.execute("DROP USER IF EXISTS '" + user + "'@'" + host + "'");
                }
              }
            });
        wrongPassword =
            new Login(
                database.jdbcUrl(),
                user,
                WRONG_PASSWORD,
                "Access denied for user '" + user + "'",
                PASSWORD_HINT);
      }
      return wrongPassword;
    } catch (SQLException e) {
      throw new IllegalStateException("could not prepare a user with a password: " + e, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until the server has read its new pg_hba.conf (a reload is asynchronous). */
  private static void awaitPasswordChecked(String url, String user) {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() - end < 0) {
      try (Connection c = DriverManager.getConnection(url, user, WRONG_PASSWORD)) {
        Thread.sleep(50); // still trusted: the reload has not happened yet
      } catch (SQLException e) {
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("PostgreSQL did not start checking passwords within 30 s");
  }

  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      try {
        cleanup.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
