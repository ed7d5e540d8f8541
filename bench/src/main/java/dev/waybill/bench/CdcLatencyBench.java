package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.testkit.KafkaBrokerProcess;
import dev.waybill.testkit.ProgramArgs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Commit-to-receipt latency of the CDC relay at a steady offered load (issue 6: p99 ≤ 25 ms at
 * 1,000 msg/s), next to the polling relay (LISTEN/NOTIFY) and a bare producer, in one run against
 * one PostgreSQL with {@code wal_level=logical} (embedded by default).
 *
 * <p>As relay-latency: {@code --writers} threads commit single-message transactions through {@link
 * Outbox#write} on a fixed open-loop schedule adding up to {@code --rate} msg/s (no coordinated
 * omission); a consumer assigned to every partition records each message's receipt; latency =
 * receipt minus the writer's time right after {@code commit()} returned (one JVM, {@link
 * System#nanoTime()}). Variants: {@code polling} (table mode, NOTIFY on, default relay settings),
 * {@code cdc} (table mode, the CDC relay deletes the rows), {@code cdc-message} (message mode: no
 * row, {@code pg_logical_emit_message}), {@code bare} (a bare producer, acks=all, sends on the same
 * schedule; latency from just before {@code send()}). Messages of the first {@code --warmup}
 * seconds are not counted. Figures never decide an exit code.
 */
public final class CdcLatencyBench {
  static final List<String> ALL_VARIANTS = List.of("bare", "polling", "cdc", "cdc-message");

  private record Settings(
      String url,
      String user,
      String password,
      int rate,
      int writers,
      int warmupSeconds,
      int seconds,
      int runs,
      List<String> variants,
      int partitions,
      int keys,
      int payloadBytes,
      String bootstrap,
      Path workDir,
      int quietWaitSeconds) {}

  private record Result(
      double p50, double p99, double max, int measured, int missing, String load) {}

  private final Settings settings;
  private final String[] keys;
  private KafkaBrokerProcess broker;
  private BenchKafka kafka;
  private RelayBenchDatabase db;

  private CdcLatencyBench(Settings settings) {
    this.settings = settings;
    this.keys = new String[settings.keys()];
    for (int k = 0; k < keys.length; k++) {
      keys[k] = String.format("order-%04d", k);
    }
  }

