package dev.waybill.outbox.wire;

/**
 * The Kafka headers the DLQ tool adds to a record it redrives from a dead-letter topic. They are
 * not dead-letter headers: a redriven record that fails again keeps them in its new dead letter, so
 * the count keeps growing. Values are UTF-8 text.
 */
public final class RedriveHeaders {
  /** Prefix of the redrive headers. */
  public static final String PREFIX = "waybill_redrive-";

  /** How many times the record was redriven (decimal text, 1 after the first redrive). */
  public static final String COUNT = "waybill_redrive-count";

  /** The redrive job and run that sent the record: {@code <job id>:<run id>}. */
  public static final String JOB = "waybill_redrive-job";

  /** The dead letter it was sent from: {@code <topic>/<partition>/<offset>}. */
  public static final String SOURCE = "waybill_redrive-source";

  private RedriveHeaders() {}
}
