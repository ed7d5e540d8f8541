package dev.waybill.outbox.config;

import dev.waybill.outbox.WaybillException;
import java.util.List;

/** Settings were missing or invalid; {@link #problems()} lists every one, not just the first. */
public final class ConfigException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /** Every problem, one line each, in the order found. */
  private final List<String> problems;

  /**
   * @param problems each problem as "value → key → reason and fix"
   */
  public ConfigException(List<String> problems) {
    super(
        "invalid configuration ("
            + problems.size()
            + (problems.size() == 1 ? " problem" : " problems")
            + "):\n  - "
            + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * Every problem found, one line each.
   *
   * @return the problems; unmodifiable, never empty
   */
  public List<String> problems() {
    return problems;
  }
}
