package dev.waybill.outbox.schema;

import dev.waybill.outbox.dialect.Dialect;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where the shipped schema scripts live and what to substitute into them, for running them with a
 * tool of your own (Flyway, Liquibase) instead of {@link SchemaMigrator}.
 *
 * <p>The scripts are plain SQL with {@code ${name}} placeholders (Flyway's and Liquibase's default
 * syntax), named {@code V<n>__<description>.sql}. The file versions of all components form one
 * sequence ({@code V1}, {@code V2}: outbox; {@code V3}: inbox), so the folders of {@link
 * #flywayLocations(Dialect)} can share one Flyway history. Give that history a table of its own
 * ({@link #FLYWAY_TABLE}): the application's own {@code V1} would clash with Waybill's.
 *
 * <pre>{@code
 * Flyway.configure()
 *     .dataSource(ds)
 *     .table(SchemaScripts.FLYWAY_TABLE)
 *     .locations(SchemaScripts.flywayLocations(Dialect.postgres()).toArray(String[]::new))
 *     .placeholders(SchemaScripts.placeholders(TableNames.defaults()))
 *     .baselineOnMigrate(true) // when the schema already holds the application's tables,
 *     .baselineVersion("0") //    without skipping Waybill's V1
 *     .load()
 *     .migrate();
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class SchemaScripts {
  /**
   * The Flyway history table to use for Waybill's scripts: one of their own, apart from the
   * application's {@code flyway_schema_history}.
   */
  public static final String FLYWAY_TABLE = "waybill_flyway_history";

  /**
   * The Liquibase changelog that applies every component's scripts (one changeset per script and
   * database kind); its changelog parameters are {@link #placeholders(TableNames)}.
   */
  public static final String LIQUIBASE_CHANGELOG = "db/waybill/liquibase/changelog.xml";

  private SchemaScripts() {}

  /**
   * The class-path folder of a component's scripts for a dialect.
   *
   * @param dialect the database's dialect
   * @param component the component
   * @return e.g. {@code db/waybill/outbox/postgresql}, without a leading or trailing slash
   */
  public static String resourceFolder(Dialect dialect, SchemaComponent component) {
    Objects.requireNonNull(dialect, "dialect");
    return "db/waybill/" + component.name() + "/" + dialect.name();
  }

  /**
   * A component's scripts as a Flyway location.
   *
   * @param dialect the database's dialect
   * @param component the component
   * @return e.g. {@code classpath:db/waybill/outbox/postgresql}
   */
  public static String flywayLocation(Dialect dialect, SchemaComponent component) {
    return "classpath:" + resourceFolder(dialect, component);
  }

  /**
   * The Flyway locations of every component (outbox, then inbox): one Flyway with these and {@link
   * #FLYWAY_TABLE} applies all of Waybill's tables.
   *
   * @param dialect the database's dialect
   * @return the locations, outbox first
   */
  public static List<String> flywayLocations(Dialect dialect) {
    return List.of(
        flywayLocation(dialect, SchemaComponent.outbox()),
        flywayLocation(dialect, SchemaComponent.inbox()));
  }

  /**
   * The class-path resource of one script.
   *
   * @param dialect the database's dialect
   * @param component the component
   * @param migration one of the component's migrations
   * @return e.g. {@code db/waybill/inbox/mysql/V3__create_inbox_table.sql}
   */
  public static String resource(Dialect dialect, SchemaComponent component, Migration migration) {
    return resourceFolder(dialect, component) + "/" + migration.fileName();
  }

  /**
   * The value of every placeholder the scripts use, for the given table names. Every script's
   * placeholders are among these, so one map serves all components (Flyway fails on a placeholder
   * without a value).
   *
   * @param tables the table names
   * @return placeholder name to value, e.g. {@code outbox_table} → {@code app.waybill_outbox};
   *     unmodifiable, in a stable order
   */
  public static Map<String, String> placeholders(TableNames tables) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("outbox_table", tables.outboxTable().sql());
    p.put("outbox_name", tables.outbox());
    p.put("dead_letter_table", tables.deadLetterTable().sql());
    p.put("dead_letter_name", tables.deadLetters());
    p.put("lease_table", tables.leaseTable().sql());
    p.put("lease_name", tables.leases());
    p.put("relay_table", tables.relayTable().sql());
    p.put("relay_name", tables.relays());
    p.put("inbox_table", tables.inboxTable().sql());
    p.put("inbox_name", tables.inbox());
    return java.util.Collections.unmodifiableMap(p);
  }
}
