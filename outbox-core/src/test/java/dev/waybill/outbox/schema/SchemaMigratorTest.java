package dev.waybill.outbox.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaMigratorTest {

  @Test
  void refusesToRunOverAScriptThatChangedSinceItWasApplied() throws Exception {
    try (TestDatabase db = TestDatabases.h2()) {
      SchemaMigrator m = SchemaMigrator.builder().dataSource(db.dataSource()).build();
      m.migrate();
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.executeUpdate(
            "UPDATE waybill_schema_history SET checksum = 'abc' WHERE component = 'outbox'"
                + " AND version = 1");
      }
      assertThatThrownBy(m::migrate)
          .isInstanceOf(MigrationException.class)
          .hasMessageContaining(
              "component 'outbox' version 1 was applied from a different script (checksum abc,"
                  + " this library's is ")
          .hasMessageEndingWith(
              "the shipped script must not change; use the matching Waybill version");
    }
  }

  @Test
  void aFailingScriptNamesTheStatementAndLeavesTheVersionUnrecorded() throws Exception {
    try (TestDatabase db = TestDatabases.h2()) {
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute("CREATE TABLE waybill_outbox (x INT)"); // in the way of version 1
      }
      SchemaMigrator m = SchemaMigrator.builder().dataSource(db.dataSource()).build();
      assertThatThrownBy(m::migrate)
          .isInstanceOf(MigrationException.class)
          .hasMessageContaining(
              "component 'outbox' version 1 (V1__create_outbox_table.sql) failed at statement 1"
                  + " of 2: ")
          .hasMessageEndingWith("nothing of this version was applied");
      // H2 commits DDL statement by statement: version 1 failed at its first statement
      assertThat(m.currentVersion()).isZero();
    }
  }

  @Test
  void reportsVersionZeroBeforeTheFirstMigration() {
    try (TestDatabase db = TestDatabases.h2()) {
      assertThat(SchemaMigrator.builder().dataSource(db.dataSource()).build().currentVersion())
          .isZero();
    }
  }

  @Test
  void fillsPlaceholdersFromTheTableNames() {
    try (TestDatabase db = TestDatabases.h2()) {
      SchemaMigrator m =
          SchemaMigrator.builder()
              .dataSource(db.dataSource())
              .tables(TableNames.defaults().withSchema("app").withOutbox("my_outbox"))
              .build();
      String script = m.script(Dialect.postgres(), SchemaComponent.outbox().migrations().get(0));
      assertThat(script)
          .contains("CREATE TABLE app.my_outbox (")
          .contains("CREATE INDEX my_outbox_shard_seq ON app.my_outbox (shard, seq)")
          .doesNotContain("${");
    }
  }

  @Test
  void validatesItsOwnInputs() {
    assertThatThrownBy(() -> SchemaMigrator.builder().lockTimeout(Duration.ZERO))
        .hasMessage("lockTimeout PT0S must be a positive duration, e.g. PT60S");
    assertThatThrownBy(() -> new SchemaComponent("inbox", List.of(new Migration(2, "x"))))
        .hasMessage("component 'inbox': migration 0 has version 2, expected 1");
    assertThatThrownBy(() -> new Migration(1, "Create Table"))
        .hasMessage("migration description 'Create Table' must be lower-case words and digits");
    assertThat(new Migration(3, "add lease table").fileName()).isEqualTo("V3__add_lease_table.sql");
  }

  @Test
  void everyDialectShipsEveryScript() {
    for (Dialect d : List.of(Dialect.postgres(), Dialect.mysql(), Dialect.h2())) {
      for (Migration mig : SchemaComponent.outbox().migrations()) {
        String resource = SchemaComponent.outbox().resource(d.name(), mig);
        assertThat(getClass().getClassLoader().getResource(resource)).as(resource).isNotNull();
      }
    }
  }
}
