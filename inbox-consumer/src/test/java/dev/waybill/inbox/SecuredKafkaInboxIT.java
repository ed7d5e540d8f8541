package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.SecuredKafka;
import dev.waybill.testkit.SecuredKafka.Grant;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TopicRecords;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The inbox consumer against a {@code SASL_SSL} listener (SCRAM-SHA-512, a CA made at test time,
 * Kafka's authorizer), with exactly the ACLs docs/security.md lists for it.
 */
class SecuredKafkaInboxIT {
  private final SecuredKafka kafka = SecuredKafka.get();
  private final List<String> handled = Collections.synchronizedList(new ArrayList<>());
  private TestDatabase db;
  private String topic;
  private String group;
  private String user;
  private String password;
  private InboxConsumer consumer;

  @BeforeEach
  void setUp() {
    db = TestDatabases.postgres();
    SchemaMigrator.builder()
        .dataSource(db.dataSource())
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    topic = "secured-inbox-" + suffix;
    group = "secured-group-" + suffix;
    user = "inbox-" + suffix;
    password = "inbox-pw-" + suffix;
    kafka.createTopic(topic, 2);
    kafka.createTopic(topic + ".DLT", 1);
    kafka.createUser(user, password);
  }

  @AfterEach
  void tearDown() {
    if (consumer != null) {
      consumer.close();
    }
    if (db != null) {
      db.close();
    }
  }

  /** The inbox consumer's ACLs as docs/security.md lists them. */
  private void grantDocumentedAcls() {
    kafka.allow(
        user,
        List.of(
            Grant.topic(topic, AclOperation.READ),
            Grant.group(group, AclOperation.READ),
            Grant.topic(topic + ".DLT", AclOperation.WRITE)));
  }

  private InboxConsumer consumer(String jaasPassword) {
    Map<String, Object> settings = new HashMap<>(kafka.clientSettings(user, jaasPassword));
    settings.put("auto.offset.reset", "earliest");
    consumer =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder()
                    .groupId(group)
                    .topics(topic)
                    .maxAttempts(2)
                    .backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(50), 0.5)
                    .pollTimeout(Duration.ofMillis(100))
                    .shutdownTimeout(Duration.ofSeconds(10))
                    .build())
            .dataSource(db.dataSource())
            .kafka(settings)
            .meterRegistry(new SimpleMeterRegistry())
            .defaultHandler(
                (m, tx) -> {
                  if (m.eventType().orElse("").equals("Poison")) {
                    throw new NonRetriableException("rejected");
                  }
                  handled.add(m.messageId());
                })
            .build();
    return consumer;
  }

  private void send(int count, String type) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            kafka.clientProperties(SecuredKafka.SUPER_USER, SecuredKafka.SUPER_USER_PASSWORD),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add(CloudEventHeaders.ID, bytes(type + "-" + i));
        h.add(CloudEventHeaders.TYPE, bytes(type));
        producer.send(new ProducerRecord<>(topic, null, bytes("k" + i), bytes("{}"), h));
      }
      producer.flush();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void consumesAndDeadLettersOverSaslSslWithOnlyTheDocumentedAcls() throws Exception {
    grantDocumentedAcls();
    send(10, "Good");
    send(1, "Poison");
    consumer(password).start();
    await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() >= 10);
    assertThat(handled).contains("Good-0", "Good-9");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                !TopicRecords.readAll(
                        kafka.clientProperties(
                            SecuredKafka.SUPER_USER, SecuredKafka.SUPER_USER_PASSWORD),
                        topic + ".DLT",
                        Duration.ofSeconds(30))
                    .isEmpty());
  }

  @Test
  void aWrongPasswordFailsTheStartNamingTheUserAndTheMechanism() {
    grantDocumentedAcls();
    InboxConsumer c = consumer("not-the-password");
    assertThatThrownBy(c::start)
        .isInstanceOf(InboxException.class)
        .hasMessageContaining("refused to authenticate user '" + user + "'")
        .hasMessageContaining("SASL mechanism SCRAM-SHA-512")
        .hasMessageContaining("sasl.jaas.config")
        .hasMessageNotContaining("not-the-password");
    assertThat(c.isRunning()).isFalse();
  }

  @Test
  void withoutReadOnTheTopicTheStartFailsWithAnAuthorizationError() {
    kafka.allow(user, List.of(Grant.group(group, AclOperation.READ)));
    InboxConsumer c = consumer(password);
    assertThatThrownBy(c::start)
        .isInstanceOf(InboxException.class)
        .hasMessageContaining("refuses access to topic " + topic)
        .hasMessageContaining("READ");
  }

  @Test
  void aPasswordChangedWhileRunningIsLoggedOnceAndConsumingGoesOnWhenItIsBack() throws Exception {
    grantDocumentedAcls();
    try (LogLines logs = LogLines.of("dev.waybill.inbox")) {
      send(1, "Good");
      consumer(password).start();
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() >= 1);

      kafka.createUser(user, "changed-" + password);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> logs.anyContains(Level.ERROR, "refused to authenticate user '" + user + "'"));
      send(1, "Later");
      kafka.createUser(user, password);
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains("Later-0"));
      assertThat(logs.atLeast(Level.ERROR))
          .filteredOn(l -> l.contains("refused to authenticate"))
          .as("logged once when the refusal begins, not every second")
          .hasSize(1)
          .allSatisfy(l -> assertThat(l).doesNotContain(password));
    }
  }

  @Test
  void withoutReadOnTheGroupThePollLoopReportsTheGroupAuthorizationError() {
    kafka.allow(
        user,
        List.of(
            Grant.topic(topic, AclOperation.READ),
            Grant.topic(topic + ".DLT", AclOperation.WRITE)));
    try (LogLines logs = LogLines.of("dev.waybill.inbox")) {
      consumer(password).start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> logs.anyContains(Level.ERROR, "Not authorized to access group: " + group));
    }
  }
}
