package dev.waybill.relay.cli;

import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT handling, so that a stopped relay shuts down gracefully and exits 0 (a JVM
 * that only runs shutdown hooks exits 143 on SIGTERM). Falls back to a shutdown hook where the
 * JDK's signal API is unavailable.
 */
final class Signals {
  private Signals() {}

  static void onTermination(Runnable action) {
    try {
      sun.misc.SignalHandler handler = sig -> action.run();
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
    } catch (Throwable e) {
      LoggerFactory.getLogger(Signals.class)
          .warn("signal handling unavailable ({}); using a shutdown hook", e.toString());
      Runtime.getRuntime().addShutdownHook(new Thread(action, "waybill-relay-stop"));
    }
  }
}
