package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaScripts;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.ExternalMigrations;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The inbox consumer applies messages once on tables that Flyway or Liquibase created from the
 * shipped scripts, and refuses tables that lack an index it needs, naming it.
 */
class ExternalSchemaConsumerIT {
  ConsumerFixture fx;

  @AfterEach
  void tearDown() {
    if (fx != null) {
      fx.close();
    }
  }

  private static TestDatabase database(String dialect) {
    return dialect.equals("postgresql") ? TestDatabases.postgres() : TestDatabases.mariadb();
  }

  private void open(TestDatabase db, String dialect) throws Exception {
    // the fixture's own SchemaMigrator run finds the structure in place and does nothing
    fx =
        new ConsumerFixture(
            db,
            dialect.equals("postgresql")
                ? "n BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
                : "n BIGINT AUTO_INCREMENT PRIMARY KEY");
  }

  private static void flyway(TestDatabase db, String dialect) {
    ExternalMigrations.flyway(
        db.dataSource(),
        SchemaScripts.FLYWAY_TABLE,
        SchemaScripts.flywayLocations(
            dialect.equals("postgresql") ? Dialect.postgres() : Dialect.mysql()),
        SchemaScripts.placeholders(TableNames.defaults()));
  }

  private void appliesOnce() throws Exception {
    String topic = fx.topic(1);
    fx.send(topic, "k", "m-1", "T", 1);
    fx.send(topic, "k", "m-1", "T", 1); // a duplicate
    fx.send(topic, "k", "m-2", "T", 2);
    fx.flush();
    fx.start(
        fx.builder(ConsumerFixture.group(), topic, b -> {})
            .defaultHandler(ConsumerFixture.recording()));
    await().atMost(Duration.ofSeconds(30)).until(() -> fx.appliedIds().size() >= 2);
    assertThat(fx.appliedIds()).containsExactly("m-1", "m-2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theConsumerAppliesMessagesOnceOnTablesThatFlywayCreated(String dialect) throws Exception {
    TestDatabase db = database(dialect);
    flyway(db, dialect);
    open(db, dialect);
    appliesOnce();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theConsumerAppliesMessagesOnceOnTablesThatLiquibaseCreated(String dialect) throws Exception {
    TestDatabase db = database(dialect);
    ExternalMigrations.liquibase(
        db.dataSource(),
        SchemaScripts.LIQUIBASE_CHANGELOG,
        SchemaScripts.placeholders(TableNames.defaults()));
    open(db, dialect);
    appliesOnce();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theConsumerRefusesTablesWithoutTheIndexItNeedsNamingIt(String dialect) throws Exception {
    TestDatabase db = database(dialect);
    flyway(db, dialect);
    open(db, dialect);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          dialect.equals("postgresql")
              ? "DROP INDEX waybill_inbox_group_handled"
              : "DROP INDEX waybill_inbox_group_handled ON waybill_inbox");
    }
    InboxConsumer c =
        fx.builder(ConsumerFixture.group(), fx.topic(1), b -> {})
            .defaultHandler(ConsumerFixture.recording())
            .build();
    try {
      assertThatThrownBy(c::start)
          .isInstanceOf(InboxException.class)
          .hasMessageContaining(
              "waybill_inbox: an index on (consumer_group, handled_at) is missing")
          .hasMessageContaining("db/waybill/inbox/" + dialect + "/V3__create_inbox_table.sql");
    } finally {
      c.close();
    }
  }
}
