package dev.waybill.outbox.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

  /**
   * Exceptions that only carry another failure: Spring Kafka's listener and conversion wrappers and
   * the JDK's future and reflection wrappers. A dead letter whose failure is one of these is
   * grouped by the first cause that is not.
   */
  public static final List<String> WRAPPER_CLASSES =
      List.of(
          "org.springframework.kafka.listener.ListenerExecutionFailedException",
          "org.springframework.kafka.listener.TimestampedException",
          "org.springframework.kafka.support.converter.ConversionException",
          "org.springframework.messaging.converter.MessageConversionException",
          "org.springframework.messaging.handler.invocation.MethodArgumentResolutionException",
          "java.util.concurrent.CompletionException",
          "java.util.concurrent.ExecutionException",
          "java.lang.reflect.InvocationTargetException",
          "java.lang.reflect.UndeclaredThrowableException");

  private static final Pattern FRAME = Pattern.compile("^\\s*at\\s+([\\w$.]+)\\.([\\w$<>]+)\\(");
  private static final Pattern CAUSED_BY = Pattern.compile("^Caused by:\\s*([\\w$.]+)");

  /**
   * The failure a wrapper exception carries, known from text.
   *
   * @param exceptionClass the class of the first cause that is not a {@linkplain #WRAPPER_CLASSES
   *     wrapper}
   * @param fingerprint its fingerprint: that class and the top application frame of its own stack
   *     frames
   */
  public record Cause(String exceptionClass, String fingerprint) {}

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
   * Whether an exception class only wraps another failure ({@link #WRAPPER_CLASSES}).
   *
   * @param exceptionClass a fully qualified class name
   * @return true for a known wrapper
   */
  public static boolean isWrapper(String exceptionClass) {
    return WRAPPER_CLASSES.contains(exceptionClass);
  }

  /**
   * The failure inside a wrapper, from what Spring Kafka writes into a dead letter: the top
   * exception class, the class of its cause ({@code kafka_dlt-exception-cause-fqcn}) and the
   * printed stack trace, whose {@code Caused by:} sections name each cause and its frames. Walks
   * the causes from the top and takes the first that is not a wrapper; its fingerprint uses the top
   * application frame of its own section.
   *
   * @param exceptionClass the top exception's class
   * @param causeClass the class of its cause, or null when not recorded
   * @param stackTrace the printed stack trace, or null when not recorded
   * @return the cause; empty when the top exception is not a wrapper, or nothing but wrappers is
   *     known
   */
  public static Optional<Cause> unwrap(
      String exceptionClass, String causeClass, String stackTrace) {
    if (!isWrapper(exceptionClass)) {
      return Optional.empty();
    }
    List<String> classes = new ArrayList<>();
    List<List<String>> frames = new ArrayList<>();
    classes.add(exceptionClass);
    frames.add(new ArrayList<>());
    boolean suppressed = false;
    for (String line : stackTrace == null ? new String[0] : stackTrace.split("\n")) {
      Matcher c = CAUSED_BY.matcher(line);
      if (c.find()) {
        classes.add(c.group(1));
        frames.add(new ArrayList<>());
        suppressed = false;
        continue;
      }
      if (line.trim().startsWith("Suppressed:")) {
        suppressed = true;
      }
      if (!suppressed && FRAME.matcher(line).find()) {
        frames.get(frames.size() - 1).add(line);
      }
    }
    for (int i = 1; i < classes.size(); i++) {
      if (!isWrapper(classes.get(i))) {
        String cls = classes.get(i);
        return Optional.of(new Cause(cls, of(cls, String.join("\n", frames.get(i)))));
      }
    }
    if (causeClass != null && !causeClass.isBlank() && !isWrapper(causeClass)) {
      return Optional.of(new Cause(causeClass, causeClass));
    }
    return Optional.empty();
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
