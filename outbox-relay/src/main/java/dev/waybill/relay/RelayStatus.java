package dev.waybill.relay;

import java.util.Set;

/**
 * What one relay instance did since it started.
 *
 * @param instanceId the relay
 * @param running whether its loop runs
 * @param ownedShards the shards it leases now
 * @param published messages acknowledged by Kafka
 * @param deadLettered messages moved to the dead-letter table
 * @param retried failed sends that will be retried
 * @param listening whether it is woken by PostgreSQL NOTIFY
 */
public record RelayStatus(
    String instanceId,
    boolean running,
    Set<Integer> ownedShards,
    long published,
    long deadLettered,
    long retried,
    boolean listening) {

  /** Copies the shard set. */
  public RelayStatus {
    ownedShards = Set.copyOf(ownedShards);
  }
}
