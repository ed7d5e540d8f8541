package dev.waybill.dlq.internal;

import java.io.PrintWriter;

/**
 * A one-line progress bar on standard error, redrawn at most five times a second, for commands that
 * read a whole topic. Never written to standard output, so JSON there stays clean. Not API.
 */
public final class Progress {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final boolean enabled;
  private final String label;
  private final String counted;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  /**
   * @param err standard error
   * @param enabled whether to draw at all
   * @param label the command, e.g. {@code redrive}
   * @param counted what the second counter counts, e.g. {@code sent} or {@code matched}
   * @param total how many records the command reads
   */
  public Progress(PrintWriter err, boolean enabled, String label, String counted, long total) {
    this.err = err;
    this.enabled = enabled;
    this.label = label;
    this.counted = counted;
    this.total = Math.max(1, total);
  }

  /**
   * The same bar for a known number of records.
   *
   * @param total how many records the command reads
   * @return a new bar
   */
  public Progress sized(long total) {
    return new Progress(err, enabled, label, counted, total);
  }

  /**
   * Whether to draw progress: never with {@code --no-progress}; else when asked for with {@code
   * --progress} or when the tool runs on a terminal.
   *
   * @param forced {@code --progress}
   * @param refused {@code --no-progress}
   * @return whether to draw
   */
  public static boolean wanted(boolean forced, boolean refused) {
    return !refused && (forced || System.console() != null);
  }

  /**
   * Redraws, at most five times a second.
   *
   * @param read records read so far
   * @param count records counted (sent, matched) so far
   */
  public void update(long read, long count) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (drawn && now - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = now;
    drawn = true;
    draw(read, count, now);
  }

  /**
   * Draws the final state and ends the line.
   *
   * @param read records read
   * @param count records counted
   */
  public void finish(long read, long count) {
    if (enabled) {
      draw(read, count, System.nanoTime());
      err.println();
      err.flush();
    }
  }

  private void draw(long read, long count, long now) {
    double f = Math.min(1.0, read / (double) total);
    int filled = (int) Math.round(f * WIDTH);
    double secs = Math.max(1e-3, (now - startNanos) / 1e9);
    err.printf(
        "\r%s [%s%s] %3d%%  %d/%d read, %d %s, %.0f records/s ",
        label,
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        Math.round(f * 100),
        read,
        total,
        count,
        counted,
        read / secs);
    err.flush();
  }
}
