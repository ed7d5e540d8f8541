package dev.waybill.outbox.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.ExternalMigrations;
import dev.waybill.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A schema applied from the shipped scripts by Flyway or Liquibase is one Waybill accepts; a schema
 * that lacks a piece is refused naming it; Waybill's own history stays valid. Each database
 * subclasses this in a few lines.
 */
abstract class ExternalSchemaContract {

  abstract TestDatabase newDatabase();

  abstract Dialect dialect();

  /** The SQL that drops an index of a table. */
  abstract String dropIndexSql(String index, String table);

  /** The SHA-256 of each script as the previous release recorded it, by "component/version". */
  abstract Map<String, String> releasedChecksums();

  @Test
  final void flywayAppliesOutboxAndInboxInOneHistoryAndWaybillAcceptsIt() throws Exception {
    try (TestDatabase db = newDatabase()) {
      DataSource ds = db.dataSource();
      execute(db, "CREATE TABLE orders (id INT PRIMARY KEY)"); // the application's own table
      List<String> applied =
          ExternalMigrations.flyway(
              ds,
              SchemaScripts.FLYWAY_TABLE,
              SchemaScripts.flywayLocations(dialect()),
              SchemaScripts.placeholders(TableNames.defaults()));
      assertThat(applied).containsExactly("1", "2", "3");
      assertAccepted(ds);
    }
  }

  @Test
  final void liquibaseAppliesTheShippedChangelogAndWaybillAcceptsIt() throws Exception {
    try (TestDatabase db = newDatabase()) {
      DataSource ds = db.dataSource();
      ExternalMigrations.liquibase(
          ds, SchemaScripts.LIQUIBASE_CHANGELOG, SchemaScripts.placeholders(TableNames.defaults()));
      assertAccepted(ds);
    }
  }

  private void assertAccepted(DataSource ds) {
    TableNames t = TableNames.defaults();
    assertThat(SchemaCheck.problems(ds, dialect(), t, SchemaComponent.outbox())).isEmpty();
    assertThat(SchemaCheck.problems(ds, dialect(), t, SchemaComponent.inbox())).isEmpty();
    SchemaCheck.requireCurrent(ds, dialect(), t, SchemaComponent.outbox(), "relay r1");
    // Waybill's own migrator finds nothing to do (it used to fail: "table already exists")
    for (SchemaComponent component : List.of(SchemaComponent.outbox(), SchemaComponent.inbox())) {
      MigrationResult r =
          SchemaMigrator.builder().dataSource(ds).component(component).build().migrate();
      assertThat(r.applied()).isEmpty();
      assertThat(r.toVersion()).isEqualTo(component.latestVersion());
    }
  }

  @Test
  final void aMissingColumnIndexOrTableIsNamedWithItsScript() throws Exception {
    try (TestDatabase db = newDatabase()) {
      DataSource ds = db.dataSource();
      ExternalMigrations.flyway(
          ds,
          SchemaScripts.FLYWAY_TABLE,
          List.of(SchemaScripts.flywayLocation(dialect(), SchemaComponent.outbox())),
          SchemaScripts.placeholders(TableNames.defaults()));
      execute(db, "ALTER TABLE waybill_outbox DROP COLUMN traceparent");
      execute(db, dropIndexSql("waybill_outbox_shard_seq", "waybill_outbox"));
      execute(db, "DROP TABLE waybill_relay_instance");
      String v1 = "db/waybill/outbox/" + dialect().name() + "/V1__create_outbox_table.sql";
      String v2 = "db/waybill/outbox/" + dialect().name() + "/V2__create_relay_tables.sql";
      assertThatThrownBy(
              () ->
                  SchemaCheck.requireCurrent(
                      ds, dialect(), TableNames.defaults(), SchemaComponent.outbox(), "relay r1"))
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageStartingWith(
              "relay r1: no outbox version is recorded in waybill_schema_history and the outbox"
                  + " tables in the default schema lack what Waybill needs (3 problems)")
          .hasMessageContaining(
              "waybill_outbox.traceparent: missing (VARCHAR(55) or longer text NULL); created by "
                  + v1)
          .hasMessageContaining("waybill_outbox: an index on (shard, seq) is missing (found: ")
          .hasMessageContaining(
              "waybill_relay_instance: table missing (or not visible to this role); created by "
                  + v2)
          .hasMessageContaining("Fix: apply the scripts of db/waybill/outbox/" + dialect().name());
      assertThatThrownBy(
              () ->
                  SchemaCheck.verify(ds, dialect(), TableNames.defaults(), SchemaComponent.inbox()))
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageContaining("waybill_inbox: table missing")
          .hasMessageContaining("waybill_inbox_parked: table missing")
          .hasMessageContaining("/V3__create_inbox_table.sql");
    }
  }

