package dev.waybill.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.testkit.KafkaBrokerProcess;
import dev.waybill.testkit.ProgramArgs;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Commit-to-acknowledgement latency of the relay under a steady offered load (DESIGN.md,
 * "Performance targets": p99 ≤ 50 ms at 1,000 msg/s with LISTEN/NOTIFY), PostgreSQL only.
 *
 * <p>{@code --writers} threads, each on its own connection, commit single-message transactions
 * through {@link Outbox#write} (NOTIFY on, the default) on a fixed open-loop schedule that adds up
 * to {@code --rate} messages per second: a writer that falls behind does not slow the schedule
 * down, so slow commits are not hidden (no coordinated omission). One relay (default settings)
 * publishes; a consumer assigned to every partition of the topic records when each message arrives.
 * Per message, the end-to-end latency is the consumer's receipt time minus the writer's time right
 * after {@code commit()} returned (both {@link System#nanoTime()} of this JVM). Messages written
 * during the first {@code --warmup} seconds are not counted.
 *
 * <p>Also reported: the relay's own {@code waybill.relay.publish.latency} timer (from the row's
 * {@code created_at}, i.e. the INSERT inside the transaction, to Kafka's acknowledgement; recorded
 * in whole milliseconds) over the same window, read from its histogram; and a split of the
 * end-to-end latency at the Kafka record's timestamp (set by the relay's producer when it sends, in
 * milliseconds): "pickup" (commit to send: NOTIFY wake-up, claim) and "kafka" (send to receipt:
 * linger, produce with acks=all, fetch).
 */
public final class RelayLatencyBench {
  private static final String LATENCY_TIMER = "waybill.relay.publish.latency";
  private static final double[] SLO_NANOS = sloNanos();

  private static double[] sloNanos() {
    List<Double> v = new ArrayList<>();
    for (int ms = 1; ms <= 100; ms++) {
      v.add(ms * 1e6);
    }
    for (int ms = 110; ms <= 500; ms += 10) {
      v.add(ms * 1e6);
    }
    for (int ms = 600; ms <= 5000; ms += 100) {
      v.add(ms * 1e6);
    }
    for (int s : new int[] {10, 30, 60, 600}) {
      v.add(s * 1e9);
    }
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private record Settings(
      String adminUrl,
      String user,
      String password,
      String database,
      int rate,
      int writers,
      int warmupSeconds,
      int seconds,
      int runs,
      int batchSize,
      Duration pollInterval,
      boolean notifyOn,
      int partitions,
      int keys,
      int payloadBytes,
      String bootstrap,
      Path workDir,
      Map<String, String> dbSettings,
      int quietWaitSeconds,
      Map<String, String> relayKafka,
      boolean diagnose) {}

  /** Percentiles in milliseconds. */
  private record Pcts(double p50, double p95, double p99, double p999, double max, int n) {
    static Pcts of(double[] v) {
      if (v.length == 0) {
        return new Pcts(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
      }
      double[] s = v.clone();
      Arrays.sort(s);
      return new Pcts(
          pct(s, 0.5), pct(s, 0.95), pct(s, 0.99), pct(s, 0.999), s[s.length - 1], s.length);
    }

    private static double pct(double[] sorted, double q) {
      int rank = (int) Math.ceil(q * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    String line() {
      return String.format(
          "p50 %.1f  p95 %.1f  p99 %.1f  p99.9 %.1f  max %.1f ms", p50, p95, p99, p999, max);
    }
  }

  private record RunResult(
      double achievedRate,
      int measured,
      int missing,
      Pcts endToEnd,
      Pcts relayTimer,
      Pcts pickup,
      Pcts kafkaPart,
      Pcts commit,
      Pcts slip,
      CpuMeter.Usage cpu) {}

  private final Settings settings;
  private KafkaBrokerProcess broker;
  private BenchKafka kafka;
  private RelayBenchDatabase db;
  private final String[] keys;

  private RelayLatencyBench(Settings settings) {
    this.settings = settings;
    this.keys = new String[settings.keys()];
    for (int k = 0; k < keys.length; k++) {
      keys[k] = String.format("order-%04d", k);
    }
  }

  /** Entry point of {@code relay-latency}. */
  public static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "relay-latency")
            .option(
                "url", "jdbc:postgresql://127.0.0.1:5432/postgres", "admin JDBC URL (PostgreSQL)")
            .option("user", "postgres", "database user")
            .option("password", "", "database password")
            .option(
                "database",
                "waybill_bench_relay_latency",
                "database dropped and created for the run")
            .option("rate", "1000", "offered messages per second, all writers together")
            .option("writers", "4", "writer threads, one connection each")
            .option("warmup", "10", "seconds written first and not counted, per run")
            .option("seconds", "40", "measured seconds per run")
            .option("runs", "3", "runs (each with a fresh relay and topic)")
            .option("batch-size", "1000", "relay.batch.size (1000 is the default)")
            .option("poll-interval", "500", "relay.poll.interval in ms (500 is the default)")
            .option("notify", "true", "outbox.notify.enabled for writers and relay (default true)")
            .option("partitions", "6", "partitions of each (fresh) topic")
            .option("keys", "1000", "distinct message keys")
            .option("payload-bytes", "256", "payload size")
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
            .option("diagnose", "false", "print the relay's SQL timings per run")
            .option(
                "relay-kafka",
                "",
                "what-if: name=value[,name=value] producer settings passed to the relay as kafka.*"
                    + " (e.g. linger.ms=0)")
            .parse(args);
    Settings s =
        new Settings(
            a.string("url"),
            a.string("user"),
            a.string("password"),
            a.string("database"),
            a.integer("rate", 1, 100_000),
            a.integer("writers", 1, 64),
            a.integer("warmup", 0, 600),
            a.integer("seconds", 1, 3600),
            a.integer("runs", 1, 100),
            a.integer("batch-size", 1, 10_000),
            Duration.ofMillis(a.integer("poll-interval", 10, 300_000)),
            a.bool("notify"),
            a.integer("partitions", 1, 1000),
            a.integer("keys", 1, 1_000_000),
            a.integer("payload-bytes", 64, 1_000_000),
            a.string("bootstrap"),
            Path.of(a.string("work-dir")),
            RelayDrainBench.dbSettings(a),
            a.integer("quiet-wait", 0, 3600),
            RelayDrainBench.pairs(a, "relay-kafka"),
            a.bool("diagnose"));
    if (!s.adminUrl().startsWith("jdbc:postgresql:")) {
      a.problem("'" + s.adminUrl() + "' → --url → relay-latency runs on PostgreSQL only");
    }
    a.requireValid();
    new RelayLatencyBench(s).run();
  }

  private void run() throws Exception {
    long started = System.nanoTime();
    broker = KafkaBrokerProcess.startOrUse(settings.bootstrap(), settings.workDir());
    try (KafkaBrokerProcess b = broker;
        BenchKafka k = new BenchKafka(broker.bootstrapServers());
        RelayBenchDatabase d =
            RelayBenchDatabase.create(
                settings.adminUrl(),
                settings.user(),
                settings.password(),
                settings.database(),
                settings.dbSettings())) {
      kafka = k;
      db = d;
      System.out.printf(
          "relay-latency: %,d msg/s offered by %d writers (single-message transactions through"
              + " Outbox.write, NOTIFY %s), %d s warm-up + %d s measured per run, %d runs; payload"
              + " %d B over %,d keys, %d partitions%n",
          settings.rate(),
          settings.writers(),
          settings.notifyOn() ? "on" : "off",
          settings.warmupSeconds(),
          settings.seconds(),
          settings.runs(),
          settings.payloadBytes(),
          settings.keys(),
          settings.partitions());
      System.out.printf(
          "machine: %d cores, Java %s; database: PostgreSQL %s (synchronous_commit %s, autovacuum"
              + " %s); kafka: %s, client %s%n",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          db.version(),
          db.query("SHOW synchronous_commit"),
          db.query("SHOW autovacuum"),
          broker.description(),
          BenchKafka.version());
      System.out.printf(
          "relay: batch.size %d, poll.interval %d ms, lease defaults, shards 64%s%n",
          settings.batchSize(),
          settings.pollInterval().toMillis(),
          (settings.dbSettings().isEmpty()
                  ? ""
                  : "; WHAT-IF database settings " + settings.dbSettings())
              + (settings.relayKafka().isEmpty()
                  ? ""
                  : "; WHAT-IF relay producer settings " + settings.relayKafka()));
      List<RunResult> results = new ArrayList<>();
      for (int r = 0; r < settings.runs(); r++) {
        RunResult rr = runOnce(r);
        results.add(rr);
        System.out.printf(
            "run %d/%d: achieved %.1f msg/s, %,d measured, %d missing; %s%n",
            r + 1,
            settings.runs(),
            rr.achievedRate(),
            rr.measured(),
            rr.missing(),
            rr.cpu().line());
        System.out.println("  end-to-end commit→receipt: " + rr.endToEnd().line());
        System.out.println("  relay timer created_at→ack: " + rr.relayTimer().line());
        System.out.println("  pickup commit→send (ms clock): " + rr.pickup().line());
        System.out.println("  kafka send→receipt (ms clock): " + rr.kafkaPart().line());
        System.out.println("  writer commit (write+commit): " + rr.commit().line());
        System.out.println("  writer schedule slip: " + rr.slip().line());
      }
      report(results);
    }
    System.out.printf("relay-latency finished in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  private RunResult runOnce(int round) throws Exception {
    String topic = "bench-latency-" + round;
    kafka.createTopic(topic, settings.partitions());
    RelayDrainBench.awaitQuiet(settings.quietWaitSeconds());
    db.truncate();
    SqlTimer timer = new SqlTimer();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public DistributionStatisticConfig configure(
                  Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals(LATENCY_TIMER)) {
                  // one window for the whole run, so two snapshots can be subtracted
                  // SimpleMeterRegistry keeps no percentile-histogram buckets, but it keeps
                  // service-level-objective boundaries: 1 ms steps to 100 ms, then coarser
                  return DistributionStatisticConfig.builder()
                      .serviceLevelObjectives(SLO_NANOS)
                      .expiry(Duration.ofHours(2))
                      .bufferLength(1)
                      .build()
                      .merge(config);
                }
                return config;
              }
            });
    String id = "bench-latency-" + round;
    dev.waybill.outbox.OutboxConfig outboxConfig =
        dev.waybill.outbox.OutboxConfig.builder().notifyEnabled(settings.notifyOn()).build();
    RelayConfig.Builder builder =
        RelayConfig.builder()
            .instanceId(id)
            .bootstrapServers(kafka.bootstrap())
            .outbox(outboxConfig)
            .batchSize(settings.batchSize())
            .pollInterval(settings.pollInterval())
            .httpPort(-1);
    settings.relayKafka().forEach(builder::kafka);
    RelayConfig config = builder.build();
    int perWriter =
        (int)
            ((long) settings.rate()
                    * (settings.warmupSeconds() + settings.seconds())
                    / settings.writers()
                + 2);
    try (HikariDataSource relayPool = db.pool("relay-" + id, 4);
        HikariDataSource writerPool = db.pool("writers", settings.writers());
        Relay relay =
            Relay.builder()
                .config(config)
                .dataSource(timer.wrap(relayPool))
                .meterRegistry(registry)
                .build()) {
      relay.start();
      long ready = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (relay.status().ownedShards().size() < 64
          || (settings.notifyOn() && !relay.status().listening())) {
        if (System.nanoTime() > ready) {
          throw new IllegalStateException("relay not ready within 30 s: " + relay.status());
        }
        Thread.sleep(20);
      }
      // consumer
      Map<String, long[]> received = new HashMap<>();
      AtomicBoolean stopConsumer = new AtomicBoolean();
      AtomicReference<Throwable> consumerError = new AtomicReference<>();
      Thread consumer =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> c =
                    new KafkaConsumer<>(kafka.consumerProperties("bench-latency-consumer"))) {
                  List<TopicPartition> tps = new ArrayList<>();
                  for (int p = 0; p < settings.partitions(); p++) {
                    tps.add(new TopicPartition(topic, p));
                  }
                  c.assign(tps);
                  c.seekToBeginning(tps);
                  while (!stopConsumer.get()) {
                    ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(100));
                    long now = System.nanoTime();
                    synchronized (received) {
                      for (ConsumerRecord<byte[], byte[]> rec : recs) {
                        Header h = rec.headers().lastHeader(CloudEventHeaders.ID);
                        if (h != null) {
                          received.put(
                              new String(h.value(), StandardCharsets.UTF_8),
                              new long[] {now, rec.timestamp()});
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
      Thread.sleep(500); // consumer assigned and positioned
      Outbox outbox = Outbox.builder().config(outboxConfig).build();
      int writers = settings.writers();
      long period = 1_000_000_000L / settings.rate();
      String[][] ids = new String[writers][perWriter];
      long[][] commitNanos = new long[writers][perWriter];
      long[][] commitWallMicros = new long[writers][perWriter];
      long[][] scheduled = new long[writers][perWriter];
      long[][] txNanos = new long[writers][perWriter];
      int[] written = new int[writers];
      AtomicReference<Throwable> writerError = new AtomicReference<>();
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      long measureFrom = start + TimeUnit.SECONDS.toNanos(settings.warmupSeconds());
      long end = measureFrom + TimeUnit.SECONDS.toNanos(settings.seconds());
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int me = w;
        Thread t =
            new Thread(
                () -> {
                  try (Connection c = writerPool.getConnection()) {
                    c.setAutoCommit(false);
                    for (int j = 0; j < perWriter; j++) {
                      long due = start + ((long) j * writers + me) * period;
                      if (due >= end) {
                        break;
                      }
                      long wait = due - System.nanoTime();
                      if (wait > 0) {
                        LockSupport.parkNanos(wait);
                        while (System.nanoTime() < due) {
                          Thread.onSpinWait();
                        }
                      }
                      long n = (long) j * writers + me;
                      String key = keys[(int) ((n * 7919) % keys.length)];
                      OutboxMessage m =
                          OutboxMessage.builder()
                              .topic(topic)
                              .key(key)
                              .eventType(RelayBenchDatabase.Backlog.EVENT_TYPE)
                              .payload(
                                  Payload.of(
                                      RelayBenchDatabase.Backlog.payload(
                                          key, n, settings.payloadBytes()),
                                      Payload.APPLICATION_JSON))
                              .build();
                      long t0 = System.nanoTime();
                      MessageId mid = outbox.write(c, m);
                      c.commit();
                      long t1 = System.nanoTime();
                      java.time.Instant wall = java.time.Instant.now();
                      ids[me][j] = mid.toString();
                      commitNanos[me][j] = t1;
                      commitWallMicros[me][j] =
                          wall.getEpochSecond() * 1_000_000L + wall.getNano() / 1_000;
                      scheduled[me][j] = due;
                      txNanos[me][j] = t1 - t0;
                      written[me] = j + 1;
                    }
                  } catch (Throwable e) {
                    writerError.compareAndSet(null, e);
                  }
                },
                "bench-writer-" + w);
        threads.add(t);
      }
      Timer relayTimer = registry.find(LATENCY_TIMER).timer();
      CountAtBucket[] before = null;
      CpuMeter.Snapshot cpu0 = null;
      for (Thread t : threads) {
        t.start();
      }
      // snapshot of the relay's histogram when the measured window starts
      while (System.nanoTime() < measureFrom) {
        Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(measureFrom - System.nanoTime())));
      }
      if (relayTimer != null) {
        before = relayTimer.takeSnapshot().histogramCounts();
      }
      timer.clear();
      cpu0 = new CpuMeter.Snapshot(broker.pid());
      long measureStartedAt = System.nanoTime();
      for (Thread t : threads) {
        t.join();
      }
      CpuMeter.Snapshot cpu1 = new CpuMeter.Snapshot(broker.pid());
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
      stopConsumer.set(true);
      consumer.join(10_000);
      if (consumerError.get() != null) {
        throw new IllegalStateException(
            "the consumer failed: " + consumerError.get(), consumerError.get());
      }
      CountAtBucket[] after =
          relayTimer == null ? null : relayTimer.takeSnapshot().histogramCounts();
      if (settings.diagnose()) {
        printSql(timer, "waybill-relay-" + id, measureStartedAt, cpu0.to(cpu1).wallSeconds());
      }
      List<Double> e2e = new ArrayList<>();
      List<Double> pickup = new ArrayList<>();
      List<Double> kafkaPart = new ArrayList<>();
      List<Double> commit = new ArrayList<>();
      List<Double> slip = new ArrayList<>();
      int measured = 0;
      int missing = 0;
      synchronized (received) {
        for (int w = 0; w < writers; w++) {
          for (int j = 0; j < written[w]; j++) {
            if (scheduled[w][j] < measureFrom) {
              continue;
            }
            measured++;
            commit.add(txNanos[w][j] / 1e6);
            slip.add((commitNanos[w][j] - txNanos[w][j] - scheduled[w][j]) / 1e6);
            long[] got = received.get(ids[w][j]);
            if (got == null) {
              missing++;
              continue;
            }
            e2e.add((got[0] - commitNanos[w][j]) / 1e6);
            double commitMs = commitWallMicros[w][j] / 1000.0;
            pickup.add(got[1] - commitMs);
            kafkaPart.add((got[0] - commitNanos[w][j]) / 1e6 - (got[1] - commitMs));
          }
        }
      }
      kafka.deleteTopic(topic);
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (int w = 0; w < writers; w++) {
        for (int j = 0; j < written[w]; j++) {
          if (scheduled[w][j] >= measureFrom) {
            first = Math.min(first, commitNanos[w][j]);
            last = Math.max(last, commitNanos[w][j]);
          }
        }
      }
      return new RunResult(
          measured <= 1 ? 0 : (measured - 1) * 1e9 / (last - first),
          measured,
          missing,
          Pcts.of(toArray(e2e)),
          histogramPcts(before, after),
          Pcts.of(toArray(pickup)),
          Pcts.of(toArray(kafkaPart)),
          Pcts.of(toArray(commit)),
          Pcts.of(toArray(slip)),
          cpu0.to(cpu1));
    }
  }

  private void printSql(SqlTimer timer, String loopThread, long from, double wallSeconds) {
    List<SqlTimer.Call> loop = new ArrayList<>();
    for (SqlTimer.Call c : timer.calls()) {
      if (c.thread().equals(loopThread)) {
        loop.add(c);
      }
    }
    SqlTimer.summary(loop, "", from)
        .forEach(
            (kind, v) ->
                System.out.printf(
                    "  relay loop %-10s %6d calls (%.0f/s), mean %.2f ms, p50 %.2f, p99 %.2f, max"
                        + " %.1f ms%n",
                    kind, (int) v[0], v[0] / wallSeconds, v[2], v[3], v[4], v[5]));
    SqlTimer.summary(timer.calls(), "-maint-", from)
        .forEach(
            (kind, v) ->
                System.out.printf(
                    "  relay maintenance %-10s %6d calls, mean %.2f ms, max %.1f ms%n",
                    kind, (int) v[0], v[2], v[5]));
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * Percentiles of the values recorded between two snapshots of a timer's cumulative histogram: the
   * upper bound of the bucket the percentile falls in (the timer records whole milliseconds).
   */
  static Pcts histogramPcts(CountAtBucket[] before, CountAtBucket[] after) {
    if (before == null || after == null || after.length == 0) {
      return Pcts.of(new double[0]);
    }
    int len = after.length;
    double[] bound = new double[len];
    double[] cum = new double[len];
    boolean cumulative = true;
    for (int i = 0; i < len; i++) {
      bound[i] = after[i].bucket(TimeUnit.MILLISECONDS);
      cum[i] = after[i].count() - (i < before.length ? before[i].count() : 0);
      if (i > 0 && after[i].count() < after[i - 1].count()) {
        cumulative = false;
      }
    }
    if (!cumulative) {
      // per-bucket counts (as some registries report them): accumulate
      for (int i = 1; i < len; i++) {
        cum[i] += cum[i - 1];
      }
    }
    double n = cum[len - 1];
    if (n <= 0) {
      return Pcts.of(new double[0]);
    }
    double[] qs = {0.5, 0.95, 0.99, 0.999, 1.0};
    double[] out = new double[qs.length];
    for (int q = 0; q < qs.length; q++) {
      double target = Math.ceil(qs[q] * n);
      out[q] = Double.NaN;
      for (int i = 0; i < len; i++) {
        if (cum[i] >= target) {
          out[q] = bound[i];
          break;
        }
      }
    }
    return new Pcts(out[0], out[1], out[2], out[3], out[4], (int) n);
  }

  private void report(List<RunResult> results) {
    System.out.println();
    System.out.printf(
        "relay-latency results: %,d msg/s offered by %d writers, NOTIFY %s, %d s measured per run;"
            + " medians of %d runs (ms)%n",
        settings.rate(),
        settings.writers(),
        settings.notifyOn() ? "on" : "off",
        settings.seconds(),
        results.size());
    System.out.println();
    System.out.println("| measure | p50 | p95 | p99 | p99.9 | max |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    row("end-to-end: commit returned → consumer received", results, RunResult::endToEnd);
    row(
        "relay timer `waybill.relay.publish.latency` (created_at → ack, bucket bound)",
        results,
        RunResult::relayTimer);
    row("  pickup: commit → relay's send (record timestamp, ms clock)", results, RunResult::pickup);
    row("  kafka: relay's send → consumer received", results, RunResult::kafkaPart);
    row("writer: Outbox.write + commit", results, RunResult::commit);
    row("writer schedule slip (start − due)", results, RunResult::slip);
    double[] p99 = results.stream().mapToDouble(r -> r.endToEnd().p99()).toArray();
    double m = LatencyStats.median(p99);
    double[] rates = results.stream().mapToDouble(RunResult::achievedRate).toArray();
    System.out.println();
    System.out.printf(
        "achieved rate (median) %.1f msg/s; missing messages: %s%n",
        LatencyStats.median(rates),
        results.stream().map(r -> Integer.toString(r.missing())).toList());
    System.out.printf(
        "target end-to-end p99 ≤ 50 ms: %.1f ms → %s%n", m, m <= 50 ? "MET" : "NOT MET");
  }

  private static void row(
      String label, List<RunResult> results, java.util.function.Function<RunResult, Pcts> f) {
    System.out.printf(
        "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
        label,
        LatencyStats.median(results.stream().mapToDouble(r -> f.apply(r).p50()).toArray()),
        LatencyStats.median(results.stream().mapToDouble(r -> f.apply(r).p95()).toArray()),
        LatencyStats.median(results.stream().mapToDouble(r -> f.apply(r).p99()).toArray()),
        LatencyStats.median(results.stream().mapToDouble(r -> f.apply(r).p999()).toArray()),
        LatencyStats.median(results.stream().mapToDouble(r -> f.apply(r).max()).toArray()));
  }
}
