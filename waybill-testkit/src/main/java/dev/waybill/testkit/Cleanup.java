package dev.waybill.testkit;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One JVM shutdown hook that stops everything the testkit started, the most recently started first.
 */
final class Cleanup {

  /** A step run at JVM exit. */
  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  private static final Deque<Step> STEPS = new ArrayDeque<>();
  private static boolean hookInstalled;

  private Cleanup() {}

  /** Runs {@code step} when the JVM exits; its failures are printed, not thrown. */
  static synchronized void atExit(String description, Step step) {
    if (!hookInstalled) {
      Runtime.getRuntime().addShutdownHook(new Thread(Cleanup::runAll, "waybill-testkit-shutdown"));
      hookInstalled = true;
    }
    STEPS.push(
        () -> {
          try {
            step.run();
          } catch (Exception | LinkageError e) {
            System.err.println("waybill-testkit: could not " + description + ": " + e);
          }
        });
  }

  private static void runAll() {
    while (true) {
      Step step;
      synchronized (Cleanup.class) {
        step = STEPS.poll();
      }
      if (step == null) {
        return;
      }
      try {
        step.run();
      } catch (Exception e) {
        // already reported by the wrapper
      }
    }
  }
}
