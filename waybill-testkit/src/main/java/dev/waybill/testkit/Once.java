package dev.waybill.testkit;

import java.util.function.Supplier;

/**
 * A value computed at most once per JVM. A failure is remembered too, so that every later caller
 * fails the same way instead of trying again (and, say, waiting for a dead server each time).
 */
final class Once<T> {

  private final Supplier<T> supplier;
  private boolean done;
  private T value;
  private RuntimeException failure;

  Once(Supplier<T> supplier) {
    this.supplier = supplier;
  }

  synchronized T get() {
    if (!done) {
      try {
        value = supplier.get();
      } catch (RuntimeException e) {
        failure = e;
      } catch (Error e) {
        failure = new IllegalStateException(e.toString(), e);
      }
      done = true;
    }
    if (failure != null) {
      throw new IllegalStateException(failure.getMessage(), failure);
    }
    return value;
  }

  /** Describes the outcome without computing it. */
  synchronized String describe(java.util.function.Function<T, String> describer) {
    if (!done) {
      return "not started yet";
    }
    return failure != null ? "failed: " + failure.getMessage() : describer.apply(value);
  }
}
