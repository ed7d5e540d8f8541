package dev.waybill.outbox.wire;

/**
 * Values of the relay's dead-letter table ({@code waybill_outbox_dead_letter}) that more than one
 * module reads: the relay writes them, the DLQ tool acts on them.
 */
public final class OutboxDeadLetterRows {

  /**
   * The {@code error_class} of a <em>follower</em>: a later message of a parked key that the CDC
   * relay wrote to the dead-letter table because it has no outbox row to wait in ({@code parks_key
   * = FALSE}). Retrying or discarding the dead letter that parks the key releases its followers
   * into the outbox, in {@code seq} order.
   */
  public static final String FOLLOWER = "dev.waybill.relay.ParkedBehindDeadLetter";

  private OutboxDeadLetterRows() {}
}
