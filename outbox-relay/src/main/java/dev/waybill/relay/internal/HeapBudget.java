package dev.waybill.relay.internal;

import dev.waybill.outbox.config.Setting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * How many payload bytes a relay may hold per claim, from the JVM's heap. A polling relay holds up
 * to two claims at once (one in flight in the producer while the next is read), and each claimed
 * byte exists several times while it moves: in the JDBC driver's buffer (PostgreSQL sends {@code
 * bytea} as hex text, twice the bytes), in the row, and in the producer's record buffer. So a claim
 * may take a sixteenth of the heap that the producer's {@code buffer.memory} leaves ({@code auto}),
 * and at most a quarter of it when set explicitly. Not API.
 */
public final class HeapBudget {
  /** Kafka's default {@code buffer.memory}. */
  static final long KAFKA_DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;

  /** {@code auto}: this part of the heap left after the producer's buffer. */
  public static final int AUTO_DIVISOR = 16;

  /** An explicit bound: at most this part of the heap left after the producer's buffer. */
  public static final int MAX_DIVISOR = 4;

  /** {@code auto} never goes below this, whatever the heap. */
  public static final long MIN_AUTO = 256L * 1024;

  private HeapBudget() {}

  /** The JVM's heap limit ({@code -Xmx}, or what the JVM chose). */
  public static long maxHeap() {
    return Runtime.getRuntime().maxMemory();
  }

  /** The producer's {@code buffer.memory}: the user's value, or Kafka's default. */
  public static long producerBuffer(Map<String, String> kafka) {
    String v = kafka.get(ProducerConfig.BUFFER_MEMORY_CONFIG);
    if (v != null) {
      try {
        return Math.max(0, Long.parseLong(v.trim()));
      } catch (NumberFormatException e) {
        // the producer reports the invalid value when it is created
      }
    }
    return KAFKA_DEFAULT_BUFFER_MEMORY;
  }

  /** The heap left for the relay's batches once the producer's buffer is full. */
  static long room(long heap, long producerBuffer) {
    return Math.max(0, heap - producerBuffer);
  }

  /**
   * The bound in use: {@code configured}, or for {@link Setting#AUTO} a sixteenth of the heap left
   * after the producer's buffer (at least {@link #MIN_AUTO}).
   */
  public static long batchMaxBytes(long configured, long heap, long producerBuffer) {
    if (configured != Setting.AUTO) {
      return configured;
    }
    return Math.max(MIN_AUTO, room(heap, producerBuffer) / AUTO_DIVISOR);
  }

  /**
   * What keeps the configured bound (and the largest message) from fitting the heap, as "value →
   * key → why → what to do" lines; empty when it fits.
   */
  public static List<String> problems(
      long configured, int maxMessageBytes, long heap, long producerBuffer) {
    List<String> problems = new ArrayList<>();
    String heapText = "the heap (" + mib(heap) + " MiB, -Xmx)";
    if (producerBuffer > heap / 2) {
      problems.add(
          "'"
              + producerBuffer
              + "' → kafka.buffer.memory → takes more than half of "
              + heapText
              + ", leaving too little for the relay's batches; lower it or give the JVM more"
              + " heap");
      return problems;
    }
    long limit = room(heap, producerBuffer) / MAX_DIVISOR;
    if (configured != Setting.AUTO && configured > limit) {
      problems.add(
          "'"
              + Setting.formatSize(configured)
              + "' → relay.batch.max.bytes → does not fit "
              + heapText
              + ": at most a quarter of the heap left after kafka.buffer.memory, here "
              + limit
              + " bytes (a claim is held twice and copied while it is sent); lower it, use"
              + " auto, or give the JVM more heap");
    }
    if (maxMessageBytes > limit) {
      problems.add(
          "'"
              + maxMessageBytes
              + "' → outbox.message.max.bytes → a message this large does not fit "
              + heapText
              + ": at most "
              + limit
              + " bytes (a quarter of the heap left after kafka.buffer.memory); give the JVM more"
              + " heap or lower the limit");
    }
    return problems;
  }

  private static long mib(long bytes) {
    return bytes / (1024 * 1024);
  }
}
