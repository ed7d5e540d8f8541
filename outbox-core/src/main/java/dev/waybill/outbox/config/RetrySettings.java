package dev.waybill.outbox.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The retry and backoff settings of one component, declared once for every component that retries:
 * {@code <family>.retry.max.attempts}, {@code <family>.retry.backoff.initial}, {@code
 * <family>.retry.backoff.max}, {@code <family>.retry.backoff.multiplier} and {@code
 * <family>.retry.backoff.jitter}. The relay ({@code relay.}) and the inbox consumer ({@code
 * inbox.}) get theirs from {@link #of}, so the keys, types, ranges, parse and the rule that the
 * longest pause is not below the first are the same for both; only the defaults and the attempts'
 * meaning differ. Immutable.
 *
 * @param maxAttempts attempts before giving up (dead-lettering), 1 to 1000
 * @param backoffInitial the first pause after a failure, 1ms to 1h
 * @param backoffMax the longest pause, 1ms to 1h, not below {@code backoffInitial}
 * @param multiplier how much each pause grows, 1.0 to 10.0
 * @param jitter the randomization factor of each pause, 0.0 (none) to 0.99
 */
public record RetrySettings(
    Setting<Integer> maxAttempts,
    Setting<Duration> backoffInitial,
    Setting<Duration> backoffMax,
    Setting<Double> multiplier,
    Setting<Double> jitter) {

  /** Most attempts any component accepts. */
  public static final int MAX_ATTEMPTS_LIMIT = 1000;

  private static final Setting<Integer> ATTEMPTS =
      Setting.integer("template.retry.max.attempts", 1, 1, MAX_ATTEMPTS_LIMIT, "-");
  private static final Setting<Duration> INITIAL =
      Setting.duration(
          "template.retry.backoff.initial",
          "1ms",
          Duration.ofMillis(1),
          Duration.ofHours(1),
          "First pause after a failed attempt; it grows by the multiplier up to the max.");
  private static final Setting<Duration> MAX =
      Setting.duration(
          "template.retry.backoff.max",
          "1ms",
          Duration.ofMillis(1),
          Duration.ofHours(1),
          "Longest pause between attempts; not below the initial pause.");
  private static final Setting<Double> MULTIPLIER =
      Setting.decimal(
          "template.retry.backoff.multiplier",
          1.0,
          1.0,
          10.0,
          "Factor by which the pause grows per failed attempt.");
  private static final Setting<Double> JITTER =
      Setting.decimal(
          "template.retry.backoff.jitter",
          0.0,
          0.0,
          0.99,
          "Randomization factor of each pause, from 0.0 (none) to 0.99 (pause ± 99 %).");

  /**
   * The retry settings of one family.
   *
   * @param family the key family without the dot, e.g. {@code relay}
   * @param attempts the default of {@code <family>.retry.max.attempts}
   * @param initial the default first pause, written like a value ({@code 200ms})
   * @param max the default longest pause, written like a value ({@code 30s})
   * @param multiplier the default growth factor
   * @param jitter the default randomization factor
   * @param attemptsDoc what an attempt is for this component, shown in the configuration table
   * @return the five settings; immutable
   */
  public static RetrySettings of(
      String family,
      int attempts,
      String initial,
      String max,
      double multiplier,
      double jitter,
      String attemptsDoc) {
    String p = family + ".retry.";
    return new RetrySettings(
        ATTEMPTS.withKey(p + "max.attempts", attemptsDoc).withDefault(Integer.toString(attempts)),
        INITIAL.withKey(p + "backoff.initial", INITIAL.doc()).withDefault(initial),
        MAX.withKey(p + "backoff.max", MAX.doc()).withDefault(max),
        MULTIPLIER
            .withKey(p + "backoff.multiplier", MULTIPLIER.doc())
            .withDefault(Double.toString(multiplier)),
        JITTER.withKey(p + "backoff.jitter", JITTER.doc()).withDefault(Double.toString(jitter)));
  }

  /**
   * The same settings, each also read from an older key ({@link Setting#withDeprecatedAlias}).
   *
   * @param initialAlias the old key of the first pause, or null
   * @param maxAlias the old key of the longest pause, or null
   * @param multiplierAlias the old key of the multiplier, or null
   * @param jitterAlias the old key of the jitter, or null
   * @return the copy; immutable
   */
  public RetrySettings withDeprecatedAliases(
      String initialAlias, String maxAlias, String multiplierAlias, String jitterAlias) {
    return new RetrySettings(
        maxAttempts,
        initialAlias == null ? backoffInitial : backoffInitial.withDeprecatedAlias(initialAlias),
        maxAlias == null ? backoffMax : backoffMax.withDeprecatedAlias(maxAlias),
        multiplierAlias == null ? multiplier : multiplier.withDeprecatedAlias(multiplierAlias),
        jitterAlias == null ? jitter : jitter.withDeprecatedAlias(jitterAlias));
  }

  /**
   * The five settings, in documentation order.
   *
   * @return the declarations; unmodifiable
   */
  public List<Setting<?>> settings() {
    return List.of(maxAttempts, backoffInitial, backoffMax, multiplier, jitter);
  }

  /**
   * Every problem of a set of retry values: each checked by its setting, then the rule that the
   * longest pause is not below the first.
   *
   * @param attempts the attempts
   * @param initial the first pause
   * @param max the longest pause
   * @param growth the multiplier
   * @param randomization the jitter
   * @return the problems; empty when the values are fine
   */
  public List<ConfigProblem> problems(
      int attempts, Duration initial, Duration max, double growth, double randomization) {
    List<ConfigProblem> out = new ArrayList<>();
    maxAttempts.problemWith(attempts).ifPresent(out::add);
    boolean durationsValid = true;
    for (var p : List.of(backoffInitial.problemWith(initial), backoffMax.problemWith(max))) {
      if (p.isPresent()) {
        out.add(p.get());
        durationsValid = false;
      }
    }
    multiplier.problemWith(growth).ifPresent(out::add);
    jitter.problemWith(randomization).ifPresent(out::add);
    if (durationsValid && max.compareTo(initial) < 0) {
      out.add(
          new ConfigProblem(
              backoffMax.key(),
              backoffMax.format(max),
              "must not be below "
                  + backoffInitial.key()
                  + " ("
                  + backoffInitial.format(initial)
                  + ")"));
    }
    return out;
  }
}
