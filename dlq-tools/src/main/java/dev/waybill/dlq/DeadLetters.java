package dev.waybill.dlq;

import dev.waybill.dlq.DeadLetter.DecodedHeader;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.FailureFingerprint;
import dev.waybill.outbox.wire.RedriveHeaders;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Decodes dead-letter records of Waybill's inbox consumer, Spring Kafka and Kafka Connect into one
 * {@link DeadLetter} view. Stateless and thread-safe.
 */
public final class DeadLetters {
  /** Prefix of Kafka Connect's dead-letter context headers. */
  public static final String CONNECT_PREFIX = "__connect.errors.";

  /** Connect: the original topic (text). */
  public static final String CONNECT_TOPIC = "__connect.errors.topic";

  /** Connect: the original partition (decimal text). */
  public static final String CONNECT_PARTITION = "__connect.errors.partition";

  /** Connect: the original offset (decimal text). */
  public static final String CONNECT_OFFSET = "__connect.errors.offset";

  /** Connect: the exception class. */
  public static final String CONNECT_EXCEPTION_CLASS = "__connect.errors.exception.class.name";

  /** Connect: the exception message. */
  public static final String CONNECT_EXCEPTION_MESSAGE = "__connect.errors.exception.message";

  /** Connect: the exception stack trace. */
  public static final String CONNECT_EXCEPTION_STACKTRACE = "__connect.errors.exception.stacktrace";

  /** Connect: the connector's name. */
  public static final String CONNECT_CONNECTOR = "__connect.errors.connector.name";

  /** Connect: the task id. */
  public static final String CONNECT_TASK = "__connect.errors.task.id";

  /** Connect: the stage that failed, e.g. {@code VALUE_CONVERTER}. */
  public static final String CONNECT_STAGE = "__connect.errors.stage";

  /** Connect: the class of the failing stage. */
  public static final String CONNECT_CLASS = "__connect.errors.class.name";

  /** Prefix of the headers a share group's dead-letter queue writes (all UTF-8 text). */
  public static final String SHARE_PREFIX = "__dlq.errors.";

  /** Share group DLQ: the topic of the rejected record. */
  public static final String SHARE_TOPIC = "__dlq.errors.topic";

  /** Share group DLQ: its partition (decimal text). */
  public static final String SHARE_PARTITION = "__dlq.errors.partition";

  /** Share group DLQ: its offset (decimal text). */
  public static final String SHARE_OFFSET = "__dlq.errors.offset";

  /** Share group DLQ: the share group that gave up on it. */
  public static final String SHARE_GROUP = "__dlq.errors.group";

  /** Share group DLQ: how many times it was delivered (decimal text), when known. */
  public static final String SHARE_DELIVERY_COUNT = "__dlq.errors.delivery.count";

  /**
   * Share group DLQ: why, e.g. {@code Offset rejected by client.} or {@code Offset delivery count
   * exceeded the threshold.}, when known.
   */
  public static final String SHARE_MESSAGE = "__dlq.errors.message";

  /** The exception class shown for a share group's dead letter, which records no exception. */
  public static final String SHARE_EXCEPTION = "(share group)";

  private DeadLetters() {}

  /**
   * Whether a header is written by a dead-letter publisher (and so dropped on redrive).
   *
   * @param name a header name
   * @return true for headers under the dead-letter prefixes of Waybill, Spring Kafka and Kafka
   *     Connect, and for Waybill's redrive headers
   */
  public static boolean isDeadLetterHeader(String name) {
    return name.startsWith(DeadLetterHeaders.SPRING_PREFIX)
        || name.startsWith(DeadLetterHeaders.WAYBILL_PREFIX)
        || name.startsWith(CONNECT_PREFIX)
        || name.startsWith(SHARE_PREFIX)
        || name.startsWith(RedriveHeaders.PREFIX);
  }

