package dev.waybill.relay;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.relay.http.HttpEndpoint;
import dev.waybill.relay.internal.CdcDeadLetters;
import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.testkit.InProcessKafka;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CDC relay (relay.mode=cdc) against a PostgreSQL with wal_level=logical and a real Kafka
 * broker. On a server without logical decoding every test fails with the prerequisite message.
 * Every slot a test creates is dropped in {@link #tearDown()}, and the test fails if one is left.
 */
class CdcRelayIT {
  TestDatabase db;
  String topic;
  String slotName;
  final List<Relay> relays = new ArrayList<>();
  final Outbox table = Outbox.builder().build();
  final Outbox transientRows =
      Outbox.builder().config(OutboxConfig.builder().deleteAfterInsert(true).build()).build();
  final Outbox messages =
      Outbox.builder()
          .config(OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build())
          .build();

  @BeforeEach
  void setUp() {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "cdc-" + UUID.randomUUID().toString().substring(0, 8);
    slotName = "wb_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestKafka.get().createTopic(topic, 3);
  }

  @AfterEach
  void tearDown() throws Exception {
    relays.forEach(Relay::close);
    relays.clear();
    try {
      TestSlots.dropAndCheckNoneLeft(db, slotName, Duration.ofSeconds(20));
    } finally {
      db.close();
    }
  }

  void dropSlot(String name) {
    // the WAL sender of a closed relay may need a moment to release the slot
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              LogicalSlot.drop(db.dataSource(), name);
              return true;
            });
  }

  RelayConfig.Builder config(String instance) {
    return RelayConfig.builder()
        .mode(RelayConfig.RelayMode.CDC)
        .cdc(
            RelayConfig.CdcConfig.defaults()
                .withNames(slotName, "waybill_outbox")
                .withHeartbeat(Duration.ofMillis(300))
                .withStandbyInterval(Duration.ofMillis(200)))
        .database(DatabaseSettings.of(db.jdbcUrl(), db.user(), db.password()))
        // the writers mix table rows and emitted messages: the relay reads both
        .outbox(OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build())
        .instanceId(instance)
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  private static int httpStatus(HttpEndpoint endpoint, String path) throws Exception {
    HttpRequest get =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path)).build();
    return HttpClient.newHttpClient()
        .send(get, HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  Relay start(RelayConfig config, MeterRegistry registry) {
    Relay r =
        Relay.builder().config(config).dataSource(db.dataSource()).meterRegistry(registry).build();
    relays.add(r);
    r.start();
    return r;
  }

  Relay start(RelayConfig config) {
    Relay r = Relay.builder().config(config).dataSource(db.dataSource()).build();
    relays.add(r);
    r.start();
    return r;
  }

  void write(Outbox outbox, List<OutboxMessage> ms) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      outbox.writeAll(c, ms);
      c.commit();
    }
  }

  OutboxMessage msg(String key, int n) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(key)
        .eventType("Counted")
        .jsonPayload("{\"key\":\"" + key + "\",\"n\":" + n + "}")
        .build();
  }

  /** The JDBC URL without a user parameter (pgjdbc prefers it over the given user). */
  String urlWithoutUser() {
    return db.jdbcUrl().replaceAll("([?&])user=[^&]*&?", "$1").replaceAll("[?&]$", "");
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  String text(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  long confirmedMinus(String lsn) throws SQLException {
    return count(
        "SELECT (confirmed_flush_lsn - '"
            + lsn
            + "'::pg_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '"
            + slotName
            + "'");
  }

  @Test
  void publishesBothWriteModesWithTheSameHeadersAndLeavesTheTableEmpty() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay r = start(config("c1").source("urn:test:cdc").build(), registry);
    await().atMost(Duration.ofSeconds(10)).until(() -> r.status().cdc().orElseThrow().active());
    SimpleMeterRegistry standbyRegistry = new SimpleMeterRegistry();
    Relay standby = start(config("c2").build(), standbyRegistry);
    OutboxMessage rowMsg =
        OutboxMessage.builder()
            .topic(topic)
            .key("order-1")
            .eventType("OrderPlaced")
            .jsonPayload("{\"total\":1}")
            .header("tenant", "acme")
            .traceparent(RelayContract.TRACEPARENT)
            .build();
    OutboxMessage transientMsg =
        OutboxMessage.builder()
            .topic(topic)
            .key("order-1")
            .eventType("OrderPaid")
            .jsonPayload("{\"total\":1}")
            .header("tenant", "acme")
            .traceparent(RelayContract.TRACEPARENT)
            .build();
    OutboxMessage emitted =
        OutboxMessage.builder()
            .topic(topic)
            .key("order-1")
            .eventType("OrderShipped")
            .payload(Payload.of(new byte[] {0, 1, '\n', 2}, "application/octet-stream"))
            .header("tenant", "acme")
            .traceparent(RelayContract.TRACEPARENT)
            .build();
    write(table, List.of(rowMsg));
    write(transientRows, List.of(transientMsg));
    write(messages, List.of(emitted));
    try (Connection c = db.connect()) { // a rolled-back message never appears, in either mode
      c.setAutoCommit(false);
      messages.write(c, msg("rolled-back", 1));
      table.write(c, msg("rolled-back", 2));
      c.rollback();
    }
    try (Connection c = db.connect(); // plain SQL, the documented minimal message-mode form
        PreparedStatement st =
            c.prepareStatement(
                "SELECT pg_logical_emit_message(true, 'waybill_outbox', convert_to(?, 'UTF8'))")) {
      st.setString(
          1,
          "{\"v\":1,\"topic\":\""
              + topic
              + "\",\"key\":\"order-1\",\"type\":\"OrderArchived\"}\n{\"plain\":true}");
      st.executeQuery().close();
    }
    List<Published.Rec> recs = Published.read(topic, 4, Duration.ofSeconds(30));
    assertThat(recs)
        .extracting(x -> x.headers().get("ce_type"))
        .containsExactly("OrderPlaced", "OrderPaid", "OrderShipped", "OrderArchived");
    for (int i = 0; i < 3; i++) {
      OutboxMessage m = List.of(rowMsg, transientMsg, emitted).get(i);
      assertThat(recs.get(i).key()).isEqualTo("order-1");
      assertThat(recs.get(i).headers())
          .containsEntry("ce_id", m.id().toString())
          .containsEntry("ce_source", "urn:test:cdc")
          .containsEntry("ce_specversion", "1.0")
          .containsEntry("content-type", m.payload().contentType())
          .containsEntry("traceparent", RelayContract.TRACEPARENT)
          .containsEntry("tenant", "acme")
          .containsKey("ce_time");
    }
    assertThat(recs.get(2).value().getBytes(StandardCharsets.UTF_8))
        .isEqualTo(new byte[] {0, 1, '\n', 2});
    assertThat(recs.get(3).headers().get("ce_id")).as("derived from the WAL position").isNotBlank();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              RelayStatus.Cdc s = r.status().cdc().orElseThrow();
              assertThat(s.active()).isTrue();
              assertThat(s.slot()).isEqualTo(slotName);
              assertThat(s.confirmedLsn()).isNotBlank();
            });
    assertThat(r.status().published()).isEqualTo(4);
    assertThat(registry.get("waybill.relay.cdc.active").gauge().value()).isEqualTo(1);
    assertThat(standbyRegistry.get("waybill.relay.cdc.active").gauge().value())
        .as("the second relay stands by")
        .isZero();
    assertThat(standby.status().published()).isZero();
    assertThat(registry.get("waybill.relay.batch.size").summary().totalAmount())
        .as("every published message was in a batch")
        .isGreaterThanOrEqualTo(4);
  }

  @Test
  void keepsCommitOrderPerKeyWithConcurrentWritersInEveryMode() throws Exception {
    start(config("c1").batchSize(50).build());
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE aggregate (k VARCHAR(20) PRIMARY KEY, n INT NOT NULL)");
      for (int k = 0; k < 8; k++) {
        st.execute("INSERT INTO aggregate VALUES ('k" + k + "', 0)");
      }
    }
    int writers = 4;
    int perWriter = 150;
    List<Outbox> modes = List.of(table, transientRows, messages);
    List<Thread> threads = new ArrayList<>();
    AtomicInteger written = new AtomicInteger();
    for (int w = 0; w < writers; w++) {
      Random random = new Random(w);
      Thread t =
          new Thread(
              () -> {
                try (Connection c = db.connect()) {
                  c.setAutoCommit(false);
                  for (int i = 0; i < perWriter; i++) {
                    String key = "k" + random.nextInt(8);
                    int n;
                    try (PreparedStatement st =
                        c.prepareStatement(
                            "UPDATE aggregate SET n = n + 1 WHERE k = ? RETURNING n")) {
                      st.setString(1, key); // the row lock orders writers of one key
                      try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        n = rs.getInt(1);
                      }
                    }
                    modes.get(random.nextInt(3)).write(c, msg(key, n));
                    c.commit();
                    written.incrementAndGet();
                  }
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join(120_000);
    }
    int total = writers * perWriter;
    assertThat(written.get()).isEqualTo(total);
    List<Published.Rec> recs = Published.read(topic, total, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(total);
    RelayContract.assertPerKeyOrder(recs);
  }

  @Test
  void aKafkaOutageNeverConfirmsUnacknowledgedMessagesAndLosesNothing() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay r = start(config("c1").build(), registry);
    write(messages, List.of(msg("before", 1)));
    assertThat(Published.read(topic, 1, Duration.ofSeconds(20))).hasSize(1);
    TestKafka.get().stop();
    AtomicReference<String> firstEnd = new AtomicReference<>();
    AtomicReference<Double> lagDuringOutage = new AtomicReference<>();
    try {
      for (int i = 0; i < 30; i++) {
        write(i % 2 == 0 ? messages : transientRows, List.of(msg("k" + (i % 5), i)));
        if (i == 0) {
          // at or after the end of the first unacknowledged transaction. (Not the position before
          // it: a heartbeat may land there, and confirming it while idle is right.)
          firstEnd.set(text("SELECT pg_current_wal_lsn()::text"));
        }
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> !r.healthy());
      try (HttpEndpoint endpoint =
          HttpEndpoint.start(
              "127.0.0.1", 0, r, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
        assertThat(httpStatus(endpoint, "/health/ready"))
            .as("not ready while Kafka is away")
            .isEqualTo(503);
        assertThat(httpStatus(endpoint, "/health/live"))
            .as("live while Kafka is away: a liveness probe must not restart the relay")
            .isEqualTo(200);
      }
      Thread.sleep(1_000); // give a wrongly confirming relay the chance to do so
      assertThat(confirmedMinus(firstEnd.get()))
          .as("the slot never confirms past a message Kafka did not acknowledge")
          .isLessThan(0);
      assertThat(registry.get("waybill.relay.cdc.confirmed.age").gauge().value())
          .as("nothing confirmed since the outage began: the age to alert on grows")
          .isGreaterThan(5);
      // the WAL the slot holds back: at least from its confirmed position to the end of the
      // first unacknowledged transaction
      long behind = -confirmedMinus(firstEnd.get());
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(registry.get("waybill.relay.cdc.slot.lag").gauge().value())
                      .as("slot lag in bytes while nothing can be confirmed")
                      .isGreaterThanOrEqualTo(behind));
      lagDuringOutage.set(registry.get("waybill.relay.cdc.slot.lag").gauge().value());
    } finally {
      TestKafka.get().start();
    }
    List<Published.Rec> recs = Published.read(topic, 31, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(31);
    RelayContract.assertPerKeyOrder(recs);
    await().atMost(Duration.ofSeconds(20)).until(() -> confirmedMinus(firstEnd.get()) > 0);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> registry.get("waybill.relay.cdc.confirmed.age").gauge().value() < 3);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                registry.get("waybill.relay.cdc.slot.lag").gauge().value() < lagDuringOutage.get());
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
  }

  @Test
  void aPoisonMessageParksItsKeyAndItsFollowersAreReleasedInOrderByARetry() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay r = start(config("c1").kafka("max.request.size", "4096").build(), registry);
    write(
        messages,
        List.of(
            msg("good", 1),
            OutboxMessage.builder()
                .topic(topic)
                .key("bad")
                .eventType("Huge")
                .payload(Payload.text("x".repeat(6000)))
                .build(),
            msg("bad", 2),
            msg("good", 2)));
    write(transientRows, List.of(msg("bad", 3)));
    // the failed send restarts the stream at the last confirmed transaction: duplicates allowed
    assertThat(
            Published.read(topic, 2, Duration.ofSeconds(20)).stream()
                .map(Published.Rec::value)
                .distinct())
        .containsExactly("{\"key\":\"good\",\"n\":1}", "{\"key\":\"good\",\"n\":2}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 3);
    assertThat(
            count(
                "SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE msg_key = 'bad' AND"
                    + " parks_key AND error_class LIKE '%RecordTooLargeException'"))
        .isEqualTo(1);
    assertThat(
            count(
                "SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE NOT parks_key AND"
                    + " error_class = '"
                    + CdcDeadLetters.FOLLOWER
                    + "'"))
        .as("the later messages of the parked key wait in the dead-letter table")
        .isEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(registry.get("waybill.relay.parked.keys").gauge().value()).isEqualTo(1);
              assertThat(registry.get("waybill.relay.parked.messages").gauge().value())
                  .isEqualTo(2);
              assertThat(registry.get("waybill.relay.cdc.slot.lag").gauge().value())
                  .isGreaterThanOrEqualTo(0);
            });
    // the release docs/cdc.md describes (what dlq-tools outbox retry does): in one transaction,
    // delete the dead letter and its followers, then insert them into the outbox in seq order,
    // here with a smaller payload standing in for a fixed message
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute(
          "UPDATE waybill_outbox_dead_letter SET payload = convert_to('{\"n\":1}', 'UTF8')"
              + " WHERE parks_key");
      st.execute(
          "CREATE TEMP TABLE released ON COMMIT DROP AS SELECT * FROM waybill_outbox_dead_letter"
              + " WHERE msg_key = 'bad'");
      st.execute("DELETE FROM waybill_outbox_dead_letter WHERE msg_key = 'bad'"); // unparks
      st.execute(
          "INSERT INTO waybill_outbox (id, topic, msg_key, event_type, content_type, payload,"
              + " headers, traceparent) SELECT id, topic, msg_key, event_type, content_type,"
              + " payload, headers, traceparent FROM released ORDER BY seq");
      c.commit();
    }
    List<Published.Rec> recs = Published.read(topic, 5, Duration.ofSeconds(20));
    assertThat(
            recs.stream().filter(x -> "bad".equals(x.key())).map(Published.Rec::value).distinct())
        .containsExactly("{\"n\":1}", "{\"key\":\"bad\",\"n\":2}", "{\"key\":\"bad\",\"n\":3}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    assertThat(r.status().deadLettered()).isEqualTo(1);
  }

  /**
   * A record the broker refuses (no key on a compacted topic) is dead-lettered with the broker's
   * reason in both write modes; the keyed messages of the same transactions, failed by Kafka with
   * it because they shared its request or stopped because they waited behind it, are published
   * again in order, not dead-lettered.
   */
  @Test
  void aRecordTheBrokerRefusesIsDeadLetteredAndItsBatchNeighboursArePublished() throws Exception {
    String compacted = topic + "-compacted";
    TestKafka.get().createTopic(compacted, 1, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    start(config("c1").build(), registry);
    int n = 0;
    for (Outbox outbox : List.of(table, messages)) {
      List<OutboxMessage> first = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        first.add(RelayContract.msg(compacted, "a", ++n));
      }
      first.add(RelayContract.msg(compacted, null, 0));
      for (int i = 0; i < 3; i++) {
        first.add(RelayContract.msg(compacted, "a", ++n));
      }
      write(outbox, first);
      // later transactions of the key, handed to the producer while the first one's request is
      // out: they must be stopped, not sent ahead of its neighbours' second attempt
      for (int t = 0; t < 20; t++) {
        List<OutboxMessage> later = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          later.add(RelayContract.msg(compacted, "a", ++n));
        }
        write(outbox, later);
      }
    }
    int total = n;
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= total; i++) {
      expected.add("{\"key\":\"a\",\"n\":" + i + "}");
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(Published.read(compacted, total, Duration.ofSeconds(1)))
                    .extracting(Published.Rec::value)
                    .containsSubsequence(expected));
    RelayContract.assertPerKeyOrder(Published.read(compacted, total, Duration.ofSeconds(5)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 2);
    assertThat(
            count(
                "SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE msg_key IS NULL AND topic"
                    + " = '"
                    + compacted
                    + "' AND error_class = 'org.apache.kafka.common.InvalidRecordException'"))
        .isEqualTo(2);
    assertThat(registry.get("waybill.relay.dead.lettered").counter().count()).isEqualTo(2);
  }

  /**
   * A message that keeps failing while later ones are acknowledged (its topic does not exist and
   * the broker does not create topics) is dead-lettered after relay.retry.max.attempts; the slot
   * then moves on and every other message is published.
   */
  @Test
  void aMessageThatKeepsFailingWhileOthersAreAcknowledgedIsDeadLetteredAfterMaxAttempts()
      throws Exception {
    try (InProcessKafka strict =
        InProcessKafka.launch(
            Path.of("target").toAbsolutePath(), Map.of("auto.create.topics.enable", "false"))) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", strict.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, SECONDS);
      }
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      start(
          config("c1")
              .bootstrapServers(strict.bootstrapServers())
              .kafka("max.block.ms", "500")
              .maxAttempts(2)
              .build(),
          registry);
      write(table, List.of(RelayContract.msg(topic + "-missing", "stuck", 1)));
      int good = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
      while (count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 0) {
        assertThat(System.nanoTime()).as("dead-lettered within 40 s").isLessThan(deadline);
        write(table, List.of(msg("good", good++))); // acknowledged: the failures count
        Thread.sleep(100);
      }
      assertThat(RelayContract.assertRetriesExhausted(this::text, "msg_key = 'stuck'", 2))
          .contains(topic + "-missing");
      int written = good;
      try (KafkaConsumer<byte[], byte[]> c =
          new KafkaConsumer<>(
              Map.of(
                  "bootstrap.servers",
                  strict.bootstrapServers(),
                  "key.deserializer",
                  ByteArrayDeserializer.class.getName(),
                  "value.deserializer",
                  ByteArrayDeserializer.class.getName()))) {
        List<TopicPartition> parts = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
          parts.add(new TopicPartition(topic, p));
        }
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum()
                        >= written);
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
      assertThat(registry.get("waybill.relay.dead.lettered").counter().count()).isEqualTo(1);
    }
  }

  @Test
  void aMessageTheBrokerKeepsRefusingAfterItLeftTheClientIsDeadLetteredAfterMaxAttempts()
      throws Exception {
    // As PostgresRelayIT's test of that name: the broker refuses the message with
    // NOT_ENOUGH_REPLICAS (see RefusingCluster) while other messages are acknowledged, so each
    // expired send counts as an attempt. The message of the same key behind it has no row to wait
    // in: it is dead-lettered as its follower.
    String refusing = topic + "-refusing";
    try (RefusingCluster cluster = RefusingCluster.start(topic, 3, refusing)) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      start(
          config("c1").bootstrapServers(cluster.bootstrapServers()).maxAttempts(2).build(),
          registry);
      write(table, List.of(RelayContract.msg(refusing, "stuck", 1)));
      AtomicInteger good = new AtomicInteger();
      // other messages keep being acknowledged, so the failures count as attempts
      writeUntil(
          good,
          "the refused message's first failure",
          () -> registry.get("waybill.relay.retried").counter().count() >= 1);
      // written once the first failure counted, so it has fewer attempts (sent with it from the
      // start, it would fail as often and be dead-lettered on its own)
      write(table, List.of(RelayContract.msg(refusing, "stuck", 2)));
      writeUntil(
          good,
          "the refused message dead-lettered after 2 attempts",
          () -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") > 0);
      RefusingCluster.assertRefusal(
          RelayContract.assertRetriesExhausted(
              this::text, "msg_key = 'stuck' AND topic = '" + refusing + "'", 2),
          refusing);
      await("the message behind it dead-lettered as its follower")
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  count(
                          "SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE msg_key = 'stuck'"
                              + " AND NOT parks_key AND error_class = '"
                              + CdcDeadLetters.FOLLOWER
                              + "'")
                      == 1);
      assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter"))
          .as("the refused message and its follower")
          .isEqualTo(2);
      assertThat(registry.get("waybill.relay.dead.lettered").counter().count()).isEqualTo(1);
      assertThat(registry.get("waybill.relay.retried").counter().count())
          .as("each failed send of the refused message")
          .isGreaterThanOrEqualTo(2);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
      List<Published.Rec> recs =
          Published.read(cluster.bootstrapServers(), topic, good.get(), Duration.ofSeconds(30));
      assertThat(recs.stream().map(Published.Rec::id).distinct().count())
          .as("every other message was published")
          .isEqualTo(good.get());
      RelayContract.assertPerKeyOrder(recs);
      assertThat(cluster.endOffset(refusing, 0))
          .as("the broker never took the refused topic's records")
          .isZero();
    }
  }

  /** Writes a message of one of 3 keys every 100 ms until {@code done}, at most 40 s. */
  private void writeUntil(AtomicInteger written, String what, Callable<Boolean> done)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    while (!done.call()) {
      assertThat(System.nanoTime()).as("%s within 40 s", what).isLessThan(deadline);
      int n = written.getAndIncrement();
      write(table, List.of(msg("good-" + (n % 3), n)));
      Thread.sleep(100);
    }
  }

  @Test
  void aCdcRelayStartedOverRowsThatWaitInTheOutboxPublishesThemBeforeTheStream() throws Exception {
    // rows committed while no slot exists: the slot's initial snapshot holds them
    write(table, List.of(msg("a", 1), msg("a", 2)));
    start(config("c1").build());
    write(table, List.of(msg("a", 3)));
    assertThat(Published.read(topic, 3, Duration.ofSeconds(20)))
        .extracting(Published.Rec::value)
        .containsExactly(
            "{\"key\":\"a\",\"n\":1}", "{\"key\":\"a\",\"n\":2}", "{\"key\":\"a\",\"n\":3}");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    await()
        .alias("the snapshot marker is dropped once the snapshot is published")
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                count(
                        "SELECT COUNT(*) FROM pg_replication_slots WHERE slot_name = '"
                            + slotName
                            + "_snapshot'")
                    == 0);
  }

  @Test
  void aSlotDroppedUnderARunningRelayTurnsHealthDownAndIsNotCreatedAgain() throws Exception {
    Relay cdc = start(config("c1").build());
    write(table, List.of(msg("a", 1)));
    assertThat(Published.read(topic, 1, Duration.ofSeconds(20))).hasSize(1);
    await().atMost(Duration.ofSeconds(10)).until(cdc::healthy);
    try (LogLines logs = LogLines.of("dev.waybill.relay")) {
      // end the relay's WAL sender and drop the slot before the relay reads it again
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(10))
          .until(
              () -> {
                try (Connection c = db.connect();
                    Statement st = c.createStatement()) {
                  st.execute(
                      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                          + " WHERE slot_name = '"
                          + slotName
                          + "' AND active_pid IS NOT NULL");
                }
                return LogicalSlot.drop(db.dataSource(), slotName);
              });
      write(table, List.of(msg("a", 2), msg("b", 1))); // while no slot exists
      await()
          .alias("/health turns DOWN")
          .atMost(Duration.ofSeconds(20))
          .until(() -> !cdc.healthy());
      assertThat(logs.atLeast(Level.ERROR))
          .as("the ERROR line names the slot and the way out")
          .anySatisfy(
              line ->
                  assertThat(line)
                      .startsWith("relay c1: replication slot " + slotName + " is gone")
                      .contains("relay.mode=polling"));
      Thread.sleep(1_000); // more attempts to read it
      assertThat(
              count(
                  "SELECT COUNT(*) FROM pg_replication_slots WHERE slot_name = '" + slotName + "'"))
          .as("the running relay does not create the slot again")
          .isZero();
      assertThat(cdc.status().cdc().orElseThrow().active()).isFalse();
    }
    cdc.close();
    // the rows written meanwhile are still in the table: a polling relay publishes them
    start(pollingConfig());
    assertThat(Published.read(topic, 3, Duration.ofSeconds(20)))
        .extracting(Published.Rec::value)
        .containsExactlyInAnyOrder(
            "{\"key\":\"a\",\"n\":1}", "{\"key\":\"a\",\"n\":2}", "{\"key\":\"b\",\"n\":1}");
  }

  /** A polling relay on the same outbox, the way out the CDC relay's messages name. */
  RelayConfig pollingConfig() {
    return RelayConfig.builder()
        .instanceId("p1")
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .pollInterval(Duration.ofMillis(100))
        .sendTimeout(Duration.ofSeconds(3))
        .build();
  }

  @Test
  void malformedMessageContentAndADelayedRowAreDeadLetteredWithTheReason() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay r = start(config("c1").build(), registry);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      // the relay's prefix, but no line feed between the envelope and the payload
      st.execute(
          "SELECT pg_logical_emit_message(true, 'waybill_outbox', convert_to('not a waybill"
              + " message', 'UTF8'))");
      st.execute(
          "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload, available_at)"
              + " VALUES ('"
              + topic
              + "', 'later', 'Reminder', convert_to('{}', 'UTF8'), now() + interval '1 hour')");
    }
    write(table, List.of(msg("later", 2), msg("good", 1)));
    assertThat(Published.read(topic, 1, Duration.ofSeconds(20)))
        .extracting(Published.Rec::value)
        .containsExactly("{\"key\":\"good\",\"n\":1}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 3);
    String invalid = CdcRelay.class.getName() + "$InvalidMessageException";
    assertThat(
            text(
                "SELECT error_message FROM waybill_outbox_dead_letter WHERE topic = '(malformed)'"
                    + " AND msg_key IS NULL AND NOT parks_key AND attempts = 1 AND error_class"
                    + " = '"
                    + invalid
                    + "'"))
        .startsWith("message at ")
        .contains("no line feed");
    assertThat(
            text(
                "SELECT error_message FROM waybill_outbox_dead_letter WHERE msg_key = 'later' AND"
                    + " parks_key AND attempts = 1 AND available_at > now() AND error_class = '"
                    + invalid
                    + "'"))
        .contains("is in the future: the CDC relay publishes in commit order and cannot delay");
    assertThat(
            count(
                "SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE msg_key = 'later' AND"
                    + " NOT parks_key AND error_class = '"
                    + CdcDeadLetters.FOLLOWER
                    + "'"))
        .as("the later message of the delayed row's key waits behind it")
        .isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    assertThat(registry.get("waybill.relay.dead.lettered").counter().count()).isEqualTo(2);
    assertThat(registry.get("waybill.relay.held").counter().count()).isEqualTo(1);
    assertThat(r.status().deadLettered()).isEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(registry.get("waybill.relay.parked.keys").gauge().value()).isEqualTo(1);
              assertThat(registry.get("waybill.relay.dead.letters").gauge().value())
                  .as("failures only: the follower is a parked message")
                  .isEqualTo(2);
              assertThat(registry.get("waybill.relay.parked.messages").gauge().value())
                  .isEqualTo(1);
            });
  }

  @Test
  void missingPrerequisitesFailTheStartWithExactActionableMessages() throws Exception {
    // a role without REPLICATION
    String role = "wb_norepl_" + UUID.randomUUID().toString().substring(0, 6);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw' NOREPLICATION");
      st.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO " + role);
    }
    try {
      RelayConfig weak =
          config("c1")
              .database(DatabaseSettings.of(urlWithoutUser(), role, "pw"))
              .cdc(
                  RelayConfig.CdcConfig.defaults()
                      .withNames(slotName, "waybill_outbox")
                      .withCreate(false))
              .build();
      com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource();
      ds.setJdbcUrl(urlWithoutUser());
      ds.setUsername(role);
      ds.setPassword("pw");
      try (ds) {
        assertThatThrownBy(() -> Relay.builder().config(weak).dataSource(ds).build().start())
            .isInstanceOf(CdcPrerequisiteException.class)
            .hasMessageContaining(
                "role '"
                    + role
                    + "' has no REPLICATION privilege: run ALTER ROLE "
                    + role
                    + " REPLICATION as a superuser");
      }
    } finally {
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute("DROP OWNED BY " + role);
        st.execute("DROP ROLE " + role);
      }
    }
    // slot and publication missing, creation not allowed: the SQL to run
    RelayConfig noCreate =
        config("c1")
            .cdc(RelayConfig.CdcConfig.defaults().withNames(slotName, "wb_pub").withCreate(false))
            .build();
    assertThatThrownBy(() -> start(noCreate))
        .isInstanceOf(CdcPrerequisiteException.class)
        .hasMessageContaining(
            "publication 'wb_pub' does not exist and relay.cdc.create=false: run CREATE"
                + " PUBLICATION wb_pub FOR TABLE waybill_outbox, waybill_outbox_dead_letter")
        .hasMessageContaining(
            "replication slot '"
                + slotName
                + "' does not exist and relay.cdc.create=false: create it with SELECT"
                + " pg_create_logical_replication_slot('"
                + slotName
                + "', 'pgoutput')");
    relays.clear();
    // every replication slot in use
    List<String> fillers = new ArrayList<>();
    try {
      long max = count("SELECT current_setting('max_replication_slots')::int");
      long used = count("SELECT COUNT(*) FROM pg_replication_slots");
      for (long i = used; i < max; i++) {
        String f = slotName + "_f" + i;
        try (Connection c = db.connect();
            Statement st = c.createStatement()) {
          st.execute("SELECT pg_create_logical_replication_slot('" + f + "', 'pgoutput')");
        }
        fillers.add(f);
      }
      assertThatThrownBy(() -> start(config("c1").build()))
          .isInstanceOf(CdcPrerequisiteException.class)
          .hasMessageContaining(
              "no free replication slot: "
                  + max
                  + " of max_replication_slots = "
                  + max
                  + " are in use; raise max_replication_slots");
      relays.clear();
    } finally {
      for (String f : fillers) {
        dropSlot(f);
      }
    }
  }

  @Test
  void aServerWithoutLogicalWalLevelIsRefusedNamingTheSetting() throws Exception {
    try (EmbeddedPostgres replica =
        EmbeddedPostgres.builder()
            .setServerConfig("wal_level", "replica")
            .setPGStartupWait(Duration.ofSeconds(60))
            .start()) {
      String url = replica.getJdbcUrl("postgres", "postgres");
      try (Connection c = replica.getPostgresDatabase().getConnection()) {
        SchemaMigrator.builder().dataSource(replica.getPostgresDatabase()).build().migrate();
      }
      RelayConfig cfg = config("c1").database(DatabaseSettings.of(url, "postgres", "")).build();
      assertThatThrownBy(
              () ->
                  Relay.builder()
                      .config(cfg)
                      .dataSource(replica.getPostgresDatabase())
                      .build()
                      .start())
          .isInstanceOf(CdcPrerequisiteException.class)
          .hasMessageContaining(
              "wal_level is 'replica', logical decoding needs wal_level = logical: set it (ALTER"
                  + " SYSTEM SET wal_level = logical, or wal_level = logical in postgresql.conf or"
                  + " a conf.d drop-in) and restart PostgreSQL");
    }
  }

  @Test
  void anIdleRelayKeepsTheSlotFromPinningWal() throws Exception {
    start(config("c1").build());
    write(messages, List.of(msg("k", 1)));
    assertThat(Published.read(topic, 1, Duration.ofSeconds(20))).hasSize(1);
    // 4 MB of WAL that the relay has nothing to publish for
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE unrelated (v TEXT)");
      st.execute("INSERT INTO unrelated SELECT repeat('x', 1000) FROM generate_series(1, 4000)");
    }
    String after = text("SELECT pg_current_wal_lsn()::text");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> confirmedMinus(after) >= 0); // confirmed past the unrelated WAL
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              count("SELECT 1 FROM (SELECT pg_logical_emit_message(false, 'x', 'x')) t");
              try (Connection c = db.connect();
                  Statement st = c.createStatement()) {
                st.execute("CHECKPOINT"); // logs the running transactions decoding restarts from
              }
              return count(
                      "SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM"
                          + " pg_replication_slots WHERE slot_name = '"
                          + slotName
                          + "'")
                  < 2_000_000;
            });
  }

  @Test
  void aLargeTransactionIsPublishedInPartsAndConfirmedOnlyAfterItsLastPart() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String failing = topic + "-failing";
    TestKafka.get().createTopic(failing, 1);
    FailingPartitioner.failing = failing; // sends to it fail (retriable) until cleared
    Relay r =
        start(
            config("c1")
                .batchSize(50)
                .kafka("partitioner.class", FailingPartitioner.class.getName())
                .build(),
            registry);
    List<OutboxMessage> txn = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      txn.add(msg("k" + (i % 10), i));
    }
    txn.add(
        OutboxMessage.builder()
            .topic(failing)
            .key("last")
            .eventType("Last")
            .jsonPayload("{}")
            .build());
    write(table, txn);
    String end = text("SELECT pg_current_wal_lsn()::text");
    // the first parts reach Kafka although the transaction's last message cannot
    assertThat(Published.read(topic, 400, Duration.ofSeconds(30)).size())
        .isGreaterThanOrEqualTo(400);
    assertThat(registry.get("waybill.relay.batch.size").summary().max())
        .as("sent in parts of relay.batch.size, not as one batch of 401")
        .isLessThanOrEqualTo(50);
    await().atMost(Duration.ofSeconds(20)).until(() -> r.status().retried() > 0);
    assertThat(confirmedMinus(end))
        .as("not confirmed past a transaction whose last part is unacknowledged")
        .isLessThan(0);
    FailingPartitioner.failing = null;
    assertThat(Published.read(failing, 1, Duration.ofSeconds(60))).isNotEmpty();
    await().atMost(Duration.ofSeconds(20)).until(() -> confirmedMinus(end) >= 0);
    List<Published.Rec> recs = Published.read(topic, 400, Duration.ofSeconds(30));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(400);
    RelayContract.assertPerKeyOrder(recs);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
  }
}
