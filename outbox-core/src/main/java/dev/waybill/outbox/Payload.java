package dev.waybill.outbox;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The body of a message: bytes and their media type (published as the CloudEvents {@code
 * content-type} header). Immutable: the bytes are copied in and out.
 */
public final class Payload {
  /** Media type of {@link #json(String)} payloads. */
  public static final String APPLICATION_JSON = "application/json";

  /** Media type of {@link #text(String)} payloads. */
  public static final String TEXT_PLAIN = "text/plain; charset=utf-8";

  /** Media type of {@link #bytes(byte[])} payloads. */
  public static final String OCTET_STREAM = "application/octet-stream";

  private final byte[] bytes;
  private final String contentType;

  private Payload(byte[] bytes, String contentType) {
    this.bytes = bytes;
    this.contentType = contentType;
  }

  /**
   * Bytes with a media type.
   *
   * @param bytes the body; copied
   * @param contentType the media type, published as {@code content-type}
   * @return the payload
   * @throws InvalidMessageException when the content type is blank or longer than 255 characters
   */
  public static Payload of(byte[] bytes, String contentType) {
    Objects.requireNonNull(bytes, "bytes");
    if (contentType == null || contentType.isBlank() || contentType.length() > 255) {
      throw new InvalidMessageException(
          "contentType",
          "payload content type '"
              + contentType
              + "' is invalid: expected a media type of 1 to 255 characters, e.g. application/json");
    }
    return new Payload(bytes.clone(), contentType);
  }

  /**
   * Raw bytes, published as {@code application/octet-stream}.
   *
   * @param bytes the body; copied
   * @return the payload
   */
  public static Payload bytes(byte[] bytes) {
    return of(bytes, OCTET_STREAM);
  }

  /**
   * UTF-8 text, published as {@code text/plain; charset=utf-8}.
   *
   * @param text the body; not null
   * @return the payload
   */
  public static Payload text(String text) {
    Objects.requireNonNull(text, "text");
    return new Payload(text.getBytes(StandardCharsets.UTF_8), TEXT_PLAIN);
  }

  /**
   * A JSON document given as text, published as {@code application/json}. The text is checked to be
   * one well-formed JSON value, so a malformed document fails the write instead of every consumer
   * later.
   *
   * @param json the document; not null
   * @return the payload
   * @throws InvalidMessageException when the text is not well-formed JSON, with the position
   */
  public static Payload json(String json) {
    Objects.requireNonNull(json, "json");
    dev.waybill.outbox.internal.Json.requireWellFormed(json, "payload");
    return new Payload(json.getBytes(StandardCharsets.UTF_8), APPLICATION_JSON);
  }

  /**
   * A copy of the bytes.
   *
   * @return a new array on every call
   */
  public byte[] bytes() {
    return bytes.clone();
  }

  /**
   * The number of bytes, without copying them.
   *
   * @return the size in bytes
   */
  public int size() {
    return bytes.length;
  }

  /**
   * The media type, e.g. {@code application/json}.
   *
   * @return the media type as given
   */
  public String contentType() {
    return contentType;
  }

  /**
   * The bytes decoded as UTF-8 (for text and JSON payloads).
   *
   * @return the text; malformed UTF-8 is replaced, not rejected
   */
  public String asString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** The bytes without a copy, for writers inside Waybill that never modify them. Not API. */
  byte[] unsafeBytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Payload p
        && contentType.equals(p.contentType)
        && Arrays.equals(bytes, p.bytes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(bytes) + contentType.hashCode();
  }

  /** Shows the size and type, never the content (payloads may hold personal data). */
  @Override
  public String toString() {
    return "Payload[" + bytes.length + " bytes, " + contentType + "]";
  }
}
