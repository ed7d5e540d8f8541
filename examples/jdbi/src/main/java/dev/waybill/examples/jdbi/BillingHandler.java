package dev.waybill.examples.jdbi;

import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.InboxTransaction;
import dev.waybill.inbox.MessageHandler;

/**
 * The billing side: adds each placed order to its customer's balance through a Jdbi handle. Adding
 * is not idempotent (a second delivery would bill the customer twice), which is what the inbox is
 * for: {@link InboxTransaction#handle()} is a Jdbi handle on the inbox's own transaction, in which
 * the message id was already recorded, so the balance changes once per message however often Kafka
 * delivers it.
 */
public final class BillingHandler implements MessageHandler {

  private static final String ADD_TO_BALANCE =
      """
      INSERT INTO customer_balance (customer, orders, balance_cents)
      VALUES (:customer, 1, :amountCents)
      ON CONFLICT (customer) DO UPDATE SET
        orders = customer_balance.orders + 1,
        balance_cents = customer_balance.balance_cents + EXCLUDED.balance_cents
      """;

  @Override
  public void handle(InboxMessage message, InboxTransaction tx) {
    OrderPlaced event = OrderPlaced.fromJson(message.value());
    // the consumer commits or rolls back this handle's transaction: never do it here
    tx.handle()
        .createUpdate(ADD_TO_BALANCE)
        .bind("customer", event.customer())
        .bind("amountCents", event.amountCents())
        .execute();
  }
}
