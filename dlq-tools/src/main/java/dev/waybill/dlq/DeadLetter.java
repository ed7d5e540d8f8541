package dev.waybill.dlq;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One dead-lettered record as the DLQ tool shows it, the same way whoever wrote it (Waybill, Spring
 * Kafka, Kafka Connect). Decode with {@link DeadLetters#decode}. Immutable.
 *
 * @param topic the dead-letter topic
 * @param partition its partition
 * @param offset its offset
 * @param timestamp the dead-letter record's timestamp (when it was dead-lettered)
 * @param format who wrote it
 * @param key the record key as text (UTF-8, or {@code 0x}-hex when not text), if any
 * @param messageId the message id ({@code ce_id}, or the consumer's recorded id), if any
 * @param originalTopic the topic the failed record came from, if known
 * @param originalPartition its partition, if known
 * @param originalOffset its offset, if known
 * @param exceptionClass the failure's class name, or {@code (unknown)}
 * @param exceptionMessage the failure's message (may be empty)
 * @param stackTrace the failure's stack trace, if recorded
 * @param cause when the failure is a wrapper such as Spring's {@code
 *     ListenerExecutionFailedException} or {@code CompletionException}: the class of the first
 *     cause that is not a wrapper, which the fingerprint is made of
 * @param fingerprint exception class + top application frame, e.g. {@code
 *     java.lang.IllegalStateException@com.acme.Orders.apply}: failures of one cause share it
 * @param consumer the consumer group (Waybill, Spring) or connector (Connect) that gave up, if
 *     known
 * @param redriveCount how many times the record was redriven before (0 when never)
 * @param headers every header, decoded as text (binary Spring values as numbers, other binary
 *     values as {@code 0x}-hex)
 */
public record DeadLetter(
    String topic,
    int partition,
    long offset,
    Instant timestamp,
    DeadLetterFormat format,
    Optional<String> key,
    Optional<String> messageId,
    Optional<String> originalTopic,
    Optional<Integer> originalPartition,
    Optional<Long> originalOffset,
    String exceptionClass,
    String exceptionMessage,
    Optional<String> stackTrace,
    Optional<String> cause,
    String fingerprint,
    Optional<String> consumer,
    int redriveCount,
    List<DecodedHeader> headers) {

  /**
   * Validates and copies.
   *
   * @param topic the dead-letter topic; required
   * @param partition its partition
   * @param offset its offset
   * @param timestamp when it was dead-lettered; required
   * @param format who wrote it; required
   * @param key the key text, or empty
   * @param messageId the message id, or empty
   * @param originalTopic the failed record's topic, or empty
   * @param originalPartition the failed record's partition, or empty
   * @param originalOffset the failed record's offset, or empty
   * @param exceptionClass the failure's class name; required
   * @param exceptionMessage the failure's message; required, may be empty
   * @param stackTrace the failure's stack trace, or empty
   * @param cause the unwrapped cause's class, or empty when the failure is not a wrapper
   * @param fingerprint the failure's fingerprint; required
   * @param consumer the group or connector that gave up, or empty
   * @param redriveCount earlier redrives, from 0
   * @param headers the decoded headers; copied
   */
  public DeadLetter {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(exceptionClass, "exceptionClass");
    Objects.requireNonNull(exceptionMessage, "exceptionMessage");
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(fingerprint, "fingerprint");
    headers = List.copyOf(headers);
  }

  /**
   * {@code partition:offset}, how the tool names a dead letter.
   *
   * @return the position, e.g. {@code 0:17}
   */
  public String position() {
    return partition + ":" + offset;
  }

  /**
   * A short, stable id of the fingerprint (8 hex digits), usable with {@code --group}.
   *
   * @return the group id of {@link #fingerprint()}
   */
  public String groupId() {
    return DeadLetters.groupId(fingerprint);
  }

  /**
   * The text values of every header named {@code name}, in order.
   *
   * @param name the header name, matched exactly
   * @return the values; empty when there is no such header
   */
  public List<String> header(String name) {
    return headers.stream().filter(h -> h.name().equals(name)).map(DecodedHeader::value).toList();
  }

  /**
   * A header decoded for display.
   *
   * @param name the header name
   * @param value its value as text
   * @param binary whether the raw value was binary (shown as a number or hex)
   */
  public record DecodedHeader(String name, String value, boolean binary) {
    /**
     * Validates.
     *
     * @param name the header name; required
     * @param value the value as text; required
     * @param binary whether the raw value was binary
     */
    public DecodedHeader {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }
}
