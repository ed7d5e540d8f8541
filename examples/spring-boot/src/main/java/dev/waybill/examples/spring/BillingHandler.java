package dev.waybill.examples.spring;

import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.InboxTransaction;
import dev.waybill.inbox.MessageHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.stereotype.Component;

/**
 * The billing side: adds each placed order to its customer's balance. Adding is not idempotent (a
 * second delivery would bill the customer twice), which is what the inbox is for.
 *
 * <p>The handler runs in the inbox consumer's own transaction, not a Spring one: the consumer
 * records the message id, runs the handler and commits both together. To keep using {@link
 * JdbcTemplate}, the handler wraps that transaction's connection in a {@link
 * SingleConnectionDataSource} that never closes it; the consumer commits, rolls back and closes.
 */
@Component
public class BillingHandler implements MessageHandler {

  private static final String ADD_TO_BALANCE =
      """
      INSERT INTO customer_balance (customer, orders, balance_cents) VALUES (?, 1, ?)
      ON CONFLICT (customer) DO UPDATE SET
        orders = customer_balance.orders + 1,
        balance_cents = customer_balance.balance_cents + EXCLUDED.balance_cents
      """;

  @Override
  public void handle(InboxMessage message, InboxTransaction tx) {
    OrderPlaced event = OrderPlaced.fromJson(message.value());
    JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(tx.connection(), true));
    jdbc.update(ADD_TO_BALANCE, event.customer(), event.amountCents());
  }
}
