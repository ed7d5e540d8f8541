package dev.waybill.testkit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A uniquely named login role (PostgreSQL) or user (MariaDB, {@code 'name'@'%'}) with no privilege
 * of its own, for least-privilege tests: grant it exactly the statements of a shipped grants script
 * ({@link #grant(String)}), then run a component as it. Roles and users are server-wide, so the
 * name is random ({@code <placeholder>_<hex>}) and {@link #close()} drops it; close it before the
 * {@link TestDatabase}.
 *
 * <p>Grants scripts name the role by a placeholder word (for example {@code outbox_relay}); {@link
 * #statements(String)} replaces that word by this role's name and splits the script at a {@code ;}
 * that ends a line (on PostgreSQL 17 and later with the fourth argument of {@code
 * pg_logical_emit_message}, as the scripts say). Not thread-safe.
 */
public final class DatabaseRole implements AutoCloseable {
  private static final Pattern END_OF_STATEMENT = Pattern.compile(";[ \\t]*(\\r?\\n|$)");

  private final TestDatabase db;
  private final String placeholder;
  private final String name;
  private final String password;
  private HikariDataSource pool;
  private boolean closed;

  private DatabaseRole(TestDatabase db, String placeholder, String name, String password) {
    this.db = db;
    this.placeholder = placeholder;
    this.name = name;
    this.password = password;
  }

  /**
   * Creates a login role that can connect to {@code db} and has no other privilege.
   *
   * @param db a PostgreSQL or MariaDB test database
   * @param placeholder the word the grants scripts use for this role, e.g. {@code outbox_relay}
   * @return the new role; close it before {@code db}
   * @throws IllegalStateException if the role cannot be created
   */
  public static DatabaseRole create(TestDatabase db, String placeholder) {
    if (db.kind() == TestDatabase.Kind.H2) {
      throw new UnsupportedOperationException("H2 has no roles worth testing");
    }
    String name = placeholder.toLowerCase(Locale.ROOT) + "_" + Names.hex(5);
    String password = "pw" + Names.hex(8);
    DatabaseRole role = new DatabaseRole(db, placeholder, name, password);
    role.admin(
        db.kind() == TestDatabase.Kind.POSTGRES
            ? List.of("CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "'")
            : List.of("CREATE USER '" + name + "'@'%' IDENTIFIED BY '" + password + "'"));
    return role;
  }

  /** The role's (user's) name. */
  public String name() {
    return name;
  }

  /** The role's password. */
  public String password() {
    return password;
  }

  /** The test database's JDBC URL, without a {@code user} or {@code password} parameter. */
  public String jdbcUrl() {
    return db.jdbcUrl().replaceAll("([?&])(user|password)=[^&]*&?", "$1").replaceAll("[?&]$", "");
  }

  /**
   * Opens a connection as this role.
   *
   * @throws SQLException if the server refuses it
   */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), name, password);
  }

  /** A pool of connections as this role (at most 8), created on the first call. */
  public synchronized DataSource dataSource() {
    if (pool == null) {
      HikariConfig config = new HikariConfig();
      config.setPoolName("role-" + name);
      config.setJdbcUrl(jdbcUrl());
      config.setUsername(name);
      config.setPassword(password);
      config.setMaximumPoolSize(8);
      config.setMinimumIdle(0);
      config.setInitializationFailTimeout(-1);
      config.setConnectionTimeout(5_000); // a role refused at connect fails fast
      pool = new HikariDataSource(config);
    }
    return pool;
  }

  /**
   * The statements of a grants script on the class path, with this role's name in place of the
   * placeholder word.
   *
   * @param resource a class path resource, e.g. {@code db/waybill/grants/postgresql/relay.sql}
   * @return the statements, without their trailing {@code ;}, comment-only parts skipped
   */
  public List<String> statements(String resource) {
    String script = read(resource);
    String named =
        script.replaceAll(
            "\\b" + Pattern.quote(placeholder) + "\\b", Matcher.quoteReplacement(name));
    List<String> out = new ArrayList<>();
    Matcher m = END_OF_STATEMENT.matcher(named);
    int start = 0;
    while (m.find()) {
      add(out, named.substring(start, m.start()));
      start = m.end();
    }
    add(out, named.substring(start));
    return postgres17() ? out.stream().map(DatabaseRole::withFlushArgument).toList() : out;
  }

  /**
   * PostgreSQL 17 gave {@code pg_logical_emit_message} a fourth argument ({@code flush boolean});
   * the scripts name the three-argument signatures and say to add it there, as done here.
   */
  private static String withFlushArgument(String statement) {
    return statement
        .replace(
            "pg_logical_emit_message(boolean, text, bytea)",
            "pg_logical_emit_message(boolean, text, bytea, boolean)")
        .replace(
            "pg_logical_emit_message(boolean, text, text)",
            "pg_logical_emit_message(boolean, text, text, boolean)");
  }

  private boolean postgres17() {
    if (db.kind() != TestDatabase.Kind.POSTGRES) {
      return false;
    }
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      return rs.next() && Integer.parseInt(rs.getString(1)) >= 170000;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the server version of " + db, e);
    }
  }

  /**
   * Runs the statements of a grants script as the test database's administrator.
   *
   * @param resource a class path resource
   * @return the statements run
   */
  public List<String> grant(String resource) {
    List<String> statements = statements(resource);
    admin(statements);
    return statements;
  }

  /**
   * Runs statements as the test database's administrator, in the test database.
   *
   * @param statements SQL statements
   * @throws IllegalStateException naming the statement that failed
   */
  public void admin(List<String> statements) {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      for (String s : statements) {
        try {
          st.execute(s);
        } catch (SQLException e) {
          throw new IllegalStateException("failed: " + s + ": " + e.getMessage(), e);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot connect to " + db + ": " + e.getMessage(), e);
    }
  }

  /**
   * Closes the pool, ends the role's sessions and drops the role with its privileges in the test
   * database. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (pool != null) {
      pool.close();
    }
    if (db.kind() == TestDatabase.Kind.POSTGRES) {
      admin(
          List.of(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '"
                  + name
                  + "'",
              "DROP OWNED BY " + name,
              "DROP ROLE " + name));
    } else {
      admin(List.of("DROP USER IF EXISTS '" + name + "'@'%'"));
    }
  }

  private static void add(List<String> out, String chunk) {
    String withoutComments = chunk.replaceAll("(?m)^\\s*--.*$", "").strip();
    if (!withoutComments.isEmpty()) {
      out.add(withoutComments);
    }
  }

  private static String read(String resource) {
    try (InputStream in =
        Thread.currentThread().getContextClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no class path resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "role " + name + " on " + db;
  }
}
