package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.ConfigProblem;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The builder and the properties path of {@link RelayConfig} refuse the same values with the same
 * problem (key, value, reason), and start from the same defaults.
 */
class RelayConfigPathsTest {

  static ConfigProblem fromProperties(String key, String value) {
    Map<String, String> m = RelayConfigTest.required();
    m.put(key, value);
    ConfigException e =
        catchThrowableOfType(() -> RelayConfig.read(Settings.of(m)), ConfigException.class);
    assertThat(e).as("properties path refuses %s=%s", key, value).isNotNull();
    return only(e, key);
  }

  static ConfigProblem fromBuilder(String key, Consumer<RelayConfig.Builder> set) {
    RelayConfig.Builder b = RelayConfig.builder().bootstrapServers("kafka:9092");
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
  void aPollIntervalOutsideItsRangeIsRefusedTheSameWayOnBothPaths() {
    ConfigProblem props = fromProperties("relay.poll.interval", "6m");
    ConfigProblem built =
        fromBuilder("relay.poll.interval", b -> b.pollInterval(Duration.ofMinutes(6)));
    assertThat(built).isEqualTo(props);
    assertThat(built.text())
        .isEqualTo("'6m' → relay.poll.interval → expected a duration from 10ms to 5m");
    assertThat(fromBuilder("relay.poll.interval", b -> b.pollInterval(Duration.ofMillis(5))))
        .isEqualTo(fromProperties("relay.poll.interval", "5ms"));
  }

  @Test
  void maxAttemptsAboveTheLimitIsRefusedTheSameWayOnBothPaths() {
    ConfigProblem props = fromProperties("relay.retry.max.attempts", "1001");
    ConfigProblem built = fromBuilder("relay.retry.max.attempts", b -> b.maxAttempts(1001));
    assertThat(built).isEqualTo(props);
    assertThat(built.reason()).isEqualTo("expected a number from 1 to 1000");
  }

  @Test
  void everyRangedSettingOfTheBuilderIsCheckedLikeItsProperty() {
    assertThat(fromBuilder("relay.shards", b -> b.shards(2000)))
        .isEqualTo(fromProperties("relay.shards", "2000"));
    assertThat(fromBuilder("relay.batch.size", b -> b.batchSize(0)))
        .isEqualTo(fromProperties("relay.batch.size", "0"));
    assertThat(fromBuilder("relay.send.timeout", b -> b.sendTimeout(Duration.ofMinutes(10))))
        .isEqualTo(fromProperties("relay.send.timeout", "10m"));
    assertThat(fromBuilder("relay.retry.backoff.jitter", b -> b.backoffShape(2.0, 1.5)))
        .isEqualTo(fromProperties("relay.retry.backoff.jitter", "1.5"));
    assertThat(fromBuilder("http.port", b -> b.httpPort(70000)))
        .isEqualTo(fromProperties("http.port", "70000"));
  }

  @Test
  void theBackoffOrderRuleIsTheSameOnBothPaths() {
    Map<String, String> m = RelayConfigTest.required();
    m.put("relay.retry.backoff.initial", "10s");
    m.put("relay.retry.backoff.max", "1s");
    ConfigException e =
        catchThrowableOfType(() -> RelayConfig.read(Settings.of(m)), ConfigException.class);
    ConfigProblem built =
        fromBuilder(
            "relay.retry.backoff.max",
            b -> b.backoff(Duration.ofSeconds(10), Duration.ofSeconds(1)));
    assertThat(built).isEqualTo(only(e, "relay.retry.backoff.max"));
    assertThat(built.reason()).isEqualTo("must not be below relay.retry.backoff.initial (10s)");
  }

  @Test
  void theDefaultsAreTheDeclarationsDefaults() {
    assertThat(RelayConfig.DEFAULT_POLL_INTERVAL).isEqualTo(Duration.ofMillis(500));
    assertThat(RelayConfig.DEFAULT_MAX_ATTEMPTS).isEqualTo(10);
    assertThat(RelayConfig.DEFAULT_MODE).isEqualTo(RelayConfig.RelayMode.POLLING);
    RelayConfig built = RelayConfig.builder().bootstrapServers("kafka:9092").build();
    RelayConfig read = RelayConfig.read(Settings.of(RelayConfigTest.required()));
    assertThat(built.pollInterval()).isEqualTo(read.pollInterval());
    assertThat(built.leaseTtl()).isEqualTo(read.leaseTtl());
    assertThat(built.leaseRenewInterval()).isEqualTo(read.leaseRenewInterval());
    assertThat(built.sendTimeout()).isEqualTo(read.sendTimeout());
    assertThat(built.shards()).isEqualTo(read.shards());
    assertThat(built.batchSize()).isEqualTo(read.batchSize());
    assertThat(built.batchMaxBytes()).isEqualTo(read.batchMaxBytes());
    assertThat(built.failureMode()).isEqualTo(read.failureMode());
    assertThat(built.maxAttempts()).isEqualTo(read.maxAttempts());
    assertThat(built.backoffInitial()).isEqualTo(read.backoffInitial());
    assertThat(built.backoffMax()).isEqualTo(read.backoffMax());
    assertThat(built.backoffMultiplier()).isEqualTo(read.backoffMultiplier());
    assertThat(built.backoffJitter()).isEqualTo(read.backoffJitter());
    assertThat(built.mode()).isEqualTo(read.mode());
    assertThat(built.source()).isEqualTo(read.source());
  }

  @Test
  void enumSettingsAreDeclaredWithTheirValues() {
    assertThat(RelayConfig.MODE.kind()).isEqualTo(Setting.Kind.ENUM);
    assertThat(RelayConfig.MODE.allowedValues()).containsExactly("polling", "cdc");
    assertThat(RelayConfig.FAILURE_MODE.allowedValues()).containsExactly("park", "skip");
    assertThat(RelayConfig.POLL_INTERVAL.min()).contains("10ms");
    assertThat(RelayConfig.POLL_INTERVAL.max()).contains("5m");
    assertThat(fromProperties("relay.mode", "stream").reason())
        .isEqualTo("expected polling or cdc");
    assertThat(RelayConfig.read(Settings.of(withMode("CDC"))).mode())
        .isEqualTo(RelayConfig.RelayMode.CDC);
  }

  static Map<String, String> withMode(String mode) {
    Map<String, String> m = RelayConfigTest.required();
    m.put("relay.mode", mode);
    return m;
  }
}
