package dev.waybill.demo;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The demo's narration: one line per step, prefixed with the seconds since the demo started and the
 * part of the pipeline that speaks. Lines from several threads never interleave.
 */
final class Console {
  private final PrintWriter out;
  private final long started = System.nanoTime();

  Console(PrintWriter out) {
    this.out = out;
  }

  /** Seconds since the demo started. */
  double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  /** {@code [ 4.2s] relay text}. */
  synchronized void say(String who, String format, Object... args) {
    out.printf(
        Locale.ROOT,
        "[%5.1fs] %-6s %s%n",
        seconds(),
        who,
        String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /** A line without prefix. */
  synchronized void plain(String format, Object... args) {
    out.printf(Locale.ROOT, format + "%n", args);
    out.flush();
  }
}
