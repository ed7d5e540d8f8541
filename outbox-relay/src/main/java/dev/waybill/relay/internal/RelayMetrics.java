package dev.waybill.relay.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The relay's meters, all tagged with {@code instance}. Names (Prometheus form in brackets): see
 * docs/relay.md. Not API.
 */
public final class RelayMetrics implements LeaseManager.Listener {
  final Counter published;
  final Counter retried;
  final Counter deadLettered;
  final Counter held;
  final Counter leaseRenewals;
  final Counter leaseLosses;
  final Counter leaseAcquired;
  final Counter leaseReleased;
  final Timer latency;
  final DistributionSummary batchSize;
  final AtomicLong ownedShards = new AtomicLong();
  final AtomicLong pending = new AtomicLong();
  final AtomicLong oldestAgeMillis = new AtomicLong();
  final AtomicLong deadLetterRows = new AtomicLong();
  final AtomicLong parkedKeys = new AtomicLong();
  final AtomicLong parkedMessages = new AtomicLong();
  private final MeterRegistry registry;
  private final String instance;

  /**
   * @param registry where to register
   * @param instance the relay id
   */
  public RelayMetrics(MeterRegistry registry, String instance) {
    this.registry = registry;
    this.instance = instance;
    published =
        Counter.builder("waybill.relay.published")
            .description("Messages published and acknowledged by Kafka")
            .tag("instance", instance)
            .register(registry);
    retried =
        Counter.builder("waybill.relay.retried")
            .description("Message sends that failed and will be retried")
            .tag("instance", instance)
            .register(registry);
    deadLettered =
        Counter.builder("waybill.relay.dead.lettered")
            .description("Messages moved to the outbox dead-letter table")
            .tag("instance", instance)
            .register(registry);
    held =
        Counter.builder("waybill.relay.held")
            .description("Sends held back because an earlier message of the key was unresolved")
            .tag("instance", instance)
            .register(registry);
    leaseRenewals =
        Counter.builder("waybill.relay.lease.renewals")
            .description("Successful lease renewals")
            .tag("instance", instance)
            .register(registry);
    leaseLosses =
        Counter.builder("waybill.relay.lease.losses")
            .description("Shard leases lost (expired or taken before renewal)")
            .tag("instance", instance)
            .register(registry);
    leaseAcquired =
        Counter.builder("waybill.relay.lease.acquired")
            .description("Shard leases taken")
            .tag("instance", instance)
            .register(registry);
    leaseReleased =
        Counter.builder("waybill.relay.lease.released")
            .description("Shard leases given back")
            .tag("instance", instance)
            .register(registry);
    latency =
        Timer.builder("waybill.relay.publish.latency")
            .description("From the message's write (created_at) to Kafka's acknowledgement")
            .tag("instance", instance)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    batchSize =
        DistributionSummary.builder("waybill.relay.batch.size")
            .description("Rows per claimed batch")
            .tag("instance", instance)
            .register(registry);
    gauge(registry, "waybill.relay.shards.owned", "Shards this relay owns", instance, ownedShards);
    gauge(registry, "waybill.relay.pending", "Rows in the outbox table", instance, pending);
    Gauge.builder("waybill.relay.oldest.age", oldestAgeMillis, v -> v.get() / 1000.0)
        .description("Age of the oldest unpublished message")
        .baseUnit("seconds")
        .tag("instance", instance)
        .register(registry);
    gauge(
        registry,
        "waybill.relay.dead.letters",
        "Rows in the outbox dead-letter table",
        instance,
        deadLetterRows);
    gauge(
        registry,
        "waybill.relay.parked.keys",
        "Keys parked behind a dead-lettered message",
        instance,
        parkedKeys);
    gauge(
        registry,
        "waybill.relay.parked.messages",
        "Messages waiting behind parked keys",
        instance,
        parkedMessages);
  }

  private static void gauge(
      MeterRegistry registry, String name, String description, String instance, AtomicLong v) {
    Gauge.builder(name, v, AtomicLong::get)
        .description(description)
        .tag("instance", instance)
        .register(registry);
  }

  /**
   * Registers the CDC mode's gauges: whether this relay reads the slot, the slot's lag in bytes and
   * the age of the newest confirmed position.
   */
  public void registerCdc(
      java.util.function.Supplier<Number> active,
      java.util.function.Supplier<Number> lagBytes,
      java.util.function.Supplier<Number> confirmedAgeSeconds) {
    Gauge.builder("waybill.relay.cdc.active", active)
        .description("1 when this relay reads the replication slot, 0 when it stands by")
        .tag("instance", instance)
        .register(registry);
    Gauge.builder("waybill.relay.cdc.slot.lag", lagBytes)
        .description("WAL written since the slot's confirmed position")
        .baseUnit("bytes")
        .tag("instance", instance)
        .register(registry);
    Gauge.builder("waybill.relay.cdc.confirmed.age", confirmedAgeSeconds)
        .description(
            "Age of the newest confirmed position: since the commit of the last transaction"
                + " (or heartbeat) the slot confirmed")
        .baseUnit("seconds")
        .tag("instance", instance)
        .register(registry);
  }

  /**
   * Records the acknowledged rows of a settled batch: one counter increment, and each row's latency
   * from its write to the batch's last acknowledgement (the records of a batch are acknowledged
   * within a few milliseconds of each other). Called on the relay's loop, not on the producer's I/O
   * thread.
   *
   * @return how many rows were acknowledged
   */
  public int published(KafkaPublisher.Batch batch) {
    long at = batch.settledAtMillis();
    int n = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (batch.acked(i)) {
        n++;
        long ms = at - batch.row(i).createdAt().toEpochMilli();
        latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
      }
    }
    if (n > 0) {
      published.increment(n);
    }
    return n;
  }

  /** Updates the backlog gauges. */
  public void backlog(OutboxStore.Backlog b) {
    pending.set(b.pending());
    oldestAgeMillis.set(
        b.oldest().map(t -> Math.max(0, Duration.between(t, Instant.now()).toMillis())).orElse(0L));
    deadLetterRows.set(b.deadLetters());
    parkedKeys.set(b.parkedKeys());
    parkedMessages.set(b.held());
  }

  @Override
  public void renewed(int owned) {
    leaseRenewals.increment();
    ownedShards.set(owned);
  }

  @Override
  public void acquired(Set<Integer> shards) {
    leaseAcquired.increment(shards.size());
  }

  @Override
  public void released(Set<Integer> shards) {
    leaseReleased.increment(shards.size());
  }

  @Override
  public void lost(Set<Integer> shards) {
    leaseLosses.increment(shards.size());
  }

  /** Records a claimed batch's size. */
  public void batchSize(int rows) {
    batchSize.record(rows);
  }

  /** Records a failed send that will be retried. */
  public void retried() {
    retried.increment();
  }

  /** Records a dead-lettered message. */
  public void deadLettered() {
    deadLettered.increment();
  }

  /** Records a send held back behind an unresolved message of its key. */
  public void held() {
    held.increment();
  }

  /** Retried so far. */
  public long retriedCount() {
    return (long) retried.count();
  }

  /** Published so far (for status and tests). */
  public long publishedCount() {
    return (long) published.count();
  }

  /** Dead-lettered so far. */
  public long deadLetteredCount() {
    return (long) deadLettered.count();
  }

  /** Currently owned shards. */
  public long ownedShards() {
    return ownedShards.get();
  }
}
