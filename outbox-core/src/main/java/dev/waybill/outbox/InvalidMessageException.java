package dev.waybill.outbox;

/**
 * A message broke a rule (topic name, header name, size, a required field) and was not written.
 * Thrown before anything reaches the database, so the caller's transaction is untouched and the
 * caller decides whether to roll back.
 */
public final class InvalidMessageException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /** The message field that broke the rule. */
  private final String field;

  /**
   * @param field the message field that broke the rule, e.g. {@code topic}
   * @param message the full explanation: field, value, rule
   */
  public InvalidMessageException(String field, String message) {
    super(message);
    this.field = field;
  }

  /**
   * The message field that broke the rule, e.g. {@code topic} or {@code headers}.
   *
   * @return the field name
   */
  public String field() {
    return field;
  }
}
