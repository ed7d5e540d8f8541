package dev.waybill.relay;

import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * A producer partitioner (set through {@code kafka.partitioner.class}) that fails every record of
 * one topic with a retriable {@link TimeoutException} until the test clears {@link #failing}: a
 * send that keeps failing for a while, on a real broker that works for every other topic. Keyed
 * records only.
 */
public final class FailingPartitioner implements Partitioner {
  /** The topic whose records fail; null: none. */
  public static volatile String failing;

  @Override
  public int partition(
      String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    if (topic.equals(failing)) {
      throw new TimeoutException("injected by the test: topic " + topic + " is failing");
    }
    return BuiltInPartitioner.partitionForKey(keyBytes, cluster.partitionsForTopic(topic).size());
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
