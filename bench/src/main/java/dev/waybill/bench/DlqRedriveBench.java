package dev.waybill.bench;

import dev.waybill.testkit.KafkaBrokerProcess;
import dev.waybill.testkit.ProgramArgs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code dlq-redrive} (issue 5): redrive throughput of the DLQ tool, run as operators run it
 * ({@code java -jar dlq-tools/target/dlq.jar redrive ...}, a separate JVM), unthrottled and with
 * {@code --rate}. Fills a dead-letter topic with Waybill-layout dead letters (256-byte payloads,
 * 1,000 keys, 3 partitions), then redrives them to a fresh topic per run. Figures are the tool's
 * own summary (first send to last acknowledgement; JVM start excluded) plus the wall time of the
 * process.
 */
final class DlqRedriveBench {
  private static final Pattern NUMBER = Pattern.compile("\"%s\"\\s*:\\s*([0-9.]+)");

  private DlqRedriveBench() {}

  static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "dlq-redrive")
            .option("bootstrap", "", "an existing broker; default: start one in a separate JVM")
            .option("work-dir", "target/dlq-bench", "where the broker's log dir goes")
            .option("jar", "dlq-tools/target/dlq.jar", "the DLQ tool's runnable jar")
            .option("records", "100000", "dead letters redriven unthrottled")
            .option("runs", "3", "unthrottled runs (the median is reported)")
            .option("rate", "2000", "messages/s of the throttled run")
            .option("rated-records", "20000", "dead letters redriven in the throttled run")
            .parse(args);
    int records = a.integer("records", 1, 10_000_000);
    int runs = a.integer("runs", 1, 20);
    int rate = a.integer("rate", 1, 1_000_000);
    int rated = a.integer("rated-records", 1, 10_000_000);
    Path jar = Path.of(a.string("jar"));
    if (!Files.exists(jar)) {
      a.problem("'" + jar + "' → --jar → not found: build it with mvn -pl dlq-tools -am package");
    }
    a.requireValid();
    Path work = Path.of(a.string("work-dir"));
    try (KafkaBrokerProcess broker = KafkaBrokerProcess.startOrUse(a.string("bootstrap"), work);
        BenchKafka kafka = new BenchKafka(broker.bootstrapServers())) {
      System.out.println(
          "dlq-redrive: broker " + broker.bootstrapServers() + ", Kafka " + BenchKafka.version());
      String s = UUID.randomUUID().toString().substring(0, 6);
      String dlt = "bench-orders-" + s + ".DLT";
      kafka.createTopic(dlt, 3);
      kafka.createTopic("bench-orders-" + s, 3);
      long t0 = System.nanoTime();
      fill(broker.bootstrapServers(), dlt, "bench-orders-" + s, Math.max(records, rated));
      System.out.printf(
          "filled %s with %,d dead letters in %.1f s%n",
          dlt, Math.max(records, rated), (System.nanoTime() - t0) / 1e9);

      List<Double> rates = new ArrayList<>();
      for (int r = 1; r <= runs; r++) {
        String target = "bench-redrive-" + s + "-" + r;
        kafka.createTopic(target, 3);
        Summary sum =
            redrive(
                jar, broker.bootstrapServers(), dlt, target, "state-" + s + "-" + r, records, 0);
        long landed = kafka.endOffsetSum(target, 3);
        System.out.printf(
            "unthrottled run %d: %,d sent (%,d in the target) in %.2f s → %,.0f msg/s"
                + " (process wall time %.2f s)%n",
            r, sum.sent, landed, sum.seconds, sum.rate, sum.wall);
        rates.add(sum.rate);
      }
      double[] sorted = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median = sorted[sorted.length / 2];
      System.out.printf(
          "unthrottled median: %,.0f msg/s over %,d records (target ≥ 10,000): %s%n",
          median, records, median >= 10_000 ? "met" : "NOT met");

      String target = "bench-redrive-" + s + "-rated";
      kafka.createTopic(target, 3);
      Summary sum =
          redrive(
              jar, broker.bootstrapServers(), dlt, target, "state-" + s + "-rated", rated, rate);
      double deviation = (sum.rate - rate) / rate * 100;
      System.out.printf(
          "--rate %d: %,d sent in %.2f s → %,.1f msg/s, %+.2f %% from the target (±5 %%): %s%n",
          rate,
          sum.sent,
          sum.seconds,
          sum.rate,
          deviation,
          Math.abs(deviation) <= 5 ? "met" : "NOT met");
    }
  }

  record Summary(long sent, double seconds, double rate, double wall) {}

  static Summary redrive(
      Path jar, String bootstrap, String dlt, String target, String state, int limit, int rate)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                jar.toString(),
                "redrive",
                dlt,
                "--to",
                target,
                "--limit",
                Integer.toString(limit),
                "--bootstrap-server",
                bootstrap,
                "--state-topic",
                state,
                "--no-progress",
                "--format",
                "json"));
    if (rate > 0) {
      cmd.addAll(Arrays.asList("--rate", Integer.toString(rate)));
    }
    Path out = Files.createTempFile("dlq-redrive", ".json");
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(out.toFile())
            .start();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "dlq redrive failed (exit " + p.exitValue() + "): " + Files.readString(out));
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    String json = Files.readString(out);
    Files.deleteIfExists(out);
    return new Summary(
        (long) number(json, "sent"), number(json, "seconds"), number(json, "ratePerSecond"), wall);
  }

  static double number(String json, String field) {
    Matcher m = Pattern.compile(String.format(NUMBER.pattern(), field)).matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no " + field + " in the tool's summary: " + json);
    }
    return Double.parseDouble(m.group(1));
  }

  /** Dead letters with the header layout of Waybill's inbox consumer. */
  static void fill(String bootstrap, String dlt, String original, int n) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    byte[] payload = new byte[256];
    Arrays.fill(payload, (byte) 'x');
    String now = Instant.now().toString();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add("ce_id", b(UUID.randomUUID().toString()));
        h.add("ce_type", b("OrderPlaced"));
        h.add("content-type", b("application/json"));
        h.add("kafka_dlt-original-topic", b(original));
        h.add("kafka_dlt-original-partition", ByteBuffer.allocate(4).putInt(i % 3).array());
        h.add("kafka_dlt-original-offset", ByteBuffer.allocate(8).putLong(i).array());
        h.add("kafka_dlt-original-timestamp", ByteBuffer.allocate(8).putLong(0).array());
        h.add("kafka_dlt-exception-fqcn", b("java.lang.IllegalStateException"));
        h.add("kafka_dlt-exception-message", b("stock is negative"));
        h.add(
            "kafka_dlt-exception-stacktrace",
            b("java.lang.IllegalStateException\n\tat a.B.c(B.java:1)\n"));
        h.add("waybill_dlt-reason", b("handler-failed"));
        h.add("waybill_dlt-fingerprint", b("java.lang.IllegalStateException@a.B.c"));
        h.add("waybill_dlt-last-failure", b(now));
        producer.send(new ProducerRecord<>(dlt, null, b("key-" + (i % 1000)), payload, h));
      }
      producer.flush();
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
