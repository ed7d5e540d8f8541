package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.inbox.internal.InboxMetrics;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
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
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** A database with the inbox and an {@code applied} table, a broker, and helpers. */
final class ConsumerFixture implements AutoCloseable {
  final TestDatabase db;
  final TestKafka kafka = TestKafka.get();
  final KafkaProducer<byte[], byte[]> producer;
  final List<InboxConsumer> consumers = new ArrayList<>();

  ConsumerFixture(TestDatabase db, String appliedSerialColumn) throws SQLException {
    this.db = db;
    SchemaMigrator.builder()
        .dataSource(db.dataSource())
        .component(SchemaComponent.inbox())
        .build()
        .migrate();
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE applied ("
              + appliedSerialColumn
              + ", message_id VARCHAR(255) NOT NULL, msg_key VARCHAR(255), seq INT,"
              + " worker VARCHAR(128))");
    }
    Properties p = kafka.producerProperties();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    producer = new KafkaProducer<>(p);
  }

  /** A new topic with its dead-letter topic. */
  String topic(int partitions) {
    String t = "inbox-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, partitions);
    kafka.createTopic(t + ".DLT", 1);
    return t;
  }

  static String group() {
    return "g-" + UUID.randomUUID().toString().substring(0, 8);
  }

  InboxConsumer.Builder builder(String group, String topic, Consumer<InboxConfig.Builder> cfg) {
    InboxConfig.Builder b =
        InboxConfig.builder()
            .groupId(group)
            .topics(topic)
            .backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(50), 0.5)
            .maxAttempts(3)
            .pollTimeout(Duration.ofMillis(100))
            .shutdownTimeout(Duration.ofSeconds(10));
    cfg.accept(b);
    Map<String, Object> k = new HashMap<>();
    k.put("bootstrap.servers", kafka.bootstrapServers());
    k.put("auto.offset.reset", "earliest");
    k.put("max.poll.records", "50");
    return InboxConsumer.builder()
        .config(b.build())
        .dataSource(db.dataSource())
        .kafka(k)
        .meterRegistry(new SimpleMeterRegistry());
  }

  InboxConsumer start(InboxConsumer.Builder builder) {
    InboxConsumer c = builder.build();
    consumers.add(c);
    c.start();
    return c;
  }

  /** Records the message into {@code applied}, in the inbox transaction. */
  static MessageHandler recording() {
    return (m, tx) -> {
      try (PreparedStatement st =
          tx.connection()
              .prepareStatement(
                  "INSERT INTO applied (message_id, msg_key, seq, worker) VALUES (?, ?, ?, ?)")) {
        st.setString(1, m.messageId());
        st.setString(2, m.key().orElse(null));
        st.setInt(3, Integer.parseInt(m.header("seq").orElse("-1")));
        st.setString(4, Thread.currentThread().getName());
        st.executeUpdate();
      }
    };
  }

  void send(String topic, String key, String id, String type, int seq) {
    send(topic, key, id, type, seq, "{\"seq\":" + seq + "}");
  }

  void send(String topic, String key, String id, String type, int seq, String value) {
    RecordHeaders h = new RecordHeaders();
    if (id != null) {
      h.add(CloudEventHeaders.ID, id.getBytes(StandardCharsets.UTF_8));
    }
    if (type != null) {
      h.add(CloudEventHeaders.TYPE, type.getBytes(StandardCharsets.UTF_8));
    }
    h.add("seq", Integer.toString(seq).getBytes(StandardCharsets.UTF_8));
    h.add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
    producer.send(
        new ProducerRecord<>(
            topic,
            null,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8),
            value.getBytes(StandardCharsets.UTF_8),
            h));
  }

  void flush() {
    producer.flush();
  }

  /** Every record of a topic (all partitions), read with a throw-away consumer. */
  List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(kafka.consumerProperties("reader-" + UUID.randomUUID()))) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (out.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // anything beyond the expected count would show up in a short extra poll
      c.poll(Duration.ofMillis(300)).forEach(out::add);
    }
    return out;
  }

  /** The group's committed offsets. */
  Map<TopicPartition, Long> committed(String group) throws Exception {
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetAndMetadata> m =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
      Map<TopicPartition, Long> out = new HashMap<>();
      m.forEach((tp, o) -> out.put(tp, o == null ? -1 : o.offset()));
      return out;
    }
  }

  /** The end offsets of every partition of a topic. */
  Map<TopicPartition, Long> endOffsets(String topic, int partitions) throws Exception {
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetSpec> q = new HashMap<>();
      for (int i = 0; i < partitions; i++) {
        q.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> out = new HashMap<>();
      admin
          .listOffsets(q)
          .all()
          .get(10, TimeUnit.SECONDS)
          .forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    }
  }

  void awaitCommittedToEnd(String group, String topic, int partitions) throws Exception {
    Map<TopicPartition, Long> end = endOffsets(topic, partitions);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Map<TopicPartition, Long> committed = committed(group);
              end.forEach(
                  (tp, o) -> {
                    if (o > 0) {
                      assertThat(committed.get(tp)).as("committed offset of %s", tp).isEqualTo(o);
                    }
                  });
            });
  }

  private Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    return Admin.create(p);
  }

  /** The ids in {@code applied}, in insertion order, with repeats. */
  List<String> appliedIds() throws SQLException {
    return column("SELECT message_id FROM applied ORDER BY n");
  }

  /** The rows of a query, columns joined with {@code :}. */
  List<String> column(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder row = new StringBuilder(String.valueOf(rs.getString(1)));
        for (int i = 2; i <= columns; i++) {
          row.append(':').append(rs.getString(i));
        }
        out.add(row.toString());
      }
    }
    return out;
  }

  static double count(MeterRegistry registry, String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  static double count(InboxConsumer c, String name) {
    return count(c.meterRegistry(), name);
  }

  static double settled(InboxConsumer c) {
    return count(c, InboxMetrics.HANDLED)
        + count(c, InboxMetrics.DUPLICATES)
        + count(c, InboxMetrics.DEAD_LETTERED)
        + count(c, InboxMetrics.SKIPPED);
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static String randomId() {
    return UUID.randomUUID().toString() + "-" + ThreadLocalRandom.current().nextInt(1000);
  }

  @Override
  public void close() {
    for (InboxConsumer c : consumers) {
      try {
        c.close();
      } catch (RuntimeException e) {
        // keep closing the others
      }
    }
    producer.close(Duration.ofSeconds(5));
    db.close();
  }
}
