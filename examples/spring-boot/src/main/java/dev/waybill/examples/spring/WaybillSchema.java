package dev.waybill.examples.spring;

import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import javax.sql.DataSource;
import org.springframework.stereotype.Component;

/**
 * Creates Waybill's outbox and inbox tables when the context starts (idempotent, safe from many
 * instances at once). The relay and the consumer take this bean in their constructors so they start
 * only after it. The application's own tables come from {@code schema.sql}. With Flyway or
 * Liquibase, run Waybill's shipped scripts there instead (docs/schema.md: Flyway locations with a
 * history table of their own, or the shipped Liquibase changelog, and every placeholder) and drop
 * this bean; the relay and consumer then check the tables' structure at start.
 */
@Component
public class WaybillSchema {

  WaybillSchema(DataSource dataSource) {
    SchemaMigrator.builder().dataSource(dataSource).build().migrate();
    SchemaMigrator.builder()
        .dataSource(dataSource)
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
  }
}