  /** Entry point of {@code cdc-latency}. */
  public static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "cdc-latency")
            .option(
                "url",
                "",
                "admin JDBC URL of a PostgreSQL with wal_level=logical; default: start an embedded"
                    + " PostgreSQL with wal_level=logical, synchronous_commit=on")
            .option("user", "postgres", "database user (with --url)")
            .option("password", "", "database password (with --url)")
            .option("rate", "1000", "offered messages per second, all writers together")
            .option("writers", "4", "writer threads, one connection each")
            .option("warmup", "5", "seconds written first and not counted, per variant and run")
            .option("seconds", "20", "measured seconds per variant and run")
            .option("runs", "3", "rounds (each runs every variant once, order rotating)")
            .option("variants", "bare,polling,cdc,cdc-message", "from " + ALL_VARIANTS)
            .option("partitions", "6", "partitions of each (fresh) topic")
            .option("keys", "1000", "distinct message keys")
            .option("payload-bytes", "256", "payload size")
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
            a.integer("rate", 1, 100_000),
            a.integer("writers", 1, 64),
            a.integer("warmup", 0, 600),
            a.integer("seconds", 1, 3600),
            a.integer("runs", 1, 100),
            List.copyOf(variants),
            a.integer("partitions", 1, 1000),
            a.integer("keys", 1, 1_000_000),
            a.integer("payload-bytes", 64, 1_000_000),
            a.string("bootstrap"),
            Path.of(a.string("work-dir")),
            a.integer("quiet-wait", 0, 3600));
    if (!s.url().isBlank() && !s.url().startsWith("jdbc:postgresql:")) {
      a.problem("'" + s.url() + "' → --url → cdc-latency needs PostgreSQL");
    }
    a.requireValid();
    new CdcLatencyBench(s).run();
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
                "waybill_bench_cdc_latency",
                Map.of())) {
      broker = b;
      kafka = k;
      db = d;
      CdcBenchSupport.createPublication(db);
      System.out.printf(
          "cdc-latency: %,d msg/s offered by %d writers (single-message transactions), %d s"
              + " warm-up + %d s measured per variant, %d rounds; payload %d B over %,d keys, %d"
              + " partitions%n",
          settings.rate(),
          settings.writers(),
          settings.warmupSeconds(),
          settings.seconds(),
          settings.runs(),
          settings.payloadBytes(),
          settings.keys(),
          settings.partitions());
      System.out.println(CdcBenchSupport.environment(db, server, broker));
      Map<String, List<Result>> results = new LinkedHashMap<>();
      settings.variants().forEach(v -> results.put(v, new ArrayList<>()));
      for (int round = 0; round < settings.runs(); round++) {
        List<String> order = new ArrayList<>(settings.variants());
        Collections.rotate(order, -round);
        for (String variant : order) {
          RelayDrainBench.awaitQuiet(settings.quietWaitSeconds());
          Result r = runOnce(variant, round);
          results.get(variant).add(r);
          System.out.printf(
              "run %d/%d %-12s p50 %6.1f ms  p99 %6.1f ms  max %7.1f ms  measured %,d  missing %d"
                  + "  load %s%n",
              round + 1,
              settings.runs(),
              variant,
              r.p50(),
              r.p99(),
              r.max(),
              r.measured(),
              r.missing(),
              r.load());
        }
      }
      System.out.println();
      System.out.printf(
          "cdc-latency results: commit→receipt at %,d msg/s offered; medians of %d runs%n%n",
          settings.rate(), settings.runs());
      System.out.println("| variant | p50 ms | p99 ms | p99 min–max | max ms | missing |");
      System.out.println("|---|---:|---:|---:|---:|---:|");
      for (Map.Entry<String, List<Result>> e : results.entrySet()) {
        List<Result> rs = e.getValue();
        double[] p99 = rs.stream().mapToDouble(Result::p99).toArray();
        System.out.printf(
            "| %s | %.1f | %.1f | %.1f–%.1f | %.1f | %d |%n",
            e.getKey(),
            LatencyStats.median(rs.stream().mapToDouble(Result::p50).toArray()),
            LatencyStats.median(p99),
            Arrays.stream(p99).min().orElse(0),
            Arrays.stream(p99).max().orElse(0),
            LatencyStats.median(rs.stream().mapToDouble(Result::max).toArray()),
            rs.stream().mapToInt(Result::missing).sum());
      }
      System.out.println();
      for (String v : List.of("cdc", "cdc-message")) {
        List<Result> rs = results.get(v);
        if (rs != null && !rs.isEmpty()) {
          double p99 = LatencyStats.median(rs.stream().mapToDouble(Result::p99).toArray());
          System.out.printf(
              "target %s p99 ≤ 25 ms: %.1f ms → %s%n", v, p99, p99 <= 25 ? "MET" : "NOT MET");
        }
      }
      System.out.println("replication slots left in the cluster: " + CdcBenchSupport.slotsLeft(db));
    }
    System.out.printf("cdc-latency finished in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  private Result runOnce(String variant, int round) throws Exception {
    String topic = "bench-cdc-latency-" + round + "-" + variant;
    kafka.createTopic(topic, settings.partitions());
    db.truncate();
    String load = CdcBenchSupport.loadAverage();
    String slot = "waybill_bench_cdc_lat_" + round;
    boolean cdc = variant.startsWith("cdc");
    OutboxConfig outboxConfig =
        variant.equals("cdc-message")
            ? OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build()
            : OutboxConfig.builder().build();
    HikariDataSource relayPool = null;
    Relay relay = null;
    KafkaProducer<byte[], byte[]> producer = null;
    try {
      if (variant.equals("bare")) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        producer.partitionsFor(topic);
      } else {
        relayPool = db.pool("relay-" + variant + "-" + round, 4);
        RelayConfig config =
            cdc
                ? CdcBenchSupport.cdcRelay("bench-" + variant + "-" + round, slot, db)
                    .bootstrapServers(kafka.bootstrap())
                    .outbox(outboxConfig) // emitted messages are read only in message mode
                    .build()
                : RelayConfig.builder()
                    .instanceId("bench-polling-" + round)
                    .bootstrapServers(kafka.bootstrap())
                    .httpPort(-1)
                    .build();
        relay = Relay.builder().config(config).dataSource(relayPool).build();
        relay.start();
        awaitReady(relay, cdc);
      }
      return measure(topic, outboxConfig, producer, load);
    } finally {
      if (relay != null) {
        relay.close();
      }
      if (producer != null) {
        producer.close();
      }
      if (relayPool != null) {
        if (cdc) {
          CdcBenchSupport.dropSlot(relayPool, slot);
        }
        relayPool.close();
      }
      kafka.deleteTopic(topic);
    }
  }

  private static void awaitReady(Relay relay, boolean cdc) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (cdc
        ? !relay.status().cdc().map(c -> c.active()).orElse(false)
        : relay.status().ownedShards().size() < 64 || !relay.status().listening()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("relay not ready within 30 s: " + relay.status());
      }
      Thread.sleep(20);
    }
  }

  private Result measure(
      String topic, OutboxConfig outboxConfig, KafkaProducer<byte[], byte[]> producer, String load)
      throws Exception {
    Map<String, Long> received = new HashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> consumerError = new AtomicReference<>();
    Thread consumer =
        new Thread(
            () -> {
              try (KafkaConsumer<byte[], byte[]> c =
                  new KafkaConsumer<>(kafka.consumerProperties("bench-cdc-latency"))) {
                List<TopicPartition> tps = new ArrayList<>();
                for (int p = 0; p < settings.partitions(); p++) {
                  tps.add(new TopicPartition(topic, p));
                }
                c.assign(tps);
                c.seekToBeginning(tps);
                while (!stop.get()) {
                  var recs = c.poll(Duration.ofMillis(100));
                  long now = System.nanoTime();
                  synchronized (received) {
                    for (ConsumerRecord<byte[], byte[]> rec : recs) {
                      Header h = rec.headers().lastHeader(CloudEventHeaders.ID);
                      if (h != null) {
                        received.putIfAbsent(new String(h.value(), StandardCharsets.UTF_8), now);
                      }
                    }
                  }
                }
              } catch (Throwable t) {
                consumerError.set(t);
              }
            },
            "bench-consumer");
    consumer.start();
    Thread.sleep(500);
    Outbox outbox = Outbox.builder().config(outboxConfig).build();
    int writers = settings.writers();
    long period = 1_000_000_000L / settings.rate();
    int perWriter =
        (int)
            ((long) settings.rate() * (settings.warmupSeconds() + settings.seconds()) / writers
                + 2);
    String[][] ids = new String[writers][perWriter];
    long[][] done = new long[writers][perWriter];
    long[][] due = new long[writers][perWriter];
    int[] written = new int[writers];
    AtomicReference<Throwable> writerError = new AtomicReference<>();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
    long measureFrom = start + TimeUnit.SECONDS.toNanos(settings.warmupSeconds());
    long end = measureFrom + TimeUnit.SECONDS.toNanos(settings.seconds());
    List<Thread> threads = new ArrayList<>();
    try (HikariDataSource writerPool = db.pool("writers", writers)) {
      for (int w = 0; w < writers; w++) {
        int me = w;
        Thread t =
            new Thread(
                () -> {
                  try (Connection c = writerPool.getConnection()) {
                    c.setAutoCommit(false);
                    for (int j = 0; j < perWriter; j++) {
                      long at = start + ((long) j * writers + me) * period;
                      if (at >= end) {
                        break;
                      }
                      long wait = at - System.nanoTime();
                      if (wait > 0) {
                        LockSupport.parkNanos(wait);
                        while (System.nanoTime() < at) {
                          Thread.onSpinWait();
                        }
                      }
                      long n = (long) j * writers + me;
                      String key = keys[(int) ((n * 7919) % keys.length)];
                      byte[] payload =
                          RelayBenchDatabase.Backlog.payload(key, n, settings.payloadBytes());
                      String id;
                      long t1;
                      if (producer != null) {
                        id = UUID.randomUUID().toString();
                        RecordHeaders h = new RecordHeaders();
                        h.add(CloudEventHeaders.ID, id.getBytes(StandardCharsets.UTF_8));
                        t1 = System.nanoTime();
                        producer.send(
                            new ProducerRecord<>(
                                topic, null, key.getBytes(StandardCharsets.UTF_8), payload, h));
                      } else {
                        MessageId mid =
                            outbox.write(
                                c,
                                OutboxMessage.builder()
                                    .topic(topic)
                                    .key(key)
                                    .eventType(RelayBenchDatabase.Backlog.EVENT_TYPE)
                                    .payload(Payload.of(payload, Payload.APPLICATION_JSON))
                                    .build());
                        c.commit();
                        t1 = System.nanoTime();
                        id = mid.toString();
                      }
                      ids[me][j] = id;
                      done[me][j] = t1;
                      due[me][j] = at;
                      written[me] = j + 1;
                    }
                  } catch (Throwable e) {
                    writerError.compareAndSet(null, e);
                  }
                },
                "bench-writer-" + w);
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
    }
    if (writerError.get() != null) {
      throw new IllegalStateException("a writer failed: " + writerError.get(), writerError.get());
    }
    int total = Arrays.stream(written).sum();
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < waitUntil) {
      synchronized (received) {
        if (received.size() >= total) {
          break;
        }
      }
      Thread.sleep(20);
    }
    stop.set(true);
    consumer.join(10_000);
    if (consumerError.get() != null) {
      throw new IllegalStateException("the consumer failed: " + consumerError.get());
    }
    List<Long> lat = new ArrayList<>();
    int missing = 0;
    synchronized (received) {
      for (int w = 0; w < writers; w++) {
        for (int j = 0; j < written[w]; j++) {
          if (due[w][j] < measureFrom) {
            continue;
          }
          Long got = received.get(ids[w][j]);
          if (got == null) {
            missing++;
          } else {
            lat.add(got - done[w][j]);
          }
        }
      }
    }
    long[] sorted = lat.stream().mapToLong(Long::longValue).sorted().toArray();
    if (sorted.length == 0) {
      throw new IllegalStateException(
          "no measured message arrived (" + missing + " missing): is the relay publishing?");
    }
    return new Result(
        LatencyStats.percentile(sorted, 0.50) / 1e6,
        LatencyStats.percentile(sorted, 0.99) / 1e6,
        sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
        sorted.length + missing,
        missing,
        load);
  }
}
