package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.EmbeddedPostgresServer;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The CDC relay (relay.mode=cdc) while its PostgreSQL server goes away under it: a fast shutdown
 * and restart, a crash (immediate shutdown, WAL recovery at the restart), and the replication
 * connection alone dropped. The server is this class's own embedded one with {@code
 * wal_level=logical} (never the machine's shared server, which tests must not restart), Kafka is
 * the shared test broker. A writer keeps writing in every write mode (table rows kept, rows deleted
 * in the same transaction, emitted messages) while it happens. Every slot a test creates is dropped
 * in {@link #tearDown()}, and the test fails if one is left.
 */
class CdcRestartIT {
  private static final int PARTITIONS = 3;
  private static EmbeddedPostgresServer server;

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
  final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  Logger relayLog;
  Level relayLogLevel;

  @BeforeAll
  static void startServer() {
    server = EmbeddedPostgresServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void setUp() {
    db = server.createDatabase();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "cdc-restart-" + UUID.randomUUID().toString().substring(0, 8);
    slotName = "wb_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestKafka.get().createTopic(topic, PARTITIONS);
    relayLog = (Logger) LoggerFactory.getLogger(CdcRelay.class);
    relayLogLevel = relayLog.getLevel();
    relayLog.setLevel(Level.INFO); // the lifecycle lines, to check what an operator would see
    logged.start();
    relayLog.addAppender(logged);
  }

  @AfterEach
  void tearDown() throws Exception {
    relays.forEach(Relay::close);
    relays.clear();
    relayLog.detachAppender(logged);
    relayLog.setLevel(relayLogLevel);
    server.restart(); // in case a test failed while it was down
    try {
      TestSlots.dropAndCheckNoneLeft(db, slotName, Duration.ofSeconds(20));
    } finally {
      db.close();
    }
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
        .batchSize(50)
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  OutboxMessage msg(String key, int n) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(key)
        .eventType("Counted")
        .jsonPayload("{\"key\":\"" + key + "\",\"n\":" + n + "}")
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

  /** The slot's confirmed position as a number, or -1 before the first confirmation. */
  static long confirmed(Connection c, String slot) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots"
                + " WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return -1;
        }
        long lsn = rs.getLong(1);
        return rs.wasNull() ? -1 : lsn;
      }
    }
  }

  static long walInsertPosition(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).gauge().value();
  }

  /** How a drill takes the server (or a part of it) away, and brings it back. */
  interface Outage {
    void run(Relay relay, SimpleMeterRegistry registry) throws Exception;
  }

  /**
   * The drill: a relay and a writer run; {@code outage} happens; afterwards the relay must resume
   * by itself, every committed message must reach Kafka with per-key order kept (duplicates
   * allowed), the slot's confirmed position must never have passed a message before Kafka
   * acknowledged it, the outbox table must end up empty and nothing may be dead-lettered.
   *
   * @return the records published
   */
  List<Published.Rec> drill(Outage outage) throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Relay relay =
        Relay.builder()
            .config(config("c1").build())
            .dataSource(db.dataSource())
            .meterRegistry(registry)
            .build();
    relays.add(relay);
    relay.start();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> gauge(registry, "waybill.relay.cdc.active") == 1);
    Map<String, Long> noted = new ConcurrentHashMap<>();
    List<Published.Rec> recs;
    try (ConfirmationAudit audit = new ConfirmationAudit()) {
      try (StreamWriter writer =
          new StreamWriter(
              db,
              10,
              20,
              List.of(table, transientRows, messages),
              this::msg,
              (c, round) -> {
                long position = walInsertPosition(c); // at or after the end of the commit record
                round.forEach(m -> noted.put(m.id().toString(), position));
              })) {
        await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().published() >= 100);
        outage.run(relay, registry);
        long before = relay.status().published();
        await()
            .alias("the relay resumes by itself once the server is back")
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    gauge(registry, "waybill.relay.cdc.active") == 1
                        && relay.status().published() > before + 100);
        writer.close();
        long last = noted.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        await()
            .alias("the slot is confirmed past the last committed message")
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  try (Connection c = db.connect()) {
                    return confirmed(c, slotName) >= last;
                  }
                });
        recs = Published.read(topic, writer.committedCount(), Duration.ofSeconds(60));
        writer.assertEveryCommittedMessageArrived(recs);
      }
      RelayContract.assertPerKeyOrder(recs);
      audit.close();
      audit.assertNeverConfirmedAheadOfKafka(noted, recs);
    }
    await()
        .alias("the relay deletes the rows it published, also those of before the outage")
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter"))
        .as("an outage dead-letters nothing")
        .isZero();
    assertThat(relay.status().deadLettered()).isZero();
    List<ILoggingEvent> withStackTrace =
        logged.list.stream().filter(e -> e.getThrowableProxy() != null).toList();
    assertThat(withStackTrace)
        .as("the relay logs the reason of a failure, not a stack trace")
        .isEmpty();
    return recs;
  }

  /**
   * Waits until the relay noticed the loss of its replication connection, then checks that nothing
   * is published while it cannot read.
   */
  void assertStalls(Relay relay, SimpleMeterRegistry registry) throws InterruptedException {
    await()
        .alias("waybill.relay.cdc.active drops to 0 while the server is away")
        .atMost(Duration.ofSeconds(15))
        .until(() -> gauge(registry, "waybill.relay.cdc.active") == 0);
    assertThat(relay.status().cdc().orElseThrow().active()).isFalse();
    Thread.sleep(500); // acknowledgements of what was sent before may still arrive
    long stalled = relay.status().published();
    Thread.sleep(1_000);
    assertThat(relay.status().published())
        .as("nothing is published while the server is away")
        .isEqualTo(stalled);
  }

  /** The WARN lines the relay logged since {@code from}, as text. */
  List<String> warnings(int from) {
    return logged.list.subList(from, logged.list.size()).stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .collect(Collectors.toList());
  }

  @Test
  void aFastRestartOfTheServerLosesNothingAndTheRelayResumesByItself() throws Exception {
    drill(
        (relay, registry) -> {
          int logFrom = logged.list.size();
          server.stop(); // fast shutdown: every session ends
          try {
            assertStalls(relay, registry);
            Thread.sleep(1_000);
          } finally {
            server.restart();
          }
          List<String> warnings = warnings(logFrom);
          assertThat(warnings)
              .as("the relay says why it stopped reading")
              .anySatisfy(w -> assertThat(w).contains("relay c1").contains("replication"));
          assertThat(warnings.size())
              .as("a few lines per outage, not one per retry: %s", warnings)
              .isLessThanOrEqualTo(5);
        });
  }

  @Test
  void aCrashOfTheServerLosesNoCommittedMessageAndPublishesNoUncommittedOne() throws Exception {
    List<String> uncommitted = new ArrayList<>();
    List<Published.Rec> recs =
        drill(
            (relay, registry) -> {
              // a transaction in progress in every write mode when the server crashes
              Connection open = db.connect();
              try {
                open.setAutoCommit(false);
                List<OutboxMessage> ms = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                  ms.add(msg("never-committed", i));
                }
                table.write(open, ms.get(0));
                transientRows.write(open, ms.get(1));
                messages.write(open, ms.get(2));
                ms.forEach(m -> uncommitted.add(m.id().toString()));
                server.crash(); // immediate shutdown: no checkpoint, WAL recovery at the restart
                try {
                  assertStalls(relay, registry);
                } finally {
                  server.restart();
                }
              } finally {
                try {
                  open.close();
                } catch (SQLException e) {
                  // its server crashed
                }
              }
            });
    assertThat(recs)
        .extracting(Published.Rec::id)
        .as("a transaction that had not committed when the server crashed is never published")
        .doesNotContainAnyElementsOf(uncommitted);
  }

  @Test
  void aDroppedReplicationConnectionIsReopenedWhileTheOtherConnectionsStayUp() throws Exception {
    drill(
        (relay, registry) -> {
          for (int i = 0; i < 3; i++) {
            await()
                .alias("the relay reads the slot again after its WAL sender was ended")
                .atMost(Duration.ofSeconds(20))
                .until(() -> gauge(registry, "waybill.relay.cdc.active") == 1);
            long before = relay.status().published();
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.status().published() > before);
            assertThat(
                    count(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_replication"
                            + " WHERE application_name = 'waybill-relay-c1'"))
                .as("the relay's WAL sender was found and ended")
                .isEqualTo(1);
            Thread.sleep(500);
          }
        });
  }

  @Test
  void droppedOrdinaryConnectionsLeaveNoPublishedRowBehind() throws Exception {
    drill(
        (relay, registry) -> {
          for (int i = 0; i < 5; i++) {
            long before = relay.status().published();
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.status().published() > before);
            // the relay's pooled connections (DELETEs, heartbeats, slot queries) and the writer's;
            // not the WAL sender (backend_type 'walsender'): the relay's replication connection
            // is left alone (the relay itself reopens it when a DELETE failed)
            assertThat(
                    count(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE"
                            + " datname = current_database() AND backend_type = 'client backend'"
                            + " AND pid <> pg_backend_pid()"))
                .isPositive();
            Thread.sleep(300);
          }
        });
  }

  /**
   * Samples the slot's confirmed position and, right after each sample, the topic's end offsets
   * (what the broker has acknowledged). If a sample's confirmed position is at or past a message's
   * commit, that message must be in the topic below the end offsets read after it.
   */
  final class ConfirmationAudit implements AutoCloseable {
    record Sample(long confirmed, Map<Integer, Long> endOffsets) {}

    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stop;

    ConfirmationAudit() {
      thread = new Thread(this::run, "confirmation-audit");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      try (KafkaConsumer<byte[], byte[]> consumer =
          new KafkaConsumer<>(TestKafka.get().consumerProperties("audit-" + UUID.randomUUID()))) {
        Connection c = null;
        while (!stop) {
          try {
            if (c == null) {
              c = db.connect();
            }
            long confirmed = confirmed(c, slotName);
            Map<Integer, Long> ends = new HashMap<>();
            consumer
                .endOffsets(partitions, Duration.ofSeconds(5))
                .forEach((tp, offset) -> ends.put(tp.partition(), offset));
            if (confirmed >= 0) {
              samples.add(new Sample(confirmed, ends));
            }
            Thread.sleep(20);
          } catch (SQLException e) {
            closeQuietly(c);
            c = null; // the server is away: try again
            sleep(100);
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            sleep(100); // a Kafka timeout
          }
        }
        closeQuietly(c);
      }
    }

    private void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop = true;
      }
    }

    private void closeQuietly(Connection c) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException e) {
          // broken
        }
      }
    }

    void assertNeverConfirmedAheadOfKafka(Map<String, Long> noted, List<Published.Rec> recs) {
      Map<String, Published.Rec> first = new HashMap<>();
      for (Published.Rec rec : recs) {
        first.merge(rec.id(), rec, (a, b) -> a.offset() <= b.offset() ? a : b);
      }
      List<String> violations = new ArrayList<>();
      long checked = 0;
      for (Sample s : samples) {
        for (Map.Entry<String, Long> m : noted.entrySet()) {
          if (m.getValue() > s.confirmed()) {
            continue;
          }
          Published.Rec rec = first.get(m.getKey());
          if (rec == null || rec.offset() >= s.endOffsets().getOrDefault(rec.partition(), 0L)) {
            if (violations.size() < 10) {
              violations.add(
                  "message "
                      + m.getKey()
                      + " (committed before WAL position "
                      + m.getValue()
                      + ") was confirmed (slot at "
                      + s.confirmed()
                      + ") before Kafka had it ("
                      + (rec == null
                          ? "never published"
                          : "partition "
                              + rec.partition()
                              + " offset "
                              + rec.offset()
                              + ", end offset then "
                              + s.endOffsets().get(rec.partition()))
                      + ")");
            }
          } else {
            checked++;
          }
        }
      }
      assertThat(violations)
          .as("the slot's confirmed position passed messages Kafka had not acknowledged")
          .isEmpty();
      assertThat(checked).as("confirmations checked against Kafka").isPositive();
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(10_000);
    }
  }
}
