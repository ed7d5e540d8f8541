package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code outbox retry --dry-run} and {@code outbox discard --dry-run} on PostgreSQL. */
class OutboxDryRunIT {
  TestDatabase db;

  @BeforeEach
  void setUp() throws SQLException {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "INSERT INTO waybill_outbox_dead_letter (seq, id, topic, msg_key, event_type,"
              + " content_type, payload, created_at, attempts, error_class, error_message,"
              + " parks_key, relay_instance) VALUES (7001, gen_random_uuid(), 'orders', 'k1',"
              + " 'OrderPlaced', 'application/json', 'x'::bytea, now(), 3,"
              + " 'org.apache.kafka.common.errors.RecordTooLargeException', 'too large', true,"
              + " 'r1')");
    }
  }

  @AfterEach
  void tearDown() {
    if (db != null) {
      db.close();
    }
  }

  long count(String sql) throws SQLException {
    return OutboxRetryContract.count(db, sql);
  }

  DlqToolIT.Run cli(String... args) {
    return OutboxRetryContract.cliAs(db.jdbcUrl(), db.user(), db.password(), args);
  }

  @Test
  void retryDryRunPrintsWhatWouldBeRetriedAndChangesNothing() throws Exception {
    DlqToolIT.Run run = cli("retry", "--dry-run", "7001");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("would retry seq 7001  topic=orders  key=k1")
        .contains("(releases its parked key)")
        .contains("dry run: 1 dead letter(s) would be retried");
    assertThat(run.err()).doesNotContain("audit");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isEqualTo(1);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox")).isZero();
  }

  @Test
  void discardDryRunPrintsWhatWouldBeDiscardedAndChangesNothing() throws Exception {
    DlqToolIT.Run run = cli("discard", "--dry-run", "--topic", "orders");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("would discard seq 7001")
        .contains("dry run: 1 dead letter(s) would be discarded");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isEqualTo(1);
  }

  @Test
  void aDryRunFailsWhereTheRealCommandWould() throws Exception {
    DlqToolIT.Run run = cli("retry", "--dry-run", "7001", "424242");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("[424242] → SEQ → not in the dead-letter table");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isEqualTo(1);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox")).isZero();
  }
}
