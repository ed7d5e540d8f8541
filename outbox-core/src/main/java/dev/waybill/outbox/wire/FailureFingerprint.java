package dev.waybill.outbox.wire;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A failure's fingerprint: the exception class and the top application frame, e.g. {@code
 * java.lang.IllegalStateException@com.acme.Orders.apply}. Frames of the JDK, of the libraries
 * between the application and its database or broker, and of Waybill itself are skipped; line
 * numbers are left out so the fingerprint survives unrelated edits. The inbox consumer writes it
 * into dead letters ({@link DeadLetterHeaders#FINGERPRINT}); the DLQ tool computes the same value
 * from the stack-trace text of dead letters written by other tools, so failures of one cause group
 * together whoever wrote them.
 */
public final class FailureFingerprint {
  /** Package prefixes whose frames are never the "application frame". */
  public static final List<String> FRAMEWORK_PACKAGES =
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
          "org.springframework.",
          "dev.waybill.inbox.internal.",
          "dev.waybill.outbox.");

  private static final Pattern FRAME = Pattern.compile("^\\s*at\\s+([\\w$.]+)\\.([\\w$<>]+)\\(");

  private FailureFingerprint() {}

  /**
   * The fingerprint of a failure.
   *
   * @param failure the exception; its class and top application frame count, its message does not
   * @return {@code class@topFrame} (or only the class when there is no frame), equal for failures
   *     with the same cause
   */
  public static String of(Throwable failure) {
    StackTraceElement top = topApplicationFrame(failure.getStackTrace());
    String cls = failure.getClass().getName();
    return top == null ? cls : cls + "@" + top.getClassName() + "." + top.getMethodName();
  }

  /**
   * The fingerprint of a failure known only as text: its class and the stack trace as printed by
   * {@link Throwable#printStackTrace()} (frames after the first {@code Caused by:} are ignored).
   *
   * @param exceptionClass the fully qualified class name
   * @param stackTrace the printed stack trace, or null when unknown
   * @return the same value {@link #of(Throwable)} gives for that failure
   */
  public static String of(String exceptionClass, String stackTrace) {
    String first = null;
    for (String line : stackTrace.split("\n")) {
      if (line.trim().startsWith("Caused by:")) {
        break;
      }
      Matcher m = FRAME.matcher(line);
      if (!m.find()) {
        continue;
      }
      String cls = m.group(1);
      String frame = cls + "." + m.group(2);
      if (first == null) {
        first = frame;
      }
      if (isApplication(cls)) {
        return exceptionClass + "@" + frame;
      }
    }
    return first == null ? exceptionClass : exceptionClass + "@" + first;
  }

  /**
   * The first frame outside the framework packages; else the first frame; or null.
   *
   * @param frames a stack trace, possibly empty
   * @return the frame, or null when there are no frames
   */
  public static StackTraceElement topApplicationFrame(StackTraceElement[] frames) {
    for (StackTraceElement f : frames) {
      if (isApplication(f.getClassName())) {
        return f;
      }
    }
    return frames.length > 0 ? frames[0] : null;
  }

  private static boolean isApplication(String className) {
    return FRAMEWORK_PACKAGES.stream().noneMatch(className::startsWith);
  }
}
