package dev.waybill.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.schema.SchemaMismatchException;
import dev.waybill.outbox.schema.SchemaScripts;
import dev.waybill.spring.internal.ConfigFailureAnalyzer;
import dev.waybill.spring.jdbcapp.JdbcApp;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the starter checks at start: invalid {@code waybill.*} properties fail it with the Spring
 * property and the rule, and the schema modes {@code waybill} and {@code none}.
 */
class StartupChecksIT {
  private static final String[] NO_WEB = {"--spring.main.web-application-type=none"};

  @Test
  void anInvalidRelayPropertyFailsStartNamingTheSpringPropertyAndTheRule() {
    try (TestDatabase db = TestDatabases.postgres()) {
      startFails(
              db,
              "--waybill.relay.enabled=true",
              "--waybill.relay.batchSize=0",
              "--waybill.relay.lease-ttl=5s")
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(
              "'0' → waybill.relay.batch-size → expected a number from 1 to 10000")
          .hasMessageContaining(
              "'PT5S' → waybill.relay.lease-ttl → must exceed waybill.relay.send-timeout")
          .satisfies(
              e ->
                  assertThat(new ConfigFailureAnalyzer().analyze(e).getDescription())
                      .startsWith("Waybill's invalid configuration (3 problems):")
                      .contains("waybill.relay.batch-size"));
    }
  }

  @Test
  void aMisspeltPropertyFailsStartWithTheClosestName() {
    try (TestDatabase db = TestDatabases.postgres()) {
      startFails(db, "--waybill.outbox.message-max-byte=100")
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(
              "(unknown) → waybill.outbox.message-max-byte → not a Waybill property; did you mean"
                  + " waybill.outbox.message-max-bytes?");
    }
  }

  @Test
  void schemaModeWaybillCreatesTheTablesAndNoneOnlyChecksThem() throws Exception {
    try (TestDatabase db = TestDatabases.postgres()) {
      startFails(db, "--waybill.schema.mode=none")
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageContaining("waybill.schema.mode=none: no outbox version is recorded");
      assertThat(tableExists(db, "waybill_outbox")).isFalse();

      TestApps.start(JdbcApp.class, db, NO_WEB).close();
      assertThat(tableExists(db, "waybill_outbox")).isTrue();

      try (ConfigurableApplicationContext checked =
          TestApps.start(
              JdbcApp.class,
              db,
              "--spring.main.web-application-type=none",
              "--waybill.schema.mode=NONE")) {
        assertThat(checked.getBean(TransactionalOutbox.class)).isNotNull();
      }
    }
  }

  @Test
  void schemaModeFlywayAppliesTheScriptsWithAHistoryOfItsOwn() throws Exception {
    try (TestDatabase db = TestDatabases.postgres()) {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        // the application's own table, as its own migrations would have left it
        s.execute("CREATE TABLE app_things (id int PRIMARY KEY)");
      }
      TestApps.start(
              JdbcApp.class,
              db,
              "--spring.main.web-application-type=none",
              "--waybill.schema.mode=flyway")
          .close();
      assertThat(tableExists(db, "waybill_outbox")).isTrue();
      assertThat(tableExists(db, SchemaScripts.FLYWAY_TABLE)).isTrue();
      assertThat(tableExists(db, "waybill_schema_history")).isFalse();

      // a schema Flyway applied passes the structure check of mode none
      TestApps.start(
              JdbcApp.class,
              db,
              "--spring.main.web-application-type=none",
              "--waybill.schema.mode=none")
          .close();
    }
  }

  @Test
  void anUnknownSchemaModeFailsStart() {
    try (TestDatabase db = TestDatabases.postgres()) {
      startFails(db, "--waybill.schema.mode=liquibase")
          .hasMessageContaining(
              "'liquibase' → waybill.schema.mode → expected waybill, flyway or none");
    }
  }

  /** Starts the JDBC application with {@code arguments}, which must fail; its root cause. */
  private static AbstractThrowableAssert<?, ? extends Throwable> startFails(
      TestDatabase db, String... arguments) {
    List<String> args = new ArrayList<>(List.of(NO_WEB));
    args.addAll(List.of(arguments));
    return assertThatThrownBy(
            () -> TestApps.start(JdbcApp.class, db, args.toArray(String[]::new)).close())
        .rootCause();
  }

  private static boolean tableExists(TestDatabase db, String table) throws Exception {
    try (Connection c = db.connect();
        ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
      return rs.next();
    }
  }
}
