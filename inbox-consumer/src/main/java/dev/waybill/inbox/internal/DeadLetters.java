package dev.waybill.inbox.internal;

import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.FailureFingerprint;
import dev.waybill.outbox.wire.Utf8;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds dead-letter records: the original key, value and headers unchanged (earlier dead-letter
 * headers of both families are replaced, so each appears once), plus Spring Kafka's {@code
 * kafka_dlt-*} headers in Spring's encodings and Waybill's {@code waybill_dlt-*} headers, which
 * together take at most {@link #HEADER_BUDGET_BYTES}. Not API.
 */
public final class DeadLetters {
  /** Most bytes of the exception message (or the reason in words) kept in a header. */
  static final int MAX_MESSAGE_BYTES = 1_024;

  /** Most bytes of the stack trace kept in a header (it travels with every dead letter). */
  static final int MAX_STACKTRACE_BYTES = 16_384;

  /** Most bytes of a class name or fingerprint kept in a header. */
  static final int MAX_NAME_BYTES = 512;

  /**
   * Most bytes the headers added to a dead letter take, names and values: the capped message, stack
   * trace and class names, plus topic (≤ 249 characters), group and ids (≤ 255 characters each, up
   * to 3 bytes per character) and the fixed-size ones.
   */
  public static final int HEADER_BUDGET_BYTES = 20 * 1_024;

  /** What a dead letter too large for its topic leaves out, step by step. */
  public enum Shrink {
    /** Nothing: the whole record. */
    NONE(""),
    /** The original value. */
    VALUE("value"),
    /** The original value, key and headers, and the stack trace. */
    ALL("value, key, original headers and stack trace");

    private final String leftOut;

    Shrink(String leftOut) {
      this.leftOut = leftOut;
    }

    /** What is left out, in words. */
    public String leftOut() {
      return leftOut;
    }
  }

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
    headers.add(DeadLetterHeaders.EXCEPTION_FQCN, Utf8.encodeWithin(fqcn, MAX_NAME_BYTES));
    Throwable root = rootCause(f);
    if (root != null && root != f) {
      headers.add(
          DeadLetterHeaders.EXCEPTION_CAUSE_FQCN,
          Utf8.encodeWithin(root.getClass().getName(), MAX_NAME_BYTES));
    }
    String message =
        f == null
            ? cause.description()
            : (f.getMessage() == null ? f.getClass().getSimpleName() : f.getMessage());
    headers.add(DeadLetterHeaders.EXCEPTION_MESSAGE, Utf8.encodeWithin(message, MAX_MESSAGE_BYTES));
    headers.add(
        DeadLetterHeaders.EXCEPTION_STACKTRACE,
        f == null
            ? Utf8.encodeWithin(cause.description(), MAX_MESSAGE_BYTES)
            : Utf8.encodeWithin(stackTrace(f), MAX_STACKTRACE_BYTES));
    headers.add(DeadLetterHeaders.REASON, text(cause.reason()));
    headers.add(DeadLetterHeaders.ATTEMPTS, text(Integer.toString(cause.attempts())));
    headers.add(
        DeadLetterHeaders.FINGERPRINT,
        Utf8.encodeWithin(
            f == null ? "dev.waybill.inbox." + cause.reason() : FailureFingerprint.of(f),
            MAX_NAME_BYTES));
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

  /**
   * The dead letter {@code full} without what {@code step} leaves out, with header {@link
   * DeadLetterHeaders#LEFT_OUT} saying what and why.
   */
  public static ProducerRecord<byte[], byte[]> shrink(
      ProducerRecord<byte[], byte[]> full, Shrink step) {
    RecordHeaders headers = new RecordHeaders();
    for (Header h : full.headers()) {
      boolean waybills =
          h.key().startsWith(DeadLetterHeaders.SPRING_PREFIX)
              || h.key().startsWith(DeadLetterHeaders.WAYBILL_PREFIX);
      if (step == Shrink.ALL
          && (!waybills || h.key().equals(DeadLetterHeaders.EXCEPTION_STACKTRACE))) {
        continue;
      }
      headers.add(h.key(), h.value());
    }
    int valueBytes = full.value() == null ? 0 : full.value().length;
    headers.add(
        DeadLetterHeaders.LEFT_OUT,
        text(
            step.leftOut()
                + ": the dead letter was too large for topic "
                + full.topic()
                + " (value "
                + valueBytes
                + " bytes); the original is at the kafka_dlt-original-* coordinates"));
    byte[] key = step == Shrink.ALL ? null : full.key();
    return new ProducerRecord<>(full.topic(), null, null, key, null, headers);
  }

  /** Whether a send failed because the record is too large for the broker or the producer. */
  public static boolean isTooLarge(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof RecordTooLargeException || c instanceof RecordBatchTooLargeException) {
        return true;
      }
    }
    return false;
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

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
