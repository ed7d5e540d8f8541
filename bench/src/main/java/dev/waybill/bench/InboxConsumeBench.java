package dev.waybill.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.inbox.internal.InboxMetrics;
import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.testkit.ProgramArgs;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Inbox consumer throughput on PostgreSQL (DESIGN.md, "Performance targets": at least 0.5 × a bare
 * consumer with a bare insert of the same records).
 *
 * <p>One topic is filled once with {@code --records} records (256-byte payloads, keys among 1,000,
 * CloudEvents {@code ce_id}/{@code ce_type}). Each run then consumes all of it three times, each
 * time with a new consumer group, from the first record:
 *
 * <ul>
 *   <li><b>bare</b>: a plain {@link KafkaConsumer}; per poll one transaction with one {@code
 *       INSERT} per record (one prepared statement per poll), commit, then {@code commitSync};
 *   <li><b>inbox</b>: an {@link InboxConsumer} (defaults: batch transactions, one worker) whose
 *       handler inserts the same row; the inbox records every id in the same transaction;
 *   <li><b>duplicates</b>: the inbox again with the same consumer group after its Kafka offsets
 *       were deleted, so every record is a duplicate: ids checked, nothing handled.
 * </ul>
 *
 * <p>Throughput is records / time from the first record received (bare) or handled (inbox) to the
 * last one done, so group joins do not count. The order of bare and inbox alternates per run.
 * Before each timed block the tables are truncated and a {@code CHECKPOINT} is taken.
 */
public final class InboxConsumeBench {
  static final int KEYS = 1_000;
  static final String INSERT =
      "INSERT INTO bench_applied (message_id, msg_key, payload) VALUES (?, ?, ?)";

  private InboxConsumeBench() {}

