package dev.waybill.outbox.wire;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A W3C trace context {@code traceparent} (version {@code 00}): the trace id, the id of the parent
 * span and the trace flags, as lower-case hex. The writer stores it with a message, the relay
 * publishes it as the {@value CloudEventHeaders#TRACEPARENT} header and the inbox consumer
 * continues the trace from it. Immutable.
 *
 * @param traceId 32 lower-case hex digits, not all zero
 * @param spanId 16 lower-case hex digits, not all zero
 * @param flags 2 lower-case hex digits ({@code 01}: sampled)
 */
public record Traceparent(String traceId, String spanId, String flags) {
  private static final Pattern VALUE =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern FLAGS = Pattern.compile("[0-9a-f]{2}");

  /** The flags of a sampled trace. */
  public static final String SAMPLED = "01";

  /**
   * Checks the parts.
   *
   * @param traceId 32 lower-case hex digits, not all zero
   * @param spanId 16 lower-case hex digits, not all zero
   * @param flags 2 lower-case hex digits
   * @throws IllegalArgumentException when an id or the flags are not lower-case hex of the right
   *     length, or an id is all zero
   */
  public Traceparent {
    if (!isTraceId(traceId) || !isSpanId(spanId) || flags == null) {
      throw new IllegalArgumentException(
          "trace context ("
              + traceId
              + ", "
              + spanId
              + ") is not valid: expected a 32-hex trace id"
              + " and a 16-hex span id, lower case and not all zero");
    }
    if (!FLAGS.matcher(flags).matches()) {
      throw new IllegalArgumentException(
          "trace flags '" + flags + "' are not valid: expected 2 lower-case hex digits, e.g. 01");
    }
  }

  /**
   * Parses a {@code traceparent} header value: version, 32-hex trace id, 16-hex parent id and
   * flags, lower case, with non-zero ids and a version other than {@code ff}.
   *
   * @param value the header value; null gives empty
   * @return the trace context, or empty when {@code value} is not a usable {@code traceparent}
   */
  public static Optional<Traceparent> parse(String value) {
    if (value == null
        || value.length() != 55
        || !VALUE.matcher(value).matches()
        || value.startsWith("ff")) {
      return Optional.empty();
    }
    return of(value.substring(3, 35), value.substring(36, 52), value.substring(53, 55));
  }

  /**
   * A trace context from ids as tracers keep them (e.g. in the logging MDC); upper-case hex is
   * accepted and lowered.
   *
   * @param traceId the trace id, 32 hex digits
   * @param spanId the span id, 16 hex digits
   * @param flags the trace flags, 2 hex digits
   * @return the trace context, or empty when an id is missing, malformed or all zero
   */
  public static Optional<Traceparent> of(String traceId, String spanId, String flags) {
    if (traceId == null || spanId == null || flags == null) {
      return Optional.empty();
    }
    String t = traceId.toLowerCase(java.util.Locale.ROOT);
    String s = spanId.toLowerCase(java.util.Locale.ROOT);
    String f = flags.toLowerCase(java.util.Locale.ROOT);
    if (!isTraceId(t) || !isSpanId(s) || !FLAGS.matcher(f).matches()) {
      return Optional.empty();
    }
    return Optional.of(new Traceparent(t, s, f));
  }

  /**
   * The header value.
   *
   * @return {@code 00-<trace id>-<span id>-<flags>}
   */
  public String value() {
    return "00-" + traceId + "-" + spanId + "-" + flags;
  }

  /**
   * Whether the sampled flag is set.
   *
   * @return true when the writer's tracer recorded its span
   */
  public boolean sampled() {
    return (Integer.parseInt(flags, 16) & 1) == 1;
  }

  @Override
  public String toString() {
    return value();
  }

  private static boolean isTraceId(String id) {
    return id != null && TRACE_ID.matcher(id).matches() && !id.equals("0".repeat(32));
  }

  private static boolean isSpanId(String id) {
    return id != null && SPAN_ID.matcher(id).matches() && !id.equals("0".repeat(16));
  }
}
