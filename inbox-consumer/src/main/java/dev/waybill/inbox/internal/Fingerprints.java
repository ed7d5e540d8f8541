package dev.waybill.inbox.internal;

import java.util.List;

/**
 * A failure's fingerprint: the exception class and the top application frame, e.g. {@code
 * java.lang.IllegalStateException@com.acme.Orders.apply}. Frames of the JDK, of libraries between
 * Waybill and the database/broker, and of Waybill itself are skipped; line numbers are left out so
 * the fingerprint survives unrelated edits. Not API.
 */
public final class Fingerprints {
  private static final List<String> FRAMEWORK =
      List.of(
          "java.",
          "javax.",
          "jdk.",
          "sun.",
          "com.sun.",
          "org.jdbi.",
          "org.postgresql.",
          "org.mariadb.",
          "com.mysql.",
          "org.h2.",
          "com.zaxxer.hikari.",
          "io.github.resilience4j.",
          "org.apache.kafka.",
          "dev.waybill.inbox.internal.",
          "dev.waybill.outbox.");

  private Fingerprints() {}

  /** The fingerprint of {@code failure}. */
  public static String of(Throwable failure) {
    StackTraceElement top = topApplicationFrame(failure);
    String cls = failure.getClass().getName();
    return top == null ? cls : cls + "@" + top.getClassName() + "." + top.getMethodName();
  }

  /** The first frame outside the JDK, drivers, Kafka and Waybill; else the first frame; or null. */
  static StackTraceElement topApplicationFrame(Throwable failure) {
    StackTraceElement[] frames = failure.getStackTrace();
    for (StackTraceElement f : frames) {
      if (FRAMEWORK.stream().noneMatch(p -> f.getClassName().startsWith(p))) {
        return f;
      }
    }
    return frames.length > 0 ? frames[0] : null;
  }
}
