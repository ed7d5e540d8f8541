package dev.waybill.relay.internal;

import java.time.Instant;
import java.util.UUID;

/**
 * One claimed outbox row, as read by the relay. Internal: the payload array is not copied.
 *
 * @param seq write position
 * @param id message id
 * @param topic Kafka topic
 * @param key record key, or null
 * @param eventType CloudEvents type
 * @param contentType payload media type
 * @param payload the bytes (not copied)
 * @param headers the headers column (a JSON object), or null
 * @param traceparent W3C trace context, or null
 * @param createdAt when the row was written
 */
public record OutboxRow(
    long seq,
    UUID id,
    String topic,
    String key,
    String eventType,
    String contentType,
    byte[] payload,
    String headers,
    String traceparent,
    Instant createdAt) {

  /** The ordering unit: topic and key ({@code null} key rows have no order). */
  public String orderingKey() {
    return key == null ? null : topic + '\u0000' + key;
  }

  /**
   * The bytes the relay holds for this row, as {@code relay.batch.max.bytes} counts them: payload
   * and headers column (its characters, close to its UTF-8 length for the ASCII JSON it holds).
   */
  public long bytes() {
    return (long) payload.length + (headers == null ? 0 : headers.length());
  }

  @Override
  public String toString() {
    return "OutboxRow[seq=" + seq + ", id=" + id + ", topic=" + topic + ", key=" + key + "]";
  }
}
