package dev.waybill.spring.internal;

import dev.waybill.relay.Relay;
import java.util.Optional;
import java.util.function.Supplier;
import org.springframework.context.SmartLifecycle;

/**
 * Runs an embedded relay with the application context: built and started once every singleton
 * exists (so the schema is in place and the application's {@code MeterRegistry} is there), closed
 * gracefully when the context closes, before the {@code DataSource} is: the in-flight batch is
 * finished and the shard leases are given back, so another instance takes over at once.
 * Thread-safe. Not API.
 */
public final class RelayLifecycle implements SmartLifecycle {
  /**
   * Started before and stopped after the web server's graceful shutdown, so requests that write to
   * the outbox still have a relay while they finish.
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

  private final Supplier<Relay> factory;
  private volatile Relay relay;

  /**
   * @param factory builds a relay that is not started yet; called at each start
   */
  public RelayLifecycle(Supplier<Relay> factory) {
    this.factory = factory;
  }

  @Override
  public synchronized void start() {
    if (relay == null) {
      Relay r = factory.get();
      r.start();
      relay = r;
    }
  }

  @Override
  public synchronized void stop() {
    Relay r = relay;
    relay = null;
    if (r != null) {
      r.close();
    }
  }

  @Override
  public boolean isRunning() {
    return relay != null;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /**
   * The running relay.
   *
   * @return the relay between start and stop, else empty
   */
  public Optional<Relay> relay() {
    return Optional.ofNullable(relay);
  }
}
