package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaScripts;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.ExternalMigrations;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DLQ tool's outbox commands work on tables Flyway created from the shipped scripts, and name a
 * missing column before they touch anything.
 */
class ExternalSchemaDlqIT {

  private static TestDatabase flywayDatabase(String dialect) {
    TestDatabase db =
        dialect.equals("postgresql") ? TestDatabases.postgres() : TestDatabases.mariadb();
    ExternalMigrations.flyway(
        db.dataSource(),
        SchemaScripts.FLYWAY_TABLE,
        SchemaScripts.flywayLocations(
            dialect.equals("postgresql") ? Dialect.postgres() : Dialect.mysql()),
        SchemaScripts.placeholders(TableNames.defaults()));
    return db;
  }

  private static DlqToolIT.Run cli(TestDatabase db, String... args) {
    return OutboxRetryContract.cliAs(db.jdbcUrl(), db.user(), db.password(), args);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void outboxListWorksOnTablesThatFlywayCreated(String dialect) {
    try (TestDatabase db = flywayDatabase(dialect)) {
      DlqToolIT.Run run = cli(db, "list");
      assertThat(run.exit()).as(run.err()).isZero();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void outboxCommandsNameAMissingColumnOfTheDeadLetterTable(String dialect) throws Exception {
    try (TestDatabase db = flywayDatabase(dialect)) {
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute("ALTER TABLE waybill_outbox_dead_letter DROP COLUMN relay_instance");
      }
      DlqToolIT.Run run = cli(db, "discard", "1");
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err())
          .contains(
              "waybill_outbox_dead_letter.relay_instance: missing (VARCHAR(255) or longer text NOT"
                  + " NULL); created by db/waybill/outbox/"
                  + dialect
                  + "/V2__create_relay_tables.sql");
    }
  }
}
