package dev.waybill.demo;

import dev.waybill.testkit.TopicRecords;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The Kafka side of the demo's own checks: topics, reading a topic whole, re-producing. */
final class Topics {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String bootstrapServers;

  Topics(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  /** Creates the topics (replication factor 1) and waits until every partition has a leader. */
  void create(Map<String, Integer> partitions) throws InterruptedException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "waybill-demo-admin");
    try (Admin admin = Admin.create(p)) {
      List<NewTopic> topics = new ArrayList<>();
      partitions.forEach((name, n) -> topics.add(new NewTopic(name, n, (short) 1)));
      admin.createTopics(topics).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        try {
          Map<String, TopicDescription> d =
              admin
                  .describeTopics(partitions.keySet())
                  .allTopicNames()
                  .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          if (d.values().stream()
              .flatMap(t -> t.partitions().stream())
              .allMatch(t -> t.leader() != null && !t.leader().isEmpty())) {
            return;
          }
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw new IllegalStateException("could not describe topics " + partitions.keySet(), e);
          }
        }
        Thread.sleep(50);
      }
      throw new IllegalStateException("topics " + partitions.keySet() + " have no leaders");
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "could not create topics " + partitions.keySet() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every record of {@code topic}, from the beginning to its end offsets at the time of the call.
   */
  List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    return TopicRecords.readAll(consumerProperties(), topic, TIMEOUT);
  }

  /** How many records {@code topic} holds (the sum of its end offsets; nothing is deleted). */
  long count(String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, TIMEOUT)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      return consumer.endOffsets(partitions, TIMEOUT).values().stream()
          .mapToLong(Long::longValue)
          .sum();
    }
  }

  /** Sends the records again to their topic: same key, value and headers (so the same ce_id). */
  void reproduce(List<ConsumerRecord<byte[], byte[]>> records)
      throws InterruptedException, ExecutionException {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "waybill-demo-duplicator");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        sent.add(
            producer.send(
                new ProducerRecord<byte[], byte[]>(
                    r.topic(), null, r.key(), r.value(), r.headers())));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get();
      }
    }
  }

  private Properties consumerProperties() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "waybill-demo-reader");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** The last value of header {@code name} as text. */
  static Optional<String> header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null || h.value() == null
        ? Optional.empty()
        : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
  }

  /** The key as text ({@code ""} when there is none). */
  static String key(ConsumerRecord<byte[], byte[]> record) {
    return record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
  }
}
