package dev.waybill.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A throw-away PostgreSQL database for one benchmark run: dropped (if it exists) and created again
 * through an admin URL, so every run starts from empty tables and fresh statistics.
 */
final class PostgresBenchDatabase {
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private PostgresBenchDatabase() {}

  /**
   * Drops and creates {@code database} through {@code adminUrl} and returns the JDBC URL of the new
   * database (the admin URL with its database name replaced, parameters kept).
   *
   * @throws IllegalArgumentException when the URL is not a PostgreSQL URL or the name is unsafe
   * @throws SQLException when the server refuses
   */
  static String recreate(String adminUrl, String user, String password, String database)
      throws SQLException {
    if (!NAME.matcher(database).matches()) {
      throw new IllegalArgumentException(
          "'" + database + "' → --database → expected lower-case letters, digits, underscores");
    }
    String url = withDatabase(adminUrl, database);
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    try (Connection c = DriverManager.getConnection(adminUrl, p);
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      st.execute("CREATE DATABASE " + database);
    }
    return url;
  }

  /** One value of {@code SHOW name} (or a query returning one value) on the connection. */
  static String show(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : "";
    }
  }

  /**
   * {@code jdbc:postgresql://host:port/db?params} with {@code db} replaced.
   *
   * @throws IllegalArgumentException when the URL is not {@code jdbc:postgresql://...}
   */
  static String withDatabase(String url, String database) {
    String prefix = "jdbc:postgresql://";
    if (!url.toLowerCase(Locale.ROOT).startsWith(prefix)) {
      throw new IllegalArgumentException(
          "'"
              + url
              + "' → --url → expected a PostgreSQL admin URL such as"
              + " jdbc:postgresql://127.0.0.1:5432/postgres");
    }
    int hostStart = prefix.length();
    int q = url.indexOf('?', hostStart);
    int end = q < 0 ? url.length() : q;
    int slash = url.indexOf('/', hostStart);
    int hostEnd = slash < 0 || slash > end ? end : slash;
    return url.substring(0, hostEnd) + "/" + database + url.substring(end);
  }
}
