package dev.waybill.inbox;

/**
 * What the consumer does with a record that has no message id (no {@code ce_id} header, or whatever
 * the configured {@link dev.waybill.inbox.spi.MessageIdExtractor} reads). Setting {@code
 * inbox.missing.id}.
 */
public enum MissingIdPolicy {
  /**
   * Send it to the dead-letter topic with reason {@code missing-id} (the default): nothing is lost,
   * and a producer that forgot its ids is noticed.
   */
  DEAD_LETTER("dead-letter"),

  /**
   * Use {@code <topic>/<partition>/<offset>} as its id and log a warning (once per topic; every
   * such record is counted in {@code waybill.inbox.derived.ids}). This deduplicates redeliveries of
   * the same record (a rebalance, a restart), but not a producer's retry, which has another offset.
   */
  DERIVE_FROM_COORDINATES("derive");

  private final String settingValue;

  MissingIdPolicy(String settingValue) {
    this.settingValue = settingValue;
  }

  /**
   * The value written in settings: {@code dead-letter} or {@code derive}.
   *
   * @return the setting value of this policy
   */
  public String settingValue() {
    return settingValue;
  }
}
