package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.testkit.TcpProxy;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sidecar jar ({@code target/outbox-relay.jar}) as operators run it, in separate JVMs: migrate,
 * status, run, SIGTERM and {@code kill -9}.
 */
class RelayProcessIT {
  static final Path JAR = Path.of("target", "outbox-relay.jar");

  TestDatabase db;
  String topic;
  final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void setUp() {
    assertThat(JAR).as("built by mvn package").exists();
    db = TestDatabases.postgres();
    topic = "proc-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 3);
  }

  @AfterEach
  void tearDown() {
    processes.forEach(Process::destroyForcibly);
    if (db != null) {
      db.close();
    }
  }

  List<String> settings(String instance, int httpPort) {
    return List.of(
        "--set", "db.url=" + db.jdbcUrl(),
        "--set", "db.user=" + db.user(),
        "--set", "db.password=" + db.password(),
        "--set", "kafka.bootstrap.servers=" + TestKafka.get().bootstrapServers(),
        "--set", "relay.instance.id=" + instance,
        "--set", "relay.shards=8",
        "--set", "relay.lease.ttl=6s",
        "--set", "relay.lease.renew.interval=500ms",
        "--set", "relay.send.timeout=3s",
        "--set", "http.port=" + httpPort);
  }

  Process launch(String command, List<String> args, Path log) throws IOException {
    return launch(command, args, log, Map.of());
  }

