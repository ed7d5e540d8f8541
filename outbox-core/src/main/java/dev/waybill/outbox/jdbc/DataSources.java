package dev.waybill.outbox.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.WaybillException;
import java.util.Objects;

/** Builds the HikariCP pools the Waybill processes use. */
public final class DataSources {
  private DataSources() {}

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
