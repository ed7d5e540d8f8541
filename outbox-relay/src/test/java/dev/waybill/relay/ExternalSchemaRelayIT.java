package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaScripts;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.ExternalMigrations;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The relay publishes from a schema that Flyway or Liquibase applied from the shipped scripts (no
 * rows in Waybill's history table), and refuses one that lacks a column, naming it.
 */
class ExternalSchemaRelayIT {

  private static TestDatabase database(String dialect) {
    return dialect.equals("postgresql") ? TestDatabases.postgres() : TestDatabases.mariadb();
  }

  private static Dialect dialect(String name) {
    return name.equals("postgresql") ? Dialect.postgres() : Dialect.mysql();
  }

  private static void flyway(TestDatabase db, String dialect) {
    ExternalMigrations.flyway(
        db.dataSource(),
        SchemaScripts.FLYWAY_TABLE,
        SchemaScripts.flywayLocations(dialect(dialect)),
        SchemaScripts.placeholders(TableNames.defaults()));
  }

  private static Relay relay(TestDatabase db, String instance) {
    RelayConfig config =
        RelayConfig.builder()
            .instanceId(instance)
            .bootstrapServers(TestKafka.get().bootstrapServers())
            .shards(4)
            .pollInterval(Duration.ofMillis(100))
            .lease(Duration.ofSeconds(6), Duration.ofMillis(500))
            .sendTimeout(Duration.ofSeconds(3))
            .build();
    return Relay.builder().config(config).dataSource(db.dataSource()).build();
  }

  private static void publishesOneMessage(TestDatabase db) throws Exception {
    String topic = "ext-schema-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 1);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      Outbox.builder().build().writeAll(c, List.of(RelayContract.msg(topic, "k", 1)));
      c.commit();
    }
    try (Relay r = relay(db, "ext-1")) {
      r.start();
      assertThat(Published.read(topic, 1, Duration.ofSeconds(30)))
          .extracting(Published.Rec::key)
          .containsExactly("k");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theRelayPublishesFromASchemaThatFlywayApplied(String dialect) throws Exception {
    try (TestDatabase db = database(dialect)) {
      flyway(db, dialect);
      publishesOneMessage(db);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theRelayPublishesFromASchemaThatLiquibaseApplied(String dialect) throws Exception {
    try (TestDatabase db = database(dialect)) {
      ExternalMigrations.liquibase(
          db.dataSource(),
          SchemaScripts.LIQUIBASE_CHANGELOG,
          SchemaScripts.placeholders(TableNames.defaults()));
      publishesOneMessage(db);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mysql"})
  void theRelayRefusesASchemaWithoutAColumnItNeedsNamingIt(String dialect) throws Exception {
    try (TestDatabase db = database(dialect)) {
      flyway(db, dialect);
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute("ALTER TABLE waybill_relay_lease DROP COLUMN renewed_at");
      }
      try (Relay r = relay(db, "ext-2")) {
        assertThatThrownBy(r::start)
            .hasMessageContaining(
                "relay ext-2: no outbox version is recorded in waybill_schema_history")
            .hasMessageContaining(
                "waybill_relay_lease.renewed_at: missing (timestamp NULL); created by"
                    + " db/waybill/outbox/"
                    + dialect
                    + "/V2__create_relay_tables.sql");
      }
    }
  }
}
