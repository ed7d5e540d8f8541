package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redrive into Waybill's real inbox consumer (PostgreSQL): the inbox did not record a dead-lettered
 * message, so a redriven message is handled; a message handled meanwhile (the producer sent it
 * again) is skipped as a duplicate when the redrive brings it once more.
 */
class InboxRedriveIT {
  final TestKafka kafka = TestKafka.get();
  final AtomicBoolean broken = new AtomicBoolean(true);
  TestDatabase db;
  String topic;
  String state;
  InboxConsumer consumer;
  SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabases.postgres();
    SchemaMigrator.builder()
        .dataSource(db.dataSource())
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE applied (message_id VARCHAR(255) NOT NULL)");
    }
    String s = UUID.randomUUID().toString().substring(0, 8);
    topic = "inbox-redrive-" + s;
    state = "dlq-state-" + s;
    kafka.createTopic(topic, 1);
    kafka.createTopic(topic + ".DLT", 1);
    consumer =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder()
                    .groupId("g-" + s)
                    .topics(topic)
                    .backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(50), 0.5)
                    .maxAttempts(2)
                    .pollTimeout(Duration.ofMillis(100))
                    .shutdownTimeout(Duration.ofSeconds(10))
                    .build())
            .dataSource(db.dataSource())
            .kafka(
                Map.of(
                    "bootstrap.servers", kafka.bootstrapServers(), "auto.offset.reset", "earliest"))
            .meterRegistry(registry)
            .handler(
                "OrderPlaced",
                (m, tx) -> {
                  if (broken.get()) {
                    throw new IllegalStateException("stock service unavailable");
                  }
                  try (PreparedStatement st =
                      tx.connection().prepareStatement("INSERT INTO applied VALUES (?)")) {
                    st.setString(1, m.messageId());
                    st.executeUpdate();
                  }
                })
            .build();
    consumer.start();
  }

  @AfterEach
  void tearDown() {
    consumer.close();
    db.close();
  }

  void send(String id) throws Exception {
    RecordHeaders h = new RecordHeaders();
    h.add(CloudEventHeaders.ID, id.getBytes(StandardCharsets.UTF_8));
    h.add(CloudEventHeaders.TYPE, "OrderPlaced".getBytes(StandardCharsets.UTF_8));
    h.add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
      p.send(new ProducerRecord<>(topic, null, "order-1".getBytes(), "{\"n\":1}".getBytes(), h))
          .get();
    }
  }

  long applied(String id) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement("SELECT COUNT(*) FROM applied WHERE message_id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  double counter(String name) {
    var c = registry.find(name).counter();
    return c == null ? 0 : c.count();
  }

  int redrive() {
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "redrive",
            topic + ".DLT",
            "--bootstrap-server",
            kafka.bootstrapServers(),
            "--state-topic",
            state);
    assertThat(exit).as(err.toString()).isZero();
    return exit;
  }

  void awaitDeadLettered() {
    await().atMost(Duration.ofSeconds(30)).until(() -> DlqToolIT.endOffsets(topic + ".DLT") == 1);
  }

  @Test
  void aRedrivenMessageIsHandled() throws Exception {
    String id = UUID.randomUUID().toString();
    send(id);
    awaitDeadLettered();
    assertThat(applied(id)).isZero();
    broken.set(false); // the cause is fixed
    redrive();
    await().atMost(Duration.ofSeconds(30)).until(() -> applied(id) == 1);
    Thread.sleep(500);
    assertThat(applied(id)).isEqualTo(1);
    assertThat(DlqToolIT.endOffsets(topic + ".DLT")).isEqualTo(1);
  }

  @Test
  void aRedrivenMessageHandledMeanwhileIsSkippedAsADuplicate() throws Exception {
    String id = UUID.randomUUID().toString();
    send(id);
    awaitDeadLettered();
    broken.set(false);
    send(id); // the producer sent the same message again, and this time it worked
    await().atMost(Duration.ofSeconds(30)).until(() -> applied(id) == 1);
    double duplicatesBefore = counter("waybill.inbox.duplicates");
    redrive();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> counter("waybill.inbox.duplicates") > duplicatesBefore);
    assertThat(applied(id)).isEqualTo(1);
    assertThat(DlqToolIT.endOffsets(topic)).isEqualTo(3);
  }
}
