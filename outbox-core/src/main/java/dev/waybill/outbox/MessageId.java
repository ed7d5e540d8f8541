package dev.waybill.outbox;

import dev.waybill.outbox.internal.UuidV7;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The id of one message: a UUID, written as the CloudEvents {@code ce_id} header by the relay and
 * recorded by the inbox to skip duplicates. Ids made by {@link #generate()} are version 7 (time
 * ordered); ids filled in by the database for plain-SQL rows may be random.
 *
 * @param value the UUID
 */
public record MessageId(UUID value) implements Comparable<MessageId> {

  /**
   * @param value the UUID; any version is accepted
   * @throws NullPointerException when {@code value} is null
   */
  public MessageId {
    Objects.requireNonNull(value, "value");
  }

  /**
   * A new time-ordered (version 7) id; strictly increasing within this JVM. Thread-safe.
   *
   * @return the id
   */
  public static MessageId generate() {
    return new MessageId(UuidV7.next());
  }

  /**
   * Parses the canonical text form ({@code 8-4-4-4-12} hex digits).
   *
   * @param text the UUID in canonical form
   * @return the id
   * @throws IllegalArgumentException naming the value when it is not a UUID
   */
  public static MessageId parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.length() != 36) {
      throw new IllegalArgumentException(
          "message id '" + text + "' is not a UUID: expected 36 characters like 0190f2a4-...");
    }
    try {
      return new MessageId(UUID.fromString(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "message id '" + text + "' is not a UUID: " + e.getMessage(), e);
    }
  }

  /**
   * The creation time carried by a version 7 id; empty for other versions.
   *
   * @return the timestamp, millisecond precision
   */
  public Optional<Instant> timestamp() {
    return value.version() == 7
        ? Optional.of(Instant.ofEpochMilli(UuidV7.millis(value)))
        : Optional.empty();
  }

  @Override
  public int compareTo(MessageId other) {
    // unsigned comparison, so that version 7 ids sort by time
    int c =
        Long.compareUnsigned(value.getMostSignificantBits(), other.value.getMostSignificantBits());
    return c != 0
        ? c
        : Long.compareUnsigned(
            value.getLeastSignificantBits(), other.value.getLeastSignificantBits());
  }

  @Override
  public String toString() {
    return value.toString();
  }
}
