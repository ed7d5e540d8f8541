package dev.waybill.inbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.testkit.HidingClassLoader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class RecordTracingTest {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SPAN = "00f067aa0ba902b7";
  static final String TRACEPARENT = "00-" + TRACE + "-" + SPAN + "-01";

  @AfterEach
  void clearMdc() {
    MDC.clear();
  }

  static ConsumerRecord<byte[], byte[]> record(String traceparent) {
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("orders", 0, 7L, null, new byte[0]);
    if (traceparent != null) {
      r.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  @Test
  void putsTheWritersTraceIntoTheMdcAroundTheHandlerAndRestoresWhatWasThere() {
    RecordTracing.Trace trace = RecordTracing.mdcOnly().start(record(TRACEPARENT));
    MDC.put("traceId", "the poll thread's");
    try (RecordTracing.Scope s = trace.enter()) {
      assertThat(MDC.get("traceId")).isEqualTo(TRACE);
      assertThat(MDC.get("spanId")).isEqualTo(SPAN);
      assertThat(MDC.get("traceparent")).isEqualTo(TRACEPARENT);
    }
    assertThat(MDC.get("traceId")).isEqualTo("the poll thread's");
    assertThat(MDC.get("spanId")).isNull();
    assertThat(MDC.get("traceparent")).isNull();
    trace.end("id-1", "handled", null);
  }

  @Test
  void leavesTheMdcAloneForARecordWithoutAUsableTraceparent() {
    for (String bad : new String[] {null, "not-a-trace", TRACEPARENT.toUpperCase()}) {
      try (RecordTracing.Scope s = RecordTracing.mdcOnly().start(record(bad)).enter()) {
        assertThat(MDC.get("traceId")).as("traceparent %s", bad).isNull();
        assertThat(MDC.get("traceparent")).isNull();
      }
    }
  }

  @Test
  void withoutOpenTelemetryOnTheClassPathTheConsumerFillsTheMdcAlone() throws Exception {
    ClassLoader noOtel = new HidingClassLoader(getClass().getClassLoader(), "io.opentelemetry.");
    Class<?> tracing = Class.forName(RecordTracing.class.getName(), true, noOtel);
    Class<?> trace = Class.forName(RecordTracing.Trace.class.getName(), true, noOtel);
    Class<?> scope = Class.forName(RecordTracing.Scope.class.getName(), true, noOtel);

    Object created = tracing.getMethod("create", String.class).invoke(null, "billing");
    assertThat(created.getClass().getName()).endsWith("$MdcOnly");
    Object t =
        tracing.getMethod("start", ConsumerRecord.class).invoke(created, record(TRACEPARENT));
    Object s = trace.getMethod("enter").invoke(t);
    assertThat(MDC.get("traceparent")).isEqualTo(TRACEPARENT);
    scope.getMethod("close").invoke(s);
    assertThat(MDC.get("traceparent")).isNull();
    trace
        .getMethod("end", String.class, String.class, String.class)
        .invoke(t, "id", "handled", null);
  }

  @Test
  void withOpenTelemetryOnTheClassPathTheConsumerStartsSpans() {
    assertThat(RecordTracing.create("billing").getClass().getSimpleName())
        .isEqualTo("OpenTelemetryRecordTracing");
  }
}
