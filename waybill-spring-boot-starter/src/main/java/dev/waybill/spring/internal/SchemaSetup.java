package dev.waybill.spring.internal;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.schema.MigrationException;
import dev.waybill.outbox.schema.MigrationResult;
import dev.waybill.outbox.schema.SchemaCheck;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.spring.SchemaMode;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.ClassUtils;

/**
 * Brings the outbox tables to the version this Waybill needs at start, the way {@code
 * waybill.schema.mode} says, or checks them. Beans that write or relay depend on it, so nothing
 * touches the tables before it ran. Not API.
 */
public final class SchemaSetup {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaSetup.class);

  private final SchemaMode mode;

  /**
   * Runs the schema handling at once.
   *
   * @param mode what to do
   * @param dataSource the application's database
   * @param outbox the outbox table names
   * @throws MigrationException when the tables cannot be migrated, or are behind in mode {@code
   *     none}
   * @throws dev.waybill.outbox.schema.SchemaMismatchException when, in mode {@code none}, tables or
   *     columns are missing
   */
  public SchemaSetup(SchemaMode mode, DataSource dataSource, OutboxConfig outbox) {
    this.mode = mode;
    switch (mode) {
      case WAYBILL -> {
        MigrationResult result =
            SchemaMigrator.builder()
                .dataSource(dataSource)
                .tables(outbox.tables())
                .build()
                .migrate();
        LOG.info("waybill.schema.mode=waybill: outbox tables migrated ({})", result);
      }
      case FLYWAY -> {
        if (!ClassUtils.isPresent("org.flywaydb.core.Flyway", SchemaSetup.class.getClassLoader())) {
          throw new MigrationException(
              SchemaMode.PROPERTY
                  + "=flyway, but Flyway is not on the class path: add org.flywaydb:flyway-core"
                  + " (and flyway-database-postgresql or flyway-mysql for your database), or set "
                  + SchemaMode.PROPERTY
                  + "=waybill");
        }
        int applied = FlywaySchema.migrate(dataSource, dialect(dataSource), outbox.tables());
        LOG.info(
            "waybill.schema.mode=flyway: {} outbox and inbox script(s) applied (history table {})",
            applied,
            dev.waybill.outbox.schema.SchemaScripts.FLYWAY_TABLE);
      }
      case NONE -> {
        SchemaCheck.requireCurrent(
            dataSource,
            dialect(dataSource),
            outbox.tables(),
            SchemaComponent.outbox(),
            SchemaMode.PROPERTY + "=none");
        LOG.info("waybill.schema.mode=none: the outbox tables are in place");
      }
    }
  }

  private static Dialect dialect(DataSource dataSource) {
    try (Connection c = dataSource.getConnection()) {
      return Dialect.of(c);
    } catch (SQLException e) {
      throw new MigrationException(
          "cannot reach the database to check the outbox tables: "
              + DatabaseConnectionException.describe(e),
          e);
    }
  }

  /**
   * The mode that ran.
   *
   * @return the schema mode
   */
  public SchemaMode mode() {
    return mode;
  }
}