  public static void main(String[] args) throws Exception {
    ProgramArgs a =
        new ProgramArgs(Main.PROGRAM, "inbox-consume")
            .option(
                "url",
                "jdbc:postgresql://127.0.0.1:5432/postgres",
                "PostgreSQL admin URL (the bench database is created through it)")
            .option("user", "postgres", "database user (must be allowed to create databases)")
            .option("password", "", "database password")
            .option("database", "waybill_bench_inbox", "database dropped and created for the run")
            .option(
                "bootstrap",
                "",
                "Kafka bootstrap servers; empty starts a broker in this process (waybill-testkit)")
            .option("records", "200000", "records in the topic")
            .option("payload", "256", "payload bytes per record")
            .option("partitions", "4", "partitions of the topic")
            .option("runs", "3", "runs (each: bare, inbox, duplicates)")
            .option("concurrency", "1", "inbox.concurrency of the inbox consumer")
            .parse(args);
    int records = a.integer("records", 1, 10_000_000);
    int payload = a.integer("payload", 1, 1_000_000);
    int partitions = a.integer("partitions", 1, 256);
    int runs = a.integer("runs", 1, 100);
    int concurrency = a.integer("concurrency", 1, 64);
    a.requireValid();

    String bootstrap = a.string("bootstrap");
    if (bootstrap.isBlank()) {
      System.out.println("starting a Kafka broker in this process (waybill-testkit) ...");
      bootstrap = TestKafka.get().bootstrapServers();
    }
    String url =
        PostgresBenchDatabase.recreate(
            a.string("url"), a.string("user"), a.string("password"), a.string("database"));
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setUsername(a.string("user"));
    hc.setPassword(a.string("password"));
    hc.setMaximumPoolSize(8);
    hc.setPoolName("bench-inbox");
    try (HikariDataSource ds = new HikariDataSource(hc)) {
      SchemaMigrator.builder().dataSource(ds).component(SchemaComponent.inbox()).build().migrate();
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE bench_applied (n BIGSERIAL PRIMARY KEY, message_id VARCHAR(255) NOT"
                + " NULL, msg_key VARCHAR(255), payload BYTEA)");
      }
      String topic = "bench-inbox-" + UUID.randomUUID().toString().substring(0, 8);
      createTopic(bootstrap, topic, partitions);
      long t0 = System.nanoTime();
      produce(bootstrap, topic, records, payload);
      System.out.printf(
          Locale.ROOT,
          "produced %,d records of %d bytes to %s (%d partitions) in %.1f s%n",
          records,
          payload,
          topic,
          partitions,
          (System.nanoTime() - t0) / 1e9);
      System.out.printf(
          Locale.ROOT,
          "machine: %d cores, Java %s; PostgreSQL %s%n",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          version(ds));

      List<Double> bare = new ArrayList<>();
      List<Double> inbox = new ArrayList<>();
      List<Double> dups = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        double b;
        double i;
        String group = "bench-inbox-" + r + "-" + UUID.randomUUID().toString().substring(0, 6);
        if (r % 2 == 0) {
          b = bare(ds, bootstrap, topic, records);
          i = inbox(ds, bootstrap, topic, records, group, concurrency, true);
        } else {
          i = inbox(ds, bootstrap, topic, records, group, concurrency, true);
          b = bare(ds, bootstrap, topic, records);
        }
        deleteGroup(bootstrap, group);
        double d = inbox(ds, bootstrap, topic, records, group, concurrency, false);
        bare.add(b);
        inbox.add(i);
        dups.add(d);
        ratios.add(i / b);
        System.out.printf(
            Locale.ROOT,
            "run %d: bare %,.0f msg/s, inbox %,.0f msg/s (%.2f x bare), duplicates %,.0f msg/s%n",
            r + 1,
            b,
            i,
            i / b,
            d);
      }
      System.out.printf(
          Locale.ROOT,
          "medians over %d runs: bare %,.0f msg/s, inbox %,.0f msg/s, ratio %.2f (target >= 0.50),"
              + " duplicates %,.0f msg/s%n",
          runs,
          median(bare),
          median(inbox),
          median(ratios),
          median(dups));
    }
    System.exit(0); // the in-process broker's threads are not daemons
  }

  private static double bare(HikariDataSource ds, String bootstrap, String topic, int records)
      throws SQLException {
    prepare(ds, false);
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-bare-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
    long start = 0;
    int done = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        Connection c = ds.getConnection()) {
      consumer.subscribe(List.of(topic));
      c.setAutoCommit(false);
      while (done < records) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        if (batch.isEmpty()) {
          continue;
        }
        if (start == 0) {
          start = System.nanoTime();
        }
        try (PreparedStatement st = c.prepareStatement(INSERT)) {
          for (ConsumerRecord<byte[], byte[]> r : batch) {
            st.setString(1, new String(r.headers().lastHeader(CloudEventHeaders.ID).value()));
            st.setString(2, new String(r.key(), StandardCharsets.UTF_8));
            st.setBytes(3, r.value());
            st.executeUpdate();
          }
        }
        c.commit();
        consumer.commitSync();
        done += batch.count();
      }
      long end = System.nanoTime();
      return records * 1e9 / (end - start);
    }
  }

  private static double inbox(
      HikariDataSource ds,
      String bootstrap,
      String topic,
      int records,
      String group,
      int concurrency,
      boolean fresh)
      throws Exception {
    prepare(ds, fresh);
    AtomicLong first = new AtomicLong();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Map<String, Object> kafka = new HashMap<>();
    kafka.put("bootstrap.servers", bootstrap);
    kafka.put("auto.offset.reset", "earliest");
    kafka.put("max.poll.records", "500");
    InboxConsumer consumer =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder()
                    .groupId(group)
                    .topics(topic)
                    .concurrency(concurrency)
                    .pollTimeout(Duration.ofMillis(100))
                    .build())
            .dataSource(ds)
            .kafka(kafka)
            .meterRegistry(registry)
            .defaultHandler(
                (m, tx) -> {
                  first.compareAndSet(0, System.nanoTime());
                  try (PreparedStatement st = tx.connection().prepareStatement(INSERT)) {
                    st.setString(1, m.messageId());
                    st.setString(2, m.key().orElse(null));
                    st.setBytes(3, m.value());
                    st.executeUpdate();
                  }
                })
            .build();
    long start = System.nanoTime();
    consumer.start();
    String metric = fresh ? InboxMetrics.HANDLED : InboxMetrics.DUPLICATES;
    long end;
    long firstSeen = 0;
    while (true) {
      double n = registry.find(metric).counters().stream().mapToDouble(Counter::count).sum();
      if (!fresh && firstSeen == 0 && n > 0) {
        firstSeen = System.nanoTime();
      }
      if (n >= records) {
        end = System.nanoTime();
        break;
      }
      Thread.sleep(2);
    }
    consumer.close();
    long from = fresh ? first.get() : firstSeen;
    if (from == 0) {
      from = start;
    }
    return records * 1e9 / (end - from);
  }

  private static void prepare(HikariDataSource ds, boolean truncateInbox) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE bench_applied");
      if (truncateInbox) {
        st.execute("TRUNCATE waybill_inbox");
      }
      st.execute("VACUUM ANALYZE bench_applied");
      st.execute("CHECKPOINT");
    }
  }

  private static void produce(String bootstrap, String topic, int records, int payloadBytes) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    byte[] value = new byte[payloadBytes];
    Arrays.fill(value, (byte) 'x');
    byte[] type = "OrderPlaced".getBytes(StandardCharsets.UTF_8);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < records; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add(
            CloudEventHeaders.ID, MessageId.generate().toString().getBytes(StandardCharsets.UTF_8));
        h.add(CloudEventHeaders.TYPE, type);
        producer.send(
            new ProducerRecord<>(
                topic, null, ("order-" + (i % KEYS)).getBytes(StandardCharsets.UTF_8), value, h));
      }
      producer.flush();
    }
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  private static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      admin
          .createTopics(
              List.of(new org.apache.kafka.clients.admin.NewTopic(topic, partitions, (short) 1)))
          .all()
          .get();
      admin
          .createTopics(
              List.of(new org.apache.kafka.clients.admin.NewTopic(topic + ".DLT", 1, (short) 1)))
          .all()
          .get();
    }
    Thread.sleep(1_000);
  }

  private static void deleteGroup(String bootstrap, String group) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      admin.deleteConsumerGroups(List.of(group)).all().get();
    }
  }

  private static String version(HikariDataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return PostgresBenchDatabase.show(c, "SHOW server_version");
    }
  }

  private static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
