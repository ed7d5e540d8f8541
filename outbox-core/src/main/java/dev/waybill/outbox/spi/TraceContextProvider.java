package dev.waybill.outbox.spi;

import java.util.Optional;
import org.slf4j.MDC;

/**
 * Supplies the W3C {@code traceparent} of the work in progress on the calling thread, so the relay
 * publishes it with the message and the consumer's trace continues the writer's. Called once per
 * written message without an explicit traceparent. Implementations must be thread-safe and fast; a
 * value that is not a valid traceparent is ignored with a warning.
 *
 * <p>With OpenTelemetry, for example: {@code () -> Optional.of(currentSpanAsTraceparent())}.
 */
@FunctionalInterface
public interface TraceContextProvider {

  /**
   * The current {@code traceparent}, or empty when there is none.
   *
   * @return the value for the current thread's work, or empty
   */
  Optional<String> currentTraceparent();

  /**
   * Never supplies a trace context (the default).
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
