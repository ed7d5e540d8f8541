package dev.waybill.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic for a check: every record from the beginning up to the end offsets at the
 * time of the call, with an assigned consumer (no group, no commits), so the same topic can be read
 * again and again. Also small accessors for UTF-8 headers and values. For tests and the demo.
 */
public final class TopicRecords {
  private TopicRecords() {}

  /**
   * Every record of {@code topic} from its beginning to its current end.
   *
   * @param consumer consumer properties with at least {@code bootstrap.servers}; deserializers are
   *     set to byte arrays here
   * @param topic the topic
   * @param timeout how long the whole read may take
   * @return the records, partition by partition in offset order
   * @throws IllegalStateException when the end is not reached within {@code timeout}
   */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(
      Properties consumer, String topic, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(consumer, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : c.partitionsFor(topic, timeout)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(partitions, timeout));
      end.values().removeIf(v -> v == 0);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!end.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end in " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          records.add(r);
        }
        end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
      }
    }
    return records;
  }

  /**
   * The last value of a header as UTF-8 text.
   *
   * @param record the record
   * @param name the header name
   * @return its value, or null when the record has no such header
   */
  public static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /**
   * The record's value as UTF-8 text.
   *
   * @param record the record
   * @return the value, or null for a tombstone
   */
  public static String value(ConsumerRecord<byte[], byte[]> record) {
    return record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
  }
}
