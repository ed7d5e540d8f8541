package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sidecar jar ({@code target/outbox-relay.jar}) in {@code relay.mode=cdc}, in separate JVMs:
 * {@code kill -9} of the active reader with a standby taking over, {@code kill -9} of the only
 * relay and a restart, and {@code status} showing the replication slot. The writer mixes the three
 * write styles (table rows, rows deleted in the same transaction, emitted messages). Every slot a
 * test creates is dropped in {@link #tearDown()}, and the test fails if one is left.
 */
class CdcProcessIT {
  static final Path JAR = Path.of("target", "outbox-relay.jar");
  static final int KEYS = 40;
  static final int BATCH = 20;

  TestDatabase db;
  String topic;
  String slotName;
  final List<Process> processes = new ArrayList<>();
  final Set<String> writtenIds = ConcurrentHashMap.newKeySet();
  final List<Outbox> writers =
      List.of(
          Outbox.builder().build(),
          Outbox.builder().config(OutboxConfig.builder().deleteAfterInsert(true).build()).build(),
          Outbox.builder()
              .config(OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build())
              .build());

  @BeforeEach
  void setUp() {
    assertThat(JAR).as("built by mvn package").exists();
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "cdcproc-" + UUID.randomUUID().toString().substring(0, 8);
    slotName = "wb_p_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestKafka.get().createTopic(topic, 3);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(20, TimeUnit.SECONDS);
    }
    try {
      TestSlots.dropAndCheckNoneLeft(db, slotName, Duration.ofSeconds(30));
    } finally {
      db.close();
    }
  }

  List<String> settings(String instance) {
    return List.of(
        "--set", "db.url=" + db.jdbcUrl(),
        "--set", "db.user=" + db.user(),
        "--set", "db.password=" + db.password(),
        "--set", "kafka.bootstrap.servers=" + TestKafka.get().bootstrapServers(),
        "--set", "relay.mode=cdc",
        "--set", "relay.cdc.slot=" + slotName,
        "--set", "relay.cdc.heartbeat.interval=300ms",
        "--set", "relay.cdc.standby.interval=200ms",
        "--set", "relay.instance.id=" + instance,
        "--set", "relay.send.timeout=3s",
        "--set", "http.port=-1");
  }

  Process launch(String command, List<String> args, Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.add(command);
    cmd.addAll(args);
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  Process relay(String instance) throws IOException {
    // the writers mix table rows and emitted messages: the relay reads both
    List<String> args = append(settings(instance), "--set", "outbox.write.mode=message");
    return launch("run", args, Files.createTempFile("cdc-relay-" + instance, ".log"));
  }

  String status(List<String> args) throws Exception {
    Path log = Files.createTempFile("cdc-status", ".log");
    Process p = launch("status", args, log);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("status finished").isTrue();
    String out = Files.readString(log);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  /** Writes messages n in [from, to) in one transaction, key k(n % KEYS), with one write style. */
  void write(int from, int to, Outbox outbox) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<OutboxMessage> ms = new ArrayList<>();
      for (int n = from; n < to; n++) {
        String key = "k" + (n % KEYS);
        ms.add(
            OutboxMessage.builder()
                .topic(topic)
                .key(key)
                .eventType("Counted")
                .jsonPayload("{\"key\":\"" + key + "\",\"n\":" + n + "}")
                .build());
      }
      outbox.writeAll(c, ms);
      c.commit();
      ms.forEach(m -> writtenIds.add(m.id().toString()));
    }
  }

  /** A writer thread: {@code total} messages in batches, rotating the write style per batch. */
  Thread writer(int total, AtomicInteger written, AtomicReference<Throwable> failure) {
    Thread t =
        new Thread(
            () -> {
              try {
                for (int n = 0, b = 0; n < total; n += BATCH, b++) {
                  write(n, Math.min(total, n + BATCH), writers.get(b % writers.size()));
                  written.addAndGet(Math.min(BATCH, total - n));
                  Thread.sleep(10);
                }
              } catch (Throwable e) {
                failure.set(e);
              }
            },
            "cdc-writer");
    t.start();
    return t;
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

  /** The application_name of the session that reads the slot, or null when nobody reads it. */
  String reader() throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT r.application_name FROM pg_replication_slots s"
                    + " JOIN pg_stat_replication r ON r.pid = s.active_pid"
                    + " WHERE s.slot_name = ? AND s.active")) {
      st.setString(1, slotName);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Whether the slot confirmed everything up to {@code lsn} (so Kafka acknowledged it). */
  boolean confirmedPast(String lsn) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                    + " WHERE slot_name = ?")) {
      st.setString(1, lsn);
      st.setString(2, slotName);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** Waits until the slot confirmed every write, then checks the topic: all ids, key order. */
  void assertEverythingPublishedInKeyOrder(int total) throws Exception {
    String end = text("SELECT pg_current_wal_lsn()::text");
    await().atMost(Duration.ofSeconds(60)).until(() -> confirmedPast(end));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    List<Published.Rec> recs = Published.read(topic, total, Duration.ofSeconds(60));
    Set<String> ids = recs.stream().map(Published.Rec::id).collect(Collectors.toSet());
    assertThat(writtenIds).hasSize(total);
    assertThat(ids).as("every message id on the topic at least once").containsAll(writtenIds);
    RelayContract.assertPerKeyOrder(recs);
    assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter")).isZero();
  }

  @Test
  void theStandbyTakesOverWhenTheActiveReaderIsKilledAndNothingIsLost() throws Exception {
    Process a = relay("cdc-a");
    await().atMost(Duration.ofSeconds(60)).until(() -> "waybill-relay-cdc-a".equals(reader()));
    Process b = relay("cdc-b");
    Thread.sleep(1_500); // b has started and stands by (it cannot take an active slot)
    assertThat(reader()).isEqualTo("waybill-relay-cdc-a");

    int total = 2_000;
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread w = writer(total, written, failure);
    await().atMost(Duration.ofSeconds(60)).until(() -> written.get() >= total / 3);
    a.destroyForcibly(); // kill -9 of the active reader in the middle of the stream
    assertThat(a.waitFor(20, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(60)).until(() -> "waybill-relay-cdc-b".equals(reader()));
    w.join(120_000);
    assertThat(failure.get()).as("writer failure").isNull();
    assertThat(written.get()).isEqualTo(total);
    assertEverythingPublishedInKeyOrder(total);
    assertThat(b.isAlive()).isTrue();

    // status shows the slot, its reader and its lag, in JSON and as a table
    String json = status(append(settings("s"), "--json"));
    assertThat(json)
        .contains("\"cdc\":{\"slot\":\"" + slotName + "\",\"active\":true,\"activePid\":")
        .containsPattern("\"confirmedFlushLsn\":\"[0-9A-F]+/[0-9A-F]+\"")
        .containsPattern("\"lagBytes\":-?\\d+");
    long pid =
        count("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" + slotName + "'");
    assertThat(json).contains("\"activePid\":" + pid + ",");
    String table = status(settings("s"));
    assertThat(table)
        .contains("CDC replication slot")
        .contains("slot                  " + slotName)
        .contains("active                yes (WAL sender pid " + pid + ")")
        .containsPattern("lag                   -?\\d+ bytes");
  }

  @Test
  void aRelayKilledWithSigkillAndRestartedLosesNothing() throws Exception {
    Process first = relay("cdc-1");
    await().atMost(Duration.ofSeconds(60)).until(() -> "waybill-relay-cdc-1".equals(reader()));
    int total = 2_000;
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread w = writer(total, written, failure);
    await().atMost(Duration.ofSeconds(60)).until(() -> written.get() >= total / 3);
    first.destroyForcibly(); // kill -9 of the only relay in the middle of the stream
    assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(20)).until(() -> reader() == null);
    Thread.sleep(500); // messages pile up while no relay runs
    relay("cdc-2");
    w.join(120_000);
    assertThat(failure.get()).as("writer failure").isNull();
    assertThat(written.get()).isEqualTo(total);
    assertEverythingPublishedInKeyOrder(total);
    assertThat(reader()).isEqualTo("waybill-relay-cdc-2");
  }

  @Test
  void statusShowsNoCdcSectionInPollingModeAndNullWhenTheSlotIsMissing() throws Exception {
    List<String> polling = new ArrayList<>(settings("s"));
    int mode = polling.indexOf("relay.mode=cdc");
    polling.set(mode, "relay.mode=polling");
    String pollingJson = status(append(polling, "--json"));
    assertThat(pollingJson).contains("\"pending\":0").doesNotContain("cdc");
    // no relay ran: the slot does not exist yet
    String json = status(append(settings("s"), "--json"));
    assertThat(json).contains("\"cdc\":null");
    assertThat(status(settings("s")))
        .contains("slot                  " + slotName)
        .contains("not present");
    // an invalid slot name is refused before anything is read (in-process, same command line)
    java.io.StringWriter err = new java.io.StringWriter();
    List<String> bad = new ArrayList<>(List.of("status"));
    settings("s")
        .forEach(x -> bad.add(x.startsWith("relay.cdc.slot=") ? "relay.cdc.slot=Bad-Slot" : x));
    int exit =
        dev.waybill.relay.cli.RelayMain.execute(
            new java.io.PrintWriter(new java.io.StringWriter()),
            new java.io.PrintWriter(err),
            bad.toArray(String[]::new));
    assertThat(exit).as(err.toString()).isEqualTo(2);
    assertThat(err.toString())
        .contains("'Bad-Slot' → relay.cdc.slot → ")
        .contains("not a valid replication slot name");
  }

  static List<String> append(List<String> list, String... more) {
    List<String> out = new ArrayList<>(list);
    out.addAll(List.of(more));
    return out;
  }
}