  /**
   * Decodes a record read from a dead-letter topic.
   *
   * @param record a record of a dead-letter topic; its format is recognized from its headers
   * @return the dead letter, with what its writer did not record left empty
   */
  public static DeadLetter decode(ConsumerRecord<byte[], byte[]> record) {
    List<DecodedHeader> headers = new ArrayList<>();
    for (Header h : record.headers()) {
      headers.add(decodeHeader(h.key(), h.value()));
    }
    DeadLetterFormat format = DeadLetterFormat.UNKNOWN;
    if (last(record, DeadLetterHeaders.REASON).isPresent()
        || last(record, DeadLetterHeaders.FINGERPRINT).isPresent()) {
      format = DeadLetterFormat.WAYBILL;
    } else if (last(record, DeadLetterHeaders.ORIGINAL_TOPIC).isPresent()
        || last(record, DeadLetterHeaders.EXCEPTION_FQCN).isPresent()) {
      format = DeadLetterFormat.SPRING;
    } else if (last(record, CONNECT_TOPIC).isPresent()
        || last(record, CONNECT_EXCEPTION_CLASS).isPresent()) {
      format = DeadLetterFormat.CONNECT;
    } else if (last(record, SHARE_TOPIC).isPresent() && last(record, SHARE_GROUP).isPresent()) {
      format = DeadLetterFormat.SHARE_GROUP;
    }
    Optional<String> originalTopic;
    Optional<Integer> originalPartition;
    Optional<Long> originalOffset;
    String exceptionClass;
    String exceptionMessage;
    Optional<String> stack;
    Optional<String> consumer;
    Optional<String> cause = Optional.empty();
    String fingerprint = null;
    if (format == DeadLetterFormat.SHARE_GROUP) {
      originalTopic = text(record, SHARE_TOPIC);
      originalPartition = text(record, SHARE_PARTITION).flatMap(DeadLetters::parseInt);
      originalOffset = text(record, SHARE_OFFSET).flatMap(DeadLetters::parseLong);
      exceptionClass = SHARE_EXCEPTION;
      exceptionMessage = text(record, SHARE_MESSAGE).orElse("");
      stack = Optional.empty();
      consumer = text(record, SHARE_GROUP);
      // no exception is recorded: the group and the broker's reason tell failures apart
      fingerprint = SHARE_EXCEPTION + " " + consumer.orElse("") + ": " + exceptionMessage;
    } else if (format == DeadLetterFormat.CONNECT) {
      originalTopic = text(record, CONNECT_TOPIC);
      originalPartition = text(record, CONNECT_PARTITION).flatMap(DeadLetters::parseInt);
      originalOffset = text(record, CONNECT_OFFSET).flatMap(DeadLetters::parseLong);
      exceptionClass = text(record, CONNECT_EXCEPTION_CLASS).orElse("(unknown)");
      exceptionMessage = text(record, CONNECT_EXCEPTION_MESSAGE).orElse("");
      stack = text(record, CONNECT_EXCEPTION_STACKTRACE);
      consumer = text(record, CONNECT_CONNECTOR);
    } else {
      originalTopic = text(record, DeadLetterHeaders.ORIGINAL_TOPIC);
      originalPartition =
          last(record, DeadLetterHeaders.ORIGINAL_PARTITION).flatMap(DeadLetters::binaryInt);
      originalOffset =
          last(record, DeadLetterHeaders.ORIGINAL_OFFSET).flatMap(DeadLetters::binaryLong);
      exceptionClass = text(record, DeadLetterHeaders.EXCEPTION_FQCN).orElse("(unknown)");
      exceptionMessage = text(record, DeadLetterHeaders.EXCEPTION_MESSAGE).orElse("");
      stack = text(record, DeadLetterHeaders.EXCEPTION_STACKTRACE);
      consumer = text(record, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP);
    }
    if (format == DeadLetterFormat.SPRING) {
      Optional<FailureFingerprint.Cause> unwrapped =
          FailureFingerprint.unwrap(
              exceptionClass,
              text(record, DeadLetterHeaders.EXCEPTION_CAUSE_FQCN).orElse(null),
              stack.orElse(null));
      cause = unwrapped.map(FailureFingerprint.Cause::exceptionClass);
      fingerprint = unwrapped.map(FailureFingerprint.Cause::fingerprint).orElse(null);
    }
    if (fingerprint == null) {
      fingerprint =
          text(record, DeadLetterHeaders.FINGERPRINT)
              .orElseGet(() -> fingerprint(exceptionClass, stack.orElse("")));
    }
    Optional<String> messageId =
        text(record, CloudEventHeaders.ID).or(() -> text(record, DeadLetterHeaders.MESSAGE_ID));
    int redrives = text(record, RedriveHeaders.COUNT).flatMap(DeadLetters::parseInt).orElse(0);
    return new DeadLetter(
        record.topic(),
        record.partition(),
        record.offset(),
        Instant.ofEpochMilli(Math.max(0, record.timestamp())),
        format,
        Optional.ofNullable(record.key()).map(DeadLetters::display),
        messageId,
        originalTopic,
        originalPartition,
        originalOffset,
        exceptionClass,
        exceptionMessage,
        stack,
        cause,
        fingerprint,
        consumer,
        redrives,
        headers);
  }

