package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.ConfigProblem;
import dev.waybill.outbox.config.Settings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The builder and the properties path of {@link InboxConfig} refuse the same values with the same
 * problem (key, value, reason), start from the same defaults, and the retry keys of earlier
 * versions still work.
 */
class InboxConfigPathsTest {

  static Map<String, String> required() {
    Map<String, String> m = new HashMap<>();
    m.put("inbox.group.id", "billing");
    m.put("inbox.topics", "orders");
    return m;
  }

  static ConfigProblem fromProperties(String key, String value) {
    Map<String, String> m = required();
    m.put(key, value);
    ConfigException e =
        catchThrowableOfType(() -> InboxConfig.read(Settings.of(m)), ConfigException.class);
    assertThat(e).as("properties path refuses %s=%s", key, value).isNotNull();
    return only(e, key);
  }

  static ConfigProblem fromBuilder(String key, Consumer<InboxConfig.Builder> set) {
    InboxConfig.Builder b = InboxConfig.builder().groupId("billing").topics("orders");
    set.accept(b);
    ConfigException e = catchThrowableOfType(b::build, ConfigException.class);
    assertThat(e).as("builder refuses a value of %s", key).isNotNull();
    return only(e, key);
  }

  static ConfigProblem only(ConfigException e, String key) {
    assertThat(e.problemsOf(key)).as("problems of %s in %s", key, e.problems()).hasSize(1);
    return e.problemsOf(key).get(0);
  }

  @Test
  void maxInFlightAboveItsLimitIsRefusedTheSameWayOnBothPaths() {
    ConfigProblem built = fromBuilder("inbox.max.in.flight", b -> b.maxInFlight(2_000_000));
    assertThat(built).isEqualTo(fromProperties("inbox.max.in.flight", "2000000"));
    assertThat(built.reason()).isEqualTo("expected a number from 1 to 1000000");
  }

  @Test
  void retryAndTimingValuesAreRefusedTheSameWayOnBothPaths() {
    assertThat(fromBuilder("inbox.retry.max.attempts", b -> b.maxAttempts(1001)))
        .isEqualTo(fromProperties("inbox.retry.max.attempts", "1001"));
    assertThat(
            fromBuilder(
                "inbox.retry.backoff.jitter",
                b -> b.backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(5), 0.995)))
        .isEqualTo(fromProperties("inbox.retry.backoff.jitter", "0.995"));
    assertThat(
            fromBuilder(
                "inbox.retry.backoff.initial",
                b -> b.backoff(Duration.ofHours(2), 2.0, Duration.ofHours(3), 0.5)))
        .isEqualTo(fromProperties("inbox.retry.backoff.initial", "2h"));
    assertThat(fromBuilder("inbox.poll.timeout", b -> b.pollTimeout(Duration.ofMinutes(2))))
        .isEqualTo(fromProperties("inbox.poll.timeout", "2m"));
    assertThat(fromBuilder("inbox.concurrency", b -> b.concurrency(257)))
        .isEqualTo(fromProperties("inbox.concurrency", "257"));
  }

  @Test
  void theDefaultsAreTheDeclarationsDefaults() {
    InboxConfig built = InboxConfig.builder().groupId("billing").topics("orders").build();
    assertThat(InboxConfig.read(Settings.of(required()))).isEqualTo(built);
    assertThat(InboxConfig.DEFAULT_MAX_IN_FLIGHT).isEqualTo(2_000);
    assertThat(InboxConfig.DEFAULT_RETRY_MULTIPLIER).isEqualTo(2.0);
  }

  @Test
  void theRetryKeysOfEarlierVersionsAreStillRead() {
    Map<String, String> m = required();
    m.put("inbox.retry.initial.interval", "2s");
    m.put("inbox.retry.max.interval", "1m");
    m.put("inbox.retry.multiplier", "3");
    m.put("inbox.retry.jitter", "0.1");
    InboxConfig c = InboxConfig.read(Settings.of(m));
    assertThat(c.retryInitialInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.retryMaxInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.retryMultiplier()).isEqualTo(3.0);
    assertThat(c.retryJitter()).isEqualTo(0.1);
    Map<String, String> env = Map.of("WAYBILL_INBOX_RETRY_MAX_INTERVAL", "2m");
    Settings fromEnv =
        Settings.builder()
            .putAll(required())
            .environment(env, InboxConfig.SETTINGS, List.of())
            .build();
    assertThat(fromEnv.unknownVariables(List.of("inbox."), InboxConfig.SETTINGS)).isEmpty();
    assertThat(InboxConfig.read(fromEnv).retryMaxInterval()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void theNewKeyWinsOverItsDeprecatedAlias() {
    Map<String, String> m = required();
    m.put("inbox.retry.initial.interval", "2s");
    m.put("inbox.retry.backoff.initial", "3s");
    assertThat(InboxConfig.read(Settings.of(m)).retryInitialInterval())
        .isEqualTo(Duration.ofSeconds(3));
  }
}
