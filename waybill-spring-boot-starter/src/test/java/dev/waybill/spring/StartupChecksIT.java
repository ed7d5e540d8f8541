package dev.waybill.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.schema.MigrationException;
import dev.waybill.spring.jdbcapp.JdbcApp;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
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
      assertThatThrownBy(
              () ->
                  TestApps.start(
                          JdbcApp.class,
                          db,
                          "--spring.main.web-application-type=none",
                          "--waybill.relay.enabled=true",
                          "--waybill.relay.batchSize=0",
                          "--waybill.relay.lease-ttl=5s")
                      .close())
          .rootCause()
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(
              "'0' → waybill.relay.batch-size → expected a number from 1 to 10000")
          .hasMessageContaining(
              "'PT5S' → waybill.relay.lease-ttl → must exceed waybill.relay.send-timeout");
    }
  }

  @Test
  void aMisspeltPropertyFailsStartWithTheClosestName() {
    try (TestDatabase db = TestDatabases.postgres()) {
      assertThatThrownBy(
              () ->
                  TestApps.start(
                          JdbcApp.class,
                          db,
                          "--spring.main.web-application-type=none",
                          "--waybill.outbox.message-max-byte=100")
                      .close())
          .rootCause()
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(
              "(unknown) → waybill.outbox.message-max-byte → not a Waybill property; did you mean"
                  + " waybill.outbox.message-max-bytes?");
    }
  }

  @Test
  void schemaModeWaybillCreatesTheTablesAndNoneOnlyChecksThem() throws Exception {
    try (TestDatabase db = TestDatabases.postgres()) {
      assertThatThrownBy(
              () ->
                  TestApps.start(
                          JdbcApp.class,
                          db,
                          "--spring.main.web-application-type=none",
                          "--waybill.schema.mode=none")
                      .close())
          .rootCause()
          .isInstanceOf(MigrationException.class)
          .hasMessageContaining("waybill.schema.mode=none, but the outbox tables are at version 0");
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
  void anUnknownSchemaModeFailsStart() {
    try (TestDatabase db = TestDatabases.postgres()) {
      assertThatThrownBy(
              () ->
                  TestApps.start(
                          JdbcApp.class,
                          db,
                          "--spring.main.web-application-type=none",
                          "--waybill.schema.mode=liquibase")
                      .close())
          .rootCause()
          .hasMessageContaining(
              "'liquibase' → waybill.schema.mode → expected waybill, flyway or none");
    }
  }

  private static boolean tableExists(TestDatabase db, String table) throws Exception {
    try (Connection c = db.connect();
        ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
      return rs.next();
    }
  }
}