  /**
   * The fingerprint of a failure known only as text: the class and the first frame of the stack
   * trace outside the JDK, drivers, Kafka, Spring and Waybill ({@code class@frameClass.method}),
   * the same rule as Waybill's inbox consumer uses. Just the class when no frame qualifies.
   *
   * @param exceptionClass the fully qualified class name
   * @param stackTrace the printed stack trace, or null
   * @return the fingerprint
   */
  public static String fingerprint(String exceptionClass, String stackTrace) {
    return FailureFingerprint.of(exceptionClass, stackTrace);
  }

  /**
   * 8 hex digits of the SHA-256 of a fingerprint.
   *
   * @param fingerprint a fingerprint
   * @return the group id, lower-case hex
   */
  public static String groupId(String fingerprint) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256").digest(fingerprint.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * UTF-8 text, or {@code 0x}-hex when the bytes are not valid UTF-8 text.
   *
   * @param bytes the raw bytes; not null
   * @return printable text
   */
  public static String display(byte[] bytes) {
    return utf8(bytes).orElseGet(() -> "0x" + HexFormat.of().formatHex(bytes));
  }

  /**
   * The bytes as UTF-8 text without control characters other than tab and newlines.
   *
   * @param bytes the raw bytes, or null
   * @return the text, or empty when the bytes are null, not UTF-8, or hold other control characters
   */
  public static Optional<String> utf8(byte[] bytes) {
    if (bytes == null) {
      return Optional.empty();
    }
    try {
      CharBuffer cb =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      String s = cb.toString();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          return Optional.empty();
        }
      }
      return Optional.of(s);
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  static DecodedHeader decodeHeader(String name, byte[] value) {
    if (value == null) {
      return new DecodedHeader(name, "(null)", false);
    }
    if (name.equals(DeadLetterHeaders.ORIGINAL_PARTITION)) {
      Optional<Integer> v = binaryInt(value);
      if (v.isPresent()) {
        return new DecodedHeader(name, v.get().toString(), true);
      }
    }
    if (name.equals(DeadLetterHeaders.ORIGINAL_OFFSET)) {
      Optional<Long> v = binaryLong(value);
      if (v.isPresent()) {
        return new DecodedHeader(name, v.get().toString(), true);
      }
    }
    if (name.equals(DeadLetterHeaders.ORIGINAL_TIMESTAMP)) {
      Optional<Long> v = binaryLong(value);
      if (v.isPresent()) {
        return new DecodedHeader(name, v.get() + " (" + Instant.ofEpochMilli(v.get()) + ")", true);
      }
    }
    Optional<String> t = utf8(value);
    return t.map(s -> new DecodedHeader(name, s, false))
        .orElseGet(() -> new DecodedHeader(name, "0x" + HexFormat.of().formatHex(value), true));
  }

  private static Optional<byte[]> last(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? Optional.empty() : Optional.of(h.value());
  }

  private static Optional<String> text(ConsumerRecord<byte[], byte[]> r, String name) {
    return last(r, name).map(b -> new String(b, StandardCharsets.UTF_8));
  }

  private static Optional<Integer> binaryInt(byte[] b) {
    return b.length == Integer.BYTES
        ? Optional.of(ByteBuffer.wrap(b).getInt())
        : utf8(b).flatMap(DeadLetters::parseInt);
  }

  private static Optional<Long> binaryLong(byte[] b) {
    return b.length == Long.BYTES
        ? Optional.of(ByteBuffer.wrap(b).getLong())
        : utf8(b).flatMap(DeadLetters::parseLong);
  }

  private static Optional<Integer> parseInt(String s) {
    try {
      return Optional.of(Integer.parseInt(s.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Optional<Long> parseLong(String s) {
    try {
      return Optional.of(Long.parseLong(s.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
