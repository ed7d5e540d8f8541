package dev.waybill.relay;

import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

/**
 * A producer partitioner (set through {@code kafka.partitioner.class}) that throws an {@link
 * OutOfMemoryError} in the thread that sends, the relay's publish loop, as a real allocation there
 * would under memory pressure.
 */
public final class DyingPartitioner implements Partitioner {
  @Override
  public int partition(
      String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    throw new OutOfMemoryError("injected by the test in " + Thread.currentThread().getName());
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
