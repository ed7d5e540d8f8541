package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.relay.cli.RelayMain;
import dev.waybill.relay.http.HttpEndpoint;
import dev.waybill.relay.internal.KafkaPublisher;
import dev.waybill.relay.internal.OutboxRow;
import dev.waybill.relay.internal.OutboxStore;
import dev.waybill.testkit.DatabaseOutage;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TcpProxy;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The polling relay's contract, run on every supported database against a real Kafka broker. Final
 * test methods: every database is held to the same promises.
 */
abstract class RelayContract {
  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  TestDatabase db;
  Outbox outbox = Outbox.builder().build();
  String topic;
  final List<Relay> relays = new ArrayList<>();

  abstract TestDatabase newDatabase();

  abstract Dialect dialect();

  @BeforeEach
  void setUp() {
    db = newDatabase();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "relay-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 3);
  }

  @AfterEach
  void tearDown() {
    relays.forEach(Relay::close);
    relays.clear();
    if (db != null) { // null when the engine is unavailable and the test was skipped
      db.close();
    }
  }

  RelayConfig.Builder config(String instance) {
    return RelayConfig.builder()
        .instanceId(instance)
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .shards(8)
        .pollInterval(Duration.ofMillis(100))
        .lease(Duration.ofSeconds(6), Duration.ofMillis(500))
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  Relay start(RelayConfig config) {
    return start(config, new SimpleMeterRegistry());
  }

  Relay start(RelayConfig config, MeterRegistry registry) {
    Relay r =
        Relay.builder().config(config).dataSource(db.dataSource()).meterRegistry(registry).build();
    relays.add(r);
    r.start();
    return r;
  }

  /** Inserts a row with plain SQL, as an application in another language would. */
  void insertRow(String rowTopic, String key, String headers) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload, headers)"
                    + " VALUES (?, ?, 'Plain', ?, ?)")) {
      st.setString(1, rowTopic);
      st.setString(2, key);
      st.setBytes(3, "{}".getBytes(StandardCharsets.UTF_8));
      st.setString(4, headers);
      st.executeUpdate();
    }
  }

  String text(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      assertThat(rs.next()).as("a row for %s", sql).isTrue();
      return rs.getString(1);
    }
  }

  /** Runs a query that returns one text value. */
  interface SqlText {
    String get(String sql) throws SQLException;
  }

  /**
   * Asserts that the dead letter {@code where} selects was moved as "retries exhausted" after
   * {@code attempts} attempts and parks its key; returns its error message for further checks.
   */
  static String assertRetriesExhausted(SqlText text, String where, int attempts)
      throws SQLException {
    assertThat(
            text.get(
                "SELECT error_class FROM waybill_outbox_dead_letter WHERE parks_key AND attempts = "
                    + attempts
                    + " AND "
                    + where))
        .endsWith("RetriesExhaustedException");
    String message =
        text.get(
            "SELECT error_message FROM waybill_outbox_dead_letter WHERE parks_key AND " + where);
    assertThat(message)
        .startsWith("retries exhausted after " + attempts + " attempts; last error: ");
    return message;
  }

  static double counter(MeterRegistry registry, String name) {
    return registry.get(name).counter().count();
  }

  Relay start(RelayConfig config, DataSource dataSource, SimpleMeterRegistry registry) {
    Relay r = Relay.builder().config(config).dataSource(dataSource).meterRegistry(registry).build();
    relays.add(r);
    r.start();
    return r;
  }

  /**
   * The outage drill of this database. By default the relay reaches the database through a {@link
   * TcpProxy} that resets every connection and refuses new ones while "down", as a stopped server
   * would; PostgreSQL restarts a real (embedded) server instead.
   */
  DatabaseOutage databaseOutage() {
    assumeTrue(
        db.kind() != TestDatabase.Kind.H2,
        "H2 runs in memory inside the relay's JVM: there is no server to lose");
    return DatabaseOutage.throughProxy(db);
  }

  /** {@code outbox-relay status --json} on this database (8 shards), asserting exit code 0. */
  String statusJson() {
    return statusJson(db.jdbcUrl(), db.user(), db.password(), 8);
  }

  /** {@code outbox-relay status --json} as this database user, asserting exit code 0. */
  static String statusJson(String url, String user, String password, int shards) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "status",
            "--json",
            "--set",
            "db.url=" + url,
            "--set",
            "db.user=" + user,
            "--set",
            "db.password=" + password,
            "--set",
            "relay.shards=" + shards);
    assertThat(exit).as("status exit code; stderr: %s", err).isZero();
    return out.toString();
  }

  void write(List<OutboxMessage> messages) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      outbox.writeAll(c, messages);
      c.commit();
    }
  }

  OutboxMessage msg(String key, int n) {
    return msg(topic, key, n);
  }

  static OutboxMessage msg(String topic, String key, int n) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(key)
        .eventType("Counted")
        .jsonPayload("{\"key\":" + (key == null ? "null" : "\"" + key + "\"") + ",\"n\":" + n + "}")
        .build();
  }

  long outboxRows() throws SQLException {
    return count("SELECT COUNT(*) FROM waybill_outbox");
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Asserts that, per key, the first appearance of each n is in increasing order. */
  static void assertPerKeyOrder(List<Published.Rec> recs) {
    Map<String, Integer> lastFirstSeen = new HashMap<>();
    Map<String, java.util.Set<Integer>> seen = new HashMap<>();
    Map<String, Integer> partitionOfKey = new HashMap<>();
    List<Published.Rec> sorted = new ArrayList<>(recs);
    sorted.sort(
        java.util.Comparator.comparingInt(Published.Rec::partition)
            .thenComparingLong(Published.Rec::offset));
    for (Published.Rec r : sorted) {
      if (r.key() == null) {
        continue;
      }
      Integer p = partitionOfKey.putIfAbsent(r.key(), r.partition());
      assertThat(p == null || p == r.partition()).as("key %s in one partition", r.key()).isTrue();
      int n = Integer.parseInt(r.value().replaceAll(".*\"n\":(\\d+).*", "$1"));
      if (seen.computeIfAbsent(r.key(), k -> new java.util.HashSet<>()).add(n)) {
        Integer last = lastFirstSeen.put(r.key(), n);
        assertThat(last == null || last < n)
            .as("key %s: message %d first appeared after %d", r.key(), n, last)
            .isTrue();
      }
    }
  }

  @Test
  final void publishesEveryCommittedMessageAsACloudEventAndEmptiesTheOutbox() throws Exception {
    OutboxMessage a =
        OutboxMessage.builder()
            .topic(topic)
            .key("order-1")
            .eventType("OrderPlaced")
            .jsonPayload("{\"total\":1}")
            .header("tenant", "acme")
            .traceparent(TRACEPARENT)
            .build();
    OutboxMessage keyless =
        OutboxMessage.builder().topic(topic).eventType("Ping").payload(Payload.text("hi")).build();
    write(List.of(a, keyless));
    try (Connection c = db.connect()) { // a rolled-back message never appears
      c.setAutoCommit(false);
      outbox.write(c, msg("order-rolled-back", 1));
      c.rollback();
    }
    start(config("r1").source("urn:test:shop").build());
    List<Published.Rec> recs = Published.read(topic, 2, Duration.ofSeconds(30));
    assertThat(recs).hasSize(2);
    Published.Rec r =
        recs.stream().filter(x -> "order-1".equals(x.key())).findFirst().orElseThrow();
    assertThat(r.value()).isEqualTo("{\"total\":1}");
    assertThat(r.headers())
        .containsEntry("ce_id", a.id().toString())
        .containsEntry("ce_type", "OrderPlaced")
        .containsEntry("ce_source", "urn:test:shop")
        .containsEntry("ce_specversion", "1.0")
        .containsEntry("content-type", "application/json")
        .containsEntry("traceparent", TRACEPARENT)
        .containsEntry("tenant", "acme");
    assertThat(Instant.parse(r.headers().get("ce_time")))
        .isBetween(Instant.now().minusSeconds(120), Instant.now());
    Published.Rec k = recs.stream().filter(x -> x.key() == null).findFirst().orElseThrow();
    assertThat(k.value()).isEqualTo("hi");
    assertThat(k.headers()).containsEntry("content-type", "text/plain; charset=utf-8");
    await().atMost(Duration.ofSeconds(10)).until(() -> outboxRows() == 0);
  }

  @Test
  final void aLateCommitIsPublishedNotSkipped() throws Exception {
    start(config("r1").build());
    try (Connection late = db.connect()) {
      late.setAutoCommit(false);
      outbox.write(late, msg("late", 1)); // takes the lower seq, commits last
      write(List.of(msg("early", 1)));
      List<Published.Rec> first = Published.read(topic, 1, Duration.ofSeconds(20));
      assertThat(first).extracting(Published.Rec::key).containsExactly("early");
      late.commit();
    }
    List<Published.Rec> all = Published.read(topic, 2, Duration.ofSeconds(20));
    assertThat(all).extracting(Published.Rec::key).containsExactlyInAnyOrder("early", "late");
    await().atMost(Duration.ofSeconds(10)).until(() -> outboxRows() == 0);
  }

  /**
   * A message that took a lower seq but committed after the relay had read past it comes before the
   * messages its key gets later: a relay that reads on from the last seq it saw would publish those
   * first.
   */
  @Test
  final void aLateCommitIsPublishedBeforeTheLaterMessagesOfItsKey() throws Exception {
    start(config("r1").build());
    try (Connection late = db.connect()) {
      late.setAutoCommit(false);
      outbox.write(late, msg("k", 1)); // the lowest seq, committed after the relay passed it
      for (int i = 0; i < 5; i++) {
        write(List.of(msg("other", i)));
      }
      assertThat(Published.read(topic, 5, Duration.ofSeconds(20))).hasSize(5);
      late.commit();
    }
    write(List.of(msg("k", 2))); // written after message 1 committed: published after it
    List<Published.Rec> all = Published.read(topic, 7, Duration.ofSeconds(20));
    assertThat(all).hasSize(7);
    assertPerKeyOrder(all);
    await().atMost(Duration.ofSeconds(10)).until(() -> outboxRows() == 0);
  }

  @Test
  final void keepsPerKeyOrderAcrossTwoRelaysAndAHandover() throws Exception {
    Relay r1 = start(config("r1").batchSize(50).build());
    Relay r2 = start(config("r2").batchSize(50).build());
    int keys = 20;
    int perKey = 30;
    List<OutboxMessage> batch = new ArrayList<>();
    for (int n = 0; n < perKey; n++) {
      for (int k = 0; k < keys; k++) {
        batch.add(msg("k" + k, n));
      }
      if (n == perKey / 2) {
        write(batch);
        batch.clear();
        r1.close(); // graceful handover in the middle of the stream
        start(config("r3").batchSize(50).build());
      }
    }
    write(batch);
    List<Published.Rec> recs = Published.read(topic, keys * perKey, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(keys * perKey);
    assertThat(recs)
        .as("one owner per shard at a time: without a crash nothing is published twice")
        .hasSize(keys * perKey);
    assertPerKeyOrder(recs);
    await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);
    assertThat(r2.status().published()).isPositive();
  }

  @Test
  final void aGracefulStopWithABatchInFlightLosesAndRepeatsNothing() throws Exception {
    int keys = 40;
    int perKey = 250;
    List<OutboxMessage> all = new ArrayList<>();
    for (int n = 0; n < perKey; n++) {
      for (int k = 0; k < keys; k++) {
        all.add(msg("k" + k, n));
      }
    }
    write(all);
    Relay r1 = start(config("r1").batchSize(100).build());
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> r1.status().published() > 0);
    r1.close(); // SIGTERM path: the batch in flight is settled, DELETEs committed, leases given
    // back
    long left = outboxRows();
    assertThat(left).as("stopped in the middle of the backlog").isPositive();
    assertThat(count("SELECT COUNT(*) FROM waybill_relay_lease WHERE owner IS NOT NULL"))
        .as("every lease given back")
        .isZero();
    start(config("r2").batchSize(100).build());
    List<Published.Rec> recs = Published.read(topic, keys * perKey, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(keys * perKey);
    assertThat(recs)
        .as("a graceful stop finishes its batch and deletes it: nothing is published twice")
        .hasSize(keys * perKey);
    assertPerKeyOrder(recs);
    await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);
  }

  @Test
  final void aPoisonMessageParksOnlyItsKey() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay r =
        Relay.builder()
            .config(config("r1").kafka("max.request.size", "4096").build())
            .dataSource(db.dataSource())
            .meterRegistry(registry)
            .build();
    relays.add(r);
    String big = "x".repeat(6000);
    OutboxMessage poison =
        OutboxMessage.builder()
            .topic(topic)
            .key("bad")
            .eventType("Huge")
            .payload(Payload.text(big))
            .build();
    // written a second before the relay starts: the publish latency is measured from the write
    write(List.of(msg("good", 1), poison, msg("bad", 2), msg("good", 2)));
    Thread.sleep(1100);
    LogLines logs = LogLines.of("dev.waybill.relay");
    try {
      r.start();
      checkPoisonParksOnlyItsKey(r, registry);
      // the log line names the message, its topic and key, the reason and what happens next
      assertThat(logs.atLeast(Level.WARN))
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("message " + poison.id())
                      .contains("topic " + topic)
                      .contains("key bad")
                      .contains("RecordTooLargeException")
                      .contains("its key is parked"));
    } finally {
      logs.close();
    }
    // commit-to-acknowledgement latency: one sample per published message, from its write
    Timer latency = registry.get("waybill.relay.publish.latency").timer();
    assertThat(latency.count()).isEqualTo(2);
    assertThat(latency.max(TimeUnit.MILLISECONDS)).isBetween(1000.0, 30_000.0);
  }

  private void checkPoisonParksOnlyItsKey(Relay r, SimpleMeterRegistry registry) throws Exception {
    List<Published.Rec> recs = Published.read(topic, 2, Duration.ofSeconds(20));
    assertThat(recs).extracting(Published.Rec::key).containsExactly("good", "good");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 1);
    assertThat(
            count(
                "SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE msg_key = 'bad'"
                    + " AND parks_key = TRUE AND error_class LIKE '%RecordTooLargeException'"))
        .isEqualTo(1);
    // the later message of the parked key stays, unpublished
    Thread.sleep(500);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox WHERE msg_key = 'bad'")).isEqualTo(1);
    assertThat(Published.read(topic, 3, Duration.ofSeconds(2))).hasSize(2);
    assertThat(r.status().deadLettered()).isEqualTo(1);
    // visible: metrics and the status command say which key is parked and what waits behind it
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(registry.get("waybill.relay.parked.keys").gauge().value()).isEqualTo(1);
              assertThat(registry.get("waybill.relay.parked.messages").gauge().value())
                  .isEqualTo(1);
              assertThat(registry.get("waybill.relay.dead.letters").gauge().value()).isEqualTo(1);
            });
    assertThat(registry.get("waybill.relay.dead.lettered").counter().count()).isEqualTo(1);
    assertThat(registry.get("waybill.relay.published").counter().count()).isEqualTo(2);
    assertThat(statusJson())
        .contains("\"parkedKeys\":1")
        .contains("\"heldMessages\":1")
        .contains("\"deadLetters\":1")
        .contains("\"key\":\"bad\"")
        .contains("RecordTooLargeException")
        .contains("\"owner\":\"r1\",\"shards\":8");
  }

  /**
   * A record the broker itself refuses (here: no key on a compacted topic, InvalidRecordException
   * from the broker, after the record left the client) is dead-lettered with the broker's reason;
   * the keyed messages that travelled in the same request are published, not dead-lettered.
   */
  @Test
  final void aRecordTheBrokerRefusesIsDeadLetteredAndItsBatchNeighboursArePublished()
      throws Exception {
    String compacted = topic + "-compacted";
    TestKafka.get().createTopic(compacted, 1, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
    List<OutboxMessage> batch = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      batch.add(msg(compacted, "a", n));
    }
    batch.add(msg(compacted, null, 0));
    for (int n = 4; n <= 6; n++) {
      batch.add(msg(compacted, "a", n));
    }
    write(batch);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(config("r1").build(), registry);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    List<Published.Rec> recs = Published.read(compacted, 6, Duration.ofSeconds(20));
    assertThat(recs)
        .extracting(Published.Rec::value)
        .containsSubsequence(
            "{\"key\":\"a\",\"n\":1}",
            "{\"key\":\"a\",\"n\":2}",
            "{\"key\":\"a\",\"n\":3}",
            "{\"key\":\"a\",\"n\":4}",
            "{\"key\":\"a\",\"n\":5}",
            "{\"key\":\"a\",\"n\":6}");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isEqualTo(1);
    assertThat(
            text(
                "SELECT error_class FROM waybill_outbox_dead_letter WHERE msg_key IS NULL"
                    + " AND topic = '"
                    + compacted
                    + "'"))
        .isEqualTo("org.apache.kafka.common.InvalidRecordException");
    assertThat(counter(registry, "waybill.relay.dead.lettered")).isEqualTo(1);
  }

  /**
   * The case the one-request-in-flight rule and the close-on-failure exist for: the broker fails
   * one request of a partition while later records of the same key wait in the producer behind it.
   * The idempotent producer would send those later records as soon as the failed request returns
   * (it renumbers them), so they would reach the partition before the failed ones are sent again.
   * The relay must stop them instead: every message of the key first appears in write order.
   */
  @Test
  final void aRequestTheBrokerFailsStopsTheLaterRecordsOfItsKeySoOrderHolds() throws Exception {
    String compacted = topic + "-ordered";
    TestKafka.get().createTopic(compacted, 1, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
    int total = 3000;
    List<OutboxMessage> rows = new ArrayList<>();
    rows.add(msg(compacted, "a", 1));
    rows.add(msg(compacted, null, 0)); // refused by the broker, in the first request
    for (int n = 2; n <= total; n++) {
      rows.add(msg(compacted, "a", n));
    }
    write(rows);
    // small batches: the next batch is claimed and sent while the failing one is out, so a
    // producer replaced too early would publish it ahead of the failed batch's second attempt
    start(config("r1").batchSize(100).build());
    await().atMost(Duration.ofSeconds(60)).until(() -> outboxRows() == 0);
    List<Published.Rec> recs = Published.read(compacted, total, Duration.ofSeconds(30));
    assertPerKeyOrder(recs);
    assertThat(recs.stream().map(Published.Rec::value).distinct().count()).isEqualTo(total);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE msg_key IS NULL"))
        .isEqualTo(1);
  }

  @Test
  final void rowsWithAnInvalidTopicOrHeadersColumnAreDeadLetteredAndParkOnlyTheirKeys()
      throws Exception {
    insertRow("bad topic", "k-topic", null); // a space: not a Kafka topic name
    insertRow(topic, "k-headers", "[\"not\", \"an object\"]");
    insertRow("bad topic", "k-topic", null); // the key's next message, on the same topic
    write(List.of(msg("k-headers", 2), msg("good", 1), msg("good", 2)));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay r = start(config("r1").build(), registry);
    List<Published.Rec> recs = Published.read(topic, 2, Duration.ofSeconds(20));
    assertThat(recs)
        .extracting(Published.Rec::value)
        .containsExactly("{\"key\":\"good\",\"n\":1}", "{\"key\":\"good\",\"n\":2}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 2);
    assertThat(
            text(
                "SELECT error_class FROM waybill_outbox_dead_letter WHERE msg_key = 'k-topic'"
                    + " AND topic = 'bad topic' AND parks_key = TRUE AND attempts = 1"))
        .isEqualTo("org.apache.kafka.common.errors.InvalidTopicException");
    assertThat(
            text("SELECT error_message FROM waybill_outbox_dead_letter WHERE msg_key = 'k-topic'"))
        .contains("topic 'bad topic' of message")
        .contains("is invalid");
    assertThat(
            text(
                "SELECT error_class FROM waybill_outbox_dead_letter WHERE msg_key = 'k-headers'"
                    + " AND parks_key = TRUE AND attempts = 1"))
        .endsWith("KafkaPublisher$InvalidRowException");
    assertThat(
            text(
                "SELECT error_message FROM waybill_outbox_dead_letter WHERE msg_key ="
                    + " 'k-headers'"))
        .contains("are not a JSON object of strings");
    // neither row is retried: each failed once and the later message of each key waits
    Thread.sleep(500);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox")).isEqualTo(2);
    assertThat(Published.read(topic, 3, Duration.ofSeconds(2))).hasSize(2);
    assertThat(counter(registry, "waybill.relay.dead.lettered")).isEqualTo(2);
    assertThat(counter(registry, "waybill.relay.retried")).as("permanent: no retry").isZero();
    assertThat(counter(registry, "waybill.relay.held"))
        .as("the later messages of both keys, held in the first batch")
        .isEqualTo(2);
    DistributionSummary batches = registry.get("waybill.relay.batch.size").summary();
    assertThat(batches.count()).isPositive();
    assertThat(batches.max()).as("all six rows claimed in one batch").isEqualTo(6);
    assertThat(r.status().deadLettered()).isEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(registry.get("waybill.relay.parked.keys").gauge().value()).isEqualTo(2));
    assertThat(statusJson())
        .contains("\"parkedKeys\":2")
        .contains("\"key\":\"k-topic\"")
        .contains("\"key\":\"k-headers\"")
        .contains("InvalidTopicException")
        .contains("InvalidRowException");
  }

  @Test
  final void skipModeLetsTheKeyFlowAfterADeadLetter() throws Exception {
    start(config("r1").failureMode(FailureMode.SKIP).kafka("max.request.size", "4096").build());
    write(
        List.of(
            OutboxMessage.builder()
                .topic(topic)
                .key("bad")
                .eventType("Huge")
                .payload(Payload.text("y".repeat(6000)))
                .build(),
            msg("bad", 2)));
    List<Published.Rec> recs = Published.read(topic, 1, Duration.ofSeconds(20));
    assertThat(recs).extracting(Published.Rec::key).containsExactly("bad");
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE parks_key = FALSE"))
        .isEqualTo(1);
  }

  @Test
  final void aDelayedMessageWaitsForItsTime() throws Exception {
    start(config("r1").build());
    Instant due = Instant.now().plusSeconds(3);
    write(
        List.of(
            OutboxMessage.builder()
                .topic(topic)
                .key("later")
                .eventType("Reminder")
                .jsonPayload("{}")
                .notBefore(due)
                .build(),
            msg("now", 1)));
    List<Published.Rec> first = Published.read(topic, 1, Duration.ofSeconds(2));
    assertThat(first).extracting(Published.Rec::key).containsExactly("now");
    assertThat(Instant.now()).isBefore(due);
    List<Published.Rec> all = Published.read(topic, 2, Duration.ofSeconds(20));
    assertThat(all).extracting(Published.Rec::key).containsExactlyInAnyOrder("now", "later");
    assertThat(Instant.now()).isAfterOrEqualTo(due);
  }

  @Test
  final void shardsAreSpreadAndTakenOverWithinTheLeaseTimeAfterACrash() throws Exception {
    SimpleMeterRegistry registry1 = new SimpleMeterRegistry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PollingRelay r1 = (PollingRelay) start(config("r1").build(), registry1);
    PollingRelay r2 = (PollingRelay) start(config("r2").build(), registry);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> r1.status().ownedShards().size() == 4 && r2.status().ownedShards().size() == 4);
    assertThat(
            counter(registry1, "waybill.relay.lease.acquired")
                - counter(registry1, "waybill.relay.lease.released"))
        .as("r1 holds what it took minus what it gave back to r2")
        .isEqualTo(4);
    r1.crash(); // stops without giving its leases back, like kill -9
    Map<Integer, String> before = new LinkedHashMap<>();
    r2.status().ownedShards().forEach(s -> before.put(s, "r2"));
    List<OutboxMessage> ms = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ms.add(msg("key-" + i, 1));
    }
    write(ms);
    await().atMost(Duration.ofSeconds(20)).until(() -> r2.status().ownedShards().size() == 8);
    List<Published.Rec> recs = Published.read(topic, 40, Duration.ofSeconds(30));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(40);
    assertThat(before).hasSize(4);
    assertThat(counter(registry, "waybill.relay.lease.acquired"))
        .as("4 at the start (or more, given back in the rebalance), the crashed relay's 4 later")
        .isGreaterThanOrEqualTo(8);
    assertThat(
            counter(registry, "waybill.relay.lease.acquired")
                - counter(registry, "waybill.relay.lease.released"))
        .isEqualTo(8);
    assertThat(counter(registry, "waybill.relay.lease.renewals")).isGreaterThan(1);
    assertThat(counter(registry, "waybill.relay.lease.losses")).isZero();
    assertThat(registry.get("waybill.relay.shards.owned").gauge().value()).isEqualTo(8);
    // another owner takes a shard before r2 renews it: r2 counts a lost lease
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE waybill_relay_lease SET owner = 'intruder' WHERE shard = 0");
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> counter(registry, "waybill.relay.lease.losses") == 1);
  }

  @Test
  final void twoRelaysPublishingTheSameShardsAtOnceCauseDuplicatesButNeverAReorder()
      throws Exception {
    // What a relay does after a pause longer than its lease (a stopped JVM, a long GC), which no
    // deadline check can prevent: it still believes it holds shards whose lease rows already name
    // another relay, and both publish them. Here relay A renews only every 12 s; just after one of
    // its renewals the test hands A's lease rows to B and removes A from the live relays, as a
    // takeover after A's leases expired would, and starts B. For several seconds both publish the
    // same shards. Delete-on-acknowledge keeps this to duplicates: each relay sends a key's
    // messages in order, and a message one relay never sends because the other deleted it was
    // acknowledged before that DELETE, so it is in the partition already.
    SimpleMeterRegistry registryA = new SimpleMeterRegistry();
    Relay a =
        start(config("A").lease(Duration.ofSeconds(40), Duration.ofSeconds(12)).build(), registryA);
    List<Published.Rec> recs;
    long aDuring;
    long bDuring;
    try (LogLines logs = LogLines.of("dev.waybill.relay");
        StreamWriter writer = new StreamWriter(db, 40, 20, this::msg)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> a.status().ownedShards().size() == 8 && a.status().published() >= 100);
      double renewals = counter(registryA, "waybill.relay.lease.renewals");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> counter(registryA, "waybill.relay.lease.renewals") > renewals);
      long aBefore = a.status().published();
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        assertThat(
                st.executeUpdate(
                    "UPDATE waybill_relay_lease SET owner = 'B', epoch = epoch + 1"
                        + " WHERE owner = 'A'"))
            .isEqualTo(8);
        st.executeUpdate("DELETE FROM waybill_relay_instance WHERE instance_id = 'A'");
      }
      Relay b = start(config("B").build());
      await()
          .alias("B publishes the shards it now holds")
          .atMost(Duration.ofSeconds(10))
          .until(() -> b.status().published() > 100);
      assertThat(a.status().ownedShards())
          .as("A has not renewed since: it still believes it holds every shard")
          .hasSize(8);
      bDuring = b.status().published();
      // what A publishes until it notices, at its next renewal, that its leases moved
      long aUntilLoss = aBefore;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (counter(registryA, "waybill.relay.lease.losses") < 1) {
        assertThat(System.nanoTime())
            .as("A notices at its next renewal that its leases moved")
            .isLessThan(deadline);
        aUntilLoss = a.status().published();
        Thread.sleep(20);
      }
      aDuring = aUntilLoss - aBefore;
      assertThat(logs.atLeast(Level.WARN))
          .as("the relay says which leases it lost")
          .anySatisfy(
              line -> assertThat(line).startsWith("relay A: lost 8 shard lease(s) [0, 1, 2"));
      Thread.sleep(500);
      recs = stopAndReadEverything(writer, db);
    }
    assertThat(aDuring).as("A went on publishing after its leases moved").isPositive();
    assertThat(bDuring).isPositive();
    assertPerKeyOrder(recs);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
    assertThat((long) recs.size())
        .as("both relays published some of the same messages: the overlap was real")
        .isGreaterThan(recs.stream().map(Published.Rec::id).distinct().count());
  }

  @Test
  final void aRelayThatCannotRenewItsLeaseStopsPublishingBeforeAnotherCanTakeOver()
      throws Exception {
    assumeTrue(
        db.kind() != TestDatabase.Kind.H2,
        "H2 runs in memory inside the relay's JVM: there is no connection to freeze");
    RelayConfig configA = config("A").source("urn:test:relay-a").batchSize(50).build();
    // the last moment A may start a send: its last renewal + ttl - send timeout - max block - 1 s
    Duration margin =
        configA
            .leaseTtl()
            .minus(configA.sendTimeout())
            .minus(KafkaPublisher.maxBlock(configA.kafka(), configA.sendTimeout()))
            .minusSeconds(1);
    long ttl = configA.leaseTtl().toMillis();
    long renew = configA.leaseRenewInterval().toMillis();
    try (TcpProxy proxy = db.startProxy()) {
      SimpleMeterRegistry registryA = new SimpleMeterRegistry();
      Relay a = start(configA, db.dataSourceThrough(proxy), registryA);
      Relay b = start(config("B").source("urn:test:relay-b").batchSize(50).build());
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () -> a.status().ownedShards().size() == 4 && b.status().ownedShards().size() == 4);
      Sampler sampler;
      long frozenAt;
      long thawedAt;
      double acquiredBefore;
      try (StreamWriter writer = new StreamWriter(db, 10, 30, this::msg)) {
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> a.status().published() > 100 && b.status().published() > 100);
        sampler = new Sampler(a, b, registryA);
        acquiredBefore = acquired(registryA);
        // a backlog, so that the claim A has in progress when it freezes returns rows
        writer.burst(800);
        long publishedByA = a.status().published();
        await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(1))
            .until(() -> a.status().published() > publishedByA + 300);
        // freeze just after a renewal: the loop has no DELETE to wait for and claims next, so
        // the freeze holds a claim (a long pause between claim and send), not a renewal
        double renewals = registryA.get("waybill.relay.lease.renewals").counter().count();
        await()
            .atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(1))
            .until(
                () -> registryA.get("waybill.relay.lease.renewals").counter().count() > renewals);
        frozenAt = System.currentTimeMillis();
        proxy.freeze(); // A can reach Kafka but not its database: no renewal, no claim, no DELETE
        await()
            .alias("B takes A's shards within the lease time + one renewal interval")
            .atMost(Duration.ofMillis(ttl + renew + 2_000))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> b.status().ownedShards().size() == 8);
        long takenOverAt = System.currentTimeMillis();
        assertThat(takenOverAt - frozenAt)
            .as("B took A's shards only once their leases could have expired")
            .isGreaterThanOrEqualTo(ttl / 2);
        long publishedByB = b.status().published();
        await() // B publishes A's backlog while A is still frozen
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(1))
            .until(() -> b.status().published() > publishedByB + 50);
        thawedAt = System.currentTimeMillis();
        proxy.thaw(); // A's held claim returns rows of shards that B owns now
        await()
            .alias("A takes a share again after the thaw")
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> acquired(registryA) > acquiredBefore && b.status().ownedShards().size() < 8);
        writer.close();
        assertThat(writer.failures()).isZero();
        sampler.close();
        await().atMost(Duration.ofSeconds(60)).until(() -> outboxRows() == 0);
        List<Published.Rec> recs =
            Published.read(topic, writer.committedCount(), Duration.ofSeconds(60));
        writer.assertEveryCommittedMessageArrived(recs);
        assertPerKeyOrder(recs);

        // the zombie window: from A's own deadline until A takes new leases after the thaw
        long quietUntil = sampler.lastTimeWithAcquired(acquiredBefore);
        assertThat(quietUntil).as("A learned that it lost its shards").isGreaterThan(thawedAt);
        long deadline = frozenAt + margin.toMillis() + 100;
        List<Published.Rec> late =
            recs.stream()
                .filter(r -> "urn:test:relay-a".equals(r.source()))
                .filter(r -> r.timestamp() > deadline && r.timestamp() <= quietUntil)
                .toList();
        assertThat(late)
            .as(
                "records A sent after its lease deadline (freeze + %d ms) and before it took"
                    + " new leases (%d ms after the freeze; thawed at %d ms)",
                margin.toMillis(), quietUntil - frozenAt, thawedAt - frozenAt)
            .isEmpty();
        assertThat(sampler.publishedAt(a, frozenAt + ttl))
            .as("A's published count from the lease expiry until it took new leases")
            .isEqualTo(sampler.publishedAt(a, quietUntil));
        assertNoRecordOfAAfterBPerKey(recs, quietUntil);
      } finally {
        a.close(); // before the proxy closes, so that A gives its leases back
        b.close();
      }
    }
  }

  /**
   * Per key, in partition order: until A took new leases, no record sent by A comes after a record
   * sent by B (B only ever took keys from A).
   */
  private static void assertNoRecordOfAAfterBPerKey(List<Published.Rec> recs, long until) {
    List<Published.Rec> sorted = new ArrayList<>(recs);
    sorted.sort(
        java.util.Comparator.comparingInt(Published.Rec::partition)
            .thenComparingLong(Published.Rec::offset));
    Map<String, Long> firstOfB = new HashMap<>();
    for (Published.Rec r : sorted) {
      if ("urn:test:relay-b".equals(r.source())) {
        firstOfB.putIfAbsent(r.key(), r.offset());
      } else if (r.timestamp() <= until && firstOfB.containsKey(r.key())) {
        throw new AssertionError(
            "key "
                + r.key()
                + ": relay A's record at offset "
                + r.offset()
                + " (sent at "
                + r.timestamp()
                + ") follows relay B's record at offset "
                + firstOfB.get(r.key())
                + " in partition "
                + r.partition());
      }
    }
  }

  private static double acquired(SimpleMeterRegistry registry) {
    return registry.get("waybill.relay.lease.acquired").counter().count();
  }

  /** Samples relay A's lease acquisitions and published count every few milliseconds. */
  private static final class Sampler implements AutoCloseable {
    /** t (wall millis, taken before reading), A's acquired count, A's published count. */
    record Sample(long at, double acquired, long published) {}

    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean stop;

    Sampler(Relay a, Relay b, SimpleMeterRegistry registryA) {
      thread =
          new Thread(
              () -> {
                while (!stop) {
                  long at = System.currentTimeMillis();
                  samples.add(new Sample(at, acquired(registryA), a.status().published()));
                  try {
                    TimeUnit.MILLISECONDS.sleep(3);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "lease-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    /** The time of the last sample at which A had acquired no more than {@code count} leases. */
    long lastTimeWithAcquired(double count) {
      return samples.stream()
          .filter(s -> s.acquired() <= count)
          .mapToLong(Sample::at)
          .max()
          .orElseThrow();
    }

    /** A's published count at the first sample taken at or after {@code at}. */
    long publishedAt(Relay a, long at) {
      return samples.stream()
          .filter(s -> s.at() >= at)
          .findFirst()
          .orElseThrow(() -> new AssertionError("no sample at or after " + at))
          .published();
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(5_000);
    }
  }

  @Test
  final void aDatabaseOutageUnderARunningRelayLosesNothingAndKeepsKeyOrder() throws Exception {
    try (DatabaseOutage outage = databaseOutage()) {
      Relay r =
          Relay.builder()
              .config(config("r1").batchSize(20).build())
              .dataSource(outage.dataSource())
              .build();
      r.start();
      try {
        List<Published.Rec> recs;
        try (StreamWriter writer = new StreamWriter(outage.database(), 10, 20, this::msg)) {
          await().atMost(Duration.ofSeconds(30)).until(() -> r.status().published() >= 100);
          outage.takeDown();
          try {
            Thread.sleep(1_500);
            long stalled = r.status().published();
            Thread.sleep(1_500);
            assertThat(r.status().published())
                .as("nothing is published while the database is away")
                .isEqualTo(stalled);
          } finally {
            outage.bringBack();
          }
          long before = r.status().published();
          await()
              .alias("the relay resumes once the database is back")
              .atMost(Duration.ofSeconds(40))
              .until(() -> r.status().published() > before + 100);
          recs = stopAndReadEverything(writer, outage.database());
        }
        assertPerKeyOrder(recs);
        assertThat(rows(outage.database(), "SELECT COUNT(*) FROM waybill_outbox_dead_letter"))
            .as("an outage dead-letters nothing")
            .isZero();
      } finally {
        r.close();
      }
    }
  }

  @Test
  final void aDatabaseOutageLongerThanTheLeaseTimeLosesNothingAndTheRelaysTakeTheShardsBack()
      throws Exception {
    try (DatabaseOutage outage = databaseOutage()) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      List<Relay> pair = new ArrayList<>();
      try {
        for (String id : List.of("r1", "r2")) {
          Relay r =
              Relay.builder()
                  .config(config(id).batchSize(20).build())
                  .dataSource(outage.dataSource())
                  .meterRegistry(registry)
                  .build();
          pair.add(r);
          r.start();
        }
        List<Published.Rec> recs;
        try (StreamWriter writer = new StreamWriter(outage.database(), 10, 20, this::msg)) {
          await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> pair.stream().allMatch(r -> r.status().published() >= 20));
          outage.takeDown();
          try {
            Thread.sleep(1_500); // what was in flight settles
            long stalled = published(pair);
            // the leases (relay.lease.ttl 6 s) expire while the database is away
            Thread.sleep(8_000);
            assertThat(published(pair))
                .as("nothing is published while the database is away")
                .isEqualTo(stalled);
          } finally {
            outage.bringBack();
          }
          long before = published(pair);
          await()
              .alias("the relays resume once the database is back")
              .atMost(Duration.ofSeconds(40))
              .until(() -> published(pair) > before + 100);
          await()
              .alias("the two relays hold every shard between them again")
              .atMost(Duration.ofSeconds(20))
              .until(
                  () ->
                      pair.stream().allMatch(r -> !r.status().ownedShards().isEmpty())
                          && pair.stream().mapToInt(r -> r.status().ownedShards().size()).sum()
                              == 8);
          recs = stopAndReadEverything(writer, outage.database());
        }
        assertPerKeyOrder(recs);
        assertThat(
                registry.find("waybill.relay.lease.losses").counters().stream()
                    .mapToDouble(c -> c.count())
                    .sum())
            .as("the relays noticed that their leases ran out during the outage")
            .isGreaterThanOrEqualTo(1);
        assertThat(rows(outage.database(), "SELECT MIN(epoch) FROM waybill_relay_lease"))
            .as("every shard was taken again after the outage, with a new epoch")
            .isGreaterThanOrEqualTo(2);
        assertThat(rows(outage.database(), "SELECT COUNT(*) FROM waybill_outbox_dead_letter"))
            .as("an outage dead-letters nothing")
            .isZero();
      } finally {
        pair.forEach(Relay::close);
      }
    }
  }

  private static long published(List<Relay> relays) {
    return relays.stream().mapToLong(r -> r.status().published()).sum();
  }

  /**
   * Stops the writer, waits until the relays emptied the outbox and reads what they published,
   * checking that every committed message arrived.
   */
  private List<Published.Rec> stopAndReadEverything(StreamWriter writer, TestDatabase database)
      throws Exception {
    writer.close();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> rows(database, "SELECT COUNT(*) FROM waybill_outbox") == 0);
    List<Published.Rec> recs =
        Published.read(topic, writer.committedCount(), Duration.ofSeconds(60));
    writer.assertEveryCommittedMessageArrived(recs);
    return recs;
  }

  static long rows(TestDatabase database, String sql) throws SQLException {
    try (Connection c = database.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int status(HttpClient http, URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static String get(HttpClient http, URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The value of an (instance-tagged) gauge in a Prometheus scrape; NaN when absent. */
  private static double gauge(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  @Test
  final void aKafkaOutageOnlyGrowsTheBacklogUntilTheBrokerIsBack() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Relay r =
        Relay.builder()
            .config(config("r1").build())
            .dataSource(db.dataSource())
            .meterRegistry(registry)
            .build();
    relays.add(r);
    r.start();
    HttpClient http = HttpClient.newHttpClient();
    try (HttpEndpoint endpoint = HttpEndpoint.start(0, r, registry)) {
      URI health = URI.create("http://127.0.0.1:" + endpoint.port() + "/health");
      URI live = URI.create("http://127.0.0.1:" + endpoint.port() + "/health/live");
      URI ready = URI.create("http://127.0.0.1:" + endpoint.port() + "/health/ready");
      URI metrics = URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics");
      write(List.of(msg("before", 1)));
      assertThat(Published.read(topic, 1, Duration.ofSeconds(20))).hasSize(1);
      await().atMost(Duration.ofSeconds(15)).until(() -> status(http, health) == 200);
      TestKafka.get().stop();
      try {
        List<OutboxMessage> ms = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          ms.add(msg("k" + (i % 5), i));
        }
        write(ms);
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> !r.healthy() && status(http, health) == 503); // DOWN while Kafka is away
        assertThat(status(http, ready)).as("not ready while Kafka is away").isEqualTo(503);
        assertThat(status(http, live))
            .as("live while Kafka is away: a liveness probe must not restart the relay")
            .isEqualTo(200);
        assertThat(r.live()).isTrue();
        assertThat(outboxRows()).as("the backlog waits in the database").isEqualTo(30);
        await()
            .atMost(Duration.ofSeconds(15))
            .untilAsserted(
                () -> {
                  String body = get(http, metrics);
                  assertThat(gauge(body, "waybill_relay_pending")).isEqualTo(30.0);
                  assertThat(gauge(body, "waybill_relay_oldest_age_seconds"))
                      .as("the age to alert on grows while nothing is published")
                      .isGreaterThan(0.5);
                });
      } finally {
        TestKafka.get().start();
      }
      await().atMost(Duration.ofSeconds(30)).until(r::healthy);
      await().atMost(Duration.ofSeconds(15)).until(() -> status(http, health) == 200);
    }
    List<Published.Rec> recs = Published.read(topic, 31, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(31);
    assertPerKeyOrder(recs);
    await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter"))
        .as("an outage dead-letters nothing")
        .isZero();
    assertThat(r.status().deadLettered()).isZero();
  }

  /** An outbox row as the claim tests see it: {@code shard} is null for a keyless row. */
  record StoredRow(long seq, Integer shard, String key) {
    /** The relay shard (of {@code shards}) that owns the row. */
    int relayShard(int shards) {
      return (int) ((shard == null ? seq : shard) % shards);
    }

    /** What a claim must read in order: the physical shard, or -1 for the keyless rows. */
    int group() {
      return shard == null ? -1 : shard;
    }
  }

  /** Every row of the outbox, in seq order. */
  List<StoredRow> storedRows() throws SQLException {
    List<StoredRow> rows = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT seq, shard, msg_key FROM waybill_outbox ORDER BY seq")) {
      while (rs.next()) {
        long seq = rs.getLong(1);
        int shard = rs.getInt(2);
        Integer physical = rs.wasNull() ? null : shard;
        rows.add(new StoredRow(seq, physical, rs.getString(3)));
      }
    }
    return rows;
  }

  OutboxStore store() {
    return new OutboxStore(db.dataSource(), dialect(), TableNames.defaults());
  }

  /**
   * Claims everything {@code owned} may claim, in batches of 7 that stay excluded (in flight), and
   * checks every batch: only rows of owned shards, and for each physical shard (and for the keyless
   * rows) the lowest not yet claimed rows, in seq order. Returns what was claimed.
   */
  private Set<Long> claimAllAndCheckEachBatch(List<StoredRow> rows, int shards, List<Integer> owned)
      throws SQLException {
    Map<Integer, java.util.Deque<Long>> waiting = new HashMap<>();
    Map<Long, StoredRow> bySeq = new HashMap<>();
    for (StoredRow r : rows) {
      bySeq.put(r.seq(), r);
      if (owned.contains(r.relayShard(shards))) {
        waiting.computeIfAbsent(r.group(), g -> new java.util.ArrayDeque<>()).add(r.seq());
      }
    }
    OutboxStore store = store();
    Set<Long> claimed = new java.util.LinkedHashSet<>();
    for (int round = 0; round < 1000; round++) {
      List<OutboxRow> batch = store.claim(shards, owned, List.copyOf(claimed), 7, Long.MAX_VALUE);
      if (batch.isEmpty()) {
        break;
      }
      for (OutboxRow r : batch) {
        StoredRow stored = bySeq.get(r.seq());
        assertThat(owned).as("relay shard of row %s", r).contains(stored.relayShard(shards));
        java.util.Deque<Long> next = waiting.get(stored.group());
        assertThat(next.peekFirst())
            .as("the next row of shard %s (claimed in seq order, none skipped)", stored.group())
            .isEqualTo(r.seq());
        next.removeFirst();
        assertThat(claimed.add(r.seq())).as("claimed once: %s", r).isTrue();
      }
    }
    assertThat(waiting.values())
        .as("every row of the owned shards claimed")
        .allMatch(d -> d.isEmpty());
    return claimed;
  }

  @Test
  final void aRelayOwningPartOfTheShardsClaimsOnlyItsRowsAndEachShardInSeqOrder() throws Exception {
    List<OutboxMessage> ms = new ArrayList<>();
    for (int n = 0; n < 6; n++) {
      for (int k = 0; k < 40; k++) {
        ms.add(msg("k" + k, n));
      }
      for (int k = 0; k < 5; k++) {
        ms.add(msg(null, n * 5 + k));
      }
    }
    write(ms);
    List<StoredRow> rows = storedRows();
    assertThat(rows.stream().map(StoredRow::shard).distinct().count())
        .as("40 keys spread over many physical shards")
        .isGreaterThan(20);
    Set<Long> a = claimAllAndCheckEachBatch(rows, 8, List.of(1, 4, 6));
    Set<Long> b = claimAllAndCheckEachBatch(rows, 8, List.of(0, 2, 3, 5, 7));
    assertThat(a).as("two relays with complementary shards").doesNotContainAnyElementsOf(b);
    Set<Long> both = new HashSet<>(a);
    both.addAll(b);
    assertThat(both)
        .as("together they claim every row, keyless ones included")
        .hasSize(rows.size());
  }

  @Test
  final void aShardWithAConstantStreamDoesNotStarveTheOtherShardsOfItsRelay() throws Exception {
    List<OutboxMessage> ms = new ArrayList<>();
    for (int k = 0; k < 40; k++) {
      ms.add(msg("k" + k, 0));
    }
    for (int n = 0; n < 8; n++) {
      ms.add(msg(null, n));
    }
    write(ms);
    List<StoredRow> rows = storedRows();
    // the busiest key sits in the lowest physical shard: a claim that always started at shard 0
    // would take nothing but its rows
    StoredRow busy =
        rows.stream()
            .filter(r -> r.shard() != null)
            .min(java.util.Comparator.comparingInt(StoredRow::shard))
            .orElseThrow();
    int shards = 8;
    List<Integer> owned = List.of(busy.relayShard(shards), (busy.relayShard(shards) + 1) % shards);
    Set<Long> others = new HashSet<>();
    for (StoredRow r : rows) {
      if (owned.contains(r.relayShard(shards)) && !busy.key().equals(r.key())) {
        others.add(r.seq());
      }
    }
    assertThat(others).as("keyless and other keyed rows of the same relay").isNotEmpty();
    OutboxStore store = store();
    int claims = 0;
    int n = 1;
    while (!others.isEmpty() && claims < 50) {
      List<OutboxMessage> stream = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        stream.add(msg(busy.key(), n++));
      }
      write(stream); // the busy key gets as many new rows as a claim takes
      List<OutboxRow> batch = store.claim(shards, owned, List.of(), 20, Long.MAX_VALUE);
      claims++;
      batch.forEach(r -> others.remove(r.seq()));
      store.delete(batch.stream().map(OutboxRow::seq).toList()); // published
    }
    assertThat(others).as("rows of other shards still waiting after %d claims", claims).isEmpty();
    assertThat(claims).as("claims until every other shard was served").isLessThanOrEqualTo(3);
  }

  @Test
  final void aLateCommitInAPartlyOwnedShardIsClaimedNotSkipped() throws Exception {
    OutboxStore store = store();
    int shards = 8;
    List<Integer> owned;
    long lateSeq;
    try (Connection late = db.connect()) {
      late.setAutoCommit(false);
      outbox.write(late, msg("late", 1)); // takes a lower seq than the rows below, commits last
      try (Statement st = late.createStatement();
          ResultSet rs =
              st.executeQuery("SELECT seq, shard FROM waybill_outbox WHERE msg_key = 'late'")) {
        assertThat(rs.next()).isTrue();
        lateSeq = rs.getLong(1);
        owned = List.of(rs.getInt(2) % shards, (rs.getInt(2) + 3) % shards);
      }
      List<OutboxMessage> ms = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        ms.add(msg("k" + (i % 40), i));
      }
      write(ms);
      int claimed = 0;
      for (int round = 0; round < 200; round++) {
        List<OutboxRow> batch = store.claim(shards, owned, List.of(), 5, Long.MAX_VALUE);
        if (batch.isEmpty()) {
          break;
        }
        assertThat(batch).extracting(OutboxRow::seq).doesNotContain(lateSeq);
        claimed += batch.size();
        store.delete(batch.stream().map(OutboxRow::seq).toList());
      }
      assertThat(claimed).as("rows of the same relay shards published meanwhile").isPositive();
      late.commit();
    }
    List<OutboxMessage> more = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      more.add(msg("k" + (i % 40), 200 + i));
    }
    write(more); // full claims again, so the cursor keeps turning
    boolean found = false;
    for (int round = 0; round < 200 && !found; round++) {
      List<OutboxRow> batch = store.claim(shards, owned, List.of(), 5, Long.MAX_VALUE);
      if (batch.isEmpty()) {
        break;
      }
      found = batch.stream().anyMatch(r -> r.seq() == lateSeq);
      store.delete(batch.stream().map(OutboxRow::seq).toList());
    }
    assertThat(found).as("the late row was claimed").isTrue();
  }

  @Test
  final void keylessAndKeyedRowsArePublishedExactlyOnceByThreeRelays() throws Exception {
    Relay r1 = start(config("r1").batchSize(30).build());
    Relay r2 = start(config("r2").batchSize(30).build());
    Relay r3 = start(config("r3").batchSize(30).build());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                List.of(r1, r2, r3).stream()
                    .allMatch(
                        r ->
                            r.status().ownedShards().size() >= 2
                                && r.status().ownedShards().size() <= 3));
    List<OutboxMessage> ms = new ArrayList<>();
    for (int n = 0; n < 150; n++) {
      ms.add(msg(null, n));
      ms.add(msg("k" + (n % 10), n));
    }
    write(ms);
    List<Published.Rec> recs = Published.read(topic, 300, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(300);
    assertThat(recs).as("no crash: nothing published twice").hasSize(300);
    assertThat(recs.stream().filter(r -> r.key() == null).count()).isEqualTo(150);
    assertPerKeyOrder(recs);
    await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);
    assertThat(List.of(r1, r2, r3))
        .as("every relay published its share")
        .allMatch(r -> r.status().published() > 0);
  }

  @Test
  final void droppedDatabaseConnectionsLoseNothing() throws Exception {
    start(config("r1").batchSize(20).build());
    int total = 0;
    for (int round = 0; round < 5; round++) {
      List<OutboxMessage> ms = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        ms.add(msg("k" + (i % 4), total++));
      }
      write(ms);
      db.endOtherSessions();
      Thread.sleep(300);
    }
    List<Published.Rec> recs = Published.read(topic, total, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(total);
    assertPerKeyOrder(recs);
    await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);
  }

  @Test
  final void aClaimStopsAtTheByteBoundAndTakesALargerFirstMessageAlone() throws Exception {
    List<OutboxMessage> ms = new ArrayList<>();
    int[] sizes = {3000, 3000, 3000, 20_000, 100, 100};
    for (int i = 0; i < sizes.length; i++) {
      ms.add(
          OutboxMessage.builder()
              .topic(topic)
              .key("k" + i)
              .eventType("Sized")
              .payload(Payload.of(new byte[sizes[i]], Payload.OCTET_STREAM))
              .build());
    }
    write(ms);
    OutboxStore store = store();
    List<Long> claimed = new ArrayList<>();
    List<List<Integer>> batches = new ArrayList<>();
    while (true) {
      List<OutboxRow> batch = store.claim(1, null, List.copyOf(claimed), 100, 7000);
      if (batch.isEmpty()) {
        break;
      }
      batches.add(batch.stream().map(r -> r.payload().length).toList());
      batch.forEach(r -> claimed.add(r.seq()));
    }
    assertThat(batches)
        .as("payload sizes per claim of at most 7000 bytes, in write order")
        .containsExactly(List.of(3000, 3000), List.of(3000), List.of(20_000), List.of(100, 100));
    assertThat(store.claim(1, null, List.of(), 100, 7000)).hasSize(2); // nothing was deleted
  }
}
