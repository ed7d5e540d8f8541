package dev.waybill.outbox.config;

import dev.waybill.outbox.WaybillException;
import java.util.List;

/**
 * Settings were missing or invalid; {@link #details()} lists every one, not just the first, each
 * with its key, value (masked when secret) and reason. Every configuration path throws this: the
 * properties and environment readers, {@code --set} flags, the builders and the record
 * constructors.
 */
public final class ConfigException extends WaybillException {
  private static final long serialVersionUID = 1L;

  /** Every problem, in the order found. */
  private final List<ConfigProblem> details;

  /**
   * @param problems each problem as "value → key → reason and fix"
   */
  public ConfigException(List<String> problems) {
    this(problems.stream().map(ConfigProblem::parse).toList(), true);
  }

  private ConfigException(List<ConfigProblem> details, boolean unused) {
    super(
        "invalid configuration ("
            + details.size()
            + (details.size() == 1 ? " problem" : " problems")
            + "):\n  - "
            + String.join("\n  - ", details.stream().map(ConfigProblem::text).toList()));
    this.details = List.copyOf(details);
  }

  /**
   * The exception for a list of problems.
   *
   * @param problems every problem found; not empty
   * @return the exception, to throw
   */
  public static ConfigException of(List<ConfigProblem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    return new ConfigException(problems, true);
  }

  /**
   * Every problem found, one line each ({@link ConfigProblem#text()}).
   *
   * @return the problems; unmodifiable, never empty
   */
  public List<String> problems() {
    return details.stream().map(ConfigProblem::text).toList();
  }

  /**
   * The problems of one key.
   *
   * @param key a dotted key, e.g. {@code relay.poll.interval}
   * @return its problems, in the order found; empty when the key had none
   */
  public List<ConfigProblem> problemsOf(String key) {
    return details.stream().filter(p -> p.key().equals(key)).toList();
  }

  /**
   * Every problem found, with its key, value and reason.
   *
   * @return the problems; unmodifiable, never empty
   */
  public List<ConfigProblem> details() {
    return details;
  }
}
