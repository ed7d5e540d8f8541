package dev.waybill.inbox.internal;

import dev.waybill.outbox.internal.OpenTelemetryPresence;
import dev.waybill.outbox.spi.TraceContextProvider;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.Traceparent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.MDC;

/**
 * Continues the writer's trace while a record is handled: the handler runs with the record's trace
 * context in the MDC ({@value TraceContextProvider#MDC_TRACE_ID}, {@value
 * TraceContextProvider#MDC_SPAN_ID}, {@value TraceContextProvider#MDC_TRACEPARENT}), and with the
 * OpenTelemetry API on the class path inside a consumer span (see {@code
 * OpenTelemetryRecordTracing}). This class names no OpenTelemetry type. Thread-safe. Not API.
 */
public abstract class RecordTracing {

  /** Span attribute: milliseconds from the outbox write ({@code ce_time}) to the relay's send. */
  public static final String OUTBOX_WAIT_MS = "waybill.outbox.wait_ms";

  /** Span attribute: milliseconds from the outbox write ({@code ce_time}) to the consumer. */
  public static final String DELIVERY_DELAY_MS = "waybill.delivery.delay_ms";

  /** Span attribute: what became of the record (handled, duplicate, skipped, ...). */
  public static final String OUTCOME = "waybill.inbox.outcome";

  /** One record's trace, from its start to its end. Used by one thread at a time. */
  public interface Trace {
    /**
     * Enters the record's context on the calling thread (MDC, and the current span with
     * OpenTelemetry) until the returned scope is closed, which restores what was there.
     *
     * @return the scope; close it in {@code finally} on the same thread
     */
    Scope enter();

    /**
     * A handler attempt failed (recorded on the span; the record may still succeed on retry).
     *
     * @param failure the handler's exception
     */
    void attemptFailed(Throwable failure);

    /**
     * The record is settled: its transaction committed, or it was dead-lettered, skipped or
     * abandoned. Idempotent.
     *
     * @param messageId the message id, or null when it has none
     * @param outcome what became of it, e.g. {@code handled}
     * @param error why it failed (status ERROR), or null when it did not
     */
    void end(String messageId, String outcome, String error);
  }

  /** A scope that closes without checked exceptions. */
  @FunctionalInterface
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * The tracing for a consumer: with spans when the OpenTelemetry API is on the class path, the MDC
   * alone otherwise.
   *
   * @param group the consumer group
   * @return the tracing
   */
  public static RecordTracing create(String group) {
    return OpenTelemetryPresence.isPresent() ? openTelemetry(group) : mdcOnly();
  }

  /**
   * The MDC alone, without spans.
   *
   * @return tracing that only fills the MDC
   */
  public static RecordTracing mdcOnly() {
    return new MdcOnly();
  }

  private static RecordTracing openTelemetry(String group) {
    // a separate class, loaded only here after the API was found; a static factory whose return
    // type is RecordTracing, so verifying this class needs no OpenTelemetry-using class
    return OpenTelemetryRecordTracing.forGroup(group);
  }

  /**
   * Starts the trace of a record, before anything is done with it.
   *
   * @param record the consumed record
   * @return its trace
   */
  public abstract Trace start(ConsumerRecord<byte[], byte[]> record);

  /**
   * The record's {@code traceparent} header.
   *
   * @param record the record
   * @return the writer's trace context, or empty when absent or malformed
   */
  static Optional<Traceparent> traceparent(ConsumerRecord<byte[], byte[]> record) {
    return header(record, CloudEventHeaders.TRACEPARENT).flatMap(Traceparent::parse);
  }

  /**
   * The record's {@code ce_time}: when the message was written to the outbox.
   *
   * @param record the record
   * @return the time, or empty when absent or not RFC 3339
   */
  static Optional<Instant> writtenAt(ConsumerRecord<byte[], byte[]> record) {
    Optional<String> t = header(record, CloudEventHeaders.TIME);
    if (t.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(t.get()).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    if (h == null || h.value() == null) {
      return Optional.empty();
    }
    return Optional.of(new String(h.value(), StandardCharsets.UTF_8));
  }

  /**
   * Puts a trace context into the MDC until the scope closes, then restores the previous values.
   *
   * @param t the trace context, or null to leave the MDC as it is
   * @return the scope
   */
  static Scope putMdc(Traceparent t) {
    if (t == null) {
      return () -> {};
    }
    String traceId = MDC.get(TraceContextProvider.MDC_TRACE_ID);
    String spanId = MDC.get(TraceContextProvider.MDC_SPAN_ID);
    String traceparent = MDC.get(TraceContextProvider.MDC_TRACEPARENT);
    MDC.put(TraceContextProvider.MDC_TRACE_ID, t.traceId());
    MDC.put(TraceContextProvider.MDC_SPAN_ID, t.spanId());
    MDC.put(TraceContextProvider.MDC_TRACEPARENT, t.value());
    return () -> {
      restore(TraceContextProvider.MDC_TRACE_ID, traceId);
      restore(TraceContextProvider.MDC_SPAN_ID, spanId);
      restore(TraceContextProvider.MDC_TRACEPARENT, traceparent);
    };
  }

  private static void restore(String key, String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }

  /** The writer's trace context in the MDC around the handler; no spans. */
  private static final class MdcOnly extends RecordTracing {
    @Override
    public Trace start(ConsumerRecord<byte[], byte[]> record) {
      Traceparent parent = traceparent(record).orElse(null);
      return new Trace() {
        @Override
        public Scope enter() {
          return putMdc(parent);
        }

        @Override
        public void attemptFailed(Throwable failure) {}

        @Override
        public void end(String messageId, String outcome, String error) {}
      };
    }
  }
}
