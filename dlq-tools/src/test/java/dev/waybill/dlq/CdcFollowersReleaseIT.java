package dev.waybill.dlq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A CDC relay keeps the later messages of a parked key in the dead-letter table as followers, since
 * there may be no outbox row for them to wait in. {@code outbox retry} and {@code outbox discard}
 * of the dead letter that parks the key release its followers into the outbox, in order, so that
 * none of them is lost; the retry publishes the fixed message first.
 */
class CdcFollowersReleaseIT {
  TestDatabase db;
  String topic;
  String slot;
  Relay relay;
  final Outbox outbox = Outbox.builder().build();

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "cdc-dl-" + UUID.randomUUID().toString().substring(0, 8);
    slot = "wb_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestKafka.get().createTopic(topic, 1);
    relay =
        Relay.builder()
            .config(
                RelayConfig.builder()
                    .mode(RelayConfig.RelayMode.CDC)
                    .cdc(
                        RelayConfig.CdcConfig.defaults()
                            .withNames(slot, "waybill_outbox")
                            .withHeartbeat(Duration.ofMillis(300))
                            .withStandbyInterval(Duration.ofMillis(200)))
                    .database(DatabaseSettings.of(db.jdbcUrl(), db.user(), db.password()))
                    .instanceId("cdc-dl")
                    .bootstrapServers(TestKafka.get().bootstrapServers())
                    .kafka("max.request.size", "4096")
                    .sendTimeout(Duration.ofSeconds(3))
                    .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .build())
            .dataSource(db.dataSource())
            .build();
    relay.start();
    write(msg("good", "{\"n\":1}"), huge(), msg("bad", "{\"n\":2}"));
    write(msg("bad", "{\"n\":3}"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 3);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE parks_key"))
        .isEqualTo(1);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (relay != null) {
        relay.close();
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () -> {
                LogicalSlot.drop(db.dataSource(), slot);
                return true;
              });
    } finally {
      db.close();
    }
  }

  @Test
  void discardingTheDeadLetterThatParksAKeyReleasesItsFollowersInOrder() throws Exception {
    long head = count("SELECT seq FROM waybill_outbox_dead_letter WHERE parks_key");
    DlqToolIT.Run r = outbox("discard", Long.toString(head));
    assertThat(r.exit()).as(r.err()).isZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(distinctValuesOf("bad")).containsExactly("{\"n\":2}", "{\"n\":3}"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
  }

  @Test
  void retryingTheDeadLetterThatParksAKeyPublishesItThenItsFollowers() throws Exception {
    long head = count("SELECT seq FROM waybill_outbox_dead_letter WHERE parks_key");
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute( // the fix: a message that fits
          "UPDATE waybill_outbox_dead_letter SET payload = convert_to('{\"n\":1}', 'UTF8')"
              + " WHERE parks_key");
    }
    DlqToolIT.Run r = outbox("retry", Long.toString(head));
    assertThat(r.exit()).as(r.err()).isZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(distinctValuesOf("bad"))
                    .containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}"));
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
  }

  DlqToolIT.Run outbox(String... args) {
    List<String> all = new ArrayList<>(List.of("outbox"));
    all.addAll(List.of(args));
    all.addAll(db.settingsFlags());
    all.addAll(List.of("--bootstrap-server", TestKafka.get().bootstrapServers()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
    return new DlqToolIT.Run(exit, out.toString(), err.toString());
  }

  List<String> distinctValuesOf(String key) {
    return TestKafka.get().readAll(topic).stream()
        .filter(r -> r.key() != null && key.equals(new String(r.key(), UTF_8)))
        .map(r -> new String(r.value(), UTF_8))
        .distinct()
        .toList();
  }

  void write(OutboxMessage... ms) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      outbox.writeAll(c, List.of(ms));
      c.commit();
    }
  }

  OutboxMessage msg(String key, String json) {
    return OutboxMessage.builder().topic(topic).key(key).eventType("E").jsonPayload(json).build();
  }

  OutboxMessage huge() {
    return OutboxMessage.builder()
        .topic(topic)
        .key("bad")
        .eventType("Huge")
        .payload(Payload.text("x".repeat(6000)))
        .build();
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
