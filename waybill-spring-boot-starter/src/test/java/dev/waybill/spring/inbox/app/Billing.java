package dev.waybill.spring.inbox.app;

import dev.waybill.inbox.InboxMessage;
import dev.waybill.spring.inbox.InboxHandler;
import org.springframework.stereotype.Component;

/** An {@code @InboxHandler} bean writing through JPA. */
@Component
public class Billing {
  private final Invoices invoices;

  /**
   * @param invoices the JPA repository
   */
  public Billing(Invoices invoices) {
    this.invoices = invoices;
  }

  /**
   * Bills an order; fails after writing when the amount is negative.
   *
   * @param event the JSON payload
   * @param message the record, for its id
   */
  @InboxHandler("OrderPlaced")
  public void onOrderPlaced(OrderPlaced event, InboxMessage message) {
    invoices.saveAndFlush(new Invoice(event.orderId(), event.amountCents(), "inbox-handler"));
    if (event.amountCents() < 0) {
      throw new IllegalStateException("negative amount in " + message.messageId());
    }
  }
}
