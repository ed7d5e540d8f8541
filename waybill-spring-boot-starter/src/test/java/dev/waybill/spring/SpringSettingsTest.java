package dev.waybill.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Settings;
import dev.waybill.relay.RelayConfig;
import dev.waybill.spring.internal.PropertyNames;
import dev.waybill.spring.internal.SpringSettings;
import dev.waybill.spring.internal.StarterSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** The mapping of setting keys to Spring properties, relaxed binding, and translated errors. */
class SpringSettingsTest {

  @Test
  void mapsKeysToSpringPropertyNames() {
    assertThat(PropertyNames.springName("relay.batch.size")).isEqualTo("waybill.relay.batch-size");
    assertThat(PropertyNames.springName("relay.cdc.heartbeat.interval"))
        .isEqualTo("waybill.relay.cdc-heartbeat-interval");
    assertThat(PropertyNames.springName("outbox.table")).isEqualTo("waybill.outbox.table");
    assertThat(PropertyNames.springName("kafka.security.protocol"))
        .isEqualTo("waybill.kafka.security.protocol");
  }

  @Test
  void readsEveryRelaxedFormOfAProperty() {
    assertThat(batchSize(properties(Map.of("waybill.relay.batch-size", "7")))).isEqualTo("7");
    assertThat(batchSize(properties(Map.of("waybill.relay.batchSize", "8")))).isEqualTo("8");
    assertThat(batchSize(properties(Map.of("waybill.relay.batch.size", "9")))).isEqualTo("9");
    assertThat(batchSize(environment(Map.of("WAYBILL_RELAY_BATCHSIZE", "10")))).isEqualTo("10");
    assertThat(batchSize(environment(Map.of("WAYBILL_RELAY_BATCH_SIZE", "11")))).isEqualTo("11");
  }

  @Test
  void passesKafkaThroughAndDefaultsTheBrokersFromSpringKafka() {
    Settings fromSpring =
        SpringSettings.read(
            properties(
                Map.of(
                    "spring.kafka.bootstrap-servers", "a:9092,b:9092",
                    "waybill.kafka.compression.type", "zstd")),
            StarterSettings.relaySettings(),
            true);
    assertThat(fromSpring.raw("kafka.bootstrap.servers")).contains("a:9092,b:9092");
    assertThat(fromSpring.raw("kafka.compression.type")).contains("zstd");

    Settings own =
        SpringSettings.read(
            properties(
                Map.of(
                    "spring.kafka.bootstrap-servers", "a:9092",
                    "waybill.kafka.bootstrap.servers", "c:9092")),
            StarterSettings.relaySettings(),
            true);
    assertThat(own.raw("kafka.bootstrap.servers")).contains("c:9092");
  }

  @Test
  void anInvalidValueIsReportedUnderItsSpringName() {
    StandardEnvironment env = environment(Map.of("WAYBILL_RELAY_BATCH_SIZE", "0"));
    Settings settings = SpringSettings.read(env, StarterSettings.relaySettings(), false);

    assertThatThrownBy(
            () ->
                SpringSettings.validated(
                    () -> {
                      Settings.Reader r = settings.reader();
                      r.get(RelayConfig.BATCH_SIZE);
                      r.finish();
                      return null;
                    },
                    StarterSettings.relaySettings(),
                    List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'0' → waybill.relay.batch-size → expected a number from 1 to 10000");
  }

  @Test
  void translatesTheSettingsAReasonMentions() {
    assertThat(
            SpringSettings.translate(
                "'PT1S' → relay.lease.ttl → must be at least 3 × relay.lease.renew.interval (PT3S)",
                StarterSettings.relaySettings()))
        .isEqualTo(
            "'PT1S' → waybill.relay.lease-ttl → must be at least 3 ×"
                + " waybill.relay.lease-renew-interval (PT3S)");
    assertThat(
            SpringSettings.translate(
                "(missing) → kafka.bootstrap.servers → required: ...",
                StarterSettings.relaySettings()))
        .startsWith("(missing) → waybill.kafka.bootstrap.servers → required: set")
        .endsWith("(or set spring.kafka.bootstrap-servers)");
  }

  @Test
  void reportsAMisspeltPropertyWithTheClosestName() {
    StandardEnvironment env = properties(Map.of("waybill.relay.batch-sise", "5"));
    assertThat(unknownRelayProperties(env))
        .containsExactly(
            "(unknown) → waybill.relay.batch-sise → not a Waybill property; did you mean"
                + " waybill.relay.batch-size? (see docs/spring.md)");
  }

  @Test
  void acceptsEveryFormOfADeclaredPropertyAsKnown() {
    StandardEnvironment env =
        properties(
            Map.of(
                "waybill.relay.batchSize", "5",
                "waybill.relay.poll.interval", "1s",
                "waybill.relay.enabled", "true"));
    env.getPropertySources()
        .addLast(
            new SystemEnvironmentPropertySource(
                "test-systemEnvironment",
                Map.of("WAYBILL_RELAY_SENDTIMEOUT", "5s", "WAYBILL_RELAY_SHARDS", "8")));
    assertThat(unknownRelayProperties(env)).isEmpty();
  }

  private static List<String> unknownRelayProperties(StandardEnvironment env) {
    return SpringSettings.unknownProperties(
        env,
        List.of("waybill.relay."),
        StarterSettings.relaySettings(),
        List.of(StarterSettings.RELAY_ENABLED));
  }

  private static String batchSize(StandardEnvironment env) {
    return SpringSettings.read(env, StarterSettings.relaySettings(), false)
        .raw("relay.batch.size")
        .orElse(null);
  }

  private static StandardEnvironment properties(Map<String, Object> values) {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources().addFirst(new MapPropertySource("test", values));
    return env;
  }

  private static StandardEnvironment environment(Map<String, Object> values) {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources()
        .addFirst(new SystemEnvironmentPropertySource("test-systemEnvironment", values));
    return env;
  }
}
