package dev.waybill.spring;

import dev.waybill.outbox.OutboxMessage;

/** The event the test applications write with each order. */
public final class OrderEvents {
  private OrderEvents() {}

  /** An {@code OrderPlaced} message for {@code orderId}, keyed by it. */
  public static OutboxMessage placed(String topic, String orderId) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(orderId)
        .eventType("OrderPlaced")
        .jsonPayload("{\"id\":\"" + orderId + "\"}")
        .build();
  }
}
