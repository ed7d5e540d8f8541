package dev.waybill.outbox.wire;

import dev.waybill.outbox.internal.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The content of an outbox message written in message mode ({@code pg_logical_emit_message(true,
 * prefix, content)}), version 1. Documented in {@code docs/cdc.md}; any language can write it with
 * plain SQL.
 *
 * <pre>
 * content  = envelope LF payload
 * envelope = one JSON object, UTF-8, on one line (no raw line feed), for example
 *            {"v":1,"id":"0190...","topic":"orders","key":"order-17","type":"OrderPlaced",
 *             "contentType":"application/json","headers":{"tenant":"acme"},"traceparent":"00-..."}
 * payload  = the record value: every byte after the first LF, as is
 * </pre>
 *
 * <p>Members: {@code v} (number {@value #VERSION}, required), {@code topic} and {@code type}
 * (strings, required), {@code id} (a UUID; when absent the relay derives a stable one from the
 * message's WAL position), {@code key} (string or null), {@code contentType} (default {@code
 * application/json}), {@code headers} (an object of strings), {@code traceparent}, {@code time}
 * (RFC 3339; when absent the transaction's commit time). Unknown members are ignored, so later
 * minor additions stay readable; another {@code v} is refused. Thread-safe, stateless.
 */
public final class LogicalMessageFormat {
  /** The format version this class writes and reads. */
  public static final int VERSION = 1;

  private LogicalMessageFormat() {}

  /**
   * Encodes a message.
   *
   * @param id the message id
   * @param topic Kafka topic
   * @param key record key, or null
   * @param type event type
   * @param contentType payload media type
   * @param headers the application's headers (may be empty)
   * @param traceparent W3C trace context, or null
   * @param payload the record value (not kept)
   * @return the message content, to pass to {@code pg_logical_emit_message}
   */
  public static byte[] encode(
      UUID id,
      String topic,
      String key,
      String type,
      String contentType,
      Map<String, String> headers,
      String traceparent,
      byte[] payload) {
    StringBuilder b = new StringBuilder(160);
    b.append("{\"v\":").append(VERSION);
    b.append(",\"id\":").append(Json.quote(id.toString()));
    b.append(",\"topic\":").append(Json.quote(topic));
    if (key != null) {
      b.append(",\"key\":").append(Json.quote(key));
    }
    b.append(",\"type\":").append(Json.quote(type));
    b.append(",\"contentType\":").append(Json.quote(contentType));
    if (!headers.isEmpty()) {
      b.append(",\"headers\":").append(Json.encodeObject(headers));
    }
    if (traceparent != null) {
      b.append(",\"traceparent\":").append(Json.quote(traceparent));
    }
    b.append("}\n");
    byte[] head = b.toString().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + payload.length);
    out.writeBytes(head);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /**
   * Decodes a message's content.
   *
   * @param content the bytes of one logical decoding message with Waybill's prefix
   * @return the decoded message
   * @throws MalformedMessageException naming what is wrong (never quoting the payload)
   */
  public static Decoded decode(byte[] content) {
    Objects.requireNonNull(content, "content");
    int lf = -1;
    for (int i = 0; i < content.length; i++) {
      if (content[i] == '\n') {
        lf = i;
        break;
      }
    }
    if (lf < 0) {
      throw new MalformedMessageException(
          "outbox message content has no line feed after its JSON envelope (format v"
              + VERSION
              + ": envelope LF payload)");
    }
    String envelope = new String(content, 0, lf, StandardCharsets.UTF_8);
    Map<String, Object> m;
    try {
      m = Json.parseObject(envelope);
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException(
          "outbox message envelope is not a JSON object: " + e.getMessage());
    }
    Object v = m.get("v");
    if (!(v instanceof Number) || ((Number) v).doubleValue() != VERSION) {
      throw new MalformedMessageException(
          "outbox message envelope has version "
              + v
              + ": this relay reads version "
              + VERSION
              + " (member \"v\")");
    }
    String topic = string(m, "topic", true);
    String type = string(m, "type", true);
    String key = string(m, "key", false);
    String idText = string(m, "id", false);
    UUID id = null;
    if (idText != null) {
      try {
        id = UUID.fromString(idText);
      } catch (IllegalArgumentException e) {
        throw new MalformedMessageException("outbox message id '" + idText + "' is not a UUID");
      }
    }
    String contentType = string(m, "contentType", false);
    String traceparent = string(m, "traceparent", false);
    String timeText = string(m, "time", false);
    Instant time = null;
    if (timeText != null) {
      try {
        time = Instant.parse(timeText);
      } catch (DateTimeParseException e) {
        throw new MalformedMessageException(
            "outbox message time '" + timeText + "' is not an RFC 3339 UTC time");
      }
    }
    Map<String, String> headers = new LinkedHashMap<>();
    Object h = m.get("headers");
    if (h instanceof Map<?, ?> hm) {
      for (Map.Entry<?, ?> e : hm.entrySet()) {
        if (!(e.getValue() instanceof String)) {
          throw new MalformedMessageException(
              "outbox message header '" + e.getKey() + "' must have a string value");
        }
        headers.put((String) e.getKey(), (String) e.getValue());
      }
    } else if (h != null) {
      throw new MalformedMessageException("outbox message member \"headers\" must be an object");
    }
    return new Decoded(
        id,
        topic,
        key,
        type,
        contentType == null ? "application/json" : contentType,
        headers,
        traceparent,
        time,
        Arrays.copyOfRange(content, lf + 1, content.length));
  }

  private static String string(Map<String, Object> m, String name, boolean required) {
    Object o = m.get(name);
    if (o == null) {
      if (required) {
        throw new MalformedMessageException(
            "outbox message envelope lacks the required member \"" + name + "\"");
      }
      return null;
    }
    if (!(o instanceof String s)) {
      throw new MalformedMessageException(
          "outbox message member \"" + name + "\" must be a string");
    }
    if (required && s.isEmpty()) {
      throw new MalformedMessageException("outbox message member \"" + name + "\" is empty");
    }
    return s;
  }

  /** Content that is not a valid version-1 message; retrying cannot help. */
  public static final class MalformedMessageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * With the reason.
     *
     * @param message what is wrong with the content, without quoting the payload
     */
    public MalformedMessageException(String message) {
      super(message);
    }
  }

  /** A decoded message. Immutable: the payload is copied out. */
  public static final class Decoded {
    private final UUID id;
    private final String topic;
    private final String key;
    private final String type;
    private final String contentType;
    private final Map<String, String> headers;
    private final String traceparent;
    private final Instant time;
    private final byte[] payload;

    Decoded(
        UUID id,
        String topic,
        String key,
        String type,
        String contentType,
        Map<String, String> headers,
        String traceparent,
        Instant time,
        byte[] payload) {
      this.id = id;
      this.topic = topic;
      this.key = key;
      this.type = type;
      this.contentType = contentType;
      this.headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
      this.traceparent = traceparent;
      this.time = time;
      this.payload = payload;
    }

    /**
     * The id, when the writer gave one.
     *
     * @return the message id, or empty when the writer gave none
     */
    public Optional<UUID> id() {
      return Optional.ofNullable(id);
    }

    /**
     * The topic.
     *
     * @return the Kafka topic
     */
    public String topic() {
      return topic;
    }

    /**
     * The key, if any.
     *
     * @return the record key, or empty for a keyless message
     */
    public Optional<String> key() {
      return Optional.ofNullable(key);
    }

    /**
     * The event type.
     *
     * @return the event type, published as {@code ce_type}
     */
    public String type() {
      return type;
    }

    /**
     * The payload media type.
     *
     * @return the media type, published as {@code content-type}
     */
    public String contentType() {
      return contentType;
    }

    /**
     * The application's headers, in written order.
     *
     * @return the headers; unmodifiable
     */
    public Map<String, String> headers() {
      return headers;
    }

    /**
     * The trace context, if any.
     *
     * @return the W3C {@code traceparent}, or empty
     */
    public Optional<String> traceparent() {
      return Optional.ofNullable(traceparent);
    }

    /**
     * The time the writer gave, if any.
     *
     * @return the writer's timestamp, or empty
     */
    public Optional<Instant> time() {
      return Optional.ofNullable(time);
    }

    /**
     * A copy of the payload.
     *
     * @return a new array on every call
     */
    public byte[] payload() {
      return payload.clone();
    }

    /**
     * The payload without a copy, for the relay's hot path.
     *
     * @return the internal array, which the caller must not modify
     */
    public byte[] unsafePayload() {
      return payload;
    }

    @Override
    public String toString() {
      return "LogicalMessage[id="
          + id
          + ", topic="
          + topic
          + ", key="
          + key
          + ", type="
          + type
          + "]";
    }
  }
}
