package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code outbox list | retry | discard} end to end with a running relay, on every database: a
 * message the relay dead-lettered parks its key; retry puts it back at its original seq and the
 * relay publishes it before the messages that waited behind it.
 */
abstract class OutboxRetryContract {
  static final ObjectMapper JSON = new ObjectMapper();

  TestDatabase db;
  String topic;
  final List<Relay> relays = new ArrayList<>();

  abstract TestDatabase newDatabase();

  @BeforeEach
  void setUp() {
    db = newDatabase();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "outbox-dlq-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 1);
  }

  @AfterEach
  void tearDown() {
    relays.forEach(Relay::close);
    relays.clear();
    if (db != null) { // null when the engine is unavailable and the test was skipped
      db.close();
    }
  }

  Relay relay(String instance, boolean smallRequests) {
    RelayConfig.Builder b =
        RelayConfig.builder()
            .instanceId(instance)
            .bootstrapServers(TestKafka.get().bootstrapServers())
            .shards(4)
            .pollInterval(Duration.ofMillis(100))
            .lease(Duration.ofSeconds(6), Duration.ofMillis(500))
            .sendTimeout(Duration.ofSeconds(3))
            .backoff(Duration.ofMillis(50), Duration.ofMillis(500));
    if (smallRequests) {
      b.kafka("max.request.size", "4096");
    }
    Relay r = Relay.builder().config(b.build()).dataSource(db.dataSource()).build();
    relays.add(r);
    r.start();
    return r;
  }

  OutboxMessage msg(String key, String type, String payload) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(key)
        .eventType(type)
        .payload(Payload.text(payload))
        .build();
  }

  /**
   * good-1, the huge bad-1, bad-2, bad-3, good-2; the huge one is dead-lettered and parks "bad".
   */
  long parkKeyBad() throws Exception {
    Relay r = relay("r1", true);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      Outbox.builder()
          .build()
          .writeAll(
              c,
              List.of(
                  msg("good", "Good1", "g1"),
                  msg("bad", "Bad1", "x".repeat(6000)),
                  msg("bad", "Bad2", "b2"),
                  msg("bad", "Bad3", "b3"),
                  msg("good", "Good2", "g2")));
      c.commit();
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> types().size() == 2);
    assertThat(types()).containsExactly("Good1", "Good2");
    r.close();
    relays.remove(r);
    return count("SELECT seq FROM waybill_outbox_dead_letter");
  }

  List<String> types() {
    List<String> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : DlqToolIT.readAll(topic)) {
      out.add(new String(r.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8));
    }
    return out;
  }

  long count(String sql) throws SQLException {
    return count(db, sql);
  }

  /** The first column of the first row of a query. */
  static long count(TestDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  DlqToolIT.Run cli(String... args) {
    return cliAs(db.jdbcUrl(), db.user(), db.password(), args);
  }

  /** {@code dlq outbox <args>} as this database user. */
  static DlqToolIT.Run cliAs(String url, String user, String password, String... args) {
    List<String> all = new ArrayList<>(List.of("outbox"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "--set",
            "db.url=" + url,
            "--set",
            "db.user=" + user,
            "--set",
            "db.password=" + password));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
    return new DlqToolIT.Run(exit, out.toString(), err.toString());
  }

  @Test
  final void retryReleasesTheParkedKeyAndTheRelayKeepsTheOrder() throws Exception {
    long seq = parkKeyBad();
    DlqToolIT.Run list = cli("list", "--format", "json");
    assertThat(list.exit()).as(list.err()).isZero();
    JsonNode row = list.json().get(0);
    assertThat(row.path("seq").asLong()).isEqualTo(seq);
    assertThat(row.path("key").asText()).isEqualTo("bad");
    assertThat(row.path("parksKey").asBoolean()).isTrue();
    assertThat(row.path("waiting").asLong()).isEqualTo(2);
    assertThat(row.path("errorClass").asText()).endsWith("RecordTooLargeException");
    assertThat(cli("list").out()).contains("RecordTooLargeException", "yes");

    // the cause is fixed (a relay that allows larger requests), but the key stays parked
    relay("r2", false);
    Thread.sleep(1500);
    assertThat(types()).containsExactly("Good1", "Good2");

    DlqToolIT.Run retry = cli("retry", Long.toString(seq));
    assertThat(retry.exit()).as(retry.err()).isZero();
    assertThat(retry.out()).contains("retried 1 message(s) [" + seq + "]");
    assertThat(retry.err()).contains("not recorded in the audit trail");
    await().atMost(Duration.ofSeconds(30)).until(() -> types().size() == 5);
    assertThat(types()).containsExactly("Good1", "Good2", "Bad1", "Bad2", "Bad3");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
  }

  @Test
  final void retryPutsTheMessageBackAtItsOriginalSeqInOneTransaction() throws Exception {
    long seq = parkKeyBad();
    long before = count("SELECT MIN(seq) FROM waybill_outbox");
    assertThat(seq).isLessThan(before);
    DlqToolIT.Run retry = cli("retry", "--topic", topic, "--key", "bad");
    assertThat(retry.exit()).as(retry.err()).isZero();
    assertThat(count("SELECT MIN(seq) FROM waybill_outbox")).isEqualTo(seq);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox WHERE event_type = 'Bad1'")).isEqualTo(1);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
    // a seq that is not (or no longer) a dead letter: nothing changes, the error says why
    DlqToolIT.Run again = cli("retry", Long.toString(seq), "999999");
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err()).contains("[" + seq + ", 999999] → SEQ → not in the dead-letter table");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox")).isEqualTo(3);
  }

  @Test
  final void discardReleasesTheKeyWithoutPublishingTheMessage() throws Exception {
    long seq = parkKeyBad();
    relay("r2", false);
    DlqToolIT.Run d = cli("discard", Long.toString(seq));
    assertThat(d.exit()).as(d.err()).isZero();
    await().atMost(Duration.ofSeconds(30)).until(() -> types().size() == 4);
    assertThat(types()).containsExactly("Good1", "Good2", "Bad2", "Bad3");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
  }

  @Test
  final void invalidSettingsAreListedAllAtOnce() {
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "outbox",
            "list",
            "--set",
            "db.ulr=x",
            "--set",
            "db.pool.size=0");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString())
        .contains("db.ulr → not a setting")
        .contains("db.url → required")
        .contains("'0' → db.pool.size");
  }
}
