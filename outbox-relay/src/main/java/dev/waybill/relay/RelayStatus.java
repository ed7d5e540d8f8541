package dev.waybill.relay;

import java.time.Duration;
import java.util.Optional;
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
 * @param cdc the replication slot, for a relay in CDC mode
 */
public record RelayStatus(
    String instanceId,
    boolean running,
    Set<Integer> ownedShards,
    long published,
    long deadLettered,
    long retried,
    boolean listening,
    Optional<Cdc> cdc) {

  /**
   * Copies the shard set.
   *
   * @param instanceId the relay's instance id
   * @param running whether its loop runs
   * @param ownedShards the shards it leases now; copied
   * @param published messages acknowledged by Kafka since start
   * @param deadLettered messages dead-lettered since start
   * @param retried failed sends since start that will be retried
   * @param listening whether a PostgreSQL {@code LISTEN} connection is open
   * @param cdc the replication slot's state in CDC mode; null is taken as empty
   */
  public RelayStatus {
    ownedShards = Set.copyOf(ownedShards);
    cdc = cdc == null ? Optional.empty() : cdc;
  }

  /**
   * A polling relay's status.
   *
   * @param instanceId the relay's instance id
   * @param running whether its loop runs
   * @param ownedShards the shards it leases now; copied
   * @param published messages acknowledged by Kafka since start
   * @param deadLettered messages dead-lettered since start
   * @param retried failed sends since start that will be retried
   * @param listening whether a PostgreSQL {@code LISTEN} connection is open
   */
  public RelayStatus(
      String instanceId,
      boolean running,
      Set<Integer> ownedShards,
      long published,
      long deadLettered,
      long retried,
      boolean listening) {
    this(
        instanceId,
        running,
        ownedShards,
        published,
        deadLettered,
        retried,
        listening,
        Optional.empty());
  }

  /**
   * The replication slot as a CDC relay sees it.
   *
   * @param slot the slot name
   * @param active whether this relay reads it (false: it stands by)
   * @param confirmedLsn the last position this relay confirmed (empty before the first)
   * @param lagBytes WAL written since the slot's confirmed position
   * @param confirmedAge time since the commit of the newest confirmed transaction or heartbeat
   */
  public record Cdc(
      String slot, boolean active, String confirmedLsn, long lagBytes, Duration confirmedAge) {}
}
