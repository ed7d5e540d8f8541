package dev.waybill.outbox.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.WaybillException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;

/** Builds the HikariCP pools the Waybill processes use. */
public final class DataSources {
  private DataSources() {}

  /**
   * A pool as {@link #create}, once one connection straight through the driver showed that these
   * settings reach the database: a wrong password, an unknown database or a closed port fails here
   * at once with the driver's reason and a hint, where the pool would only report a timeout after
   * {@code db.connect.timeout}. For the command-line tools, which cannot work without the database.
   *
   * @param settings URL, credentials and pool size
   * @param poolName the pool's name in logs and metrics
   * @return the pool; the caller closes it
   * @throws DatabaseConnectionException when the database cannot be reached or refuses the login
   * @throws WaybillException when the pool rejects the settings
   */
  public static HikariDataSource open(DatabaseSettings settings, String poolName) {
    HikariDataSource ds = create(settings, poolName);
    Properties login = new Properties();
    login.setProperty("user", settings.user());
    login.setProperty("password", settings.password());
    try (Connection c = DriverManager.getConnection(settings.url(), login)) {
      return ds;
    } catch (SQLException | RuntimeException e) {
      ds.close();
      throw DatabaseConnectionException.explain(e, settings);
    }
  }

  /**
   * A pool named {@code poolName} (the name appears in every HikariCP log line and metric). It
   * connects lazily: a database that is down fails the first use, not this call.
   *
   * @param settings URL, credentials and pool size
   * @param poolName the pool's name in logs and metrics
   * @return the pool; the caller closes it
   * @throws WaybillException when the settings are rejected by the pool (e.g. no driver for the
   *     URL), naming the URL without credentials
   */
  public static HikariDataSource create(DatabaseSettings settings, String poolName) {
    Objects.requireNonNull(settings, "settings");
    HikariConfig c = new HikariConfig();
    c.setPoolName(poolName);
    c.setJdbcUrl(settings.url());
    c.setUsername(settings.user());
    c.setPassword(settings.password());
    c.setMaximumPoolSize(settings.poolSize());
    c.setMinimumIdle(Math.min(1, settings.poolSize()));
    c.setConnectionTimeout(settings.connectTimeout().toMillis());
    c.setInitializationFailTimeout(-1);
    c.setAutoCommit(true);
    try {
      return new HikariDataSource(c);
    } catch (RuntimeException e) {
      throw new WaybillException(
          "cannot create connection pool '"
              + poolName
              + "' for "
              + DatabaseSettings.redactUrl(settings.url())
              + ": "
              + e.getMessage()
              + " (is the JDBC driver on the class path?)",
          e);
    }
  }
}
