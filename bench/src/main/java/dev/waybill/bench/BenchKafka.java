package dev.waybill.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.AppInfoParser;

/** Topic management, end-offset counting and producer metrics for the relay benchmarks. */
final class BenchKafka implements AutoCloseable {
  private final String bootstrap;
  private final Admin admin;
  private final KafkaConsumer<byte[], byte[]> offsets;

  BenchKafka(String bootstrap) {
    this.bootstrap = bootstrap;
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-admin");
    this.admin = Admin.create(p);
    this.offsets = new KafkaConsumer<>(consumerProperties("bench-offsets"));
  }

  /** Consumer properties without a group (the benchmarks assign partitions themselves). */
  Properties consumerProperties(String clientId) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return c;
  }

  String bootstrap() {
    return bootstrap;
  }

  /** The Kafka client library version (the broker runs from the same artifact version). */
  static String version() {
    return AppInfoParser.getVersion();
  }

  /** Creates a topic (replication factor 1) and waits until every partition has a leader. */
  void createTopic(String name, int partitions) throws Exception {
    admin
        .createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
        .all()
        .get(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription d =
            admin.describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS).get(name);
        if (d.partitions().size() == partitions
            && d.partitions().stream().allMatch(p -> p.leader() != null)) {
          // the leader answers ListOffsets only once it has loaded the partitions; a producer
          // that starts earlier can get NOT_LEADER_OR_FOLLOWER and, idempotent with 5 requests
          // in flight, OUT_OF_ORDER_SEQUENCE_NUMBER retries (seen with 4.1.1 right after deletes)
          endOffsetSum(name, partitions);
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("topic " + name + " has no leaders after 30 s");
  }

  void deleteTopic(String name) {
    try {
      admin.deleteTopics(List.of(name)).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("could not delete topic " + name + ": " + e);
    }
  }

  /** The sum of the end offsets of the topic's partitions: records acknowledged so far. */
  /** A check against the database, for {@link #awaitDrained}. */
  interface SqlCheck {
    boolean check() throws java.sql.SQLException;
  }

  /** A description read from the database, for {@link #awaitDrained}'s failure message. */
  interface SqlText {
    String get() throws java.sql.SQLException;
  }

  /**
   * Waits (polling every 20 ms) until {@code topic} holds {@code messages} records and {@code
   * empty} says the outbox is empty; returns when the topic was complete, when the outbox was empty
   * and when the topic held its first record ({@link System#nanoTime()}).
   *
   * @throws IllegalStateException after {@code timeoutSeconds} from {@code t0}, naming what was
   *     published and {@code left}
   */
  long[] awaitDrained(
      String topic,
      int partitions,
      int messages,
      long t0,
      int timeoutSeconds,
      SqlCheck empty,
      SqlText left)
      throws Exception {
    long acked = 0;
    long first = 0;
    long deadline = t0 + java.util.concurrent.TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      Thread.sleep(first == 0 ? 2 : 20);
      if (acked == 0) {
        long sum = endOffsetSum(topic, partitions);
        long now = System.nanoTime();
        if (first == 0 && sum > 0) {
          first = now;
        }
        if (sum >= messages) {
          acked = now;
        }
      }
      if (acked != 0 && empty.check()) {
        return new long[] {acked, System.nanoTime(), first};
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "drain did not finish within "
                + timeoutSeconds
                + " s: "
                + endOffsetSum(topic, partitions)
                + " records published, "
                + left.get());
      }
    }
  }

  long endOffsetSum(String topic, int partitions) {
    List<TopicPartition> tps = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(topic, p));
    }
    long sum = 0;
    for (long v : offsets.endOffsets(tps).values()) {
      sum += v;
    }
    return sum;
  }

  /**
   * Selected metrics of a producer of this JVM (JMX {@code kafka.producer:type=producer-metrics}),
   * read before the producer is closed.
   */
  static Map<String, Double> producerMetrics(String clientId) {
    Map<String, Double> out = new LinkedHashMap<>();
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name =
          new ObjectName("kafka.producer:type=producer-metrics,client-id=" + clientId);
      for (String a :
          List.of(
              "request-rate",
              "request-latency-avg",
              "records-per-request-avg",
              "batch-size-avg",
              "record-queue-time-avg",
              "record-send-rate",
              "io-wait-ratio",
              "bufferpool-wait-ratio")) {
        Object v = server.getAttribute(name, a);
        if (v instanceof Number n) {
          out.put(a, n.doubleValue());
        }
      }
    } catch (Exception e) {
      out.put("unavailable: " + e.getClass().getSimpleName(), Double.NaN);
    }
    return out;
  }

  static String format(Map<String, Double> metrics) {
    StringBuilder b = new StringBuilder();
    metrics.forEach(
        (k, v) -> {
          if (b.length() > 0) {
            b.append(", ");
          }
          b.append(k).append('=').append(String.format("%.1f", v));
        });
    return b.toString();
  }

  @Override
  public void close() {
    offsets.close();
    admin.close();
  }
}
