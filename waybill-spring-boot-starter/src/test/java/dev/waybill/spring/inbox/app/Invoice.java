package dev.waybill.spring.inbox.app;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A JPA entity the handlers write: one invoice per order. */
@Entity
public class Invoice {
  @Id private String orderId;
  private long amountCents;
  private String billedBy;

  /** For JPA. */
  protected Invoice() {}

  /**
   * @param orderId the order
   * @param amountCents the amount
   * @param billedBy which handler wrote it
   */
  public Invoice(String orderId, long amountCents, String billedBy) {
    this.orderId = orderId;
    this.amountCents = amountCents;
    this.billedBy = billedBy;
  }

  /** The order. */
  public String getOrderId() {
    return orderId;
  }

  /** The amount. */
  public long getAmountCents() {
    return amountCents;
  }

  /** Which handler wrote it. */
  public String getBilledBy() {
    return billedBy;
  }
}
