package dev.waybill.outbox;

/**
 * The database refused the outbox insert (missing table, lost connection, constraint). The cause is
 * the driver's {@link java.sql.SQLException}. The caller's transaction is in whatever state the
 * database left it (on PostgreSQL: aborted); roll it back.
 */
public final class OutboxWriteException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed and what to check
   * @param cause the driver's exception
   */
  public OutboxWriteException(String message, Throwable cause) {
    super(message, cause);
  }
}
