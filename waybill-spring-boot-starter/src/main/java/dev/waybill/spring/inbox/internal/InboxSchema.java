package dev.waybill.spring.inbox.internal;

import dev.waybill.outbox.schema.MigrationResult;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.spring.SchemaMode;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the inbox tables to the version this Waybill needs at start when {@code
 * waybill.schema.mode} is {@code waybill} (the default); in the other modes the application
 * migrates them and each inbox consumer checks them when it starts. The inbox beans depend on it,
 * so nothing touches the tables before it ran. Not API.
 */
public final class InboxSchema {
  private static final Logger LOG = LoggerFactory.getLogger(InboxSchema.class);

  /**
   * Runs the schema handling at once.
   *
   * @param mode the schema mode
   * @param dataSource the application's database
   * @param settings the inbox settings (table names)
   */
  public InboxSchema(SchemaMode mode, DataSource dataSource, InboxSettings settings) {
    if (mode == SchemaMode.WAYBILL) {
      MigrationResult result =
          SchemaMigrator.builder()
              .dataSource(dataSource)
              .tables(settings.tables())
              .component(SchemaComponent.inbox())
              .build()
              .migrate();
      LOG.info("{}=waybill: inbox tables migrated ({})", SchemaMode.PROPERTY, result);
    }
  }
}
