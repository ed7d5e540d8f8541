package dev.waybill.inbox;

import dev.waybill.outbox.WaybillException;

/** The inbox could not record or check a message id, or the consumer could not run. */
public class InboxException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, for which consumer/id, and what to do
   */
  public InboxException(String message) {
    super(message);
  }

  /**
   * @param message what failed, for which consumer/id, and what to do
   * @param cause the underlying failure
   */
  public InboxException(String message, Throwable cause) {
    super(message, cause);
  }
}
