package dev.waybill.examples.jdbc;

import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.InboxTransaction;
import dev.waybill.inbox.MessageHandler;
import java.sql.PreparedStatement;

/**
 * The billing side: adds each placed order to its customer's balance. Adding is not idempotent (a
 * second delivery would bill the customer twice), which is exactly what the inbox is for: the
 * handler writes through the inbox's transaction, in which the message id was already recorded, so
 * the balance changes once per message however often Kafka delivers it.
 */
public final class BillingHandler implements MessageHandler {

  private static final String ADD_TO_BALANCE =
      """
      INSERT INTO customer_balance (customer, orders, balance_cents) VALUES (?, 1, ?)
      ON CONFLICT (customer) DO UPDATE SET
        orders = customer_balance.orders + 1,
        balance_cents = customer_balance.balance_cents + EXCLUDED.balance_cents
      """;

  @Override
  public void handle(InboxMessage message, InboxTransaction tx) throws Exception {
    OrderPlaced event = OrderPlaced.fromJson(message.value());
    // tx.connection(): auto-commit off; never commit, roll back or close it here
    try (PreparedStatement st = tx.connection().prepareStatement(ADD_TO_BALANCE)) {
      st.setString(1, event.customer());
      st.setLong(2, event.amountCents());
      st.executeUpdate();
    }
  }
}
