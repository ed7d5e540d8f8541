package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.SecuredKafka;
import dev.waybill.testkit.SecuredKafka.Grant;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TopicRecords;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The polling relay against a {@code SASL_SSL} listener (SCRAM-SHA-512, a CA made at test time,
 * Kafka's authorizer), configured through {@code kafka.*} settings as a user writes them, with
 * exactly the ACLs docs/security.md lists for it.
 */
class SecuredKafkaRelayIT {
  private final SecuredKafka kafka = SecuredKafka.get();
  private TestDatabase db;
  private String topic;
  private String user;
  private String password;
  private Relay relay;

  @BeforeEach
  void setUp() {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    topic = "secured-relay-" + suffix;
    user = "relay-" + suffix;
    password = "relay-pw-" + suffix;
    kafka.createTopic(topic, 3);
    kafka.createUser(user, password);
  }

  @AfterEach
  void tearDown() {
    if (relay != null) {
      relay.close();
    }
    if (db != null) {
      db.close();
    }
  }

  /** The relay's ACLs, as docs/security.md lists them: WRITE on each topic it publishes to. */
  private void grantDocumentedAcls() {
    kafka.allow(user, List.of(Grant.topic(topic, AclOperation.WRITE)));
  }

  private RelayConfig config(String jaasPassword) {
    return config(jaasPassword, Map.of());
  }

  private RelayConfig config(String jaasPassword, Map<String, String> more) {
    Map<String, String> settings = new HashMap<>(more);
    settings.put("db.url", db.jdbcUrl());
    settings.put("db.user", db.user());
    settings.put("db.password", db.password());
    settings.put("relay.instance.id", user);
    settings.put("relay.shards", "4");
    settings.put("relay.lease.ttl", "6s");
    settings.put("relay.lease.renew.interval", "500ms");
    settings.put("relay.send.timeout", "3s");
    settings.put("relay.retry.backoff.initial", "50ms");
    settings.put("relay.retry.backoff.max", "500ms");
    kafka.clientSettings(user, jaasPassword).forEach((k, v) -> settings.put("kafka." + k, v));
    return RelayConfig.read(Settings.of(settings));
  }

  private Relay relay(RelayConfig config) {
    relay = Relay.builder().config(config).dataSource(db.dataSource()).build();
    return relay;
  }

  private void write(int from, int to) throws SQLException {
    Outbox outbox = Outbox.builder().build();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (int n = from; n < to; n++) {
        outbox.write(
            c,
            OutboxMessage.builder()
                .topic(topic)
                .key("k" + (n % 5))
                .eventType("Numbered")
                .payload(Payload.json("{\"n\":" + n + "}"))
                .build());
      }
      c.commit();
    }
  }

  private List<String> published() {
    return TopicRecords.readAll(
            kafka.clientProperties(SecuredKafka.SUPER_USER, SecuredKafka.SUPER_USER_PASSWORD),
            topic,
            Duration.ofSeconds(30))
        .stream()
        .map(ConsumerRecord::value)
        .map(v -> new String(v, StandardCharsets.UTF_8))
        .toList();
  }

  @Test
  void publishesOverSaslSslWithOnlyTheDocumentedAcls() throws Exception {
    grantDocumentedAcls();
    write(0, 20);
    relay(config(password)).start();
    await().atMost(Duration.ofSeconds(60)).until(() -> published().size() >= 20);
    assertThat(published()).hasSize(20).contains("{\"n\":0}", "{\"n\":19}");
    await().atMost(Duration.ofSeconds(30)).until(relay::healthy);
  }

  @Test
  void aWrongPasswordFailsTheStartNamingTheUserAndTheMechanism() {
    grantDocumentedAcls();
    Relay r = relay(config("not-the-password"));
    assertThatThrownBy(r::start)
        .isInstanceOf(WaybillException.class)
        .hasMessageContaining("refused to authenticate user '" + user + "'")
        .hasMessageContaining("SASL mechanism SCRAM-SHA-512")
        .hasMessageContaining("kafka.sasl.jaas.config")
        .hasMessageNotContaining("not-the-password");
  }

  @Test
  void aWrongPasswordFailsTheStartOfACdcRelayBeforeItTouchesTheSlot() throws Exception {
    grantDocumentedAcls();
    String slot = "secured_" + user.replace('-', '_');
    try {
      Relay r =
          relay(
              config(
                  "not-the-password",
                  Map.of(
                      "relay.mode", "cdc",
                      "relay.cdc.slot", slot,
                      "relay.cdc.publication", slot)));
      assertThatThrownBy(r::start)
          .isInstanceOf(WaybillException.class)
          .hasMessageContaining("refused to authenticate user '" + user + "'")
          .hasMessageContaining("SASL mechanism SCRAM-SHA-512")
          .hasMessageNotContaining("not-the-password");
    } finally {
      relay.close();
      relay = null;
      TestSlots.dropAndCheckNoneLeft(db, slot, Duration.ofSeconds(20));
    }
  }

  @Test
  void aPasswordChangedWhileRunningLogsAnErrorAndMakesTheRelayUnhealthyUntilItIsBack()
      throws Exception {
    grantDocumentedAcls();
    try (LogLines logs = LogLines.of("dev.waybill.relay")) {
      relay(config(password)).start();
      write(0, 1);
      await().atMost(Duration.ofSeconds(60)).until(() -> published().size() >= 1);

      kafka.createUser(user, "changed-" + password);
      write(1, 2);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> logs.anyContains(Level.ERROR, "refused to authenticate user '" + user + "'"));
      await().atMost(Duration.ofSeconds(30)).until(() -> !relay.healthy());
      assertThat(logs.atLeast(Level.ERROR))
          .filteredOn(l -> l.contains("refused to authenticate"))
          .as("logged once when the refusal begins, not once per retry")
          .hasSize(1)
          .allSatisfy(l -> assertThat(l).doesNotContain(password));

      kafka.createUser(user, password);
      await().atMost(Duration.ofSeconds(60)).until(() -> published().size() >= 2);
      await().atMost(Duration.ofSeconds(30)).until(relay::healthy);
    }
  }

  @Test
  void withoutWriteOnTheTopicTheMessageIsDeadLetteredWithAnAuthorizationError() throws Exception {
    write(0, 1);
    relay(config(password)).start();
    await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().deadLettered() >= 1);
    try (Connection c = db.connect();
        var st = c.createStatement();
        var rs =
            st.executeQuery("SELECT error_class, error_message FROM waybill_outbox_dead_letter")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).endsWith("TopicAuthorizationException");
      assertThat(rs.getString(2)).contains(topic);
    }
  }
}
