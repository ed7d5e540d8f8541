package dev.waybill.inbox;

/**
 * What the consumer does with a record whose event type ({@code ce_type}) has no handler when no
 * default handler is registered. Setting {@code inbox.unknown.type}.
 */
public enum UnknownTypePolicy {
  /** Send it to the dead-letter topic with reason {@code unknown-type} (the default). */
  DEAD_LETTER("dead-letter"),

  /**
   * Acknowledge it without effect and count it in {@code waybill.inbox.skipped} (tag {@code
   * reason=unknown-type}). Its id is not recorded, so a later consumer version that knows the type
   * can still handle a redelivery of it.
   */
  SKIP("skip");

  private final String settingValue;

  UnknownTypePolicy(String settingValue) {
    this.settingValue = settingValue;
  }

  /**
   * The value written in settings: {@code dead-letter} or {@code skip}.
   *
   * @return the setting value of this policy
   */
  public String settingValue() {
    return settingValue;
  }
}
