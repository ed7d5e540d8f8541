package dev.waybill.spring;

import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.spring.internal.RelayHealthIndicator;
import dev.waybill.spring.internal.RelayLifecycle;
import dev.waybill.spring.internal.SchemaSetup;
import dev.waybill.spring.internal.StarterSettings;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the embedded relay, active with {@code waybill.relay.enabled=true}: the
 * relay's settings from the {@code waybill.relay.*}, {@code waybill.outbox.*} and {@code
 * waybill.kafka.*} properties (the broker list defaults to {@code spring.kafka.bootstrap-servers}),
 * a relay over the application's {@code DataSource} that starts after the context and stops
 * gracefully when it closes, its meters in the application's {@code MeterRegistry}, and, with
 * Actuator, the health indicator {@code waybillRelay}.
 */
@AutoConfiguration(
    after = WaybillOutboxAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(Relay.class)
@ConditionalOnBean(SchemaSetup.class)
@ConditionalOnBooleanProperty(StarterSettings.RELAY_ENABLED)
public class WaybillRelayAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public WaybillRelayAutoConfiguration() {}

  /**
   * The embedded relay's settings, validated by Waybill's setting declarations and cross-setting
   * rules.
   *
   * @param environment the application's environment
   * @param dataSource the application's database
   * @return the validated configuration (without {@code db.*} and HTTP settings)
   * @throws dev.waybill.outbox.config.ConfigException naming each bad property and the rule
   */
  @Bean
  @ConditionalOnMissingBean
  public RelayConfig waybillRelayConfig(Environment environment, DataSource dataSource) {
    return StarterSettings.relay(environment, dataSource);
  }

  @Bean
  @ConditionalOnMissingBean
  RelayLifecycle waybillRelay(
      RelayConfig config,
      DataSource dataSource,
      ObjectProvider<MeterRegistry> registries,
      SchemaSetup schema) {
    return new RelayLifecycle(
        () ->
            Relay.builder()
                .config(config)
                .dataSource(dataSource)
                .meterRegistry(registries.getIfUnique())
                .build());
  }

  /** The relay's Actuator health indicator, {@code waybillRelay}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class RelayHealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "waybillRelayHealthIndicator")
    HealthIndicator waybillRelayHealthIndicator(RelayLifecycle relay) {
      return new RelayHealthIndicator(relay);
    }
  }
}
