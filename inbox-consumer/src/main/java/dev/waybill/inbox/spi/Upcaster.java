package dev.waybill.inbox.spi;

import dev.waybill.inbox.InboxMessage;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Turns an older version of an event into a newer one before a handler sees it, so handlers only
 * know the current shape. Upcasters are applied in registration order, repeatedly, until none
 * {@link #appliesTo applies} (so {@code v1 → v2 → v3} chains work); more than 16 steps for one
 * message is treated as a loop.
 *
 * <p>An upcaster that throws sends the record to the dead-letter topic with reason {@code
 * upcast-failed} (not retried: upcasting is expected to be deterministic). Must be thread-safe.
 */
public interface Upcaster {

  /**
   * Whether this upcaster converts {@code message} (usually: its event type is the old one).
   *
   * @param message the record as received or as converted by earlier upcasters
   * @return true to have {@link #upcast} called
   */
  boolean appliesTo(InboxMessage message);

  /**
   * The converted message; it must no longer satisfy {@link #appliesTo} for this upcaster.
   *
   * @param message a message this upcaster applies to
   * @return the converted message
   * @throws Exception when the message cannot be converted
   */
  InboxMessage upcast(InboxMessage message) throws Exception;

  /**
   * An upcaster from event type {@code fromType} to {@code toType} that rewrites the value as UTF-8
   * text (for example a JSON transformation).
   *
   * @param fromType the old event type
   * @param toType the new event type
   * @param valueTransform rewrites the old value's text into the new shape; must be thread-safe
   * @return the upcaster
   */
  static Upcaster ofType(String fromType, String toType, UnaryOperator<String> valueTransform) {
    Objects.requireNonNull(fromType, "fromType");
    Objects.requireNonNull(toType, "toType");
    Objects.requireNonNull(valueTransform, "valueTransform");
    if (fromType.equals(toType)) {
      throw new IllegalArgumentException(
          "upcaster from '" + fromType + "' to itself would loop: give a different target type");
    }
    return new Upcaster() {
      @Override
      public boolean appliesTo(InboxMessage message) {
        return message.eventType().filter(fromType::equals).isPresent();
      }

      @Override
      public InboxMessage upcast(InboxMessage message) {
        return message
            .withValue(valueTransform.apply(message.valueAsString()))
            .withEventType(toType);
      }

      @Override
      public String toString() {
        return "Upcaster[" + fromType + " -> " + toType + "]";
      }
    };
  }
}
