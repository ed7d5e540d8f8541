package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CDC relay started on an outbox table that already holds rows: it creates its slot with an
 * exported snapshot, publishes the rows of the snapshot in {@code seq} order, then streams from the
 * slot. Writers run throughout; every message must arrive at least once, first deliveries in
 * per-key order, and the table end empty. Real PostgreSQL (wal_level=logical) and Kafka.
 */
class CdcSnapshotIT {
  private static final int KEYS = 8;

  TestDatabase db;
  String topic;
  String slotName;
  final List<Relay> relays = new ArrayList<>();
  final Outbox table = Outbox.builder().build();
  final Outbox transientRows =
      Outbox.builder().config(OutboxConfig.builder().deleteAfterInsert(true).build()).build();

  @BeforeEach
  void setUp() throws SQLException {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "cdc-snap-" + UUID.randomUUID().toString().substring(0, 8);
    slotName = "wb_s_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestKafka.get().createTopic(topic, 3);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE aggregate (k VARCHAR(20) PRIMARY KEY, n INT NOT NULL)");
      for (int k = 0; k < KEYS; k++) {
        st.execute("INSERT INTO aggregate VALUES ('k" + k + "', 0)");
      }
    }
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

  RelayConfig cdc(String instance) {
    return RelayConfig.builder()
        .mode(RelayConfig.RelayMode.CDC)
        .cdc(
            RelayConfig.CdcConfig.defaults()
                .withNames(slotName, "waybill_outbox")
                .withHeartbeat(Duration.ofMillis(300))
                .withStandbyInterval(Duration.ofMillis(200)))
        .database(DatabaseSettings.of(db.jdbcUrl(), db.user(), db.password()))
        .instanceId(instance)
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .batchSize(20)
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .build();
  }

  RelayConfig polling() {
    return RelayConfig.builder()
        .instanceId("p1")
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .pollInterval(Duration.ofMillis(50))
        .sendTimeout(Duration.ofSeconds(3))
        .build();
  }

  Relay start(RelayConfig config) {
    Relay r = Relay.builder().config(config).dataSource(db.dataSource()).build();
    relays.add(r);
    r.start();
    return r;
  }

  /**
   * Writes one message of a random key in its own transaction; the aggregate's row lock orders the
   * writers of one key, so its counter is the key's write order.
   */
  void writeOne(Connection c, Random random, List<Outbox> styles) throws SQLException {
    String key = "k" + random.nextInt(KEYS);
    int n;
    try (PreparedStatement st =
        c.prepareStatement("UPDATE aggregate SET n = n + 1 WHERE k = ? RETURNING n")) {
      st.setString(1, key);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        n = rs.getInt(1);
      }
    }
    styles
        .get(random.nextInt(styles.size()))
        .write(
            c,
            OutboxMessage.builder()
                .topic(topic)
                .key(key)
                .eventType("Counted")
                .jsonPayload("{\"key\":\"" + key + "\",\"n\":" + n + "}")
                .build());
    c.commit();
  }

  void prefill(int count) throws SQLException {
    Random random = new Random(99);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (int i = 0; i < count; i++) {
        writeOne(c, random, List.of(table));
      }
    }
  }

  /** Writers that run until stopped, in the given write styles. */
  final class Writers implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger written = new AtomicInteger();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final List<Thread> threads = new ArrayList<>();
    final AtomicReference<List<Outbox>> styles;

    Writers(int count, List<Outbox> initialStyles) {
      styles = new AtomicReference<>(initialStyles);
      for (int w = 0; w < count; w++) {
        Random random = new Random(w);
        Thread t =
            new Thread(
                () -> {
                  try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    while (!stop.get()) {
                      writeOne(c, random, styles.get());
                      written.incrementAndGet();
                      Thread.sleep(2);
                    }
                  } catch (SQLException | InterruptedException | RuntimeException e) {
                    error.set(e);
                  }
                });
        threads.add(t);
        t.start();
      }
    }

    /** Lets at least {@code more} further messages be written. */
    void awaitMore(int more) {
      int target = written.get() + more;
      await().atMost(Duration.ofSeconds(60)).until(() -> written.get() >= target);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(60_000);
      }
      assertThat(error.get()).as("writer failure").isNull();
    }
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  long written() throws SQLException {
    return count("SELECT SUM(n) FROM aggregate");
  }

  boolean markerExists() throws SQLException {
    return count(
            "SELECT COUNT(*) FROM pg_replication_slots WHERE slot_name = '"
                + slotName
                + "_snapshot'")
        > 0;
  }

  /** Every written message arrived at least once, first deliveries in per-key order. */
  void assertEverythingArrivedInKeyOrder() throws SQLException {
    long total = written();
    // duplicates are allowed: read until every distinct message is there (or the time is up)
    AtomicReference<List<Published.Rec>> read = new AtomicReference<>(List.of());
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                read.set(Published.read(topic, (int) total, Duration.ofSeconds(2)));
                return distinct(read.get()).size() >= total;
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // reported below, with what is missing
    }
    List<Published.Rec> recs = read.get();
    Set<String> seen = distinct(recs);
    List<String> missing = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT k, n FROM aggregate")) {
      while (rs.next()) {
        for (int n = 1; n <= rs.getInt(2); n++) {
          String v = "{\"key\":\"" + rs.getString(1) + "\",\"n\":" + n + "}";
          if (!seen.contains(v)) {
            missing.add(v);
          }
        }
      }
    }
    assertThat(missing).as("messages missing on the topic (of %d)", total).isEmpty();
    RelayContract.assertPerKeyOrder(recs);
    await()
        .alias("the outbox table ends empty")
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    assertThat(markerExists()).as("the snapshot is recorded as finished").isFalse();
  }

  private static Set<String> distinct(List<Published.Rec> recs) {
    Set<String> values = new HashSet<>();
    recs.forEach(r -> values.add(r.value()));
    return values;
  }

  @Test
  void aCdcRelayStartedOnAFullTableWithWritersRunningPublishesEveryMessageInKeyOrder()
      throws Exception {
    prefill(1500);
    // before a slot exists only table rows are kept: a row deleted in its own transaction (or an
    // emitted message) would be in no snapshot and in no slot
    try (Writers writers = new Writers(3, List.of(table))) {
      writers.awaitMore(50);
      start(cdc("c1"));
      writers.styles.set(List.of(table, transientRows));
      writers.awaitMore(300);
    }
    assertEverythingArrivedInKeyOrder();
    assertThat(
            count("SELECT COUNT(*) FROM pg_replication_slots WHERE slot_name = '" + slotName + "'"))
        .as("the slot exists")
        .isEqualTo(1);
    // and the relay streams from the slot afterwards
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      writeOne(c, new Random(7), List.of(transientRows));
    }
    assertEverythingArrivedInKeyOrder();
  }

  @Test
  void aRelayKilledDuringTheSnapshotLosesNothingAndKeepsKeyOrderAfterItsRestart() throws Exception {
    prefill(6000);
    try (Writers writers = new Writers(2, List.of(table))) {
      CdcRelay first = (CdcRelay) start(cdc("c1"));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !Published.read(topic, 1, Duration.ofMillis(200)).isEmpty());
      first.crash(); // like kill -9, in the middle of the snapshot
      assertThat(markerExists()).as("the crash came before the snapshot was finished").isTrue();
      assertThat(count("SELECT COUNT(*) FROM waybill_outbox"))
          .as("rows of the snapshot remain")
          .isPositive();
      writers.awaitMore(100);
      start(cdc("c2"));
      writers.awaitMore(300);
    }
    assertEverythingArrivedInKeyOrder();
  }

  @Test
  void switchingFromPollingToCdcWithWritersRunningLosesNothingAndKeepsKeyOrder() throws Exception {
    try (Writers writers = new Writers(3, List.of(table))) {
      Relay polling = start(polling());
      writers.awaitMore(300);
      polling.close(); // the documented switch: stop the polling relays, then start CDC
      prefill(200); // a backlog waits whatever the polling relay managed
      start(cdc("c1"));
      writers.awaitMore(300);
    }
    assertEverythingArrivedInKeyOrder();
  }
}
