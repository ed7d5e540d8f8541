package dev.waybill.inbox;

/**
 * Thrown by a handler for a failure that no retry can fix (a malformed payload, a rule the message
 * breaks): the record goes straight to the dead-letter topic with reason {@code non-retriable}.
 * Other exception types can be declared non-retriable on {@link InboxConsumer.Builder}.
 */
public class NonRetriableException extends InboxException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message why the message cannot be handled (no payload content, it ends up in headers)
   */
  public NonRetriableException(String message) {
    super(message);
  }

  /**
   * @param message why the message cannot be handled
   * @param cause the underlying failure
   */
  public NonRetriableException(String message, Throwable cause) {
    super(message, cause);
  }
}
