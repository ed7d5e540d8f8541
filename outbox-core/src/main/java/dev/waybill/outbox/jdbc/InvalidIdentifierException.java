package dev.waybill.outbox.jdbc;

import dev.waybill.outbox.WaybillException;

/** A table, schema or channel name that would reach SQL is not a safe identifier. */
public final class InvalidIdentifierException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which name, its value, the rule
   */
  public InvalidIdentifierException(String message) {
    super(message);
  }
}
