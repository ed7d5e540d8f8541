package dev.waybill.outbox.spi;

import java.util.Optional;
import org.slf4j.MDC;

/**
 * Supplies the W3C {@code traceparent} of the work in progress on the calling thread, so the relay
 * publishes it with the message and the consumer's trace continues the writer's. Called once per
 * written message without an explicit traceparent. Implementations must be thread-safe and fast; a
 * value that is not a valid traceparent is ignored with a warning.
 *
 * <p>The writer's default, {@link #current()}, finds the context of OpenTelemetry (its API, the
 * Java agent, or Micrometer Tracing's OpenTelemetry bridge) and of any tracer that keeps {@value
 * #MDC_TRACE_ID}/{@value #MDC_SPAN_ID} in the MDC (Micrometer Tracing with Brave) without user
 * code.
 */
@FunctionalInterface
public interface TraceContextProvider {

  /** MDC key of the trace id (32 hex), as Micrometer Tracing names it. */
  String MDC_TRACE_ID = "traceId";

  /** MDC key of the span id (16 hex), as Micrometer Tracing names it. */
  String MDC_SPAN_ID = "spanId";

  /** MDC key of a whole W3C {@code traceparent} value. */
  String MDC_TRACEPARENT = "traceparent";

  /**
   * The current {@code traceparent}, or empty when there is none.
   *
   * @return the value for the current thread's work, or empty
   */
  Optional<String> currentTraceparent();

  /**
   * The trace context current on the calling thread (the writer's default), from the first of:
   *
   * <ol>
   *   <li>the current OpenTelemetry span, when {@code io.opentelemetry:opentelemetry-api} is on the
   *       class path (detected once; without it nothing of OpenTelemetry is loaded);
   *   <li>the MDC keys {@value #MDC_TRACE_ID} and {@value #MDC_SPAN_ID} (Micrometer Tracing), or
   *       {@code trace_id}, {@code span_id} and {@code trace_flags} (OpenTelemetry's MDC
   *       instrumentation); ids without flags are taken as sampled;
   *   <li>the MDC key {@value #MDC_TRACEPARENT}.
   * </ol>
   *
   * @return the shared, thread-safe provider
   */
  static TraceContextProvider current() {
    return dev.waybill.outbox.internal.CurrentTraceContext.INSTANCE;
  }

  /**
   * Never supplies a trace context.
   *
   * @return a provider that always answers empty
   */
  static TraceContextProvider none() {
    return Optional::empty;
  }

  /**
   * Reads the SLF4J {@link MDC} entry {@code key}, where many tracing setups keep it.
   *
   * @param key the MDC key holding the {@code traceparent} value
   * @return a provider reading the calling thread's MDC
   */
  static TraceContextProvider fromMdc(String key) {
    return () -> Optional.ofNullable(MDC.get(key));
  }
}
