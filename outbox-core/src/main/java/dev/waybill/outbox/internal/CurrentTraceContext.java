package dev.waybill.outbox.internal;

import dev.waybill.outbox.spi.TraceContextProvider;
import dev.waybill.outbox.wire.Traceparent;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The default {@link TraceContextProvider}: the current OpenTelemetry span when the API is on the
 * class path, else the trace and span ids that tracers put into the MDC, else an MDC {@code
 * traceparent}. Thread-safe. Not API.
 */
public final class CurrentTraceContext implements TraceContextProvider {
  private static final Logger LOG = LoggerFactory.getLogger(CurrentTraceContext.class);

  /** MDC keys of OpenTelemetry's logback and log4j MDC instrumentation. */
  private static final String OTEL_TRACE_ID = "trace_id";

  private static final String OTEL_SPAN_ID = "span_id";
  private static final String OTEL_TRACE_FLAGS = "trace_flags";

  /** The one instance. */
  public static final CurrentTraceContext INSTANCE =
      new CurrentTraceContext(OpenTelemetryPresence.isPresent());

  private volatile boolean openTelemetry;
  private final AtomicBoolean warned = new AtomicBoolean();

  /**
   * @param openTelemetry whether to ask OpenTelemetry first (only when its API is present)
   */
  public CurrentTraceContext(boolean openTelemetry) {
    this.openTelemetry = openTelemetry;
  }

  @Override
  public Optional<String> currentTraceparent() {
    Optional<Traceparent> t = Optional.empty();
    if (openTelemetry) {
      t = fromOpenTelemetry();
    }
    if (t.isEmpty()) {
      t = fromMdcIds();
    }
    if (t.isPresent()) {
      return Optional.of(t.get().value());
    }
    return Optional.ofNullable(MDC.get(TraceContextProvider.MDC_TRACEPARENT));
  }

  private Optional<Traceparent> fromOpenTelemetry() {
    try {
      return OpenTelemetryTraceparent.current();
    } catch (LinkageError e) {
      // an OpenTelemetry API too old or incomplete: fall back to the MDC from now on
      openTelemetry = false;
      if (warned.compareAndSet(false, true)) {
        LOG.warn(
            "outbox: cannot read the current OpenTelemetry span ({}); the trace context is taken"
                + " from the MDC instead. Use opentelemetry-api 1.x (1.30 or later)",
            e.toString());
      }
      return Optional.empty();
    }
  }

  /**
   * The ids Micrometer Tracing ({@code traceId}, {@code spanId}) or OpenTelemetry's MDC
   * instrumentation ({@code trace_id}, {@code span_id}, {@code trace_flags}) keep in the MDC.
   * Without flags the trace is taken as sampled: a tracer puts ids into the MDC for the spans it
   * records.
   */
  static Optional<Traceparent> fromMdcIds() {
    Optional<Traceparent> t =
        Traceparent.of(
            MDC.get(TraceContextProvider.MDC_TRACE_ID),
            MDC.get(TraceContextProvider.MDC_SPAN_ID),
            Traceparent.SAMPLED);
    if (t.isPresent()) {
      return t;
    }
    String flags = MDC.get(OTEL_TRACE_FLAGS);
    return Traceparent.of(
        MDC.get(OTEL_TRACE_ID), MDC.get(OTEL_SPAN_ID), flags == null ? Traceparent.SAMPLED : flags);
  }
}
