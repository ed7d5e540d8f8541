package dev.waybill.spring.internal;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.schema.MigrationException;
import dev.waybill.outbox.schema.MigrationResult;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.spring.SchemaMode;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
   * @throws MigrationException when the tables cannot be migrated, or are not usable in mode {@code
   *     none}
   */
  public SchemaSetup(SchemaMode mode, DataSource dataSource, OutboxConfig outbox) {
    this.mode = mode;
    SchemaMigrator migrator =
        SchemaMigrator.builder().dataSource(dataSource).tables(outbox.tables()).build();
    switch (mode) {
      case WAYBILL -> {
        MigrationResult result = migrator.migrate();
        LOG.info("waybill.schema.mode=waybill: outbox tables migrated ({})", result);
      }
      case FLYWAY ->
          throw new MigrationException(
              SchemaMode.PROPERTY
                  + "=flyway is not available in this version: use waybill (the default) or"
                  + " none");
      case NONE -> check(migrator);
    }
  }

  private static void check(SchemaMigrator migrator) {
    int latest = SchemaComponent.outbox().latestVersion();
    int current = migrator.currentVersion();
    if (current < latest) {
      throw new MigrationException(
          SchemaMode.PROPERTY
              + "=none, but the outbox tables are at version "
              + current
              + " of "
              + latest
              + ": apply the scripts under db/waybill/outbox/ (outbox-core) with your own"
              + " migration tool, or set "
              + SchemaMode.PROPERTY
              + "=waybill to let Waybill migrate them at start");
    }
    LOG.info("waybill.schema.mode=none: outbox tables found at version {}", current);
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
