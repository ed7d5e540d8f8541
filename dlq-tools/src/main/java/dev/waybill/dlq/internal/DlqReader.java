package dev.waybill.dlq.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a topic from given positions up to the end offsets it had when reading started (records
 * appended later are not read), without a consumer group. Not API.
 */
public final class DlqReader implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;

  /**
   * @param clients the Kafka clients
   * @param topic the topic
   */
  public DlqReader(KafkaClients clients, String topic) {
    this.consumer = clients.consumer("waybill-dlq-reader");
    this.topic = topic;
  }

  /**
   * The partitions of the topic.
   *
   * @throws UsageException when the topic does not exist
   */
  public List<TopicPartition> partitions() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
    if (infos == null || infos.isEmpty()) {
      throw new UsageException(
          "'" + topic + "' → TOPIC → no such topic: check the name (kafka-topics --list)");
    }
    List<TopicPartition> out = new ArrayList<>();
    infos.forEach(i -> out.add(new TopicPartition(topic, i.partition())));
    out.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return out;
  }

  /** The first offsets. */
  public Map<Integer, Long> beginnings(List<TopicPartition> tps) {
    Map<Integer, Long> out = new HashMap<>();
    consumer.beginningOffsets(tps, TIMEOUT).forEach((tp, o) -> out.put(tp.partition(), o));
    return out;
  }

  /** The end offsets (the offset the next record will get). */
  public Map<Integer, Long> ends(List<TopicPartition> tps) {
    Map<Integer, Long> out = new HashMap<>();
    consumer.endOffsets(tps, TIMEOUT).forEach((tp, o) -> out.put(tp.partition(), o));
    return out;
  }

  /**
   * Reads every partition in {@code from} from its offset up to (excluding) its offset in {@code
   * to}, in order per partition, until the handler returns false.
   */
  public void read(Map<Integer, Long> from, Map<Integer, Long> to, Handler handler) {
    Map<Integer, Long> left = new HashMap<>();
    List<TopicPartition> assign = new ArrayList<>();
    from.forEach(
        (p, o) -> {
          if (o < to.getOrDefault(p, 0L)) {
            left.put(p, to.get(p));
            assign.add(new TopicPartition(topic, p));
          }
        });
    consumer.assign(assign);
    for (TopicPartition tp : assign) {
      consumer.seek(tp, from.get(tp.partition()));
    }
    while (!left.isEmpty()) {
      ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
      for (TopicPartition tp : records.partitions()) {
        Long stop = left.get(tp.partition());
        if (stop == null) {
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
          if (r.offset() >= stop) {
            break;
          }
          if (!handler.handle(r)) {
            consumer.assign(List.of());
            return;
          }
        }
      }
      // a partition is done when the position reached the stop offset (gaps from compaction or
      // transaction markers included)
      for (TopicPartition tp : new ArrayList<>(consumer.assignment())) {
        Long stop = left.get(tp.partition());
        if (stop != null && consumer.position(tp, TIMEOUT) >= stop) {
          left.remove(tp.partition());
          consumer.pause(List.of(tp));
        }
      }
    }
    consumer.assign(List.of());
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }

  /** Receives records; returns false to stop reading. */
  @FunctionalInterface
  public interface Handler {
    /** Handles one record. */
    boolean handle(ConsumerRecord<byte[], byte[]> record);
  }
}
