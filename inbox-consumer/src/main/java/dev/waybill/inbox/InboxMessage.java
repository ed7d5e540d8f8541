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

    /** The name. */
    public String name() {
      return name;
    }

    /** A copy of the value; empty for a header without value. */
    public Optional<byte[]> value() {
      return Optional.ofNullable(value).map(byte[]::clone);
    }

    /** The value as UTF-8 text; empty for a header without value. */
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

  /** A builder, for tests of handlers and upcasters, and for transports other than Kafka. */
  public static Builder builder() {
    return new Builder();
  }

  /** The topic (or queue, endpoint) the message came from. */
  public String topic() {
    return topic;
  }

  /** The Kafka partition; -1 when not from Kafka. */
  public int partition() {
    return partition;
  }

  /** The Kafka offset; -1 when not from Kafka. */
  public long offset() {
    return offset;
  }

  /** The record's timestamp. */
  public Instant timestamp() {
    return timestamp;
  }

  /** The key as UTF-8 text; empty for a keyless record. */
  public Optional<String> key() {
    return Optional.ofNullable(key).map(k -> new String(k, StandardCharsets.UTF_8));
  }

  /** A copy of the key bytes; empty for a keyless record. */
  public Optional<byte[]> keyBytes() {
    return Optional.ofNullable(key).map(byte[]::clone);
  }

  /** A copy of the value bytes; an empty array for a null (tombstone) value. */
  public byte[] value() {
    return value == null ? new byte[0] : value.clone();
  }

  /** The value as UTF-8 text; empty text for a null value. */
  public String valueAsString() {
    return value == null ? "" : new String(value, StandardCharsets.UTF_8);
  }

  /** Whether the value is null (a tombstone). */
  public boolean isTombstone() {
    return value == null;
  }

  /** Every header, in record order. */
  public List<Header> headers() {
    return headers;
  }

  /** The last header of that name as UTF-8 text; empty when absent or without value. */
  public Optional<String> header(String name) {
    for (int i = headers.size() - 1; i >= 0; i--) {
      Header h = headers.get(i);
      if (h.name().equals(name)) {
        return h.text();
      }
    }
    return Optional.empty();
  }

  /** The id the inbox records: from {@code ce_id}, the configured extractor, or derived. */
  public String messageId() {
    return messageId;
  }

  /** The event type ({@code ce_type}), after upcasting; empty when the record has none. */
  public Optional<String> eventType() {
    return Optional.ofNullable(eventType);
  }

  /** A copy with another event type (for upcasters). */
  public InboxMessage withEventType(String newEventType) {
    return toBuilder().eventType(newEventType).build();
  }

  /** A copy with another value (for upcasters). */
  public InboxMessage withValue(byte[] newValue) {
    return toBuilder().value(newValue).build();
  }

  /** A copy with another value, as UTF-8 text (for upcasters). */
  public InboxMessage withValue(String newValue) {
    return withValue(newValue.getBytes(StandardCharsets.UTF_8));
  }

  /** A copy where the header {@code name} is replaced by one with this UTF-8 value. */
  public InboxMessage withHeader(String name, String headerValue) {
    Builder b = toBuilder();
    b.headers.removeIf(h -> h.name().equals(name));
    b.header(name, headerValue.getBytes(StandardCharsets.UTF_8));
    return b.build();
  }

  /** A builder holding this message's values. */
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

    /** The topic, queue or endpoint (required). */
    public Builder topic(String topic) {
      this.topic = topic;
      return this;
    }

    /** The partition (default -1). */
    public Builder partition(int partition) {
      this.partition = partition;
      return this;
    }

    /** The offset (default -1). */
    public Builder offset(long offset) {
      this.offset = offset;
      return this;
    }

    /** The timestamp (default the epoch). */
    public Builder timestamp(Instant timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    /** The key bytes (null for none). */
    public Builder key(byte[] key) {
      this.key = key;
      return this;
    }

    /** The key as UTF-8 text (null for none). */
    public Builder key(String key) {
      return key(key == null ? null : key.getBytes(StandardCharsets.UTF_8));
    }

    /** The value bytes (null for a tombstone). */
    public Builder value(byte[] value) {
      this.value = value;
      return this;
    }

    /** Adds a header. */
    public Builder header(String name, byte[] headerValue) {
      headers.add(new Header(name, headerValue));
      return this;
    }

    /** The message id (required). */
    public Builder messageId(String messageId) {
      this.messageId = messageId;
      return this;
    }

    /** The event type (null for none). */
    public Builder eventType(String eventType) {
      this.eventType = eventType;
      return this;
    }

    /**
     * @throws NullPointerException when topic or message id is missing
     */
    public InboxMessage build() {
      return new InboxMessage(this);
    }
  }
}
