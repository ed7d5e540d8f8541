package dev.waybill.outbox.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.WaybillException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.function.BiConsumer;

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
   * {@link #open}, waiting for a database that cannot be reached or does not accept connections yet
   * (a server restarting, a sidecar started before its database): such a failure ({@link
   * DatabaseConnectionException.Reason#UNREACHABLE}, {@link
   * DatabaseConnectionException.Reason#UNAVAILABLE}) is tried again at intervals growing from 1 to
   * 5 s until {@code patience} has passed, each retry reported to {@code onRetry}. A refused login,
   * an unknown database or any other failure ends at once, since waiting does not mend settings.
   *
   * @param settings URL, credentials and pool size
   * @param poolName the pool's name in logs and metrics
   * @param patience how long to keep trying; zero tries once
   * @param onRetry told of each failure that is tried again, with the time left
   * @return the pool; the caller closes it
   * @throws DatabaseConnectionException the last failure, when patience ran out or it is not one
   *     that waiting can mend
   * @throws WaybillException when the pool rejects the settings
   */
  public static HikariDataSource openWaiting(
      DatabaseSettings settings,
      String poolName,
      Duration patience,
      BiConsumer<DatabaseConnectionException, Duration> onRetry) {
    long deadline = System.nanoTime() + patience.toNanos();
    long pauseMillis = 1_000;
    while (true) {
      try {
        return open(settings, poolName);
      } catch (DatabaseConnectionException e) {
        long left = deadline - System.nanoTime();
        boolean transientFailure =
            e.reason() == DatabaseConnectionException.Reason.UNREACHABLE
                || e.reason() == DatabaseConnectionException.Reason.UNAVAILABLE;
        if (!transientFailure || left <= 0) {
          throw e;
        }
        onRetry.accept(e, Duration.ofNanos(left));
        try {
          Thread.sleep(Math.min(pauseMillis, Math.max(1, left / 1_000_000)));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
        pauseMillis = Math.min(5_000, pauseMillis * 2);
      }
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
