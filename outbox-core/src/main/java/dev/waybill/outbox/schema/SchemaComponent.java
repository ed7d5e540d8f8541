package dev.waybill.outbox.schema;

import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.util.List;
import java.util.Objects;

/**
 * A set of tables migrated together, with its own version line in the history table: {@link
 * #outbox()} here; the inbox consumer defines its own.
 *
 * @param name the component name, also the folder of its scripts ({@code db/waybill/<name>/})
 * @param migrations its migrations, versions 1..n in order
 */
public record SchemaComponent(String name, List<Migration> migrations) {

  /**
   * @param name the component name, a plain identifier
   * @param migrations the migrations; copied
   * @throws IllegalArgumentException when versions are not 1, 2, 3, ... in order
   */
  public SchemaComponent {
    SqlIdentifier.checkPart(name, "schema component");
    migrations = List.copyOf(migrations);
    for (int i = 0; i < migrations.size(); i++) {
      if (migrations.get(i).version() != i + 1) {
        throw new IllegalArgumentException(
            "component '"
                + name
                + "': migration "
                + i
                + " has version "
                + migrations.get(i).version()
                + ", expected "
                + (i + 1));
      }
    }
  }

  /**
   * The outbox table (and, from later versions, the relay's tables).
   *
   * @return the outbox component
   */
  public static SchemaComponent outbox() {
    return new SchemaComponent(
        "outbox",
        List.of(new Migration(1, "create outbox table"), new Migration(2, "create relay tables")));
  }

  /**
   * The inbox consumer's tables: the inbox ({@code ${inbox_table}}, one row per handled message and
   * consumer group) and its parked keys ({@code ${inbox_table}_parked}, ordered mode). Migrate with
   * {@code SchemaMigrator.builder().component(SchemaComponent.inbox())}. Its script is file {@code
   * V3}: the file versions of all components form one sequence (see {@link Migration}).
   *
   * @return the inbox component
   */
  public static SchemaComponent inbox() {
    return new SchemaComponent("inbox", List.of(new Migration(1, "create inbox table", 3)));
  }

  /**
   * The newest version of this component.
   *
   * @return the version of the last migration
   */
  public int latestVersion() {
    return migrations.size();
  }

  /**
   * The class-path resource of a migration's script for a dialect.
   *
   * @param dialectName the dialect's {@link dev.waybill.outbox.dialect.Dialect#name()}
   * @param migration one of this component's migrations
   * @return {@code db/waybill/<component>/<dialect>/<file name>}, without a leading slash
   */
  public String resource(String dialectName, Migration migration) {
    Objects.requireNonNull(migration, "migration");
    return "db/waybill/" + name + "/" + dialectName + "/" + migration.fileName();
  }
}
