package dev.waybill.outbox;

/**
 * The connection or handle given to the writer is not inside a transaction (auto-commit is on), so
 * a message written through it would commit on its own, whatever happens to the business change.
 * The writer refuses it before touching the database.
 */
public final class NotInTransactionException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message the explanation and the fix
   */
  public NotInTransactionException(String message) {
    super(message);
  }
}
