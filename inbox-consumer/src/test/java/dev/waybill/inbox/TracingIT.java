package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.testkit.TestDatabases;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The writer's trace continues through the outbox, a real relay and Kafka into the inbox handler:
 * PostgreSQL, an embedded relay, the test broker, and OpenTelemetry's SDK with the in-memory
 * exporter registered as the global instance.
 */
class TracingIT {
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<String> GROUP =
      AttributeKey.stringKey("messaging.kafka.consumer.group");
  static final AttributeKey<String> PARTITION =
      AttributeKey.stringKey("messaging.destination.partition.id");
  static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
  static final AttributeKey<Long> WAIT = AttributeKey.longKey("waybill.outbox.wait_ms");
  static final AttributeKey<Long> DELAY = AttributeKey.longKey("waybill.delivery.delay_ms");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("waybill.inbox.outcome");

  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  OpenTelemetrySdk sdk;
  ConsumerFixture f;
  Relay relay;

  @BeforeEach
  void setUp() throws Exception {
    GlobalOpenTelemetry.resetForTest();
    sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .buildAndRegisterGlobal();
    f = new ConsumerFixture(TestDatabases.postgres(), "n BIGSERIAL PRIMARY KEY");
    SchemaMigrator.builder().dataSource(f.db.dataSource()).build().migrate();
  }

  @AfterEach
  void tearDown() {
    if (relay != null) {
      relay.close();
    }
    if (f != null) {
      f.close();
    }
    if (sdk != null) {
      sdk.close();
    }
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void theConsumerSpanContinuesTheWritersTraceThroughOutboxRelayAndKafka() throws Exception {
    String topic = f.topic(1);
    String group = ConsumerFixture.group();
    Map<String, Map<String, String>> seenMdc = new ConcurrentHashMap<>();
    Map<String, String> seenSpan = new ConcurrentHashMap<>();
    f.start(
        f.builder(group, topic, c -> c.maxAttempts(1))
            .handler(
                "OrderPlaced",
                (m, tx) -> {
                  seenMdc.put(
                      m.messageId(),
                      Map.of(
                          "traceId", String.valueOf(MDC.get("traceId")),
                          "spanId", String.valueOf(MDC.get("spanId")),
                          "traceparent", String.valueOf(MDC.get("traceparent"))));
                  seenSpan.put(m.messageId(), Span.current().getSpanContext().getSpanId());
                })
            .handler(
                "OrderRejected",
                (m, tx) -> {
                  throw new NonRetriableException("rejected on purpose");
                }));

    Outbox outbox = Outbox.builder().build(); // no trace provider given: the default finds it
    Span writer = sdk.getTracer("test").spanBuilder("place order").startSpan();
    String placed;
    String rejected;
    try (Scope s = writer.makeCurrent();
        Connection c = f.db.connect()) {
      c.setAutoCommit(false);
      placed = outbox.write(c, message(topic, "OrderPlaced")).toString();
      rejected = outbox.write(c, message(topic, "OrderRejected")).toString();
      c.commit();
    } finally {
      writer.end();
    }
    relay = relay();

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> consumerSpan(placed).isPresent() && consumerSpan(rejected).isPresent());

    SpanData handled = consumerSpan(placed).orElseThrow();
    assertThat(handled.getTraceId()).isEqualTo(writer.getSpanContext().getTraceId());
    assertThat(handled.getParentSpanId()).isEqualTo(writer.getSpanContext().getSpanId());
    assertThat(handled.getName()).isEqualTo(topic + " process");
    assertThat(handled.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(handled.getAttributes().get(SYSTEM)).isEqualTo("kafka");
    assertThat(handled.getAttributes().get(DESTINATION)).isEqualTo(topic);
    assertThat(handled.getAttributes().get(OPERATION)).isEqualTo("process");
    assertThat(handled.getAttributes().get(GROUP)).isEqualTo(group);
    assertThat(handled.getAttributes().get(PARTITION)).isEqualTo("0");
    assertThat(handled.getAttributes().get(OFFSET)).isEqualTo(0L);
    assertThat(handled.getAttributes().get(OUTCOME)).isEqualTo("handled");
    assertThat(handled.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    // the time in the outbox: written (ce_time) ≤ published (record time) ≤ consumed
    assertThat(handled.getAttributes().get(WAIT)).isNotNull().isGreaterThanOrEqualTo(0L);
    assertThat(handled.getAttributes().get(DELAY))
        .isNotNull()
        .isGreaterThanOrEqualTo(handled.getAttributes().get(WAIT));
    assertThat(handled.getEvents())
        .extracting(EventData::getName)
        .containsExactly("waybill.outbox.written", "waybill.relay.published");

    Map<String, String> mdc = seenMdc.get(placed);
    assertThat(mdc.get("traceId")).isEqualTo(writer.getSpanContext().getTraceId());
    assertThat(mdc.get("spanId")).isEqualTo(handled.getSpanId()).isEqualTo(seenSpan.get(placed));
    assertThat(mdc.get("traceparent"))
        .isEqualTo(
            "00-"
                + handled.getTraceId()
                + "-"
                + handled.getSpanId()
                + "-"
                + handled.getSpanContext().getTraceFlags().asHex());

    SpanData failed = consumerSpan(rejected).orElseThrow();
    assertThat(failed.getParentSpanId()).isEqualTo(writer.getSpanContext().getSpanId());
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getAttributes().get(OUTCOME)).isEqualTo("dead-lettered");
    assertThat(failed.getEvents()).extracting(EventData::getName).contains("exception");
  }

  Optional<SpanData> consumerSpan(String messageId) {
    List<SpanData> finished = spans.getFinishedSpanItems();
    return finished.stream()
        .filter(s -> s.getKind() == SpanKind.CONSUMER)
        .filter(s -> messageId.equals(s.getAttributes().get(MESSAGE_ID)))
        .findFirst();
  }

  static OutboxMessage message(String topic, String type) {
    return OutboxMessage.builder()
        .topic(topic)
        .key("order-1")
        .eventType(type)
        .payload(Payload.text("{}"))
        .build();
  }

  Relay relay() {
    Relay r =
        Relay.builder()
            .config(
                RelayConfig.builder()
                    .instanceId("trace-" + ConsumerFixture.group())
                    .bootstrapServers(f.kafka.bootstrapServers())
                    .shards(4)
                    .pollInterval(Duration.ofMillis(100))
                    .lease(Duration.ofSeconds(6), Duration.ofMillis(500))
                    .sendTimeout(Duration.ofSeconds(3))
                    .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .build())
            .dataSource(f.db.dataSource())
            .build();
    r.start();
    return r;
  }
}
