package dev.waybill.inbox.internal;

import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.FailureFingerprint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds dead-letter records: the original key, value and headers unchanged (earlier dead-letter
 * headers of both families are replaced, so each appears once), plus Spring Kafka's {@code
 * kafka_dlt-*} headers in Spring's encodings and Waybill's {@code waybill_dlt-*} headers. Not API.
 */
public final class DeadLetters {
  /** Longest exception message kept in a header. */
  static final int MAX_MESSAGE_CHARS = 1_024;

  /** Longest stack trace kept in a header (it travels with every dead letter). */
  static final int MAX_STACKTRACE_CHARS = 16_384;

  private DeadLetters() {}

  /**
   * Why a record was dead-lettered, and what failed.
   *
   * @param reason the {@code waybill_dlt-reason} value
   * @param messageId the id used, or null when it had none
   * @param failure the last failure, or null when no handler ran (e.g. unknown type)
   * @param description the reason in words, used as exception message when there is no failure
   * @param attempts handler attempts
   * @param firstFailure when the first attempt failed (or when the decision was made)
   * @param lastFailure when the last attempt failed (or when the decision was made)
   * @param parkedBehind ordered mode: the id that parked the key, or null
   */
  public record Cause(
      String reason,
      String messageId,
      Throwable failure,
      String description,
      int attempts,
      Instant firstFailure,
      Instant lastFailure,
      String parkedBehind) {}

  /** The dead-letter record for {@code record} sent to {@code topic}. */
  public static ProducerRecord<byte[], byte[]> build(
      ConsumerRecord<byte[], byte[]> record, String topic, String consumerGroup, Cause cause) {
    RecordHeaders headers = new RecordHeaders();
    for (Header h : record.headers()) {
      if (!h.key().startsWith(DeadLetterHeaders.SPRING_PREFIX)
          && !h.key().startsWith(DeadLetterHeaders.WAYBILL_PREFIX)) {
        headers.add(h.key(), h.value());
      }
    }
    headers.add(DeadLetterHeaders.ORIGINAL_TOPIC, text(record.topic()));
    headers.add(
        DeadLetterHeaders.ORIGINAL_PARTITION,
        ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array());
    headers.add(
        DeadLetterHeaders.ORIGINAL_OFFSET,
        ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
    headers.add(
        DeadLetterHeaders.ORIGINAL_TIMESTAMP,
        ByteBuffer.allocate(Long.BYTES).putLong(record.timestamp()).array());
    headers.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP_TYPE, text(record.timestampType().name));
    headers.add(DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP, text(consumerGroup));
    Throwable f = cause.failure();
    String fqcn = f == null ? "dev.waybill.inbox." + cause.reason() : f.getClass().getName();
    headers.add(DeadLetterHeaders.EXCEPTION_FQCN, text(fqcn));
    Throwable root = rootCause(f);
    if (root != null && root != f) {
      headers.add(DeadLetterHeaders.EXCEPTION_CAUSE_FQCN, text(root.getClass().getName()));
    }
    String message =
        f == null
            ? cause.description()
            : (f.getMessage() == null ? f.getClass().getSimpleName() : f.getMessage());
    headers.add(DeadLetterHeaders.EXCEPTION_MESSAGE, text(cut(message, MAX_MESSAGE_CHARS)));
    headers.add(
        DeadLetterHeaders.EXCEPTION_STACKTRACE,
        text(f == null ? cause.description() : cut(stackTrace(f), MAX_STACKTRACE_CHARS)));
    headers.add(DeadLetterHeaders.REASON, text(cause.reason()));
    headers.add(DeadLetterHeaders.ATTEMPTS, text(Integer.toString(cause.attempts())));
    headers.add(
        DeadLetterHeaders.FINGERPRINT,
        text(f == null ? "dev.waybill.inbox." + cause.reason() : FailureFingerprint.of(f)));
    headers.add(DeadLetterHeaders.FIRST_FAILURE, text(cause.firstFailure().toString()));
    headers.add(DeadLetterHeaders.LAST_FAILURE, text(cause.lastFailure().toString()));
    if (cause.messageId() != null) {
      headers.add(DeadLetterHeaders.MESSAGE_ID, text(cause.messageId()));
    }
    if (cause.parkedBehind() != null) {
      headers.add(DeadLetterHeaders.PARKED_BEHIND, text(cause.parkedBehind()));
    }
    return new ProducerRecord<>(topic, null, null, record.key(), record.value(), headers);
  }

  static Throwable rootCause(Throwable t) {
    if (t == null) {
      return null;
    }
    Throwable c = t;
    for (int i = 0; i < 32 && c.getCause() != null && c.getCause() != c; i++) {
      c = c.getCause();
    }
    return c;
  }

  static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "... (" + s.length() + " characters)";
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
