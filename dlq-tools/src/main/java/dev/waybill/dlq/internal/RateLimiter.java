package dev.waybill.dlq.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces sends to a fixed schedule (send i at start + i / rate), so short stalls are caught up and
 * the average rate stays at the target; a stall longer than one second is not made up in a burst.
 * Not thread-safe. Not API.
 */
final class RateLimiter {
  private static final long MAX_CATCH_UP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long intervalNanos;
  private long next = Long.MIN_VALUE;

  /**
   * @param perSecond messages per second, or 0 for no limit
   */
  RateLimiter(double perSecond) {
    this.intervalNanos = perSecond <= 0 ? 0 : Math.round(1e9 / perSecond);
  }

  /** Waits until the next send is due. */
  void acquire() {
    if (intervalNanos == 0) {
      return;
    }
    long now = System.nanoTime();
    if (next == Long.MIN_VALUE) {
      next = now;
      return;
    }
    next += intervalNanos;
    if (now - next > MAX_CATCH_UP_NANOS) {
      next = now - MAX_CATCH_UP_NANOS;
    }
    long wait;
    while ((wait = next - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
