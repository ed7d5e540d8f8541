package dev.waybill.outbox.wire;

/**
 * The Kafka header names a dead-lettered record carries, written by the inbox consumer and read by
 * the DLQ tool. Kept here, in the module every other module depends on, so the names exist once.
 *
 * <p>The {@code kafka_dlt-*} names and encodings are Spring Kafka's ({@code
 * DeadLetterPublishingRecoverer}), so tools built for Spring Kafka read Waybill's dead letters:
 * partition as a 4-byte big-endian int, offset and timestamp as 8-byte big-endian longs, the rest
 * UTF-8 text. Waybill's own {@code waybill_dlt-*} headers are UTF-8 text.
 */
public final class DeadLetterHeaders {
  /** Prefix of Spring Kafka's dead-letter headers. */
  public static final String SPRING_PREFIX = "kafka_dlt-";

  /** The topic the record was consumed from (text). */
  public static final String ORIGINAL_TOPIC = "kafka_dlt-original-topic";

  /** Its partition (4-byte big-endian int). */
  public static final String ORIGINAL_PARTITION = "kafka_dlt-original-partition";

  /** Its offset (8-byte big-endian long). */
  public static final String ORIGINAL_OFFSET = "kafka_dlt-original-offset";

  /** Its timestamp in epoch milliseconds (8-byte big-endian long). */
  public static final String ORIGINAL_TIMESTAMP = "kafka_dlt-original-timestamp";

  /** Its timestamp type, {@code CreateTime} or {@code LogAppendTime} (text). */
  public static final String ORIGINAL_TIMESTAMP_TYPE = "kafka_dlt-original-timestamp-type";

  /** The consumer group that gave up on it (text). */
  public static final String ORIGINAL_CONSUMER_GROUP = "kafka_dlt-original-consumer-group";

  /** Fully qualified class name of the last failure (text). */
  public static final String EXCEPTION_FQCN = "kafka_dlt-exception-fqcn";

  /** Fully qualified class name of the last failure's root cause, when it has one (text). */
  public static final String EXCEPTION_CAUSE_FQCN = "kafka_dlt-exception-cause-fqcn";

  /** The last failure's message (text). */
  public static final String EXCEPTION_MESSAGE = "kafka_dlt-exception-message";

  /** The last failure's stack trace (text). */
  public static final String EXCEPTION_STACKTRACE = "kafka_dlt-exception-stacktrace";

  /** Prefix of Waybill's own dead-letter headers. */
  public static final String WAYBILL_PREFIX = "waybill_dlt-";

  /** Why the record was dead-lettered: see the consumer's documentation for the values (text). */
  public static final String REASON = "waybill_dlt-reason";

  /** How many times the handler ran before giving up (decimal text; 0 when it never ran). */
  public static final String ATTEMPTS = "waybill_dlt-attempts";

  /**
   * The failure's fingerprint: exception class and top application frame, e.g. {@code
   * java.lang.IllegalStateException@com.acme.Orders.apply}; groups failures of one cause (text).
   */
  public static final String FINGERPRINT = "waybill_dlt-fingerprint";

  /** When the first attempt failed (ISO-8601 instant, text). */
  public static final String FIRST_FAILURE = "waybill_dlt-first-failure";

  /** When the last attempt failed (ISO-8601 instant, text). */
  public static final String LAST_FAILURE = "waybill_dlt-last-failure";

  /** The message id the consumer used (from {@code ce_id}, or derived), when it had one (text). */
  public static final String MESSAGE_ID = "waybill_dlt-message-id";

  /** Ordered mode: the id of the dead-lettered message that parked this record's key (text). */
  public static final String PARKED_BEHIND = "waybill_dlt-parked-behind";

  /**
   * What the consumer left out of this dead letter because the whole record was too large for the
   * dead-letter topic, and why, e.g. {@code value: the dead letter was too large ...}; the original
   * is still in its topic at the {@code kafka_dlt-original-*} coordinates until that topic's
   * retention (text). A dead letter with this header has no value: redrive it from the original.
   */
  public static final String LEFT_OUT = "waybill_dlt-left-out";

  private DeadLetterHeaders() {}
}
