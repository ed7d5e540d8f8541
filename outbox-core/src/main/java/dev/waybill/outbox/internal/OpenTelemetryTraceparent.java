package dev.waybill.outbox.internal;

import dev.waybill.outbox.wire.Traceparent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.Optional;

/**
 * The current OpenTelemetry span as a {@link Traceparent}. Uses the OpenTelemetry API: load only
 * when {@link OpenTelemetryPresence#isPresent()}. Not API.
 */
public final class OpenTelemetryTraceparent {
  private OpenTelemetryTraceparent() {}

  /**
   * The span current on this thread (set by the OpenTelemetry agent, the SDK, or Micrometer
   * Tracing's OpenTelemetry bridge).
   *
   * @return its trace context, or empty when no valid span is current
   */
  public static Optional<Traceparent> current() {
    SpanContext c = Span.current().getSpanContext();
    if (!c.isValid()) {
      return Optional.empty();
    }
    return Traceparent.of(c.getTraceId(), c.getSpanId(), c.getTraceFlags().asHex());
  }
}
