package dev.waybill.bench;

import java.util.Arrays;

/**
 * Figures of one timed block of operations: throughput over the block's wall time and latency
 * percentiles of the individual operations.
 *
 * @param operations how many operations were timed
 * @param perSecond operations per second over the block's wall time
 * @param meanMicros mean latency (wall time / operations), in microseconds
 * @param p50Micros median latency, in microseconds
 * @param p99Micros 99th percentile latency, in microseconds
 */
record LatencyStats(
    int operations, double perSecond, double meanMicros, double p50Micros, double p99Micros) {

  /**
   * @param latenciesNanos one latency per operation (sorted in place)
   * @param wallNanos the wall time of the whole block
   */
  static LatencyStats of(long[] latenciesNanos, long wallNanos) {
    if (latenciesNanos.length == 0 || wallNanos <= 0) {
      throw new IllegalArgumentException("no operations were timed");
    }
    Arrays.sort(latenciesNanos);
    int n = latenciesNanos.length;
    return new LatencyStats(
        n,
        n * 1e9 / wallNanos,
        wallNanos / 1e3 / n,
        percentile(latenciesNanos, 0.50) / 1e3,
        percentile(latenciesNanos, 0.99) / 1e3);
  }

  /** Nearest-rank percentile of sorted values. */
  static double percentile(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** The median of some values (mean of the two middle ones for an even count). */
  static double median(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("median of no values");
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
}
