package dev.waybill.dlq;

import dev.waybill.dlq.internal.Progress;
import picocli.CommandLine.Option;

/**
 * {@code --progress} and {@code --no-progress} of the commands that read a whole topic. The bar
 * goes to standard error, by default only when the tool runs on a terminal.
 */
final class ProgressOptions {
  @Option(
      names = "--progress",
      description = "Draw a progress bar on standard error even when it is not a terminal.")
  boolean progress;

  @Option(names = "--no-progress", description = "No progress bar, even on a terminal.")
  boolean noProgress;

  boolean wanted() {
    return Progress.wanted(progress, noProgress);
  }

  /** A bar for a scan by {@code command} that counts the matching records. */
  Progress bar(java.io.PrintWriter err, String command) {
    return new Progress(err, wanted(), command, "matched", 0);
  }
}
