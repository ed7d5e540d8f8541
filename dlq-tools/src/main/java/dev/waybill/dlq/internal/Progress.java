package dev.waybill.dlq.internal;

import java.io.PrintWriter;

/** A one-line progress bar on standard error, redrawn at most five times a second. Not API. */
final class Progress {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final boolean enabled;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long lastDraw;

  Progress(PrintWriter err, boolean enabled, long total) {
    this.err = err;
    this.enabled = enabled;
    this.total = Math.max(1, total);
  }

  void update(long read, long sent) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (now - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = now;
    draw(read, sent, now);
  }

  void finish(long read, long sent) {
    if (enabled) {
      draw(read, sent, System.nanoTime());
      err.println();
      err.flush();
    }
  }

  private void draw(long read, long sent, long now) {
    double f = Math.min(1.0, read / (double) total);
    int filled = (int) Math.round(f * WIDTH);
    double secs = Math.max(1e-3, (now - startNanos) / 1e9);
    err.printf(
        "\rredrive [%s%s] %3d%%  %d/%d read, %d sent, %.0f msg/s ",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        Math.round(f * 100),
        read,
        total,
        sent,
        sent / secs);
    err.flush();
  }
}
