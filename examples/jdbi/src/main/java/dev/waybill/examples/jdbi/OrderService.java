package dev.waybill.examples.jdbi;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The orders service, written with Jdbi: places an order by inserting its row and its {@link
 * OrderPlaced} event inside one {@code jdbi.inTransaction(...)}. The event exists in the outbox if
 * and only if the order commits; the relay publishes it afterwards.
 *
 * <p>Thread-safe.
 */
public final class OrderService {

  private static final String INSERT_ORDER =
      """
      INSERT INTO orders (id, customer, amount_cents) VALUES (:id, :customer, :amountCents)
      """;

  private static final String OPEN_AMOUNT =
      """
      SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE customer = :customer
      """;

  private final Jdbi jdbi;
  private final Outbox outbox;
  private final String topic;
  private final long creditLimitCents;

  /**
   * @param jdbi the application's Jdbi
   * @param outbox the outbox writer (one per application)
   * @param topic the Kafka topic the events go to
   * @param creditLimitCents the most a customer's orders may add up to
   */
  public OrderService(Jdbi jdbi, Outbox outbox, String topic, long creditLimitCents) {
    this.jdbi = jdbi;
    this.outbox = outbox;
    this.topic = topic;
    this.creditLimitCents = creditLimitCents;
  }

  /**
   * Places an order: the order row and its event commit together, or neither does.
   *
   * @return the new order's id
   * @throws CreditLimitExceededException when the order would take the customer over the credit
   *     limit; Jdbi rolls the transaction back, so neither the order nor its event exists
   * @throws org.jdbi.v3.core.JdbiException when the database fails
   */
  public String placeOrder(String customer, long amountCents) {
    return jdbi.inTransaction(
        handle -> {
          String orderId = UUID.randomUUID().toString();
          handle
              .createUpdate(INSERT_ORDER)
              .bind("id", orderId)
              .bind("customer", customer)
              .bind("amountCents", amountCents)
              .execute();
          // the handle is inside the transaction: the writer refuses one that is not
          outbox.write(
              handle,
              OutboxMessage.builder()
                  .topic(topic)
                  .key(orderId) // the same key keeps the events of one order in order
                  .eventType(OrderPlaced.TYPE)
                  .payload(new OrderPlaced(orderId, customer, amountCents), OrderPlaced.JSON)
                  .build());
          // A business rule checked after the writes: when it throws, inTransaction rolls back
          // and takes the event with it, so nothing is ever published.
          long open =
              handle.createQuery(OPEN_AMOUNT).bind("customer", customer).mapTo(Long.class).one();
          if (open > creditLimitCents) {
            throw new CreditLimitExceededException(customer, open, creditLimitCents);
          }
          return orderId;
        });
  }
}
