package dev.waybill.relay.internal;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the relays do when one of their threads meets an error they cannot recover from in this
 * process (an {@link Error} such as {@link OutOfMemoryError}, or a producer whose I/O thread died):
 * say so once at ERROR and stop, so that {@code /health} goes DOWN and the sidecar exits non-zero
 * to be restarted, instead of a relay that looks alive and publishes nothing. Not API.
 */
public final class FatalError {
  private static final Logger LOG = LoggerFactory.getLogger(FatalError.class);

  private FatalError() {}

  /** Whether {@code e} stops the relay rather than being retried. */
  public static boolean isFatal(Throwable e) {
    return e instanceof Error || e instanceof KafkaPublisher.ProducerStalledException;
  }

  /**
   * Logs the failure at ERROR with what happens next.
   *
   * @param instance the relay id
   * @param where the thread or task that failed, e.g. {@code publish loop}
   * @param e the error
   * @param leaseTtl when set, the relay abandons its in-flight sends and its shard leases expire
   *     within this time (as after {@code kill -9}), so no other relay overtakes them
   */
  public static void report(String instance, String where, Throwable e, Duration leaseTtl) {
    LOG.error(
        "relay {}: the {} failed with {}; the relay stops publishing, /health is DOWN and the"
            + " sidecar exits with status 1 to be restarted{}",
        instance,
        where,
        e.toString(),
        leaseTtl == null
            ? ""
            : " (in-flight sends are abandoned; its leases expire within " + leaseTtl + ")",
        e);
  }
}
