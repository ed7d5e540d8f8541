package dev.waybill.dlq.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Fetches a record from its topic by partition and offset, for dead letters that do not carry it (a
 * share group's dead-letter queue copies no headers, and the key and value only when the group is
 * set to). Not thread-safe; one per redrive. Not API.
 */
final class OriginalRecords implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final int MAX_EMPTY_POLLS = 20;

  /**
   * What a fetch found.
   *
   * @param record the original record, when it is still retained
   * @param why when it is not: what is missing and why, for the operator
   */
  record Fetched(Optional<ConsumerRecord<byte[], byte[]>> record, String why) {}

  private final KafkaClients clients;
  private KafkaConsumer<byte[], byte[]> consumer;

  OriginalRecords(KafkaClients clients) {
    this.clients = clients;
  }

  /**
   * The record at {@code topic/partition/offset}, or why it cannot be had.
   *
   * @param topic the original topic
   * @param partition its partition
   * @param offset the record's offset
   * @return the record, or the reason it is gone (deleted by retention, compacted away, never
   *     written)
   */
  Fetched fetch(String topic, int partition, long offset) {
    if (consumer == null) {
      consumer = clients.consumer("waybill-dlq-originals");
    }
    TopicPartition tp = new TopicPartition(topic, partition);
    String where = topic + "/" + partition + "/" + offset;
    if (consumer.partitionsFor(topic).stream().noneMatch(p -> p.partition() == partition)) {
      return gone(where + " does not exist: the topic or partition is gone");
    }
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(List.of(tp));
    Map<TopicPartition, Long> end = consumer.endOffsets(List.of(tp));
    long first = begin.getOrDefault(tp, 0L);
    long next = end.getOrDefault(tp, 0L);
    if (offset < first) {
      return gone(
          "the original record "
              + where
              + " is no longer retained (the partition now starts at offset "
              + first
              + ")");
    }
    if (offset >= next) {
      return gone(
          "the original record "
              + where
              + " was never written (the partition ends at "
              + next
              + ")");
    }
    consumer.assign(List.of(tp));
    consumer.seek(tp, offset);
    for (int empty = 0; empty < MAX_EMPTY_POLLS; ) {
      List<ConsumerRecord<byte[], byte[]>> got = consumer.poll(POLL).records(tp);
      if (got.isEmpty()) {
        empty++;
        continue;
      }
      for (ConsumerRecord<byte[], byte[]> r : got) {
        if (r.offset() == offset) {
          return new Fetched(Optional.of(r), "");
        }
        if (r.offset() > offset) {
          return gone(
              "the original record "
                  + where
                  + " is no longer retained (compacted away or a transaction marker)");
        }
      }
    }
    return gone("the original record " + where + " could not be read within the poll limit");
  }

  private static Fetched gone(String why) {
    return new Fetched(Optional.empty(), why);
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
