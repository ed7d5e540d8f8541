package dev.waybill.examples.spring;

import dev.waybill.outbox.OutboxMessage;
import dev.waybill.spring.TransactionalOutbox;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The orders service: places an order with {@link JdbcTemplate} and writes its {@link OrderPlaced}
 * event through the outbox, both in one {@code @Transactional} method. The event exists if and only
 * if the order commits.
 */
@Service
public class OrderService {

  private static final String INSERT_ORDER =
      """
      INSERT INTO orders (id, customer, amount_cents) VALUES (?, ?, ?)
      """;

  private static final String OPEN_AMOUNT =
      """
      SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE customer = ?
      """;

  private final JdbcTemplate jdbc;
  private final TransactionalOutbox outbox;
  private final OrdersProperties properties;
  private final JsonMapper json;

  OrderService(
      JdbcTemplate jdbc,
      TransactionalOutbox outbox,
      OrdersProperties properties,
      JsonMapper json) {
    this.jdbc = jdbc;
    this.outbox = outbox;
    this.properties = properties;
    this.json = json;
  }

  /**
   * Places an order: the order row and its event commit together, or neither does.
   *
   * @return the new order's id
   * @throws CreditLimitExceededException when the order would take the customer over the credit
   *     limit; Spring rolls the transaction back (a runtime exception), so neither the order nor
   *     its event exists
   */
  @Transactional
  public String placeOrder(String customer, long amountCents) {
    String orderId = UUID.randomUUID().toString();
    jdbc.update(INSERT_ORDER, orderId, customer, amountCents);
    outbox.write(
        OutboxMessage.builder()
            .topic(properties.topic())
            .key(orderId) // the same key keeps the events of one order in order
            .eventType(OrderPlaced.TYPE)
            .jsonPayload(json.writeValueAsString(new OrderPlaced(orderId, customer, amountCents)))
            .build());
    // A business rule checked after the writes: when it throws, Spring rolls back and takes the
    // event with it, so nothing is ever published.
    Long open = jdbc.queryForObject(OPEN_AMOUNT, Long.class, customer);
    if (open != null && open > properties.creditLimitCents()) {
      throw new CreditLimitExceededException(customer, open, properties.creditLimitCents());
    }
    return orderId;
  }
}
