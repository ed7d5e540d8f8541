package dev.waybill.inbox;

import static dev.waybill.inbox.ConsumerFixture.count;
import static dev.waybill.inbox.ConsumerFixture.header;
import static dev.waybill.inbox.ConsumerFixture.recording;
import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.inbox.internal.InboxMetrics;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Poison input at the consumer on PostgreSQL (which refuses a NUL in text) and a real broker. */
class PostgresPoisonInputIT extends PoisonInputContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  String serialColumn() {
    return "n BIGSERIAL PRIMARY KEY";
  }

  /**
   * PostgreSQL only (MariaDB has no deferrable constraints): a handler write that breaks a deferred
   * constraint fails at commit with SQLSTATE 23505. That is the handler's failure, not an outage:
   * retried, then dead-lettered.
   */
  @Test
  void aHandlerWriteThatBreaksADeferredConstraintFailsAtCommitAndIsDeadLettered() throws Exception {
    try (Connection c = fx.db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE once_only (v TEXT, CONSTRAINT once_only_v UNIQUE (v)"
              + " DEFERRABLE INITIALLY DEFERRED)");
    }
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    MessageHandler h =
        (m, tx) -> {
          recording().handle(m, tx);
          if (m.messageId().equals("twice")) {
            for (int i = 0; i < 2; i++) {
              try (PreparedStatement st =
                  tx.connection().prepareStatement("INSERT INTO once_only (v) VALUES ('x')")) {
                st.executeUpdate();
              }
            }
          }
        };
    fx.send(topic, "a", "twice", "T", 1);
    fx.send(topic, "a", "ok-1", "T", 2);
    fx.flush();
    InboxConsumer c =
        consumeAll(fx.builder(group, topic, b -> {}).defaultHandler(h), group, topic, 2);
    assertThat(fx.appliedIds()).containsExactly("ok-1");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 1);
    assertThat(dead).extracting(r -> header(r, "ce_id")).containsExactly("twice");
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("retries-exhausted");
    assertThat(header(dead.get(0), DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
    assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES)).isZero();
  }
}
