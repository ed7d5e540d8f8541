package dev.waybill.relay;

/** What the relay does with later messages of a key after one of them is dead-lettered. */
public enum FailureMode {
  /**
   * Park the key: later messages of the same topic and key stay in the outbox, unpublished, until
   * the dead letter is retried or discarded (dlq-tools {@code outbox retry|discard}). Keeps per-key
   * order. The default.
   */
  PARK,
  /** Skip: the failed message is dead-lettered and later messages of the key keep flowing. */
  SKIP
}
