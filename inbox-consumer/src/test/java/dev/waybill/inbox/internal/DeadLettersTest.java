package dev.waybill.inbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.FailureFingerprint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

  static ConsumerRecord<byte[], byte[]> record(RecordHeaders headers) {
    return new ConsumerRecord<>(
        "orders",
        2,
        42L,
        1_700_000_000_000L,
        TimestampType.CREATE_TIME,
        1,
        5,
        "k".getBytes(StandardCharsets.UTF_8),
        "{\"v\":1}".getBytes(StandardCharsets.UTF_8),
        headers,
        Optional.empty());
  }

  static String text(ProducerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void keepsTheRecordAndAddsSpringAndWaybillHeaders() {
    RecordHeaders h = new RecordHeaders();
    h.add("ce_id", "id-1".getBytes(StandardCharsets.UTF_8));
    h.add(DeadLetterHeaders.ATTEMPTS, "9".getBytes(StandardCharsets.UTF_8)); // from a former DLT
    Instant t1 = Instant.parse("2024-01-01T00:00:00Z");
    Instant t2 = Instant.parse("2024-01-01T00:00:05Z");
    Exception failure = new IllegalStateException("bad", new SQLException("root"));
    ProducerRecord<byte[], byte[]> d =
        DeadLetters.build(
            record(h),
            "orders.DLT",
            "billing",
            new DeadLetters.Cause("retries-exhausted", "id-1", failure, "bad", 3, t1, t2, null));
    assertThat(d.topic()).isEqualTo("orders.DLT");
    assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("k");
    assertThat(new String(d.value(), StandardCharsets.UTF_8)).isEqualTo("{\"v\":1}");
    assertThat(text(d, "ce_id")).isEqualTo("id-1");
    assertThat(text(d, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo("orders");
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_PARTITION).value())
                .getInt())
        .isEqualTo(2);
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_OFFSET).value())
                .getLong())
        .isEqualTo(42L);
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_TIMESTAMP).value())
                .getLong())
        .isEqualTo(1_700_000_000_000L);
    assertThat(text(d, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP)).isEqualTo("billing");
    assertThat(text(d, DeadLetterHeaders.EXCEPTION_FQCN))
        .isEqualTo("java.lang.IllegalStateException");
    assertThat(text(d, DeadLetterHeaders.EXCEPTION_CAUSE_FQCN)).isEqualTo("java.sql.SQLException");
    assertThat(text(d, DeadLetterHeaders.EXCEPTION_MESSAGE)).isEqualTo("bad");
    assertThat(text(d, DeadLetterHeaders.EXCEPTION_STACKTRACE)).contains("Caused by");
    assertThat(text(d, DeadLetterHeaders.REASON)).isEqualTo("retries-exhausted");
    assertThat(text(d, DeadLetterHeaders.FIRST_FAILURE)).isEqualTo("2024-01-01T00:00:00Z");
    assertThat(text(d, DeadLetterHeaders.LAST_FAILURE)).isEqualTo("2024-01-01T00:00:05Z");
    assertThat(d.headers().headers(DeadLetterHeaders.ATTEMPTS))
        .as("an earlier dead letter's headers are replaced, not repeated")
        .hasSize(1);
    assertThat(text(d, DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
    assertThat(text(d, DeadLetterHeaders.FINGERPRINT))
        .isEqualTo(FailureFingerprint.of(failure))
        .startsWith("java.lang.IllegalStateException@");
  }

  @Test
  void theFingerprintSkipsFrameworkFramesAndLineNumbers() {
    Exception e = new IllegalArgumentException("x");
    e.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement("java.util.Objects", "requireNonNull", "Objects.java", 1),
          new StackTraceElement("org.jdbi.v3.core.Handle", "execute", "Handle.java", 2),
          new StackTraceElement("com.acme.Orders", "apply", "Orders.java", 17),
          new StackTraceElement("com.acme.Main", "main", "Main.java", 3)
        });
    assertThat(FailureFingerprint.of(e))
        .isEqualTo("java.lang.IllegalArgumentException@com.acme.Orders.apply");
    e.setStackTrace(new StackTraceElement[0]);
    assertThat(FailureFingerprint.of(e)).isEqualTo("java.lang.IllegalArgumentException");
  }

  @Test
  void theHeadersWaybillAddsStayWithinTheirByteBudgetWhateverTheFailureSays() {
    String hugeMessage = "€".repeat(50_000); // 150,000 bytes
    Exception failure = new IllegalStateException(hugeMessage, new SQLException(hugeMessage));
    failure.setStackTrace(new IllegalStateException().getStackTrace());
    String id = "😀".repeat(127); // 254 characters, 508 bytes
    String longest = "€".repeat(255);
    ProducerRecord<byte[], byte[]> d =
        DeadLetters.build(
            record(new RecordHeaders()),
            "t".repeat(249),
            longest,
            new DeadLetters.Cause(
                "retries-exhausted",
                id,
                failure,
                hugeMessage,
                3,
                Instant.EPOCH,
                Instant.EPOCH,
                longest));
    int added = 0;
    for (var h : d.headers()) {
      added += h.key().getBytes(StandardCharsets.UTF_8).length + h.value().length;
    }
    assertThat(added).isLessThanOrEqualTo(DeadLetters.HEADER_BUDGET_BYTES);
    assertThat(d.headers().lastHeader(DeadLetterHeaders.EXCEPTION_MESSAGE).value().length)
        .isLessThanOrEqualTo(DeadLetters.MAX_MESSAGE_BYTES);
    assertThat(d.headers().lastHeader(DeadLetterHeaders.EXCEPTION_STACKTRACE).value().length)
        .isLessThanOrEqualTo(DeadLetters.MAX_STACKTRACE_BYTES);
    assertThat(text(d, DeadLetterHeaders.EXCEPTION_MESSAGE)).endsWith(" bytes)");
  }

  @Test
  void aShrunkDeadLetterLeavesOutTheValueThenAlsoKeyAndHeadersAndSaysSo() {
    RecordHeaders h = new RecordHeaders();
    h.add("ce_id", "id-1".getBytes(StandardCharsets.UTF_8));
    ProducerRecord<byte[], byte[]> full =
        DeadLetters.build(
            record(h),
            "orders.DLT",
            "billing",
            new DeadLetters.Cause(
                "non-retriable",
                "id-1",
                new IllegalStateException("x"),
                "x",
                1,
                Instant.EPOCH,
                Instant.EPOCH,
                null));
    ProducerRecord<byte[], byte[]> noValue = DeadLetters.shrink(full, DeadLetters.Shrink.VALUE);
    assertThat(noValue.value()).isNull();
    assertThat(new String(noValue.key(), StandardCharsets.UTF_8)).isEqualTo("k");
    assertThat(text(noValue, "ce_id")).isEqualTo("id-1");
    assertThat(text(noValue, DeadLetterHeaders.LEFT_OUT)).startsWith("value:").contains("7 bytes");
    assertThat(text(noValue, DeadLetterHeaders.ORIGINAL_OFFSET).length()).isEqualTo(8);

    ProducerRecord<byte[], byte[]> bare = DeadLetters.shrink(full, DeadLetters.Shrink.ALL);
    assertThat(bare.key()).isNull();
    assertThat(bare.value()).isNull();
    assertThat(bare.headers().lastHeader("ce_id")).isNull();
    assertThat(bare.headers().lastHeader(DeadLetterHeaders.EXCEPTION_STACKTRACE)).isNull();
    assertThat(text(bare, DeadLetterHeaders.MESSAGE_ID)).isEqualTo("id-1");
    assertThat(text(bare, DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    assertThat(text(bare, DeadLetterHeaders.LEFT_OUT)).startsWith("value, key, original headers");
  }
}
