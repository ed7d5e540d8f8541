package dev.waybill.relay;

import dev.waybill.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;

/** Reads what the relay published to a topic, from the beginning, with a fresh consumer group. */
final class Published {
  private Published() {}

  /**
   * One record as the test sees it.
   *
   * @param partition partition
   * @param offset offset
   * @param key key (UTF-8) or null
   * @param value value (UTF-8)
   * @param headers last value of each header (UTF-8)
   * @param timestamp the record's timestamp (CreateTime: the producer's clock when {@code send()}
   *     was called), epoch millis
   */
  record Rec(
      int partition,
      long offset,
      String key,
      String value,
      Map<String, String> headers,
      long timestamp) {
    String id() {
      return headers.get("ce_id");
    }

    /** The {@code ce_source} header: which relay sent it, when each relay has its own source. */
    String source() {
      return headers.get("ce_source");
    }
  }

  /** Polls the test broker until at least {@code atLeast} records arrived or the timeout passed. */
  static List<Rec> read(String topic, int atLeast, Duration timeout) {
    return read(TestKafka.get().bootstrapServers(), topic, atLeast, timeout);
  }

  /** As {@link #read(String, int, Duration)}, from the cluster at {@code bootstrapServers}. */
  static List<Rec> read(String bootstrapServers, String topic, int atLeast, Duration timeout) {
    Properties p = TestKafka.get().consumerProperties("verify-" + UUID.randomUUID());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    List<Rec> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of(topic));
      long end = System.nanoTime() + timeout.toNanos();
      int quietPolls = 0;
      while (System.nanoTime() < end) {
        int before = out.size();
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(250))) {
          Map<String, String> h = new HashMap<>();
          for (Header header : r.headers()) {
            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
          }
          out.add(
              new Rec(
                  r.partition(),
                  r.offset(),
                  r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                  new String(r.value(), StandardCharsets.UTF_8),
                  h,
                  r.timestamp()));
        }
        if (out.size() >= atLeast) {
          // keep reading briefly to catch duplicates or extras
          quietPolls = out.size() == before ? quietPolls + 1 : 0;
          if (quietPolls >= 2) {
            break;
          }
        }
      }
    }
    return out;
  }
}
