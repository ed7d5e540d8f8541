package dev.waybill.deploy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * A producer partitioner ({@code kafka.partitioner.class}) that fails the first {@link #failures}
 * records of key {@link #KEY} with a retriable {@link TimeoutException}: a send the relay retries,
 * on a real broker. Keyed records only.
 */
public final class FlakyPartitioner implements Partitioner {
  /** The key whose records fail. */
  public static final String KEY = "relay-retry";

  /** How many more records of {@link #KEY} fail. */
  public static final AtomicInteger failures = new AtomicInteger();

  @Override
  public int partition(
      String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    if (keyBytes != null
        && KEY.equals(new String(keyBytes, StandardCharsets.UTF_8))
        && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new TimeoutException("injected by the test: a send of key " + KEY + " fails");
    }
    return BuiltInPartitioner.partitionForKey(keyBytes, cluster.partitionsForTopic(topic).size());
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
