package dev.waybill.outbox.dialect;

import dev.waybill.outbox.WaybillException;

/** The database or JDBC URL is not one Waybill supports. */
public final class UnsupportedDatabaseException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which product or URL scheme, and the supported ones
   */
  public UnsupportedDatabaseException(String message) {
    super(message);
  }
}
