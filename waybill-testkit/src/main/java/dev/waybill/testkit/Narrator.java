package dev.waybill.testkit;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The narration of the project's programs (the demo, the chaos soak): one line per step, prefixed
 * with the seconds since the program started and the part that speaks, {@code [ 4.2s] relay text}.
 * Lines from several threads never interleave. Thread-safe.
 */
public final class Narrator {
  private final PrintWriter out;
  private final long started = System.nanoTime();

  /**
   * @param out where the lines go; flushed after each line
   */
  public Narrator(PrintWriter out) {
    this.out = out;
  }

  /** Seconds since this narrator was made. */
  public double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  /** {@code [ 4.2s] relay text}. */
  public synchronized void say(String who, String format, Object... args) {
    out.printf(
        Locale.ROOT,
        "[%5.1fs] %-6s %s%n",
        seconds(),
        who,
        String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /** A line without prefix. */
  public synchronized void plain(String format, Object... args) {
    out.printf(Locale.ROOT, format + "%n", args);
    out.flush();
  }
}