  /**
   * Starts the jar with this JVM's environment (the CI's WAYBILL_TEST_* included) plus {@code env}.
   */
  Process launch(String command, List<String> args, Path log, Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.add(command);
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  Result runToEnd(String command, List<String> args) throws Exception {
    return runToEnd(command, args, Map.of());
  }

  Result runToEnd(String command, List<String> args, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile("relay-" + command, ".log");
    Process p = launch(command, args, log, env);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), Files.readString(log));
  }

  record Result(int exit, String output) {}

  void write(int from, int to, int keys) throws SQLException {
    Outbox outbox = Outbox.builder().build();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (int n = from; n < to; n++) {
        String key = "k" + (n % keys);
        outbox.write(
            c,
            OutboxMessage.builder()
                .topic(topic)
                .key(key)
                .eventType("Counted")
                .jsonPayload("{\"key\":\"" + key + "\",\"n\":" + n + "}")
                .build());
      }
      c.commit();
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

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  @Test
  void migrateStatusRunAndAGracefulStopThatExitsZero() throws Exception {
    Result migrate = runToEnd("migrate", settings("m", -1));
    assertThat(migrate.exit()).as(migrate.output()).isZero();
    assertThat(migrate.output()).contains("outbox schema migrated from version 0 to 2");
    Result again = runToEnd("migrate", settings("m", -1));
    assertThat(again.output()).contains("outbox schema is up to date at version 2");

    write(0, 50, 5);
    Result before = runToEnd("status", append(settings("s", -1), "--json"));
    assertThat(before.exit()).as(before.output()).isZero();
    assertThat(before.output()).contains("\"pending\":50").doesNotContain(db.password() + "x");

    int port = freePort();
    Path log = Files.createTempFile("relay-run", ".log");
    Process relay = launch("run", settings("sidecar-1", port), log);
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> get(port, "/health").statusCode() == 200);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    String metrics = get(port, "/metrics").body();
    assertThat(metrics)
        .contains("waybill_relay_published_total{instance=\"sidecar-1\"} 50.0")
        .contains("waybill_relay_shards_owned{instance=\"sidecar-1\"} 8.0")
        .contains("waybill_relay_publish_latency_seconds_bucket")
        .contains("waybill_relay_pending{instance=\"sidecar-1\"}");
    Result status = runToEnd("status", settings("s", -1));
    assertThat(status.output()).contains("pending messages      0").contains("sidecar-1");

    relay.destroy(); // SIGTERM
    assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(log);
    assertThat(relay.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("relay sidecar-1 started")
        .contains("released 8 shard lease(s) on stop");
    assertThat(out).doesNotContain("password=" + db.password() + ",");
    assertThat(count("SELECT COUNT(*) FROM waybill_relay_lease WHERE owner IS NOT NULL"))
        .as("leases given back")
        .isZero();
    assertThat(Published.read(topic, 50, Duration.ofSeconds(20))).hasSize(50);
  }

  /**
   * A sidecar that starts before its database accepts connections (a pod whose database restarts, a
   * compose file that starts both at once) waits for it, saying so, instead of exiting 1 with a
   * hint to check its settings.
   */
  @Test
  void aRelayStartedWhileItsDatabaseIsDownWaitsForIt() throws Exception {
    assertThat(runToEnd("migrate", settings("m", -1)).exit()).isZero();
    write(0, 20, 4);
    try (TcpProxy proxy = db.startProxy()) {
      proxy.down();
      List<String> args = new ArrayList<>();
      for (String arg : settings("late-db", -1)) {
        args.add(arg.startsWith("db.url=") ? "db.url=" + db.jdbcUrlThrough(proxy) : arg);
      }
      Path log = Files.createTempFile("relay-late-db", ".log");
      Process relay = launch("run", args, log);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> !relay.isAlive() || Files.readString(log).contains("trying again"));
      Thread.sleep(2_000); // a few attempts, refused
      assertThat(relay.isAlive()).as(Files.readString(log)).isTrue();
      assertThat(Files.readString(log)).contains("refused").contains("db.url");
      proxy.up();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !relay.isAlive() || count("SELECT COUNT(*) FROM waybill_outbox") == 0);
      assertThat(relay.isAlive()).as(Files.readString(log)).isTrue();
      relay.destroy();
      assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(relay.exitValue()).as(Files.readString(log)).isZero();
    }
    assertThat(Published.read(topic, 20, Duration.ofSeconds(20))).hasSize(20);
  }

  @Test
  void aRelayKilledWithSigkillLosesNothingAndTheOtherKeepsKeyOrder() throws Exception {
    assertThat(runToEnd("migrate", settings("m", -1)).exit()).isZero();
    Process a = launch("run", settings("a", -1), Files.createTempFile("relay-a", ".log"));
    Process b = launch("run", settings("b", -1), Files.createTempFile("relay-b", ".log"));
    int total = 3000;
    AtomicInteger written = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int n = 0; n < total; n += 50) {
                  write(n, n + 50, 40);
                  written.addAndGet(50);
                  Thread.sleep(20);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> written.get() >= total / 3);
    a.destroyForcibly(); // kill -9 in the middle of the stream
    writer.join(120_000);
    assertThat(written.get()).isEqualTo(total);
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    List<Published.Rec> recs = Published.read(topic, total, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count())
        .as("every message published at least once")
        .isEqualTo(total);
    RelayContract.assertPerKeyOrder(recs);
    b.destroy();
    assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void invalidSettingsFailAtStartListingEveryProblemWithoutSecrets() throws Exception {
    Result r =
        runToEnd(
            "run",
            List.of(
                "--set", "db.url=jdbc:oracle:thin:@x",
                "--set", "db.password=hunter2",
                "--set", "relay.batch.size=0",
                "--set", "relay.lease.ttl=5s",
                "--set", "relay.failure.mode=explode",
                "--set", "relay.batchsize=10",
                "--set", "kafka.acks=1"),
            Map.of("WAYBILL_DB_URLL", "jdbc:postgresql://typo/app"));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output())
        .contains("invalid configuration (")
        .contains("(missing) → db.user → required")
        .contains("(missing) → kafka.bootstrap.servers → required")
        .contains("'0' → relay.batch.size → expected a number from 1 to 10000")
        .contains("'explode' → relay.failure.mode → expected park or skip")
        .contains("(unknown) → relay.batchsize → not a setting")
        .contains("'1' → kafka.acks → must be all")
        .contains("relay.lease.ttl → must exceed relay.send.timeout")
        .contains("db.url → no Waybill dialect for JDBC URL scheme 'jdbc:oracle:'")
        .contains(
            "(environment) → WAYBILL_DB_URLL → not the environment variable of a setting; did"
                + " you mean WAYBILL_DB_URL?")
        .doesNotContain("WAYBILL_TEST_") // the CI's variables are not the relay's business
        .doesNotContain("hunter2");
    Result help = runToEnd("run", List.of("--help"));
    assertThat(help.exit()).isZero();
    assertThat(help.output()).contains("Usage: outbox-relay run").contains("--config=FILE");
  }

  static List<String> append(List<String> list, String... more) {
    List<String> out = new ArrayList<>(list);
    out.addAll(List.of(more));
    return out;
  }
}
