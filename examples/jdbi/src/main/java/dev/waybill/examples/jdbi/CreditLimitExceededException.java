package dev.waybill.examples.jdbi;

/** Thrown when an order would take a customer's open orders over the credit limit. */
public final class CreditLimitExceededException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  CreditLimitExceededException(String customer, long openCents, long limitCents) {
    super(
        "order refused: customer "
            + customer
            + " would owe "
            + openCents
            + " cents, over the credit limit of "
            + limitCents
            + " cents");
  }
}
