package dev.waybill.relay;

import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.testkit.LogLines;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** How a relay that lacks a privilege fails: its start refused, or a WARN line while it runs. */
final class StartFailure {
  private StartFailure() {}

  /**
   * Starts the relay and returns the start's error text, or else the first WARN (or worse) line
   * that {@code names} accepts; waits up to 30 s for one, then closes the relay.
   *
   * @param relay a relay not started yet
   * @param names whether a text names what is missing
   * @param what what is missing, for the timeout's message
   */
  static String of(Relay relay, Predicate<String> names, String what) {
    LogLines logs = LogLines.of("dev.waybill.relay");
    AtomicReference<String> failure = new AtomicReference<>();
    try {
      try {
        relay.start();
      } catch (RuntimeException e) {
        failure.set(String.valueOf(e.getMessage()));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .alias("a failure naming what is missing without: " + what)
          .until(
              () -> {
                if (failure.get() == null) {
                  logs.atLeast(Level.WARN).stream()
                      .filter(names)
                      .findFirst()
                      .ifPresent(failure::set);
                }
                return failure.get() != null;
              });
    } finally {
      logs.close();
      relay.close();
    }
    return failure.get();
  }
}
