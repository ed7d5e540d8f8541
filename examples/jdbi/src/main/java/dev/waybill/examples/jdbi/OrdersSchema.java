package dev.waybill.examples.jdbi;

import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Creates the example's tables: Waybill's outbox and inbox (through {@link SchemaMigrator}, which
 * records versions and is safe to run from many instances at once) and the application's own two
 * tables, as a Jdbi script. A real application would run all of them with Flyway or Liquibase;
 * Waybill ships its DDL as plain scripts for that (docs/outbox-table.md).
 */
public final class OrdersSchema {

  private static final String APPLICATION_TABLES =
      """
      CREATE TABLE IF NOT EXISTS orders (
        id           varchar(36) PRIMARY KEY,
        customer     varchar(100) NOT NULL,
        amount_cents bigint NOT NULL,
        placed_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS customer_balance (
        customer      varchar(100) PRIMARY KEY,
        orders        integer NOT NULL,
        balance_cents bigint NOT NULL
      );
      """;

  private OrdersSchema() {}

  /**
   * Creates every table that is missing. Idempotent.
   *
   * @throws dev.waybill.outbox.schema.MigrationException when Waybill's migration fails
   * @throws org.jdbi.v3.core.JdbiException when the application's DDL fails
   */
  public static void migrate(DataSource dataSource, Jdbi jdbi) {
    SchemaMigrator.builder().dataSource(dataSource).build().migrate();
    SchemaMigrator.builder()
        .dataSource(dataSource)
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
    jdbi.useHandle(handle -> handle.createScript(APPLICATION_TABLES).execute());
  }
}
