package dev.waybill.outbox.spi;

import dev.waybill.outbox.Payload;

/**
 * Turns an application object into a {@link Payload} (bytes and media type). Plug in the JSON, Avro
 * or Protobuf library the application already uses, e.g. with Jackson:
 *
 * <pre>{@code
 * PayloadSerializer<Object> json = value -> Payload.of(mapper.writeValueAsBytes(value), "application/json");
 * }</pre>
 *
 * <p>Implementations must be thread-safe; Waybill calls them on the caller's thread.
 *
 * @param <T> the type of values it serializes
 */
@FunctionalInterface
public interface PayloadSerializer<T> {

  /**
   * Serializes one value.
   *
   * @param value the value to serialize; may be null if the serializer supports it
   * @return the bytes and their media type; not null
   * @throws RuntimeException when the value cannot be serialized; it propagates to the caller and
   *     nothing is written
   */
  Payload serialize(T value);

  /**
   * UTF-8 text from {@link Object#toString()}, media type {@code text/plain; charset=utf-8}.
   *
   * @return a serializer for any object
   */
  static PayloadSerializer<Object> text() {
    return value -> Payload.text(String.valueOf(value));
  }

  /**
   * A JSON document already held as a string; checked to be well-formed.
   *
   * @return a serializer for JSON text
   */
  static PayloadSerializer<String> jsonString() {
    return Payload::json;
  }
}
