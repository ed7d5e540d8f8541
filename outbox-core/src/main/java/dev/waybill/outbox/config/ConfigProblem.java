package dev.waybill.outbox.config;

import java.util.Objects;
import java.util.Optional;

/**
 * One invalid, missing or unknown setting: which key, what value, why it is refused and what to do.
 * Every configuration path (properties, environment, {@code --set}, builders, Spring binding)
 * reports its problems in this form, and {@link #text()} writes it the one way Waybill shows a
 * problem: {@code value → key → reason}.
 *
 * @param key the dotted key (or a flag such as {@code --set}, or an environment variable name)
 * @param value the value as given, already masked ({@code (secret)}) when it is a secret; or a
 *     placeholder in parentheses when no value applies: {@code (missing)}, {@code (unknown)},
 *     {@code (environment)}, {@code (not shown)}
 * @param reason what was expected and what to do, e.g. {@code expected a duration from 10ms to 5m}
 */
public record ConfigProblem(String key, String value, String reason) {
  /** The value placeholder of a required setting that was not given. */
  public static final String MISSING = "(missing)";

  /**
   * @param key the dotted key; required
   * @param value the value as shown, or a placeholder; null means {@link #MISSING}
   * @param reason the reason and fix; required
   */
  public ConfigProblem {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(reason, "reason");
    value = value == null ? MISSING : value;
  }

  /**
   * Reads a problem line written as {@code value → key → reason}, the form cross-setting checks
   * write. A line of another form becomes a problem of key {@code (config)}.
   *
   * @param line the problem text
   * @return the problem
   */
  public static ConfigProblem parse(String line) {
    String[] parts = line.split(" → ", 3);
    if (parts.length < 3) {
      return new ConfigProblem("(config)", "(not shown)", line);
    }
    String shown = parts[0];
    boolean quoted = shown.length() >= 2 && shown.startsWith("'") && shown.endsWith("'");
    return new ConfigProblem(
        parts[1], quoted ? shown.substring(1, shown.length() - 1) : shown, parts[2]);
  }

  /**
   * The value that was given, when one was.
   *
   * @return the given (masked) value, or empty for a placeholder such as {@code (missing)}
   */
  public Optional<String> given() {
    return placeholder() && !value.equals(Setting.SECRET_SHOWN)
        ? Optional.empty()
        : Optional.of(value);
  }

  private boolean placeholder() {
    return value.length() >= 2 && value.startsWith("(") && value.endsWith(")");
  }

  /**
   * The problem as one line: {@code 'value' → key → reason}, a placeholder such as {@code
   * (missing)} unquoted.
   *
   * @return the line shown to people
   */
  public String text() {
    return (placeholder() ? value : "'" + value + "'") + " → " + key + " → " + reason;
  }
}
