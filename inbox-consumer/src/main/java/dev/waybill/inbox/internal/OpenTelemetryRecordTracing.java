package dev.waybill.inbox.internal;

import dev.waybill.outbox.wire.Traceparent;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A CONSUMER span per record, named {@code <topic> process}, with the messaging semantic
 * conventions, whose parent is the writer's context from the record's {@code traceparent}; it is
 * current while the handler runs and ends when the record is settled. Spans go to {@link
 * GlobalOpenTelemetry} (the Java agent and the SDK's autoconfiguration register it). Uses the
 * OpenTelemetry API: loaded only when it is on the class path. Not API.
 */
final class OpenTelemetryRecordTracing extends RecordTracing {
  static final String INSTRUMENTATION = "dev.waybill.inbox";

  private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  private static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  private static final AttributeKey<String> OPERATION =
      AttributeKey.stringKey("messaging.operation");
  private static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  private static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  private static final AttributeKey<String> MESSAGE_ID =
      AttributeKey.stringKey("messaging.message.id");
  private static final AttributeKey<String> KAFKA_GROUP =
      AttributeKey.stringKey("messaging.kafka.consumer.group");
  private static final AttributeKey<String> GROUP =
      AttributeKey.stringKey("messaging.consumer.group.name");
  private static final AttributeKey<String> PARTITION_ID =
      AttributeKey.stringKey("messaging.destination.partition.id");
  private static final AttributeKey<Long> KAFKA_PARTITION =
      AttributeKey.longKey("messaging.kafka.destination.partition");
  private static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
  private static final AttributeKey<Long> MESSAGE_OFFSET =
      AttributeKey.longKey("messaging.kafka.message.offset");
  private static final AttributeKey<Long> WAIT = AttributeKey.longKey(OUTBOX_WAIT_MS);
  private static final AttributeKey<Long> DELAY = AttributeKey.longKey(DELIVERY_DELAY_MS);
  private static final AttributeKey<String> OUTCOME_KEY = AttributeKey.stringKey(OUTCOME);

  private static final TextMapGetter<ConsumerRecord<byte[], byte[]>> HEADERS =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ConsumerRecord<byte[], byte[]> record) {
          return List.of(dev.waybill.outbox.wire.CloudEventHeaders.TRACEPARENT);
        }

        @Override
        public String get(ConsumerRecord<byte[], byte[]> record, String key) {
          // the relay's traceparent, validated the way the writer validated it
          return key != null && key.equals(dev.waybill.outbox.wire.CloudEventHeaders.TRACEPARENT)
              ? traceparent(record).map(Traceparent::value).orElse(null)
              : null;
        }
      };

  private final String group;
  private volatile Tracer tracer;

  private OpenTelemetryRecordTracing(String group) {
    this.group = group;
  }

  static RecordTracing forGroup(String group) {
    return new OpenTelemetryRecordTracing(group);
  }

  private Tracer tracer() {
    Tracer t = tracer;
    if (t == null) {
      // asked at the first record, not at build time: the application registers its SDK first
      t = GlobalOpenTelemetry.getTracer(INSTRUMENTATION);
      tracer = t;
    }
    return t;
  }

  @Override
  public Trace start(ConsumerRecord<byte[], byte[]> record) {
    Context parent =
        W3CTraceContextPropagator.getInstance().extract(Context.root(), record, HEADERS);
    Instant now = Instant.now();
    var b =
        tracer()
            .spanBuilder(record.topic() + " process")
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .setAttribute(SYSTEM, "kafka")
            .setAttribute(DESTINATION, record.topic())
            .setAttribute(OPERATION, "process")
            .setAttribute(OPERATION_TYPE, "process")
            .setAttribute(OPERATION_NAME, "process")
            .setAttribute(KAFKA_GROUP, group)
            .setAttribute(GROUP, group)
            .setAttribute(PARTITION_ID, Integer.toString(record.partition()))
            .setAttribute(KAFKA_PARTITION, (long) record.partition())
            .setAttribute(OFFSET, record.offset())
            .setAttribute(MESSAGE_OFFSET, record.offset());
    Optional<Instant> written = writtenAt(record);
    if (written.isPresent()) {
      long writtenMs = written.get().toEpochMilli();
      if (record.timestamp() >= 0) {
        b.setAttribute(WAIT, record.timestamp() - writtenMs);
      }
      b.setAttribute(DELAY, now.toEpochMilli() - writtenMs);
    }
    Span span = b.startSpan();
    if (written.isPresent()) {
      // the message's time before this span, on the trace's time line
      span.addEvent("waybill.outbox.written", written.get());
      if (record.timestamp() >= 0) {
        span.addEvent("waybill.relay.published", Instant.ofEpochMilli(record.timestamp()));
      }
    }
    return new SpanTrace(span);
  }

  private static final class SpanTrace implements Trace {
    private final Span span;
    private final AtomicBoolean ended = new AtomicBoolean();

    SpanTrace(Span span) {
      this.span = span;
    }

    @Override
    public Scope enter() {
      io.opentelemetry.context.Scope current = span.makeCurrent();
      SpanContext c = span.getSpanContext();
      Scope mdc =
          putMdc(
              c.isValid()
                  ? Traceparent.of(c.getTraceId(), c.getSpanId(), c.getTraceFlags().asHex())
                      .orElse(null)
                  : null);
      return () -> {
        mdc.close();
        current.close();
      };
    }

    @Override
    public void attemptFailed(Throwable failure) {
      span.recordException(failure);
    }

    @Override
    public void end(String messageId, String outcome, String error) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      if (messageId != null) {
        span.setAttribute(MESSAGE_ID, messageId);
      }
      span.setAttribute(OUTCOME_KEY, outcome);
      if (error != null) {
        span.setStatus(StatusCode.ERROR, error);
      }
      span.end();
    }
  }
}
