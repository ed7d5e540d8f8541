package dev.waybill.outbox.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.wire.Traceparent;
import dev.waybill.testkit.HidingClassLoader;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class TraceContextProviderTest {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SPAN = "00f067aa0ba902b7";

  @AfterEach
  void clearMdc() {
    MDC.clear();
  }

  @Test
  void readsTheCurrentOpenTelemetrySpan() {
    try (SdkTracerProvider p =
        SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
            .build()) {
      Span span = p.get("test").spanBuilder("write").startSpan();
      try (Scope s = span.makeCurrent()) {
        assertThat(TraceContextProvider.current().currentTraceparent())
            .contains(
                "00-"
                    + span.getSpanContext().getTraceId()
                    + "-"
                    + span.getSpanContext().getSpanId()
                    + "-"
                    + span.getSpanContext().getTraceFlags().asHex());
      } finally {
        span.end();
      }
    }
  }

  @Test
  void keepsTheFlagsOfAnUnsampledOpenTelemetrySpan() {
    try (SdkTracerProvider p =
        SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
            .setSampler(Sampler.alwaysOff())
            .build()) {
      Span span = p.get("test").spanBuilder("write").startSpan();
      try (Scope s = span.makeCurrent()) {
        Traceparent t =
            Traceparent.parse(TraceContextProvider.current().currentTraceparent().orElseThrow())
                .orElseThrow();
        assertThat(t.traceId()).isEqualTo(span.getSpanContext().getTraceId());
        assertThat(t.sampled()).isFalse();
      }
    }
  }

  @Test
  void readsMicrometerTracingIdsFromTheMdcAsSampled() {
    MDC.put("traceId", TRACE);
    MDC.put("spanId", SPAN);
    assertThat(TraceContextProvider.current().currentTraceparent())
        .contains("00-" + TRACE + "-" + SPAN + "-01");
  }

  @Test
  void readsOpenTelemetryMdcKeysWithTheirFlags() {
    MDC.put("trace_id", TRACE);
    MDC.put("span_id", SPAN);
    MDC.put("trace_flags", "00");
    assertThat(TraceContextProvider.current().currentTraceparent())
        .contains("00-" + TRACE + "-" + SPAN + "-00");
  }

  @Test
  void fallsBackToATraceparentInTheMdc() {
    MDC.put("traceparent", "00-" + TRACE + "-" + SPAN + "-01");
    assertThat(TraceContextProvider.current().currentTraceparent())
        .contains("00-" + TRACE + "-" + SPAN + "-01");
  }

  @Test
  void ignoresMalformedMdcIds() {
    MDC.put("traceId", "not-hex");
    MDC.put("spanId", SPAN);
    assertThat(TraceContextProvider.current().currentTraceparent()).isEmpty();
  }

  @Test
  void answersEmptyWithoutAnyTraceContext() {
    assertThat(TraceContextProvider.current().currentTraceparent()).isEmpty();
  }

  @Test
  @SuppressWarnings("unchecked")
  void readsTheMdcInAnApplicationWithoutOpenTelemetry() throws Exception {
    ClassLoader noOtel = new HidingClassLoader(getClass().getClassLoader(), "io.opentelemetry.");
    Class<?> api = Class.forName(TraceContextProvider.class.getName(), true, noOtel);
    assertThat(api).isNotSameAs(TraceContextProvider.class);
    Object provider = api.getMethod("current").invoke(null);
    MDC.put("traceId", TRACE);
    MDC.put("spanId", SPAN);
    Optional<String> t = (Optional<String>) api.getMethod("currentTraceparent").invoke(provider);
    assertThat(t).contains("00-" + TRACE + "-" + SPAN + "-01");
    MDC.clear();
    assertThat((Optional<String>) api.getMethod("currentTraceparent").invoke(provider)).isEmpty();
  }

  @Test
  void parsesOnlyWellFormedTraceparents() {
    assertThat(Traceparent.parse("00-" + TRACE + "-" + SPAN + "-01"))
        .contains(new Traceparent(TRACE, SPAN, "01"));
    assertThat(Traceparent.parse("00-" + TRACE.toUpperCase() + "-" + SPAN + "-01")).isEmpty();
    assertThat(Traceparent.parse("ff-" + TRACE + "-" + SPAN + "-01")).isEmpty();
    assertThat(Traceparent.parse("00-" + "0".repeat(32) + "-" + SPAN + "-01")).isEmpty();
    assertThat(Traceparent.parse(null)).isEmpty();
    assertThat(Traceparent.of(TRACE.toUpperCase(), SPAN, "01").orElseThrow().value())
        .isEqualTo("00-" + TRACE + "-" + SPAN + "-01");
  }
}
