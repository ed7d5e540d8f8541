package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The sidecar jar on a small heap ({@value #HEAP}) with a backlog of messages that are each legal
 * (900 kB, under {@code outbox.message.max.bytes}) and together several times the heap: with the
 * default {@code relay.batch.max.bytes} ({@code auto}) every message is published, in key order,
 * and the process never runs out of memory ({@code -XX:+ExitOnOutOfMemoryError} would end it).
 */
class LargeBacklogProcessIT {
  static final Path JAR = Path.of("target", "outbox-relay.jar");
  static final String HEAP = "-Xmx64m";
  static final int MESSAGES = 200; // 200 × 900 kB: about 2.7 times the heap
  static final int PAYLOAD = 900 * 1024;
  static final int KEYS = 8;

  TestDatabase db;
  String topic;
  String slotName;
  final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(20, TimeUnit.SECONDS);
    }
    if (db == null) {
      return;
    }
    try {
      if (slotName != null) {
        TestSlots.dropAndCheckNoneLeft(db, slotName, Duration.ofSeconds(30));
      }
    } finally {
      db.close();
    }
  }

  @Test
  void aPollingRelayOnPostgresPublishesABacklogSeveralTimesItsHeap() throws Exception {
    db = TestDatabases.postgres();
    drainsTheBacklog(List.of());
  }

  @Test
  void aPollingRelayOnMariaDbPublishesABacklogSeveralTimesItsHeap() throws Exception {
    Assumptions.assumeTrue(TestDatabases.mariadbAvailable(), "MariaDB is not available");
    db = TestDatabases.mariadb();
    drainsTheBacklog(List.of());
  }

  @Test
  void aCdcRelayPublishesABacklogSeveralTimesItsHeap() throws Exception {
    db = TestDatabases.postgres();
    slotName = "wb_heap_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    List<String> cdc =
        List.of(
            "--set", "relay.mode=cdc",
            "--set", "relay.cdc.slot=" + slotName,
            "--set", "relay.cdc.heartbeat.interval=0s");
    // a first run creates the slot and stops: what is written next waits in the WAL
    setUp();
    Path first = Files.createTempFile("heap-cdc-first", ".log");
    Process p = launch(cdc, first);
    await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive() || slotActive());
    assertThat(p.isAlive()).as(Files.readString(first)).isTrue();
    p.destroyForcibly();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> !slotActive());
    writeBacklog();
    runsToTheEnd(cdc);
  }

  /**
   * A backlog already in the table when the slot is created: the relay's initial snapshot reads it
   * (in pages bounded by bytes, as a polling claim is) before it streams.
   */
  @Test
  void aCdcRelayPublishesAnInitialSnapshotSeveralTimesItsHeap() throws Exception {
    db = TestDatabases.postgres();
    slotName = "wb_heap_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    drainsTheBacklog(
        List.of(
            "--set", "relay.mode=cdc",
            "--set", "relay.cdc.slot=" + slotName,
            "--set", "relay.cdc.heartbeat.interval=0s"));
  }

  void drainsTheBacklog(List<String> extra) throws Exception {
    setUp();
    writeBacklog();
    runsToTheEnd(extra);
  }

  void setUp() {
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "heap-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 3);
  }

  /** Starts the relay on the small heap, waits until the outbox is empty, checks the topic. */
  void runsToTheEnd(List<String> extra) throws Exception {
    Path log = Files.createTempFile("heap-relay", ".log");
    Process relay = launch(extra, log);
    await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> !relay.isAlive() || pending() == 0);
    String out = Files.readString(log);
    assertThat(relay.isAlive()).as("the relay still runs; its log:%n%s", tail(out)).isTrue();
    assertThat(pending()).as("outbox rows left").isZero();
    assertThat(out).doesNotContain("OutOfMemoryError").doesNotContain("Ran out of memory");
    relay.destroy();
    assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(relay.exitValue()).as(tail(Files.readString(log))).isZero();
    checkTopic();
  }

  Process launch(List<String> extra, Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(HEAP);
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.add("run");
    cmd.addAll(connection(db));
    cmd.addAll(
        List.of(
            "--set", "relay.instance.id=heap-" + UUID.randomUUID().toString().substring(0, 6),
            "--set", "relay.shards=4",
            "--set", "relay.send.timeout=20s",
            "--set", "relay.lease.ttl=60s",
            "--set", "http.port=-1"));
    cmd.addAll(extra);
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  /**
   * Writes the backlog, 10 messages per transaction: message n has key k(n % KEYS) and a payload
   * that starts with {@code n|} followed by random (incompressible) bytes.
   */
  void writeBacklog() throws SQLException {
    Outbox outbox = Outbox.builder().build();
    Random random = new Random(15);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (int n = 0; n < MESSAGES; n++) {
        byte[] payload = new byte[PAYLOAD];
        random.nextBytes(payload);
        byte[] head = (n + "|").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, payload, 0, head.length);
        outbox.write(
            c,
            OutboxMessage.builder()
                .topic(topic)
                .key("k" + (n % KEYS))
                .eventType("Large")
                .payload(Payload.of(payload, Payload.OCTET_STREAM))
                .build());
        if (n % 10 == 9) {
          c.commit();
        }
      }
      c.commit();
    }
  }

  /** Every message arrived whole, and each key's messages in the order they were written. */
  void checkTopic() {
    Properties props = TestKafka.get().consumerProperties("heap-" + UUID.randomUUID());
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20");
    Map<String, List<Integer>> perKey = new HashMap<>();
    Set<Integer> seen = new LinkedHashSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (seen.size() < MESSAGES && System.nanoTime() < end) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          assertThat(r.value()).hasSize(PAYLOAD);
          String text = new String(r.value(), 0, 12, StandardCharsets.US_ASCII);
          int n = Integer.parseInt(text.substring(0, text.indexOf('|')));
          String key = new String(r.key(), StandardCharsets.UTF_8);
          assertThat(key).isEqualTo("k" + (n % KEYS));
          if (seen.add(n)) {
            perKey.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
          }
        }
      }
    }
    assertThat(seen).as("messages published").hasSize(MESSAGES);
    perKey.forEach((key, ns) -> assertThat(ns).as("order of key %s", key).isSorted());
  }

  long pending() throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM waybill_outbox")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  boolean slotActive() throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, slotName);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** The {@code --set} flags that point a relay at the test's database and broker. */
  static List<String> connection(TestDatabase db) {
    return List.of(
        "--set", "db.url=" + db.jdbcUrl(),
        "--set", "db.user=" + db.user(),
        "--set", "db.password=" + db.password(),
        "--set", "kafka.bootstrap.servers=" + TestKafka.get().bootstrapServers());
  }

  static String tail(String log) {
    return log.length() <= 6000 ? log : log.substring(log.length() - 6000);
  }
}
