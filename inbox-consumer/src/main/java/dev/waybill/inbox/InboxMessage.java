package dev.waybill.inbox;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One consumed message as a handler sees it: where it came from (topic, partition, offset), its
 * key, value and headers, its message id and event type. Immutable: byte arrays are copied in and
 * out. Upcasters make changed copies with {@link #withEventType}, {@link #withValue} and {@link
 * #withHeader}.
 */
public final class InboxMessage {

  /** One header: a name and its raw bytes (copied in and out). */
  public static final class Header {
    private final String name;
    private final byte[] value;

    /**
     * @param name the header name
     * @param value its bytes; null for a header without value
     */
    public Header(String name, byte[] value) {
      this.name = Objects.requireNonNull(name, "name");
      this.value = value == null ? null : value.clone();
    }

    /**
     * The name.
     *
     * @return the header name, case as sent
     */
    public String name() {
      return name;
    }

    /**
     * A copy of the value; empty for a header without value.
     *
     * @return a new array on every call, or empty
     */
    public Optional<byte[]> value() {
      return Optional.ofNullable(value).map(byte[]::clone);
    }

    /**
     * The value as UTF-8 text; empty for a header without value.
     *
     * @return the decoded text (malformed UTF-8 is replaced), or empty
     */
    public Optional<String> text() {
      return Optional.ofNullable(value).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    byte[] raw() {
      return value;
    }

    @Override
    public String toString() {
      return name + "(" + (value == null ? "null" : value.length + " bytes") + ")";
    }
  }

  private final String topic;
  private final int partition;
  private final long offset;
  private final Instant timestamp;
  private final byte[] key;
  private final byte[] value;
  private final List<Header> headers;
  private final String messageId;
  private final String eventType;

  private InboxMessage(Builder b) {
    this.topic = Objects.requireNonNull(b.topic, "topic");
    this.partition = b.partition;
    this.offset = b.offset;
    this.timestamp = Objects.requireNonNull(b.timestamp, "timestamp");
    this.key = b.key == null ? null : b.key.clone();
    this.value = b.value == null ? null : b.value.clone();
    this.headers = Collections.unmodifiableList(new ArrayList<>(b.headers));
    this.messageId = Objects.requireNonNull(b.messageId, "messageId");
    this.eventType = b.eventType;
  }

  /**
   * A builder, for tests of handlers and upcasters, and for transports other than Kafka.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The topic (or queue, endpoint) the message came from.
   *
   * @return the source name
   */
  public String topic() {
    return topic;
  }

  /**
   * The Kafka partition; -1 when not from Kafka.
   *
   * @return the partition, or -1
   */
  public int partition() {
    return partition;
  }

  /**
   * The Kafka offset; -1 when not from Kafka.
   *
   * @return the offset, or -1
   */
  public long offset() {
    return offset;
  }

  /**
   * The record's timestamp.
   *
   * @return the timestamp the producer or broker set
   */
  public Instant timestamp() {
    return timestamp;
  }

  /**
   * The key as UTF-8 text; empty for a keyless record.
   *
   * @return the key text, or empty
   */
  public Optional<String> key() {
    return Optional.ofNullable(key).map(k -> new String(k, StandardCharsets.UTF_8));
  }

  /**
   * A copy of the key bytes; empty for a keyless record.
   *
   * @return a new array on every call, or empty
   */
  public Optional<byte[]> keyBytes() {
    return Optional.ofNullable(key).map(byte[]::clone);
  }

  /**
   * A copy of the value bytes; an empty array for a null (tombstone) value.
   *
   * @return a new array on every call; never null
   */
  public byte[] value() {
    return value == null ? new byte[0] : value.clone();
  }

  /**
   * The value as UTF-8 text; empty text for a null value.
   *
   * @return the value text; never null
   */
  public String valueAsString() {
    return value == null ? "" : new String(value, StandardCharsets.UTF_8);
  }

  /**
   * Whether the value is null (a tombstone).
   *
   * @return true for a null value
   */
  public boolean isTombstone() {
    return value == null;
  }

  /**
   * Every header, in record order.
   *
   * @return the headers, duplicates included; unmodifiable
   */
  public List<Header> headers() {
    return headers;
  }

  /**
   * The last header of that name as UTF-8 text; empty when absent or without value.
   *
   * @param name the header name, matched exactly
   * @return the header text, or empty
   */
  public Optional<String> header(String name) {
    for (int i = headers.size() - 1; i >= 0; i--) {
      Header h = headers.get(i);
      if (h.name().equals(name)) {
        return h.text();
      }
    }
    return Optional.empty();
  }

  /**
   * The id the inbox records: from {@code ce_id}, the configured extractor, or derived.
   *
   * @return the message id; never blank
   */
  public String messageId() {
    return messageId;
  }

  /**
   * The event type ({@code ce_type}), after upcasting; empty when the record has none.
   *
   * @return the event type, or empty
   */
  public Optional<String> eventType() {
    return Optional.ofNullable(eventType);
  }

  /**
   * A copy with another event type (for upcasters).
   *
   * @param newEventType the event type the handler lookup uses; null for none
   * @return a new message; this one is unchanged
   */
  public InboxMessage withEventType(String newEventType) {
    return toBuilder().eventType(newEventType).build();
  }

  /**
   * A copy with another value (for upcasters).
   *
   * @param newValue the new value bytes; copied, null for a tombstone
   * @return a new message; this one is unchanged
   */
  public InboxMessage withValue(byte[] newValue) {
    return toBuilder().value(newValue).build();
  }

  /**
   * A copy with another value, as UTF-8 text (for upcasters).
   *
   * @param newValue the new value text
   * @return a new message; this one is unchanged
   */
  public InboxMessage withValue(String newValue) {
    return withValue(newValue.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A copy where the header {@code name} is replaced by one with this UTF-8 value.
   *
   * @param name the header name; every header of that name is replaced
   * @param headerValue the new value, encoded as UTF-8
   * @return a new message; this one is unchanged
   */
  public InboxMessage withHeader(String name, String headerValue) {
    Builder b = toBuilder();
    b.headers.removeIf(h -> h.name().equals(name));
    b.header(name, headerValue.getBytes(StandardCharsets.UTF_8));
    return b.build();
  }

  /**
   * A builder holding this message's values.
   *
   * @return a new builder; changing it does not change this message
   */
  public Builder toBuilder() {
    Builder b =
        builder()
            .topic(topic)
            .partition(partition)
            .offset(offset)
            .timestamp(timestamp)
            .key(key)
            .value(value)
            .messageId(messageId)
            .eventType(eventType);
    b.headers.addAll(headers);
    return b;
  }

  /** Shows coordinates, id and type; never the value. */
  @Override
  public String toString() {
    return "InboxMessage[topic="
        + topic
        + ", partition="
        + partition
        + ", offset="
        + offset
        + ", id="
        + messageId
        + ", type="
        + eventType
        + ", value="
        + (value == null ? "null" : value.length + " bytes")
        + "]";
  }

  /** Builds an {@link InboxMessage}. Not thread-safe. */
  public static final class Builder {
    private String topic;
    private int partition = -1;
    private long offset = -1;
    private Instant timestamp = Instant.EPOCH;
    private byte[] key;
    private byte[] value;
    private final List<Header> headers = new ArrayList<>();
    private String messageId;
    private String eventType;

    private Builder() {}

    /**
     * The topic, queue or endpoint (required).
     *
     * @param topic the source name
     * @return this builder
     */
    public Builder topic(String topic) {
      this.topic = topic;
      return this;
    }

    /**
     * The partition (default -1).
     *
     * @param partition the partition, or -1
     * @return this builder
     */
    public Builder partition(int partition) {
      this.partition = partition;
      return this;
    }

    /**
     * The offset (default -1).
     *
     * @param offset the offset, or -1
     * @return this builder
     */
    public Builder offset(long offset) {
      this.offset = offset;
      return this;
    }

    /**
     * The timestamp (default the epoch).
     *
     * @param timestamp the record time
     * @return this builder
     */
    public Builder timestamp(Instant timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    /**
     * The key bytes (null for none).
     *
     * @param key the key bytes; copied
     * @return this builder
     */
    public Builder key(byte[] key) {
      this.key = key;
      return this;
    }

    /**
     * The key as UTF-8 text (null for none).
     *
     * @param key the key text
     * @return this builder
     */
    public Builder key(String key) {
      return key(key == null ? null : key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The value bytes (null for a tombstone).
     *
     * @param value the value bytes; copied
     * @return this builder
     */
    public Builder value(byte[] value) {
      this.value = value;
      return this;
    }

    /**
     * Adds a header.
     *
     * @param name the header name
     * @param headerValue the header bytes; copied, null for a header without value
     * @return this builder
     */
    public Builder header(String name, byte[] headerValue) {
      headers.add(new Header(name, headerValue));
      return this;
    }

    /**
     * The message id (required).
     *
     * @param messageId the id the inbox records
     * @return this builder
     */
    public Builder messageId(String messageId) {
      this.messageId = messageId;
      return this;
    }

    /**
     * The event type (null for none).
     *
     * @param eventType the event type
     * @return this builder
     */
    public Builder eventType(String eventType) {
      this.eventType = eventType;
      return this;
    }

    /**
     * @return the immutable message
     * @throws NullPointerException when topic or message id is missing
     */
    public InboxMessage build() {
      return new InboxMessage(this);
    }
  }
}
