package dev.waybill.outbox;

/**
 * The one unchecked exception base of Waybill. Every failure that crosses a Waybill API is a
 * subclass with a plain-English name; a {@link java.sql.SQLException} that caused it is kept as the
 * cause.
 */
public class WaybillException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, which key/id/value, what was expected and what to do
   */
  public WaybillException(String message) {
    super(message);
  }

  /**
   * @param message what failed, which key/id/value, what was expected and what to do
   * @param cause the underlying failure, kept for the stack trace
   */
  public WaybillException(String message, Throwable cause) {
    super(message, cause);
  }
}
