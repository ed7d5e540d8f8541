package dev.waybill.outbox;

import dev.waybill.outbox.spi.PayloadSerializer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One message to publish: where it goes ({@code topic}), what orders it ({@code key}), what it is
 * ({@code eventType}), its body and headers, and optionally the earliest time it may be published.
 * Every rule is checked when the message is built, so a bad message fails the caller's write
 * instead of becoming a poison message later; the size limit, which is a setting, is checked by
 * {@link Outbox} when it writes.
 *
 * <p>Build with {@link #builder()}. Immutable and thread-safe.
 *
 * @param id the message id, published as {@code ce_id}; generated (UUIDv7) unless given
 * @param topic the Kafka topic: 1 to 249 characters from {@code a-z A-Z 0-9 . _ -}, not {@code .}
 *     or {@code ..}
 * @param key the Kafka record key (at most 1024 characters); messages with the same key are
 *     published in the order they were written. Empty for a keyless message (no order promise)
 * @param eventType the event type, published as {@code ce_type}: 1 to 255 characters, no control
 *     characters
 * @param payload the body and its media type
 * @param headers the application's own headers (names: a letter or digit, then letters, digits and
 *     {@code . _ - :}, at most 255 characters; names starting with {@code ce_}, and {@code
 *     content-type} and {@code traceparent}, are reserved for the CloudEvents binding)
 * @param notBefore the message is not published before this time (the writer's clock); empty to
 *     publish as soon as the transaction commits
 * @param traceparent a W3C trace context {@code traceparent} to publish with the message; when
 *     empty the writer asks its {@link dev.waybill.outbox.spi.TraceContextProvider}
 */
public record OutboxMessage(
    MessageId id,
    String topic,
    Optional<String> key,
    String eventType,
    Payload payload,
    Map<String, String> headers,
    Optional<Instant> notBefore,
    Optional<String> traceparent) {

  /** Longest topic name Kafka accepts. */
  public static final int MAX_TOPIC_LENGTH = 249;

  /** Longest key, in characters (the {@code msg_key} column). */
  public static final int MAX_KEY_LENGTH = 1024;

  /** Longest event type and header name, in characters. */
  public static final int MAX_NAME_LENGTH = 255;

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]+");
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");

  /**
   * Validates every field and reports every problem at once.
   *
   * @param id the message id; required
   * @param topic the Kafka topic; required, checked against Kafka's naming rules
   * @param key the record key; null is taken as empty
   * @param eventType the event type; required
   * @param payload the body; required
   * @param headers the application's headers; null is taken as none, copied otherwise
   * @param notBefore the earliest publication time; null is taken as empty
   * @param traceparent the W3C trace context; null is taken as empty, otherwise it must be
   *     well-formed
   * @throws InvalidMessageException naming each field, its value and the rule it broke
   */
  public OutboxMessage {
    headers = headers == null ? Map.of() : copyHeaders(headers);
    key = key == null ? Optional.empty() : key;
    notBefore = notBefore == null ? Optional.empty() : notBefore;
    traceparent = traceparent == null ? Optional.empty() : traceparent;
    List<String[]> problems = new ArrayList<>();
    if (id == null) {
      problems.add(new String[] {"id", "id is required"});
    }
    checkTopic(topic, problems);
    key.ifPresent(
        k -> {
          if (k.length() > MAX_KEY_LENGTH) {
            problems.add(
                new String[] {
                  "key",
                  "key of "
                      + k.length()
                      + " characters is too long: at most "
                      + MAX_KEY_LENGTH
                      + " characters"
                });
          }
        });
    if (eventType == null || eventType.isBlank()) {
      problems.add(
          new String[] {"eventType", "eventType is required: give a type such as OrderPlaced"});
    } else if (eventType.length() > MAX_NAME_LENGTH || hasControlChar(eventType)) {
      problems.add(
          new String[] {
            "eventType",
            "eventType '"
                + printable(eventType)
                + "' is invalid: use 1 to 255 characters without control characters"
          });
    }
    if (payload == null) {
      problems.add(
          new String[] {
            "payload", "payload is required: use Payload.json(...), Payload.text(...) or bytes"
          });
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      checkHeader(h.getKey(), h.getValue(), problems);
    }
    traceparent.ifPresent(
        t -> {
          if (!isValidTraceparent(t)) {
            problems.add(
                new String[] {
                  "traceparent",
                  "traceparent '"
                      + printable(t)
                      + "' is not a W3C trace context: expected 00-<32 hex>-<16 hex>-<2 hex>"
                      + " with non-zero ids"
                });
          }
        });
    if (!problems.isEmpty()) {
      StringBuilder b = new StringBuilder("invalid outbox message");
      if (topic != null) {
        b.append(" for topic '").append(printable(topic)).append('\'');
      }
      b.append(": ");
      for (int i = 0; i < problems.size(); i++) {
        b.append(i == 0 ? "" : "; ").append(problems.get(i)[1]);
      }
      throw new InvalidMessageException(problems.get(0)[0], b.toString());
    }
  }

  /**
   * A new builder; {@code topic}, {@code eventType} and {@code payload} are required.
   *
   * @return a new builder; not thread-safe, use one per message
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether {@code value} is a usable W3C {@code traceparent}: version, 32-hex trace id, 16-hex
   * parent id and flags, lower case, with non-zero ids and a version other than {@code ff}.
   *
   * @param value the candidate header value; null is not valid
   * @return true when the relay may publish it as {@code traceparent}
   */
  public static boolean isValidTraceparent(String value) {
    return dev.waybill.outbox.wire.Traceparent.parse(value).isPresent();
  }

  private static void checkTopic(String topic, List<String[]> problems) {
    if (topic == null || topic.isEmpty()) {
      problems.add(new String[] {"topic", "topic is required: give the Kafka topic to publish to"});
    } else if (topic.length() > MAX_TOPIC_LENGTH
        || !TOPIC.matcher(topic).matches()
        || topic.equals(".")
        || topic.equals("..")) {
      problems.add(
          new String[] {
            "topic",
            "topic '"
                + printable(topic)
                + "' is not a valid Kafka topic name: use 1 to 249 characters from"
                + " a-z A-Z 0-9 . _ - (and not '.' or '..')"
          });
    }
  }

  private static void checkHeader(String name, String value, List<String[]> problems) {
    if (name.length() > MAX_NAME_LENGTH || !HEADER_NAME.matcher(name).matches()) {
      problems.add(
          new String[] {
            "headers",
            "header name '"
                + printable(name)
                + "' is invalid: start with a letter or digit, then use letters, digits and"
                + " . _ - : (at most 255 characters)"
          });
      return;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.startsWith("ce_") || lower.equals("content-type") || lower.equals("traceparent")) {
      problems.add(
          new String[] {
            "headers",
            "header name '"
                + name
                + "' is reserved for the CloudEvents binding the relay writes: use the message's"
                + " id, eventType, payload content type or traceparent instead, or another name"
          });
    }
    if (value == null) {
      problems.add(
          new String[] {
            "headers", "header '" + name + "' has a null value: give a value or leave it out"
          });
    }
  }

  private static Map<String, String> copyHeaders(Map<String, String> in) {
    // keeps the caller's order (published in that order) and allows a null value to be reported
    Map<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : in.entrySet()) {
      copy.put(Objects.requireNonNull(e.getKey(), "header name"), e.getValue());
    }
    return java.util.Collections.unmodifiableMap(copy);
  }

  private static boolean hasControlChar(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** Shortens and strips control characters so an error message stays one readable line. */
  private static String printable(String s) {
    String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    StringBuilder b = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return b.toString();
  }

  /** Shows ids, routing and sizes, never payload bytes or header values. */
  @Override
  public String toString() {
    return "OutboxMessage[id="
        + id
        + ", topic="
        + topic
        + ", key="
        + key.orElse("<none>")
        + ", eventType="
        + eventType
        + ", payload="
        + payload
        + ", headers="
        + headers.keySet()
        + notBefore.map(t -> ", notBefore=" + t).orElse("")
        + "]";
  }

  /**
   * Builds an {@link OutboxMessage}. Not thread-safe; each {@link #build()} validates and returns
   * an immutable message with a fresh id unless {@link #id(MessageId)} was given.
   */
  public static final class Builder {
    private MessageId id;
    private String topic;
    private String key;
    private String eventType;
    private Payload payload;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Instant notBefore;
    private Duration delay;
    private String traceparent;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Uses this id instead of a generated one (e.g. to make a retried write keep its id).
     *
     * @param id the id to publish as {@code ce_id}
     * @return this builder
     */
    public Builder id(MessageId id) {
      this.id = id;
      return this;
    }

    /**
     * The Kafka topic (required).
     *
     * @param topic the destination topic
     * @return this builder
     */
    public Builder topic(String topic) {
      this.topic = topic;
      return this;
    }

    /**
     * The Kafka record key; null for a keyless message.
     *
     * @param key the record key, or null
     * @return this builder
     */
    public Builder key(String key) {
      this.key = key;
      return this;
    }

    /**
     * The event type, published as {@code ce_type} (required).
     *
     * @param eventType the type name consumers dispatch on
     * @return this builder
     */
    public Builder eventType(String eventType) {
      this.eventType = eventType;
      return this;
    }

    /**
     * The body (required).
     *
     * @param payload the bytes and their media type
     * @return this builder
     */
    public Builder payload(Payload payload) {
      this.payload = payload;
      return this;
    }

    /**
     * The body, turned into bytes by {@code serializer}.
     *
     * @param <T> the type of the value
     * @param value the object to serialize, once, when this method is called
     * @param serializer turns the value into bytes and names their media type
     * @return this builder
     */
    public <T> Builder payload(T value, PayloadSerializer<? super T> serializer) {
      Objects.requireNonNull(serializer, "serializer");
      this.payload = Objects.requireNonNull(serializer.serialize(value), "serializer result");
      return this;
    }

    /**
     * A JSON body given as text; shorthand for {@code payload(Payload.json(json))}.
     *
     * @param json well-formed JSON text; checked by {@link #build()}
     * @return this builder
     */
    public Builder jsonPayload(String json) {
      return payload(Payload.json(json));
    }

    /**
     * Adds one header; a later call with the same name replaces the value.
     *
     * @param name the header name; checked by {@link #build()}
     * @param value the header value
     * @return this builder
     */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "header name"), value);
      return this;
    }

    /**
     * Adds all these headers.
     *
     * @param more headers to add; later entries replace earlier ones of the same name
     * @return this builder
     */
    public Builder headers(Map<String, String> more) {
      more.forEach(this::header);
      return this;
    }

    /**
     * Not published before this instant. Replaces an earlier {@link #delay(Duration)}.
     *
     * @param notBefore the earliest publication time, or null to publish at once
     * @return this builder
     */
    public Builder notBefore(Instant notBefore) {
      this.notBefore = notBefore;
      this.delay = null;
      return this;
    }

    /**
     * Not published before {@code delay} after {@link #build()} (measured on the writer's clock).
     * Replaces an earlier {@link #notBefore(Instant)}.
     *
     * @param delay how long after {@code build()} the message becomes publishable; zero for at once
     * @return this builder
     * @throws IllegalArgumentException when the delay is negative
     */
    public Builder delay(Duration delay) {
      if (delay != null && delay.isNegative()) {
        throw new IllegalArgumentException(
            "delay " + delay + " is negative: give zero or a positive duration");
      }
      this.delay = delay;
      this.notBefore = null;
      return this;
    }

    /**
     * An explicit W3C {@code traceparent}; otherwise the writer's provider is asked.
     *
     * @param traceparent a W3C {@code traceparent} value, checked by {@link #build()}
     * @return this builder
     */
    public Builder traceparent(String traceparent) {
      this.traceparent = traceparent;
      return this;
    }

    /**
     * The clock used by {@link #delay(Duration)}; for tests.
     *
     * @param clock the clock to read when building
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Validates and builds the message.
     *
     * @return the validated, immutable message
     * @throws InvalidMessageException listing every rule the message breaks
     */
    public OutboxMessage build() {
      Instant at = notBefore;
      if (delay != null && !delay.isZero()) {
        at = clock.instant().plus(delay);
      }
      return new OutboxMessage(
          id != null ? id : MessageId.generate(),
          topic,
          Optional.ofNullable(key),
          eventType,
          payload,
          headers,
          Optional.ofNullable(at),
          Optional.ofNullable(traceparent));
    }
  }
}
