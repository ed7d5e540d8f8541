package dev.waybill.spring.internal;

import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayStatus;
import java.util.Optional;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The embedded relay's health from its own status: {@code UP} when it runs and both the database
 * and Kafka answered recently ({@link Relay#healthy()}), {@code DOWN} otherwise; the details say
 * what it does (owned shards, published, retried, dead-lettered). Not API.
 */
public final class RelayHealthIndicator implements HealthIndicator {
  private final RelayLifecycle lifecycle;

  /**
   * @param lifecycle the embedded relay
   */
  public RelayHealthIndicator(RelayLifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  @Override
  public Health health() {
    Optional<Relay> running = lifecycle.relay();
    if (running.isEmpty()) {
      return Health.down().withDetail("running", false).build();
    }
    Relay relay = running.get();
    RelayStatus s = relay.status();
    Health.Builder b = relay.healthy() ? Health.up() : Health.down();
    b.withDetail("instance", s.instanceId())
        .withDetail("running", s.running())
        .withDetail("live", relay.live())
        .withDetail("ownedShards", s.ownedShards().size())
        .withDetail("published", s.published())
        .withDetail("retried", s.retried())
        .withDetail("deadLettered", s.deadLettered())
        .withDetail("listening", s.listening());
    s.cdc()
        .ifPresent(
            c ->
                b.withDetail("cdcSlot", c.slot())
                    .withDetail("cdcActive", c.active())
                    .withDetail("cdcLagBytes", c.lagBytes()));
    return b.build();
  }
}
