package dev.waybill.examples.spring;

/**
 * The event the orders service publishes when an order is placed: the JSON payload of a message of
 * type {@value #TYPE}, keyed by the order id.
 *
 * @param orderId the order's id, also the Kafka record key
 * @param customer who placed it
 * @param amountCents what it costs, in cents
 */
public record OrderPlaced(String orderId, String customer, long amountCents) {

  /** The event type, published as CloudEvents {@code ce_type}. */
  public static final String TYPE = "OrderPlaced";
}
