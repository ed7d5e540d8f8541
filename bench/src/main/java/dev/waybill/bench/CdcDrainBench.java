package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.testkit.KafkaBrokerProcess;
import dev.waybill.testkit.ProgramArgs;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Backlog drain of the CDC relay (issue 6: CDC drain ≥ polling drain), next to the polling relay
 * and a bare producer, in one run against one PostgreSQL with {@code wal_level=logical} (embedded
 * by default; the machine's cluster may run {@code wal_level=replica}).
 *
 * <p>A backlog of N outbox rows (the relay-drain backlog: 256-byte payloads over 1,000 keys,
 * multi-row INSERTs in one transaction, untimed) is drained to a fresh 6-partition topic:
 *
 * <ul>
 *   <li>{@code bare}: a bare {@code KafkaProducer} (acks=all, idempotent) sends the same N records,
 *       timed from producer creation until {@code flush()} returned;
 *   <li>{@code polling}: one polling relay (batch.size {@code --batch-size}, 64 shards), timed from
 *       just before {@code start()} until the table is empty and the end offsets add up to N;
 *   <li>{@code cdc}: one CDC relay on a slot created before the backlog was written (so the WAL
 *       holds the inserts), timed from just before {@code start()} until the end offsets add up to
 *       N and the table is empty (the CDC relay deletes the rows it published, as in table mode);
 *       the slot is dropped after every run;
 *   <li>{@code cdc-transient}, {@code cdc-message}: the same N messages written by the outbox
 *       writer in one transaction so that the table stays empty (rows inserted and deleted in the
 *       transaction, {@code deleteAfterInsert}; or message mode, {@code pg_logical_emit_message})
 *       and drained by a CDC relay, which then has no rows to delete.
 * </ul>
 *
 * Variants alternate within each round and their order rotates from round to round; the first
 * {@code --warmup-runs} rounds are not counted. Medians of the counted rounds, and medians of the
 * per-round ratios, are reported. Figures never decide an exit code.
 */
public final class CdcDrainBench {
  static final List<String> ALL_VARIANTS =
      List.of("bare", "polling", "cdc", "cdc-transient", "cdc-message");

  private record Settings(
      String url,
      String user,
      String password,
      int messages,
      int keys,
      int payloadBytes,
      int partitions,
      int runs,
      int warmupRuns,
      List<String> variants,
      int batchSize,
      String bootstrap,
      Path workDir,
      int quietWaitSeconds,
      int timeoutSeconds) {}

  private record Result(double seconds, long published, CpuMeter.Usage cpu, String load) {}

  private final Settings settings;
  private final RelayBenchDatabase.Backlog backlog;
  private KafkaBrokerProcess broker;
  private BenchKafka kafka;
  private RelayBenchDatabase db;

  private CdcDrainBench(Settings settings) {
    this.settings = settings;
    this.backlog =
        new RelayBenchDatabase.Backlog(
            settings.messages(), settings.keys(), settings.payloadBytes());
  }

  /** Entry point of {@code cdc-drain}. */
  public static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "cdc-drain")
            .option(
                "url",
                "",
                "admin JDBC URL of a PostgreSQL with wal_level=logical; default: start an embedded"
                    + " PostgreSQL with wal_level=logical, synchronous_commit=on")
            .option("user", "postgres", "database user (with --url)")
            .option("password", "", "database password (with --url)")
            .option("messages", "200000", "outbox rows per drain")
            .option("keys", "1000", "distinct message keys")
            .option("payload-bytes", "256", "payload size")
            .option("partitions", "6", "partitions of each (fresh) topic")
            .option("runs", "3", "counted rounds (each runs every variant once)")
            .option("warmup-runs", "1", "rounds run first and not counted")
            .option(
                "variants",
                "bare,polling,cdc,cdc-transient,cdc-message",
                "comma-separated, from " + ALL_VARIANTS)
            .option("batch-size", "2000", "relay.batch.size of the polling relay (as relay-drain)")
            .option(
                "bootstrap",
                "",
                "an existing Kafka broker; default: start one in a separate JVM from this jar")
            .option("work-dir", "target/cdc-bench", "where the broker's log dir goes")
            .option(
                "quiet-wait",
                "20",
                "seconds to wait before each timed run for the machine to be idle (< 15 % busy);"
                    + " 0 disables")
            .option("timeout", "300", "seconds a drain may take before the run fails")
            .parse(args);
    List<String> variants = new ArrayList<>();
    for (String s : a.string("variants").split(",")) {
      String t = s.trim();
      if (!ALL_VARIANTS.contains(t)) {
        a.problem("'" + t + "' → --variants → expected some of " + ALL_VARIANTS);
      }
      variants.add(t);
    }
    Settings s =
        new Settings(
            a.string("url"),
            a.string("user"),
            a.string("password"),
            a.integer("messages", 1000, 10_000_000),
            a.integer("keys", 1, 1_000_000),
            a.integer("payload-bytes", 64, 1_000_000),
            a.integer("partitions", 1, 1000),
            a.integer("runs", 1, 100),
            a.integer("warmup-runs", 0, 100),
            List.copyOf(variants),
            a.integer("batch-size", 1, 10_000),
            a.string("bootstrap"),
            Path.of(a.string("work-dir")),
            a.integer("quiet-wait", 0, 3600),
            a.integer("timeout", 10, 3600));
    if (!s.url().isBlank() && !s.url().startsWith("jdbc:postgresql:")) {
      a.problem("'" + s.url() + "' → --url → cdc-drain needs PostgreSQL");
    }
    a.requireValid();
    new CdcDrainBench(s).run();
  }

  private void run() throws Exception {
    long started = System.nanoTime();
    try (CdcBenchSupport.Server server =
            CdcBenchSupport.Server.open(settings.url(), settings.user(), settings.password());
        KafkaBrokerProcess b =
            KafkaBrokerProcess.startOrUse(settings.bootstrap(), settings.workDir());
        BenchKafka k = new BenchKafka(b.bootstrapServers());
        RelayBenchDatabase d =
            RelayBenchDatabase.create(
                server.adminUrl(),
                server.user(),
                server.password(),
                "waybill_bench_cdc",
                Map.of())) {
      broker = b;
      kafka = k;
      db = d;
      CdcBenchSupport.createPublication(db);
      System.out.printf(
          "cdc-drain: %,d messages of %d B over %,d keys, %d partitions; polling relay batch.size"
              + " %d; %d counted rounds after %d warm-up round(s)%n",
          settings.messages(),
          settings.payloadBytes(),
          settings.keys(),
          settings.partitions(),
          settings.batchSize(),
          settings.runs(),
          settings.warmupRuns());
      System.out.println(CdcBenchSupport.environment(db, server, broker));
      Map<String, List<Result>> results = new LinkedHashMap<>();
      settings.variants().forEach(v -> results.put(v, new ArrayList<>()));
      int rounds = settings.warmupRuns() + settings.runs();
      for (int round = 0; round < rounds; round++) {
        boolean counted = round >= settings.warmupRuns();
        List<String> order = new ArrayList<>(settings.variants());
        Collections.rotate(order, -round);
        for (String variant : order) {
          String topic = "bench-cdc-drain-" + round + "-" + variant;
          kafka.createTopic(topic, settings.partitions());
          RelayDrainBench.awaitQuiet(settings.quietWaitSeconds());
          String load = CdcBenchSupport.loadAverage();
          Result r =
              switch (variant) {
                case "bare" -> bare(topic, load);
                case "polling" -> polling(topic, round, load);
                case "cdc-message" -> cdcWritten(topic, round, load, true);
                case "cdc-transient" -> cdcWritten(topic, round, load, false);
                default -> cdc(topic, round, load);
              };
          kafka.deleteTopic(topic);
          System.out.printf(
              "%s %d/%d %-8s %9.0f msg/s  drain %6.2f s  published %,d  load %s  %s%n",
              counted ? "run   " : "warmup",
              counted ? round - settings.warmupRuns() + 1 : round + 1,
              counted ? settings.runs() : settings.warmupRuns(),
              variant,
              settings.messages() / r.seconds(),
              r.seconds(),
              r.published(),
              r.load(),
              r.cpu().line());
          if (counted) {
            results.get(variant).add(r);
          }
        }
      }
      report(results);
      long left = CdcBenchSupport.slotsLeft(db);
      System.out.println("replication slots left in the cluster: " + left);
    }
    System.out.printf("cdc-drain finished in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  private Result bare(String topic, String load) throws Exception {
    int n = settings.messages();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-cdc-bare");
    byte[][] keys = new byte[n][];
    byte[][] values = new byte[n][];
    for (int i = 0; i < n; i++) {
      keys[i] = backlog.keyBytes(i);
      values[i] = backlog.payload(i);
    }
    AtomicLong failures = new AtomicLong();
    AtomicReference<Exception> first = new AtomicReference<>();
    CpuMeter.Snapshot cpu0 = new CpuMeter.Snapshot(broker.pid());
    long t0 = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) {
        producer.send(
            new ProducerRecord<>(topic, keys[i], values[i]),
            (md, e) -> {
              if (e != null) {
                failures.incrementAndGet();
                first.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
      long t1 = System.nanoTime();
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
      if (failures.get() > 0) {
        throw new IllegalStateException(failures.get() + " sends failed: " + first.get());
      }
      return new Result(
          (t1 - t0) / 1e9, kafka.endOffsetSum(topic, settings.partitions()), cpu0.to(cpu1), load);
    }
  }

  private Result polling(String topic, int round, String load) throws Exception {
    db.truncate();
    db.insertBacklog(backlog, topic, false);
    db.settle();
    RelayConfig config =
        RelayConfig.builder()
            .instanceId("bench-polling-" + round)
            .bootstrapServers(kafka.bootstrap())
            .batchSize(settings.batchSize())
            .httpPort(-1)
            .build();
    try (HikariDataSource pool = db.pool("relay-polling-" + round, 4)) {
      return drain(topic, Relay.builder().config(config).dataSource(pool).build(), load);
    }
  }

  private Result cdc(String topic, int round, String load) throws Exception {
    db.truncate();
    String slot = "waybill_bench_cdc_" + round;
    CdcBenchSupport.createSlot(db, slot); // before the backlog: its WAL is decoded
    try (HikariDataSource pool = db.pool("relay-cdc-" + round, 4)) {
      try {
        db.insertBacklog(backlog, topic, false);
        db.settle();
        RelayConfig config =
            CdcBenchSupport.cdcRelay("bench-cdc-" + round, slot, db)
                .bootstrapServers(kafka.bootstrap())
                .build();
        return drain(topic, Relay.builder().config(config).dataSource(pool).build(), load);
      } finally {
        CdcBenchSupport.dropSlot(pool, slot);
      }
    }
  }

  /**
   * The same backlog written through the outbox writer in one transaction so that the table stays
   * empty: in message mode ({@code pg_logical_emit_message}, no table rows) or in table mode with
   * {@code deleteAfterInsert} (each row inserted and deleted in the transaction; the relay reads
   * the inserts and has nothing to delete).
   */
  private Result cdcWritten(String topic, int round, String load, boolean messageMode)
      throws Exception {
    db.truncate();
    String slot = "waybill_bench_cdc" + (messageMode ? "m_" : "t_") + round;
    CdcBenchSupport.createSlot(db, slot);
    try (HikariDataSource pool = db.pool("relay-" + slot, 4)) {
      try {
        Outbox outbox =
            Outbox.builder()
                .config(
                    messageMode
                        ? OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build()
                        : OutboxConfig.builder().deleteAfterInsert(true).build())
                .build();
        try (Connection c = db.connect()) {
          c.setAutoCommit(false);
          List<OutboxMessage> chunk = new ArrayList<>(1000);
          for (int i = 0; i < settings.messages(); i++) {
            chunk.add(
                OutboxMessage.builder()
                    .topic(topic)
                    .key(backlog.key(i))
                    .eventType(RelayBenchDatabase.Backlog.EVENT_TYPE)
                    .payload(Payload.of(backlog.payload(i), Payload.APPLICATION_JSON))
                    .build());
            if (chunk.size() == 1000) {
              outbox.writeAll(c, chunk);
              chunk.clear();
            }
          }
          outbox.writeAll(c, chunk);
          c.commit();
        }
        db.settle();
        RelayConfig config =
            CdcBenchSupport.cdcRelay("bench-" + slot, slot, db)
                .bootstrapServers(kafka.bootstrap())
                // the relay reads emitted messages only in message mode
                .outbox(
                    OutboxConfig.builder()
                        .writeMode(
                            messageMode
                                ? OutboxConfig.WriteMode.MESSAGE
                                : OutboxConfig.WriteMode.TABLE)
                        .build())
                .build();
        return drain(topic, Relay.builder().config(config).dataSource(pool).build(), load);
      } finally {
        CdcBenchSupport.dropSlot(pool, slot);
      }
    }
  }

  /** Starts the relay and waits until the topic holds N records and the table is empty. */
  private Result drain(String topic, Relay relay, String load) throws Exception {
    int n = settings.messages();
    kafka.endOffsetSum(topic, settings.partitions()); // metadata fetched, untimed
    try (Relay r = relay) {
      CpuMeter.Snapshot cpu0 = new CpuMeter.Snapshot(broker.pid());
      long t0 = System.nanoTime();
      r.start();
      long t1 =
          kafka
              .awaitDrained(
                  topic,
                  settings.partitions(),
                  n,
                  t0,
                  settings.timeoutSeconds(),
                  db::outboxEmpty,
                  () -> db.outboxCount() + " rows left")[1];
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
      return new Result(
          (t1 - t0) / 1e9, kafka.endOffsetSum(topic, settings.partitions()), cpu0.to(cpu1), load);
    }
  }

  private void report(Map<String, List<Result>> results) {
    int n = settings.messages();
    System.out.println();
    System.out.printf(
        "cdc-drain results: %,d messages of %d B over %,d keys, %d partitions; medians of %d"
            + " runs%n%n",
        n, settings.payloadBytes(), settings.keys(), settings.partitions(), settings.runs());
    System.out.println(
        "| variant | msg/s (median) | min–max | drain s (median) | × bare | × polling | CPU busy"
            + " % |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    for (Map.Entry<String, List<Result>> e : results.entrySet()) {
      List<Result> rs = e.getValue();
      double[] rate = rs.stream().mapToDouble(r -> n / r.seconds()).toArray();
      System.out.printf(
          "| %s | %,.0f | %,.0f–%,.0f | %.2f | %s | %s | %.0f |%n",
          e.getKey(),
          LatencyStats.median(rate),
          Arrays.stream(rate).min().orElse(0),
          Arrays.stream(rate).max().orElse(0),
          LatencyStats.median(rs.stream().mapToDouble(Result::seconds).toArray()),
          ratio(results, e.getKey(), "bare"),
          ratio(results, e.getKey(), "polling"),
          LatencyStats.median(rs.stream().mapToDouble(r -> r.cpu().busyPercent()).toArray()));
    }
    System.out.println();
    for (String v : List.of("cdc-transient", "cdc-message")) {
      String mm = ratio(results, v, "polling");
      if (!mm.equals("–")) {
        System.out.printf(
            "%s (the table stays empty) / polling = %s (median of per-round ratios)%n", v, mm);
      }
    }
    String m = ratio(results, "cdc", "polling");
    if (!m.equals("–")) {
      double v = Double.parseDouble(m);
      System.out.printf(
          "target cdc drain ≥ polling drain: cdc/polling = %s (median of per-round ratios) → %s%n",
          m, v >= 1.0 ? "MET" : v >= 0.97 ? "equal within 3 % (noise)" : "NOT MET");
    }
  }

  /** Median of per-round ratios a/b of msg/s, "–" when either is missing. */
  private static String ratio(Map<String, List<Result>> results, String a, String b) {
    List<Result> x = results.get(a);
    List<Result> y = results.get(b);
    if (x == null || y == null || x.isEmpty() || y.isEmpty()) {
      return "–";
    }
    double[] r = new double[Math.min(x.size(), y.size())];
    for (int i = 0; i < r.length; i++) {
      r[i] = y.get(i).seconds() / x.get(i).seconds();
    }
    return String.format(java.util.Locale.ROOT, "%.2f", LatencyStats.median(r));
  }
}
