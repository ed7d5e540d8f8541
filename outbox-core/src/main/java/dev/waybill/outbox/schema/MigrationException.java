package dev.waybill.outbox.schema;

import dev.waybill.outbox.WaybillException;

/** A schema migration could not be applied or verified; the message says which and what to do. */
public final class MigrationException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which component and version failed, and what to do
   * @param cause the database error, if any
   */
  public MigrationException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * @param message which component and version failed, and what to do
   */
  public MigrationException(String message) {
    super(message);
  }
}
