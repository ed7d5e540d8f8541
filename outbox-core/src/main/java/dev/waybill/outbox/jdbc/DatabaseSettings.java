package dev.waybill.outbox.jdbc;

import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.dialect.Dialect;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to reach the database: the {@code db.*} settings shared by the relay, the consumer and the
 * DLQ tool. {@link #toString()} never shows the password.
 *
 * @param url the JDBC URL ({@code db.url}); its scheme selects the dialect
 * @param user the user ({@code db.user})
 * @param password the password ({@code db.password}), possibly empty
 * @param poolSize the most connections the pool opens ({@code db.pool.size})
 * @param connectTimeout how long to wait for a connection ({@code db.connect.timeout})
 */
public record DatabaseSettings(
    String url, String user, String password, int poolSize, Duration connectTimeout) {

  /** Default {@code db.pool.size}. */
  public static final int DEFAULT_POOL_SIZE = 4;

  /** {@code db.url}: required. */
  public static final Setting<String> URL =
      Setting.string(
          "db.url",
          null,
          "JDBC URL of the application database, e.g. jdbc:postgresql://db:5432/app;"
              + " jdbc:mysql:, jdbc:mariadb: and jdbc:h2: are also supported.");

  /** {@code db.user}: required. */
  public static final Setting<String> USER = Setting.string("db.user", null, "Database user.");

  /** {@code db.password}: required (may be empty); never logged. */
  public static final Setting<String> PASSWORD =
      Setting.secret(
          "db.password",
          null,
          "Database password; never logged or shown. Or db.password.file"
              + " (WAYBILL_DB_PASSWORD_FILE): the path of a file holding it, such as a mounted"
              + " Kubernetes secret.");

  /** {@code db.pool.size}. */
  public static final Setting<Integer> POOL_SIZE =
      Setting.integer(
          "db.pool.size", DEFAULT_POOL_SIZE, 1, 200, "Most connections the pool keeps open.");

  /** {@code db.connect.timeout}. */
  public static final Setting<Duration> CONNECT_TIMEOUT =
      Setting.duration(
          "db.connect.timeout",
          "10s",
          Duration.ofMillis(250),
          Duration.ofMinutes(10),
          "How long to wait for a database connection before failing.");

  /** Every {@code db.*} setting, in documentation order. */
  public static final List<Setting<?>> SETTINGS =
      List.of(URL, USER, PASSWORD, POOL_SIZE, CONNECT_TIMEOUT);

  /**
   * @param url the JDBC URL; required, and its scheme must have a dialect
   * @param user the database user; required
   * @param password the password; may be empty, never null; never shown by {@link #toString()}
   * @param poolSize the most connections the pool keeps open, at least 1
   * @param connectTimeout how long to wait for a connection; positive
   * @throws IllegalArgumentException naming the field when a value is unusable
   */
  public DatabaseSettings {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    if (poolSize < 1) {
      throw new IllegalArgumentException("db.pool.size " + poolSize + " must be at least 1");
    }
  }

  /**
   * Settings with the defaults for the pool.
   *
   * @param url the JDBC URL
   * @param user the database user
   * @param password the password, possibly empty
   * @return the settings, with {@link #DEFAULT_POOL_SIZE} and a 10 s connect timeout
   */
  public static DatabaseSettings of(String url, String user, String password) {
    return new DatabaseSettings(url, user, password, DEFAULT_POOL_SIZE, Duration.ofSeconds(10));
  }

  /**
   * Reads the {@code db.*} settings; problems (including an unsupported URL) are collected in the
   * reader. Returns null when any of them was invalid.
   *
   * @param reader the process's settings reader, which collects the problems
   * @return the settings, or null when any was invalid
   */
  public static DatabaseSettings read(Settings.Reader reader) {
    String url = reader.get(URL);
    String user = reader.get(USER);
    String password = reader.get(PASSWORD);
    Integer pool = reader.get(POOL_SIZE);
    Duration timeout = reader.get(CONNECT_TIMEOUT);
    if (url != null) {
      String refusal = refusal(url);
      if (refusal != null) {
        reader.problem("'" + redactUrl(url) + "' → db.url → " + refusal);
        url = null;
      }
    }
    if (url == null || user == null || password == null || pool == null || timeout == null) {
      return null;
    }
    return new DatabaseSettings(url, user, password, pool, timeout);
  }

  /**
   * Why a configured URL cannot be used, or null when it can: its scheme has no dialect, it is an
   * H2 URL that runs scripts when a connection opens ({@code INIT=}), or no JDBC driver on the
   * class path accepts it (the runnable jars bundle the PostgreSQL and MariaDB drivers only).
   */
  private static String refusal(String url) {
    try {
      Dialect.fromJdbcUrl(url);
    } catch (RuntimeException e) {
      return e.getMessage();
    }
    if (url.regionMatches(true, 0, "jdbc:h2:", 0, 8) && H2_INIT.matcher(url).find()) {
      return "an H2 URL with INIT= runs SQL (and RUNSCRIPT files) on every connection;"
          + " remove the INIT parameter";
    }
    try {
      DriverManager.getDriver(url);
    } catch (SQLException e) {
      return "no JDBC driver on the class path accepts this URL; the runnable jars bundle the"
          + " PostgreSQL and MariaDB/MySQL drivers (H2 is for tests and embedded use only)";
    }
    return null;
  }

  private static final Pattern H2_INIT = Pattern.compile("(?i);\\s*INIT\\s*=");

  /**
   * The dialect selected by the URL.
   *
   * @return the dialect of {@link #url()}
   */
  public Dialect dialect() {
    return Dialect.fromJdbcUrl(url);
  }

  /**
   * A URL with any {@code password=...} parameter and {@code user:password@} part masked.
   *
   * @param url a JDBC URL, or null
   * @return the URL safe to log; null stays null
   */
  public static String redactUrl(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***")
        .replaceAll("//([^/@:]+):[^/@]*@", "//$1:***@");
  }

  @Override
  public String toString() {
    return "DatabaseSettings[url="
        + redactUrl(url)
        + ", user="
        + user
        + ", password=***, poolSize="
        + poolSize
        + ", connectTimeout="
        + connectTimeout
        + "]";
  }
}
