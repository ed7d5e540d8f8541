package dev.waybill.chaos;

import java.io.PrintStream;
import java.util.Locale;

/** The rig's narration on standard output, each line stamped with the seconds since the start. */
final class Console {
  private final long start = System.nanoTime();
  private final PrintStream out;

  Console(PrintStream out) {
    this.out = out;
  }

  /** Seconds since the rig started. */
  double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  synchronized void say(String who, String format, Object... args) {
    out.printf(
        Locale.ROOT,
        "[%6.1fs] %-8s %s%n",
        elapsed(),
        who,
        String.format(Locale.ROOT, format, args));
    out.flush();
  }

  synchronized void plain(String format, Object... args) {
    out.printf(Locale.ROOT, format + "%n", args);
    out.flush();
  }
}