  @Test
  final void aWrongTypeOrNullabilityIsNamed() throws Exception {
    try (TestDatabase db = newDatabase()) {
      DataSource ds = db.dataSource();
      execute(
          db,
          "CREATE TABLE waybill_inbox (consumer_group VARCHAR(255) NOT NULL, message_id"
              + " VARCHAR(36) NOT NULL, handled_at INTEGER, PRIMARY KEY (consumer_group,"
              + " message_id))");
      List<String> problems =
          SchemaCheck.problems(ds, dialect(), TableNames.defaults(), SchemaComponent.inbox());
      assertThat(problems)
          .anySatisfy(p -> assertThat(p).startsWith("waybill_inbox.message_id: is "))
          .anySatisfy(p -> assertThat(p).startsWith("waybill_inbox.handled_at: is "))
          .anySatisfy(
              p ->
                  assertThat(p)
                      .startsWith(
                          "waybill_inbox: an index on (consumer_group, handled_at) is missing"))
          .anySatisfy(p -> assertThat(p).startsWith("waybill_inbox_parked: table missing"))
          .hasSize(4);
    }
  }

  @Test
  final void aSecondOutboxTableInTheSameSchemaIsRefusedNamingTheFix() {
    try (TestDatabase db = newDatabase()) {
      DataSource ds = db.dataSource();
      SchemaMigrator.builder().dataSource(ds).build().migrate();
      SchemaMigrator second =
          SchemaMigrator.builder()
              .dataSource(ds)
              .tables(TableNames.defaults().withOutbox("orders_outbox"))
              .build();
      assertThatThrownBy(second::migrate)
          .isInstanceOf(MigrationException.class)
          .hasMessageContaining(
              "component 'outbox' is recorded at version 2 in waybill_schema_history, yet table(s)"
                  + " [orders_outbox] do not exist")
          .hasMessageContaining(
              "put a second one in a schema of its own (outbox.schema / TableNames.withSchema)");
    }
  }

  @Test
  final void aHistoryWrittenByThePreviousReleaseStaysValid() throws Exception {
    try (TestDatabase db = newDatabase()) {
      DataSource ds = db.dataSource();
      for (SchemaComponent component : List.of(SchemaComponent.outbox(), SchemaComponent.inbox())) {
        SchemaMigrator.builder().dataSource(ds).component(component).build().migrate();
      }
      Map<String, String> recorded = new TreeMap<>();
      try (Connection c = db.connect();
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT component, version, checksum FROM waybill_schema_history"
                      + " WHERE version > 0")) {
        while (rs.next()) {
          recorded.put(rs.getString(1) + "/" + rs.getInt(2), rs.getString(3));
        }
      }
      // the checksums the previous release recorded: a changed byte would fail every upgrade
      assertThat(recorded).isEqualTo(releasedChecksums());
      for (SchemaComponent component : List.of(SchemaComponent.outbox(), SchemaComponent.inbox())) {
        assertThat(
                SchemaMigrator.builder()
                    .dataSource(ds)
                    .component(component)
                    .build()
                    .migrate()
                    .applied())
            .isEmpty();
      }
    }
  }

  private static void execute(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
