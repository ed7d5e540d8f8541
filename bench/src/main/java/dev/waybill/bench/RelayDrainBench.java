package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.internal.KafkaPublisher;
import dev.waybill.relay.internal.OutboxRow;
import dev.waybill.testkit.KafkaBrokerProcess;
import dev.waybill.testkit.ProgramArgs;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Relay backlog drain (DESIGN.md, "Performance targets": at least 0.7 × a producer that sends the
 * relay's own records, at most 1.6 × its CPU per message; 3 relays at least 0.95 × 1, at most 1.15
 * × its CPU).
 *
 * <p>A backlog of N outbox rows (256-byte payloads over 1,000 keys, written with multi-row INSERTs
 * through the plain table contract, untimed) is drained to a fresh 6-partition topic. Variants:
 *
 * <ul>
 *   <li>{@code bare}: a bare {@code KafkaProducer} (acks=all, idempotent, otherwise Kafka's
 *       defaults) sends the same N records (same keys and values, no headers), timed from producer
 *       creation until {@code flush()} returned with every record acknowledged;
 *   <li>{@code relay1}, {@code relay3}: 1 or 3 {@link Relay} instances (separate instances in this
 *       JVM, each with its own pool of 4 connections and its own producer; same shard count;
 *       default lease settings), timed from the last {@code start()} returning until the topic's
 *       end offsets add up to N (start-up, first record and empty outbox reported apart);
 *   <li>{@code relay1-warm}, {@code relay3-warm} (diagnostic): the relays run already, have
 *       balanced their leases and published a small priming backlog to another topic; the backlog
 *       is committed in one transaction with {@code NOTIFY}, timed from that commit;
 *   <li>{@code naive}: DESIGN.md's reference "naive single-threaded SQL relay" ({@link
 *       NaiveSqlRelay}): SKIP LOCKED batches of 1,000, async send, wait, DELETE, commit; no leases,
 *       no headers;
 *   <li>{@code bare-relay-producer} (the reference of the targets): the bare producer with the
 *       relay's effective producer settings and the same CloudEvents headers the relay adds: the
 *       Kafka side of the relay's work without the database;
 *   <li>{@code bare-headers}, {@code bare-one-in-flight} (diagnostic): the two halves of {@code
 *       bare-relay-producer}: the bare producer with only the CloudEvents headers added, and the
 *       bare producer with only the relay's producer settings (one request in flight per
 *       connection, 256 KiB batches, no linger), no headers;
 *   <li>{@code relay3-split} (diagnostic, PostgreSQL): 3 relays that share nothing but the broker
 *       and the database server: each has a database of its own holding the messages of a third of
 *       the keys, and owns all its shards. What 3 relays would do if their rows were perfectly
 *       separated: the bound for any scheme that keeps the relays' rows apart.
 * </ul>
 *
 * Variants alternate within each round and their order rotates from round to round; the first
 * {@code --warmup-runs} rounds are not counted. Medians over the counted rounds are reported, and
 * the ratios relay / bare are medians of the per-round ratios.
 *
 * <p>With {@code --fresh-jvm true} every timed run happens in a new JVM started from this jar
 * (against the same broker and database server), so every variant starts as cold as a freshly
 * started sidecar: class loading is done before the timer starts, JIT compilation is not.
 */
public final class RelayDrainBench {
  static final String TOPIC_PREFIX = "bench-drain-";

  /** The reference of the targets: a producer sending the relay's records, no database. */
  static final String PRODUCER = "bare-relay-producer";

  static final List<String> ALL_VARIANTS =
      List.of(
          "bare",
          "naive",
          "relay1",
          "relay3",
          "relay1-warm",
          "relay3-warm",
          "bare-relay-producer",
          "bare-headers",
          "bare-one-in-flight",
          "relay3-split");

  private record Settings(
      boolean postgres,
      String adminUrl,
      String user,
      String password,
      String database,
      int messages,
      int keys,
      int payloadBytes,
      int partitions,
      int runs,
      int warmupRuns,
      List<String> variants,
      int batchSize,
      int shards,
      String bootstrap,
      Path workDir,
      Map<String, String> dbSettings,
      int quietWaitSeconds,
      boolean diagnose,
      int timeoutSeconds,
      boolean freshJvm,
      long brokerPid,
      int childRound,
      String resultFile,
      List<String> args) {
    /** Whether this JVM runs one timed run for a parent in {@code --fresh-jvm} mode. */
    boolean child() {
      return !resultFile.isEmpty();
    }
  }

  /**
   * One timed drain.
   *
   * @param seconds wall time
   * @param ackedSeconds time until the end offsets reached N (relays; equals seconds for bare)
   * @param published records in the topic afterwards
   * @param cpu where the CPU went
   * @param notes diagnostic lines
   */
  private record Result(
      String variant,
      double seconds,
      double ackedSeconds,
      long published,
      CpuMeter.Usage cpu,
      List<String> notes,
      Map<String, Double> figures) {
    double perSecond(int n) {
      return n / seconds;
    }
  }

  private final Settings settings;
  private final RelayBenchDatabase.Backlog backlog;
  private final byte[][] payloads;
  private final byte[][] keyBytes;
  private KafkaBrokerProcess broker;
  private BenchKafka kafka;
  private RelayBenchDatabase db;

