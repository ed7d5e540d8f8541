package dev.waybill.spring.internal;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaScripts;
import dev.waybill.outbox.schema.TableNames;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the outbox and inbox scripts Waybill ships (one history: their versions do not clash)
 * with a Flyway instance of the starter's own: its own history table ({@link
 * SchemaScripts#FLYWAY_TABLE}), so Waybill's {@code V1} never meets the application's, and the
 * table names of the {@code waybill.outbox.*} properties as placeholders. Loaded only when {@code
 * waybill.schema.mode=flyway} and Flyway is on the class path. Not API.
 */
final class FlywaySchema {
  private FlywaySchema() {}

  /**
   * Migrates.
   *
   * @return how many scripts ran
   */
  static int migrate(DataSource dataSource, Dialect dialect, TableNames tables) {
    MigrateResult result =
        Flyway.configure()
            .dataSource(dataSource)
            .table(SchemaScripts.FLYWAY_TABLE)
            .locations(SchemaScripts.flywayLocations(dialect).toArray(String[]::new))
            .placeholders(SchemaScripts.placeholders(tables))
            // the application's own tables may already be in the schema: start Waybill's history
            // below its first script, so that every script still runs
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load()
            .migrate();
    return result.migrationsExecuted;
  }
}
