package dev.waybill.examples.spring;

import dev.waybill.spring.inbox.InboxHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The billing side: adds each placed order to its customer's balance. Adding is not idempotent (a
 * second delivery would bill the customer twice), which is what the inbox is for: the handler runs
 * in a Spring transaction that also records the message id, so the application's own {@link
 * JdbcTemplate} commits with the inbox row, or rolls back with it.
 */
@Component
public class Billing {

  private static final String ADD_TO_BALANCE =
      """
      INSERT INTO customer_balance (customer, orders, balance_cents) VALUES (?, 1, ?)
      ON CONFLICT (customer) DO UPDATE SET
        orders = customer_balance.orders + 1,
        balance_cents = customer_balance.balance_cents + EXCLUDED.balance_cents
      """;

  private final JdbcTemplate jdbc;

  Billing(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** Bills one placed order; the consumer group and topic are in {@code application.properties}. */
  @InboxHandler(OrderPlaced.TYPE)
  void bill(OrderPlaced event) {
    jdbc.update(ADD_TO_BALANCE, event.customer(), event.amountCents());
  }
}