  private RelayDrainBench(Settings settings) {
    this.settings = settings;
    this.backlog =
        new RelayBenchDatabase.Backlog(
            settings.messages(), settings.keys(), settings.payloadBytes());
    this.payloads = new byte[settings.messages()][];
    this.keyBytes = new byte[settings.messages()][];
    Map<String, byte[]> keyCache = new HashMap<>();
    for (int i = 0; i < settings.messages(); i++) {
      payloads[i] = backlog.payload(i);
      keyBytes[i] =
          keyCache.computeIfAbsent(backlog.key(i), k -> k.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Entry point of {@code relay-drain}. */
  public static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "relay-drain")
            .option("db", "postgresql", "postgresql or mariadb")
            .option(
                "url",
                "",
                "admin JDBC URL; default jdbc:postgresql://127.0.0.1:5432/postgres or"
                    + " jdbc:mariadb://127.0.0.1:3306/")
            .option("user", "", "database user; default postgres or root")
            .option("password", "", "database password")
            .option("database", "waybill_bench_relay", "database dropped and created for the run")
            .option("messages", "200000", "outbox rows per drain")
            .option("keys", "1000", "distinct message keys")
            .option("payload-bytes", "256", "payload size")
            .option("partitions", "6", "partitions of each (fresh) topic")
            .option("runs", "5", "counted rounds (each runs every variant once)")
            .option("warmup-runs", "1", "rounds run first and not counted")
            .option(
                "variants",
                "",
                "comma-separated, from "
                    + ALL_VARIANTS
                    + "; default bare,bare-relay-producer,relay1,relay3 (PostgreSQL) or"
                    + " bare,bare-relay-producer,relay1 (MariaDB)")
            .option("batch-size", "2000", "relay.batch.size of the relays")
            .option("shards", "64", "relay.shards of the relays (64 is the default)")
            .option(
                "bootstrap",
                "",
                "an existing Kafka broker; default: start one in a separate JVM from this jar")
            .option("work-dir", "target/relay-bench", "where the broker's log dir goes")
            .option(
                "quiet-wait",
                "20",
                "seconds to wait before each timed run for the machine to be idle (< 15 % busy),"
                    + " since other processes distort the figures; 0 disables")
            .option(
                "db-setting",
                "",
                "what-if diagnostics: name=value[,name=value] set on the bench database (PostgreSQL"
                    + " ALTER DATABASE ... SET), e.g. jit=off")
            .option(
                "diagnose",
                "false",
                "print per-run breakdowns (relay SQL timings, claim time over the drain, producer"
                    + " metrics)")
            .option("timeout", "300", "seconds a drain may take before the run fails")
            .option(
                "fresh-jvm",
                "false",
                "run every timed run in a new JVM started from this jar (same broker and database"
                    + " server), so that each variant starts JIT-cold, as a sidecar does")
            .option(
                "broker-pid",
                "-1",
                "with --bootstrap: the broker's process id, so its CPU time is reported")
            .option("child-round", "-1", "internal (--fresh-jvm): the round this child runs")
            .option("result-file", "", "internal (--fresh-jvm): where this child writes its result")
            .parse(args);
    String dbKind = a.string("db").toLowerCase(Locale.ROOT);
    boolean pg = dbKind.equals("postgresql") || dbKind.equals("postgres");
    if (!pg && !dbKind.equals("mariadb") && !dbKind.equals("mysql")) {
      a.problem("'" + dbKind + "' → --db → expected postgresql or mariadb");
    }
    String url = a.string("url");
    if (url.isEmpty()) {
      url = pg ? "jdbc:postgresql://127.0.0.1:5432/postgres" : "jdbc:mariadb://127.0.0.1:3306/";
    }
    String user = a.string("user");
    if (user.isEmpty()) {
      user = pg ? "postgres" : "root";
    }
    List<String> variants = new ArrayList<>();
    String v = a.string("variants");
    if (v.isBlank()) {
      variants.addAll(
          pg ? List.of("bare", PRODUCER, "relay1", "relay3") : List.of("bare", PRODUCER, "relay1"));
    } else {
      for (String s : v.split(",")) {
        String t = s.trim();
        if (!ALL_VARIANTS.contains(t)) {
          a.problem("'" + t + "' → --variants → expected some of " + ALL_VARIANTS);
        }
        variants.add(t);
      }
    }
    Settings s =
        new Settings(
            pg,
            url,
            user,
            a.string("password"),
            a.string("database"),
            a.integer("messages", 1000, 10_000_000),
            a.integer("keys", 1, 1_000_000),
            a.integer("payload-bytes", 64, 1_000_000),
            a.integer("partitions", 1, 1000),
            a.integer("runs", 1, 100),
            a.integer("warmup-runs", 0, 100),
            List.copyOf(variants),
            a.integer("batch-size", 1, 10_000),
            a.integer("shards", 1, 1024),
            a.string("bootstrap"),
            Path.of(a.string("work-dir")),
            dbSettings(a),
            a.integer("quiet-wait", 0, 3600),
            a.bool("diagnose"),
            a.integer("timeout", 10, 3600),
            a.bool("fresh-jvm"),
            Long.parseLong(a.string("broker-pid").trim()),
            a.integer("child-round", -1, 1000),
            a.string("result-file"),
            List.of(args));
    if (s.freshJvm() && s.child()) {
      a.problem("--fresh-jvm and --result-file exclude each other");
    }
    a.requireValid();
    new RelayDrainBench(s).run();
  }

  private void run() throws Exception {
    long started = System.nanoTime();
    broker =
        KafkaBrokerProcess.startOrUse(
            settings.bootstrap(), settings.brokerPid(), settings.workDir());
    try (KafkaBrokerProcess b = broker;
        BenchKafka k = new BenchKafka(broker.bootstrapServers())) {
      kafka = k;
      Map<String, List<Result>> results = new LinkedHashMap<>();
      settings.variants().forEach(v -> results.put(v, new ArrayList<>()));
      try (RelayBenchDatabase d = openDatabase()) {
        db = d;
        if (!settings.child()) {
          printEnvironment();
        }
        if (!settings.freshJvm()) {
          runRounds(results);
        }
      }
      if (settings.freshJvm()) {
        // the children drop and create the bench database themselves
        db = null;
        System.out.println(
            "fresh JVM per run: each timed run below ran in a new JVM started from this jar");
        runRounds(results);
      }
      if (settings.child()) {
        writeResult(results);
        return;
      }
      report(results);
    }
    System.out.printf("relay-drain finished in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  private RelayBenchDatabase openDatabase() throws java.sql.SQLException {
    return RelayBenchDatabase.create(
        settings.adminUrl(),
        settings.user(),
        settings.password(),
        settings.database(),
        settings.dbSettings());
  }

  private void runRounds(Map<String, List<Result>> results) throws Exception {
    int rounds = settings.warmupRuns() + settings.runs();
    for (int round = 0; round < rounds; round++) {
      boolean counted = round >= settings.warmupRuns();
      List<String> order = new ArrayList<>(settings.variants());
      java.util.Collections.rotate(order, -round);
      for (String variant : order) {
        Result r =
            settings.freshJvm()
                ? runInFreshJvm(variant, round)
                : runVariant(variant, settings.child() ? settings.childRound() : round);
        if (settings.child()) {
          results.get(variant).add(r);
          continue;
        }
        System.out.printf(
            "%s %d/%d %-20s %9.0f msg/s  drain %6.2f s (until Kafka had every record)  %s%n",
            counted ? "run   " : "warmup",
            counted ? round - settings.warmupRuns() + 1 : round + 1,
            counted ? settings.runs() : settings.warmupRuns(),
            variant,
            r.perSecond(settings.messages()),
            r.seconds(),
            r.cpu().line());
        for (String note : r.notes()) {
          System.out.println("         " + note);
        }
        if (counted) {
          results.get(variant).add(r);
        }
      }
    }
  }

  /**
   * Runs one variant in a new JVM ({@code java -cp <this jar> ... relay-drain --result-file F}) on
   * this broker, with this JVM's options and the benchmark's own options, and reads its result.
   */
  private Result runInFreshJvm(String variant, int round) throws Exception {
    Path dir = settings.workDir().toAbsolutePath();
    java.nio.file.Files.createDirectories(dir);
    Path out = dir.resolve("child-" + round + "-" + variant + ".properties");
    Path log = dir.resolve("child-" + round + "-" + variant + ".log");
    java.nio.file.Files.deleteIfExists(out);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("relay-drain");
    cmd.addAll(
        ProgramArgs.without(
            settings.args(),
            Set.of(
                "fresh-jvm",
                "runs",
                "warmup-runs",
                "variants",
                "bootstrap",
                "broker-pid",
                "child-round",
                "result-file")));
    cmd.addAll(
        List.of(
            "--variants",
            variant,
            "--runs",
            "1",
            "--warmup-runs",
            "0",
            "--bootstrap",
            broker.bootstrapServers(),
            "--broker-pid",
            Long.toString(broker.pid()),
            "--child-round",
            Integer.toString(round),
            "--result-file",
            out.toString()));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(settings.timeoutSeconds() + 300L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(variant + " in a fresh JVM did not finish; see " + log);
    }
    if (p.exitValue() != 0 || !java.nio.file.Files.exists(out)) {
      throw new IllegalStateException(
          variant + " in a fresh JVM exited with " + p.exitValue() + "; see " + log);
    }
    Properties r = new Properties();
    try (var in = java.nio.file.Files.newBufferedReader(out)) {
      r.load(in);
    }
    List<String> notes = new ArrayList<>();
    for (int i = 0; r.containsKey("note." + i); i++) {
      notes.add(r.getProperty("note." + i));
    }
    Map<String, Double> figures = new LinkedHashMap<>();
    for (String name : r.stringPropertyNames()) {
      if (name.startsWith("figure.")) {
        figures.put(name.substring(7), Double.parseDouble(r.getProperty(name)));
      }
    }
    return new Result(
        variant,
        number(r, "seconds"),
        number(r, "ackedSeconds"),
        (long) number(r, "published"),
        new CpuMeter.Usage(
            number(r, "cpu.wallSeconds"),
            (int) number(r, "cpu.cores"),
            number(r, "cpu.busy"),
            number(r, "cpu.idle"),
            number(r, "cpu.self"),
            number(r, "cpu.broker"),
            number(r, "cpu.db"),
            r.getProperty("cpu.topOthers", "")),
        notes,
        figures);
  }

  private static double number(Properties p, String name) {
    String v = p.getProperty(name);
    if (v == null) {
      throw new IllegalStateException("the child's result has no " + name);
    }
    return Double.parseDouble(v);
  }

  /** A child's one result, for the parent ({@link #runInFreshJvm}). */
  private void writeResult(Map<String, List<Result>> results) throws java.io.IOException {
    Result r = results.get(settings.variants().get(0)).get(0);
    Properties p = new Properties();
    p.setProperty("seconds", Double.toString(r.seconds()));
    p.setProperty("ackedSeconds", Double.toString(r.ackedSeconds()));
    p.setProperty("published", Long.toString(r.published()));
    CpuMeter.Usage c = r.cpu();
    p.setProperty("cpu.wallSeconds", Double.toString(c.wallSeconds()));
    p.setProperty("cpu.cores", Integer.toString(c.cores()));
    p.setProperty("cpu.busy", Double.toString(c.busy()));
    p.setProperty("cpu.idle", Double.toString(c.idle()));
    p.setProperty("cpu.self", Double.toString(c.self()));
    p.setProperty("cpu.broker", Double.toString(c.broker()));
    p.setProperty("cpu.db", Double.toString(c.db()));
    p.setProperty("cpu.topOthers", c.topOthers());
    for (int i = 0; i < r.notes().size(); i++) {
      p.setProperty("note." + i, r.notes().get(i));
    }
    r.figures().forEach((k, v) -> p.setProperty("figure." + k, Double.toString(v)));
    Path tmp = Path.of(settings.resultFile() + ".tmp");
    try (var w = java.nio.file.Files.newBufferedWriter(tmp)) {
      p.store(w, "relay-drain child result");
    }
    java.nio.file.Files.move(
        tmp, Path.of(settings.resultFile()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private void printEnvironment() throws Exception {
    System.out.printf(
        "relay-drain: %,d messages × %d B payload over %,d keys → %d-partition topic; %d"
            + " counted rounds after %d warm-up round(s); variants %s%n",
        settings.messages(),
        settings.payloadBytes(),
        settings.keys(),
        settings.partitions(),
        settings.runs(),
        settings.warmupRuns(),
        settings.variants());
    System.out.printf(
        "machine: %d cores, Java %s (%s), max heap %d MiB%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        Runtime.getRuntime().maxMemory() >> 20);
    System.out.printf(
        "database: %s %s at %s%s%n",
        db.postgres ? "PostgreSQL" : "MariaDB",
        db.version(),
        db.url,
        db.postgres
            ? " (shared_buffers "
                + db.query("SHOW shared_buffers")
                + ", synchronous_commit "
                + db.query("SHOW synchronous_commit")
                + ", autovacuum "
                + db.query("SHOW autovacuum")
                + ")"
            : " (innodb_buffer_pool_size "
                + db.query("SELECT @@innodb_buffer_pool_size")
                + ", innodb_flush_log_at_trx_commit "
                + db.query("SELECT @@innodb_flush_log_at_trx_commit")
                + ")");
    System.out.printf("kafka: %s, client %s%n", broker.description(), BenchKafka.version());
    if (!settings.dbSettings().isEmpty()) {
      System.out.println(
          "WHAT-IF: database settings "
              + settings.dbSettings()
              + " (ALTER DATABASE ... SET; not the server's defaults)");
    }
    System.out.printf(
        "relay: batch.size %d, shards %d, lease ttl/renew 30s/3s (defaults), poll.interval 500ms,"
            + " send.timeout 10s, producer %s%n",
        settings.batchSize(), settings.shards(), relayProducerProperties());
  }

  private Map<String, Object> relayProducerProperties() {
    Map<String, Object> p =
        new java.util.TreeMap<>(
            new KafkaPublisher(
                    Map.of("bootstrap.servers", kafka.bootstrap()),
                    Duration.ofSeconds(10),
                    "urn:bench",
                    "probe")
                .producerProperties());
    p.keySet()
        .retainAll(
            Set.of(
                "acks",
                "enable.idempotence",
                "max.in.flight.requests.per.connection",
                "linger.ms",
                "batch.size"));
    return p;
  }

  private Result runVariant(String variant, int round) throws Exception {
    String topic = TOPIC_PREFIX + round + "-" + variant;
    kafka.createTopic(topic, settings.partitions());
    awaitQuiet(settings.quietWaitSeconds());
    try {
      return switch (variant) {
        case "bare" -> bare(topic, variant, false, false);
        case "bare-headers" -> bare(topic, variant, false, true);
        case "bare-one-in-flight" -> bare(topic, variant, true, false);
        case "bare-relay-producer" -> bare(topic, variant, true, true);
        case "naive" -> naive(topic);
        case "relay1" -> relays(topic, round, 1, false);
        case "relay3" -> relays(topic, round, 3, false);
        case "relay1-warm" -> relays(topic, round, 1, true);
        case "relay3-warm" -> relays(topic, round, 3, true);
        case "relay3-split" -> splitRelays(topic, round, 3);
        default -> throw new IllegalArgumentException(variant);
      };
    } finally {
      kafka.deleteTopic(topic);
    }
  }

  /**
   * A bare producer sending the backlog's records: with Kafka's defaults (plus acks=all and
   * idempotence) or the relay's effective producer settings, with or without the relay's
   * CloudEvents headers.
   */
  private Result bare(String topic, String variant, boolean relaySettings, boolean headers)
      throws Exception {
    int n = settings.messages();
    String clientId = "bench-" + variant;
    Properties p = new Properties();
    KafkaPublisher publisher =
        new KafkaPublisher(
            Map.of("bootstrap.servers", kafka.bootstrap()),
            Duration.ofSeconds(10),
            "urn:bench",
            "x");
    if (relaySettings) {
      p.putAll(publisher.producerProperties());
    } else {
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    }
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    AtomicLong failures = new AtomicLong();
    AtomicReference<Exception> firstFailure = new AtomicReference<>();
    // every producer variant starts from the same inputs, rows as a claim returns them, built
    // before the timer (the database's part of the work); with headers the records are built from
    // them by the relay's own code, without from their key and payload alone
    OutboxRow[] rows = rows(topic);
    collectGarbage();
    CpuMeter.Snapshot cpu0 = new CpuMeter.Snapshot(broker.pid());
    long t0 = System.nanoTime();
    Map<String, Double> metrics;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) {
        ProducerRecord<byte[], byte[]> record;
        if (headers) {
          record = publisher.toRecord(rows[i]);
        } else {
          record = new ProducerRecord<>(topic, keyBytes[i], rows[i].payload());
        }
        producer.send(
            record,
            (md, e) -> {
              if (e != null) {
                failures.incrementAndGet();
                firstFailure.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
      long t1 = System.nanoTime();
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
      metrics = BenchKafka.producerMetrics(clientId);
      if (failures.get() > 0) {
        throw new IllegalStateException(
            failures.get() + " sends failed; first: " + firstFailure.get(), firstFailure.get());
      }
      long published = kafka.endOffsetSum(topic, settings.partitions());
      List<String> notes = new ArrayList<>();
      if (published != n) {
        notes.add("WARNING: topic holds " + published + " records, expected " + n);
      }
      if (settings.diagnose()) {
        notes.add("producer: " + BenchKafka.format(metrics));
      }
      double s = (t1 - t0) / 1e9;
      return new Result(variant, s, s, published, cpu0.to(cpu1), notes, metrics);
    }
  }

  /** The backlog as claimed rows: ids and times as the writer would have set them. */
  private OutboxRow[] rows(String topic) {
    OutboxRow[] rows = new OutboxRow[settings.messages()];
    Instant written = Instant.now();
    for (int i = 0; i < rows.length; i++) {
      rows[i] =
          new OutboxRow(
              i + 1L,
              new UUID(0x0190_0000_0000_7000L, i),
              topic,
              backlog.key(i),
              RelayBenchDatabase.Backlog.EVENT_TYPE,
              "application/json",
              payloads[i],
              null,
              null,
              written.plusNanos(i * 1_000L));
    }
    return rows;
  }

  /** Writes the backlog (untimed) and settles the table; notes how long that took. */
  private void writeBacklog(String topic, List<String> notes) throws java.sql.SQLException {
    long w0 = System.nanoTime();
    db.insertBacklog(backlog, topic, false);
    long w1 = System.nanoTime();
    db.settle();
    notes.add(
        String.format(
            "backlog written in %.1f s, VACUUM ANALYZE + CHECKPOINT %.1f s (untimed)",
            (w1 - w0) / 1e9, (System.nanoTime() - w1) / 1e9));
  }

  /** DESIGN.md's naive SQL relay ({@link NaiveSqlRelay}) on the same backlog. */
  private Result naive(String topic) throws Exception {
    int n = settings.messages();
    db.truncate();
    List<String> notes = new ArrayList<>();
    writeBacklog(topic, notes);
    kafka.endOffsetSum(topic, settings.partitions()); // metadata of the topic fetched, untimed
    try (java.sql.Connection c = db.connect()) {
      collectGarbage();
      CpuMeter.Snapshot cpu0 = new CpuMeter.Snapshot(broker.pid());
      long t0 = System.nanoTime();
      long sent = NaiveSqlRelay.drain(c, settings.postgres(), kafka.bootstrap(), "bench-naive");
      long t1 = System.nanoTime();
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
      long published = kafka.endOffsetSum(topic, settings.partitions());
      if (sent != n || published != n) {
        notes.add("WARNING: sent " + sent + ", topic holds " + published + ", expected " + n);
      }
      double s = (t1 - t0) / 1e9;
      return new Result("naive", s, s, published, cpu0.to(cpu1), notes, Map.of());
    }
  }

  /**
   * A full collection before every timer, so that no variant pays for garbage another variant (or
   * its own untimed set-up) left behind.
   */
  private static void collectGarbage() {
    System.gc();
    System.gc();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private RelayConfig relayConfig(String instance) {
    return RelayConfig.builder()
        .instanceId(instance)
        .bootstrapServers(kafka.bootstrap())
        .batchSize(settings.batchSize())
        .shards(settings.shards())
        .httpPort(-1)
        .build();
  }

  private Result relays(String topic, int round, int count, boolean warm) throws Exception {
    db.truncate();
    List<String> notes = new ArrayList<>();
    if (!warm) {
      writeBacklog(topic, notes);
    }
    SqlTimer timer = new SqlTimer();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<HikariDataSource> pools = new ArrayList<>();
    List<Relay> relays = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = "bench-r" + round + "-" + (warm ? "w" : "c") + count + "-" + (i + 1);
      ids.add(id);
      HikariDataSource pool = db.pool("relay-" + id, 4);
      pools.add(pool);
      relays.add(
          Relay.builder()
              .config(relayConfig(id))
              .dataSource(timer.wrap(pool))
              .meterRegistry(registry)
              .build());
    }
    kafka.endOffsetSum(topic, settings.partitions()); // metadata of the topic fetched, untimed
    long t0;
    long started;
    CpuMeter.Snapshot cpu0;
    try {
      if (warm) {
        for (Relay r : relays) {
          r.start();
        }
        awaitBalanced(relays);
        prime(topic + "-prime", relays);
        timer.clear();
        collectGarbage();
        cpu0 = new CpuMeter.Snapshot(broker.pid());
        t0 = db.insertBacklog(backlog, topic, true);
        started = t0;
      } else {
        collectGarbage();
        cpu0 = new CpuMeter.Snapshot(broker.pid());
        started = System.nanoTime();
        for (Relay r : relays) {
          r.start();
        }
        // as the producer's timer starts at its creation, the relays' starts when they run: their
        // start-up (schema check, lease table) is reported apart
        t0 = System.nanoTime();
      }
      long[] done = awaitDrained(topic, t0, db::outboxEmpty, () -> db.outboxCount() + " rows left");
      long acked = done[0];
      long tEnd = done[1];
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
      Map<String, Double> figures = new LinkedHashMap<>();
      figures.put("startMs", (t0 - started) / 1e6);
      figures.put("firstRecordMs", (done[2] - started) / 1e6);
      StringBuilder per = new StringBuilder("per relay: ");
      for (Relay r : relays) {
        per.append(
            String.format(
                "%s published %,d (owns %d shards); ",
                r.instanceId(), r.status().published(), r.status().ownedShards().size()));
      }
      notes.add(per.toString());
      diagnose(timer, registry, ids, t0, tEnd, notes, figures);
      return finish(topic, relays, pools, timer, t0, acked, tEnd, cpu0.to(cpu1), notes, figures);
    } finally {
      for (Relay r : relays) {
        r.close();
      }
      for (HikariDataSource p : pools) {
        p.close();
      }
      if (warm) {
        kafka.deleteTopic(topic + "-prime");
      }
    }
  }

  private Result splitRelays(String topic, int round, int count) throws Exception {
    if (!settings.postgres()) {
      throw new IllegalArgumentException("relay3-split runs on PostgreSQL only");
    }
    db.truncate();
    List<String> notes = new ArrayList<>();
    List<RelayBenchDatabase> dbs = new ArrayList<>();
    List<HikariDataSource> pools = new ArrayList<>();
    List<Relay> relays = new ArrayList<>();
    SqlTimer timer = new SqlTimer();
    try {
      long w0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        int part = i;
        RelayBenchDatabase d =
            RelayBenchDatabase.create(
                settings.adminUrl(),
                settings.user(),
                settings.password(),
                settings.database() + "_s" + i,
                settings.dbSettings());
        dbs.add(d);
        d.insertBacklog(backlog, topic, false, m -> backlog.keyIndex(m) % count == part);
        d.settle();
      }
      notes.add(
          String.format(
              "%d databases, each with the messages of every %dth key, written and settled in"
                  + " %.1f s (untimed)",
              count, count, (System.nanoTime() - w0) / 1e9));
      for (int i = 0; i < count; i++) {
        String id = "bench-r" + round + "-s" + count + "-" + (i + 1);
        HikariDataSource pool = dbs.get(i).pool("relay-" + id, 4);
        pools.add(pool);
        relays.add(
            Relay.builder()
                .config(relayConfig(id))
                .dataSource(timer.wrap(pool))
                .meterRegistry(new SimpleMeterRegistry())
                .build());
      }
      kafka.endOffsetSum(topic, settings.partitions());
      collectGarbage();
      CpuMeter.Snapshot cpu0 = new CpuMeter.Snapshot(broker.pid());
      for (Relay r : relays) {
        r.start();
      }
      long t0 = System.nanoTime();
      long[] done = awaitDrained(topic, t0, () -> allEmpty(dbs), () -> "rows left in some");
      long acked = done[0];
      long tEnd = done[1];
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
      StringBuilder per = new StringBuilder("per relay: ");
      for (Relay r : relays) {
        per.append(String.format("%s published %,d; ", r.instanceId(), r.status().published()));
      }
      notes.add(per.toString());
      return finish(
          topic, relays, pools, timer, t0, acked, tEnd, cpu0.to(cpu1), notes, new HashMap<>());
    } finally {
      for (Relay r : relays) {
        r.close();
      }
      for (HikariDataSource p : pools) {
        p.close();
      }
      for (RelayBenchDatabase d : dbs) {
        d.close();
      }
    }
  }

  private long[] awaitDrained(
      String topic, long t0, BenchKafka.SqlCheck empty, BenchKafka.SqlText left) throws Exception {
    return kafka.awaitDrained(
        topic,
        settings.partitions(),
        settings.messages(),
        t0,
        settings.timeoutSeconds(),
        empty,
        left);
  }

  private static boolean allEmpty(List<RelayBenchDatabase> dbs) throws java.sql.SQLException {
    for (RelayBenchDatabase d : dbs) {
      if (!d.outboxEmpty()) {
        return false;
      }
    }
    return true;
  }

  private Result finish(
      String topic,
      List<Relay> relays,
      List<HikariDataSource> pools,
      SqlTimer timer,
      long t0,
      long acked,
      long tEnd,
      CpuMeter.Usage cpu,
      List<String> notes,
      Map<String, Double> figures) {
    timer.disable();
    long published = kafka.endOffsetSum(topic, settings.partitions());
    if (published != settings.messages()) {
      notes.add(
          String.format(
              "NOTE: topic holds %,d records for %,d messages (%,d duplicates)",
              published, settings.messages(), published - settings.messages()));
    }
    // the drain ends when Kafka has every record, as the producer's ends when flush() returns;
    // the final DELETE's commit (outbox empty) is reported apart
    figures.put("emptyMs", (tEnd - t0) / 1e6);
    return new Result(
        "relay", (acked - t0) / 1e9, (acked - t0) / 1e9, published, cpu, notes, figures);
  }

  /**
   * Waits until the shards are spread as the relays spread them (at most 30 s): all owned, none
   * above the fair share ceil(shards / relays), so the last relay may hold the remainder (64 over 3
   * relays: 22, 22, 20).
   */
  private void awaitBalanced(List<Relay> relays) throws InterruptedException {
    int fair = -Math.floorDiv(-settings.shards(), relays.size());
    int least = settings.shards() - (relays.size() - 1) * fair;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      int total = 0;
      boolean ok = true;
      for (Relay r : relays) {
        int owned = r.status().ownedShards().size();
        total += owned;
        ok &= owned >= Math.min(least, fair) && owned <= fair;
      }
      if (ok && total == settings.shards()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("leases did not balance within 30 s");
  }

  /** Publishes one message per key to another topic, so every relay's producer exists. */
  private void prime(String topic, List<Relay> relays) throws Exception {
    kafka.createTopic(topic, settings.partitions());
    RelayBenchDatabase.Backlog keysOnce =
        new RelayBenchDatabase.Backlog(settings.keys() * 2, settings.keys(), 64);
    db.insertBacklog(keysOnce, topic, true);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!db.outboxEmpty()
        || kafka.endOffsetSum(topic, settings.partitions()) < keysOnce.messages()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("priming backlog not drained within 60 s");
      }
      Thread.sleep(20);
    }
    db.truncate();
    db.settle();
  }

  private void diagnose(
      SqlTimer timer,
      SimpleMeterRegistry registry,
      List<String> ids,
      long t0,
      long tEnd,
      List<String> notes,
      Map<String, Double> figures) {
    List<SqlTimer.Call> calls = timer.calls();
    double wall = (tEnd - t0) / 1e6;
    double loopSqlTotal = 0;
    double[] tenths = new double[10];
    for (String id : ids) {
      // the publish path's threads: the loop and the claim thread (the maintenance and listener
      // threads' names also end with the id)
      List<SqlTimer.Call> path = threads(calls, "waybill-relay-" + id, "waybill-relay-claim-" + id);
      Map<SqlTimer.Kind, double[]> loop = SqlTimer.summary(path, "", t0);
      double sql = 0;
      for (double[] v : loop.values()) {
        sql += v[1];
      }
      loopSqlTotal += sql;
      double[] claim = loop.getOrDefault(SqlTimer.Kind.CLAIM, new double[6]);
      double[] claimTx = loop.getOrDefault(SqlTimer.Kind.CLAIM_TX, new double[6]);
      double[] delete =
          SqlTimer.summary(threads(calls, "waybill-relay-delete-" + id), "", t0)
              .getOrDefault(SqlTimer.Kind.DELETE, new double[6]);
      double[] lease = loop.getOrDefault(SqlTimer.Kind.LEASE, new double[6]);
      double[] conn = loop.getOrDefault(SqlTimer.Kind.CONNECTION, new double[6]);
      figures.merge("claimMs", claim[1] + claimTx[1], Double::sum);
      figures.merge("deleteMs", delete[1], Double::sum);
      figures.merge("claims", claim[0], Double::sum);
      double[] trend = claimTrend(path, t0, tEnd);
      for (int i = 0; i < 10; i++) {
        tenths[i] += trend[i] / ids.size();
      }
      if (settings.diagnose()) {
        notes.add(
            String.format(
                "%s loop and claim threads: %.0f of %.0f ms in SQL (%.0f%%): claim %d× total %.0f ms (mean"
                    + " %.1f, p50 %.1f, p99 %.1f, max %.1f; + its transaction %.0f ms); delete thread %d× total %.0f ms (mean %.1f,"
                    + " p99 %.1f); leases %d× %.0f ms; getConnection %d× %.0f ms",
                id,
                sql,
                wall,
                100 * sql / wall,
                (int) claim[0],
                claim[1],
                claim[2],
                claim[3],
                claim[4],
                claim[5],
                claimTx[1],
                (int) delete[0],
                delete[1],
                delete[2],
                delete[4],
                (int) lease[0],
                lease[1],
                (int) conn[0],
                conn[1]));
        notes.add(id + " claim ms by tenth of the drain: " + tenths(trend));
        notes.add(
            id
                + " producer: "
                + BenchKafka.format(BenchKafka.producerMetrics("waybill-relay-" + id)));
        DistributionSummary batches =
            registry.find("waybill.relay.batch.size").tag("instance", id).summary();
        if (batches != null) {
          notes.add(
              String.format(
                  "%s batches: %d claimed, mean %.0f rows, max %.0f",
                  id, batches.count(), batches.mean(), batches.max()));
        }
      }
    }
    Map<SqlTimer.Kind, double[]> maint = SqlTimer.summary(calls, "-maint-", t0);
    double[] backlogQ = maint.getOrDefault(SqlTimer.Kind.BACKLOG, new double[6]);
    if (settings.diagnose()) {
      notes.add(
          String.format(
              "maintenance threads: backlog gauges %d× total %.0f ms (mean %.1f ms, max %.1f ms)",
              (int) backlogQ[0], backlogQ[1], backlogQ[2], backlogQ[5]));
    }
    figures.put("loopSqlMs", loopSqlTotal);
    for (int i = 0; i < 10; i++) {
      figures.put("claimTenth" + i, tenths[i]);
    }
  }

  private static List<SqlTimer.Call> threads(List<SqlTimer.Call> calls, String... names) {
    List<String> wanted = List.of(names);
    List<SqlTimer.Call> out = new ArrayList<>();
    for (SqlTimer.Call c : calls) {
      if (wanted.contains(c.thread())) {
        out.add(c);
      }
    }
    return out;
  }

  /** The mean claim time in ms by tenth of the drain (NaN: no claim in that tenth). */
  private static double[] claimTrend(List<SqlTimer.Call> calls, long t0, long tEnd) {
    double[] sum = new double[10];
    int[] count = new int[10];
    for (SqlTimer.Call c : calls) {
      boolean claim = c.kind() == SqlTimer.Kind.CLAIM;
      if (!(claim || c.kind() == SqlTimer.Kind.CLAIM_TX) || c.startNanos() < t0) {
        continue;
      }
      // a claim's time is its SELECT and the round trips of its transaction
      int tenth = (int) Math.min(9, 10 * (c.startNanos() - t0) / Math.max(1, tEnd - t0));
      sum[tenth] += c.nanos() / 1e6;
      count[tenth] += claim ? 1 : 0;
    }
    double[] out = new double[10];
    for (int i = 0; i < 10; i++) {
      out[i] = count[i] == 0 ? Double.NaN : sum[i] / count[i];
    }
    return out;
  }

  private static String tenths(double[] v) {
    StringBuilder b = new StringBuilder();
    for (double x : v) {
      b.append(Double.isNaN(x) ? "  -  " : String.format("%5.2f", x)).append(' ');
    }
    return b.toString().trim();
  }

  private void report(Map<String, List<Result>> results) {
    int n = settings.messages();
    System.out.println();
    System.out.printf(
        "relay-drain results (%s%s): %,d messages of %d B over %,d keys, %d partitions; relay"
            + " batch.size %d; medians of %d runs%n",
        settings.postgres() ? "PostgreSQL" : "MariaDB",
        settings.freshJvm() ? ", every run in a fresh JVM" : "",
        n,
        settings.payloadBytes(),
        settings.keys(),
        settings.partitions(),
        settings.batchSize(),
        settings.runs());
    System.out.println();
    System.out.println(
        "| variant | msg/s (median) | min–max | × same-record producer | × bare (no headers) | CPU-s"
            + " per 100k: total (client / broker / database) | CPU busy % |");
    System.out.println("|---|---:|---:|---:|---:|---|---:|");
    for (Map.Entry<String, List<Result>> e : results.entrySet()) {
      List<Result> rs = e.getValue();
      double[] rate = rs.stream().mapToDouble(r -> r.perSecond(n)).toArray();
      double[] busy = rs.stream().mapToDouble(r -> r.cpu().busyPercent()).toArray();
      double per = 100_000.0 / n;
      double[] self = rs.stream().mapToDouble(r -> r.cpu().self() * per).toArray();
      double[] brk = rs.stream().mapToDouble(r -> r.cpu().broker() * per).toArray();
      double[] dbs = rs.stream().mapToDouble(r -> r.cpu().db() * per).toArray();
      double[] total = rs.stream().mapToDouble(r -> cost(r, n)).toArray();
      System.out.printf(
          "| %s | %,.0f | %,.0f–%,.0f | %s | %s | %.2f (%.2f / %.2f / %.2f) | %.0f |%n",
          e.getKey(),
          LatencyStats.median(rate),
          Arrays.stream(rate).min().orElse(0),
          Arrays.stream(rate).max().orElse(0),
          ratio(results, e.getKey(), PRODUCER, false),
          ratio(results, e.getKey(), "bare", false),
          LatencyStats.median(total),
          LatencyStats.median(self),
          LatencyStats.median(brk),
          LatencyStats.median(dbs),
          LatencyStats.median(busy));
    }
    System.out.println();
    for (String v : results.keySet()) {
      List<Result> rs = results.get(v);
      if (rs.isEmpty() || !rs.get(0).figures().containsKey("emptyMs")) {
        continue;
      }
      String line =
          String.format(
              "%s medians: Kafka had every record %.2f s after start; outbox empty %.2f s",
              v, median(rs, r -> r.seconds()), median(rs, r -> r.figures().get("emptyMs") / 1e3));
      if (rs.get(0).figures().containsKey("startMs")) {
        line +=
            String.format(
                "; start() took %.0f ms; first record in the topic %.0f ms after start() was"
                    + " called",
                median(rs, r -> r.figures().get("startMs")),
                median(rs, r -> r.figures().get("firstRecordMs")));
      }
      System.out.println(line);
      if (rs.get(0).figures().containsKey("claimTenth0")) {
        double[] t = new double[10];
        for (int i = 0; i < 10; i++) {
          String k = "claimTenth" + i;
          t[i] = median(rs, r -> r.figures().get(k));
        }
        System.out.printf(
            "%s claim ms (SELECT + its transaction's round trips) by tenth of the drain: %s;"
                + " claim total %.0f ms in %.0f claims%n",
            v,
            tenths(t),
            median(rs, r -> r.figures().get("claimMs")),
            median(rs, r -> r.figures().get("claims")));
      }
    }
    System.out.println();
    targets(results, "relay1", "relay3");
    if (results.containsKey("relay1-warm") && results.containsKey("relay3-warm")) {
      targets(results, "relay1-warm", "relay3-warm");
    }
  }

  private interface Figure {
    double of(Result r);
  }

  private static double median(List<Result> rs, Figure f) {
    double[] v = new double[rs.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = f.of(rs.get(i));
    }
    return LatencyStats.median(v);
  }

  /** CPU-seconds of client, broker and database per 100,000 messages. */
  private static double cost(Result r, int n) {
    return (r.cpu().self() + r.cpu().broker() + r.cpu().db()) * 100_000.0 / n;
  }

  /**
   * The median of per-round ratios of {@code variant} to {@code reference}: throughput, or CPU cost
   * per message when {@code byCost}; NaN when either did not run.
   */
  private double ratioValue(
      Map<String, List<Result>> results, String variant, String reference, boolean byCost) {
    int n = settings.messages();
    List<Result> a = results.get(variant);
    List<Result> b = results.get(reference);
    if (a == null || b == null || a.isEmpty() || a.size() != b.size()) {
      return Double.NaN;
    }
    double[] ratios = new double[a.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] =
          byCost
              ? cost(a.get(i), n) / cost(b.get(i), n)
              : a.get(i).perSecond(n) / b.get(i).perSecond(n);
    }
    return LatencyStats.median(ratios);
  }

  private String ratio(
      Map<String, List<Result>> results, String variant, String reference, boolean byCost) {
    double r = ratioValue(results, variant, reference, byCost);
    return Double.isNaN(r) ? "–" : String.format("%.2f", r);
  }

  private void targets(Map<String, List<Result>> results, String oneName, String threeName) {
    target(results, oneName, PRODUCER, false, 0.7, "≥ 0.70 × the same-record producer");
    target(results, oneName, PRODUCER, true, -1.6, "CPU per message ≤ 1.6 × the producer's");
    target(results, threeName, oneName, false, 0.95, "≥ 0.95 × " + oneName);
    target(results, threeName, oneName, true, -1.15, "CPU per message ≤ 1.15 × " + oneName + "'s");
    double bare = ratioValue(results, oneName, "bare", false);
    if (!Double.isNaN(bare)) {
      System.out.printf(
          "beside it: %s / bare producer without headers = %.2f; same-record producer / bare ="
              + " %s%n",
          oneName, bare, ratio(results, PRODUCER, "bare", false));
    }
    double naive = ratioValue(results, oneName, "naive", false);
    if (!Double.isNaN(naive)) {
      System.out.printf("beside it: %s / naive SQL relay = %.2f%n", oneName, naive);
    }
  }

  /** Prints one target: at least {@code bound}, or at most {@code -bound} when negative. */
  private void target(
      Map<String, List<Result>> results,
      String variant,
      String reference,
      boolean byCost,
      double bound,
      String what) {
    double r = ratioValue(results, variant, reference, byCost);
    if (Double.isNaN(r)) {
      return;
    }
    boolean met = bound >= 0 ? r >= bound : r <= -bound;
    System.out.printf(
        "target %s %s: %.2f (median of per-round ratios) → %s%n",
        variant, what, r, met ? "MET" : "NOT MET");
  }

  static Map<String, String> dbSettings(ProgramArgs a) {
    return pairs(a, "db-setting");
  }

  /** {@code name=value[,name=value]} of an option. */
  static Map<String, String> pairs(ProgramArgs a, String option) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (String kv : a.string(option).split(",")) {
      if (kv.isBlank()) {
        continue;
      }
      int eq = kv.indexOf('=');
      if (eq < 1) {
        a.problem("'" + kv + "' → --" + option + " → expected name=value");
        continue;
      }
      out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return out;
  }

  /**
   * Waits up to {@code seconds} until the machine is idle (less than 15 % busy over one second), so
   * that other processes (builds, tests) do not distort the next timed run; says so when it gives
   * up.
   */
  static void awaitQuiet(int seconds) throws InterruptedException {
    if (seconds <= 0) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    double busy = CpuMeter.busyPercent(1000);
    while (busy >= 15 && System.nanoTime() < deadline) {
      busy = CpuMeter.busyPercent(1000);
    }
    if (busy >= 15) {
      System.out.printf(
          "         NOTE: the machine was still %.0f%% busy after waiting %d s for it to be idle;"
              + " the next run shares it with another process%n",
          busy, seconds);
    }
  }
}
