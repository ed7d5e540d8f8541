package dev.waybill.relay;

import dev.waybill.outbox.WaybillException;
import java.util.List;

/**
 * The CDC relay ({@code relay.mode=cdc}) cannot start because PostgreSQL is not set up for logical
 * decoding: {@code wal_level} is not {@code logical}, the role may not replicate, no replication
 * slot or WAL sender is free, or the slot or publication is missing and may not be created. The
 * message lists every problem, each with what to do.
 */
public final class CdcPrerequisiteException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /** Every problem found, each with what to do about it. */
  private final List<String> problems;

  /**
   * With every problem found, each a sentence that says what to do.
   *
   * @param instance the relay's instance id, named in the message
   * @param problems the problems, at least one; copied
   */
  public CdcPrerequisiteException(String instance, List<String> problems) {
    super(
        "relay "
            + instance
            + ": relay.mode=cdc cannot start, PostgreSQL is not ready for logical decoding ("
            + problems.size()
            + (problems.size() == 1 ? " problem" : " problems")
            + "):\n  - "
            + String.join("\n  - ", problems)
            + "\n  See docs/cdc.md, or use relay.mode=polling.");
    this.problems = List.copyOf(problems);
  }

  /**
   * Each problem, with what to do about it.
   *
   * @return the problems; unmodifiable
   */
  public List<String> problems() {
    return problems;
  }
}
