package dev.waybill.outbox.internal;

/**
 * Whether the OpenTelemetry API is on the class path. Code that uses it lives in classes of its own
 * ({@link OpenTelemetryTraceparent}, the inbox consumer's span code), loaded only when this answers
 * true, so applications without OpenTelemetry never load them. This class names no OpenTelemetry
 * type. Not API.
 */
public final class OpenTelemetryPresence {
  private static final boolean PRESENT = detect();

  private OpenTelemetryPresence() {}

  /**
   * Whether the OpenTelemetry API (trace and context) can be loaded by Waybill's class loader.
   *
   * @return true when OpenTelemetry-using classes may be loaded
   */
  public static boolean isPresent() {
    return PRESENT;
  }

  private static boolean detect() {
    ClassLoader loader = OpenTelemetryPresence.class.getClassLoader();
    try {
      Class.forName("io.opentelemetry.api.trace.Span", false, loader);
      Class.forName("io.opentelemetry.context.Context", false, loader);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
