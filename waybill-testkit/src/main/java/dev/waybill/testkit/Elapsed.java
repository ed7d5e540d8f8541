package dev.waybill.testkit;

import java.time.Duration;

/** Elapsed time for log lines. */
final class Elapsed {

  private Elapsed() {}

  /** Milliseconds since {@code nanoTime}, a value of {@link System#nanoTime()}. */
  static long millisSince(long nanoTime) {
    return Duration.ofNanos(System.nanoTime() - nanoTime).toMillis();
  }
}
